"""A measurement session: every cell, in interleaved rounds, one pinned container each.

The plan (sessionplan.py) fixes the order and how each container times its
cell. Each container's records are checked against what was asked
(recordchecks.py: CPU set, workers, runtime identity, loops, and the checksum
the workload's parameters imply) and then appended to a journal, so an
interrupted session resumes instead of starting over (journal.py). Raw files
and the session stamp are written when the whole session succeeded, each
atomically (sessionrecords.py).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from . import environment
from .containerparts import Part, parts_command, shared_phrase, shares, split_records
from .cpusets import parse_cpuset
from .engines import DOCKER, Engine
from .errors import ParbenchError
from .estimate import session_costs
from .hostload import host_diagnostics
from .journal import Journal, new_session_id, open_journal, plan_key
from .matrix import Cell
from .progress import cells_per_container, progress_line, runs_noun
from .provenance import harness_hashes
from .recordchecks import Agreement, checksum_problems, record_problems
from .sessionlock import Stopped, hold_session_lock, watched_ancestors
from .sessionplan import (
    WORKLOAD_MOUNT,
    Timing,
    batch_at,
    calibration_key,
    container_key,
    harness_argv,
    session_plan,
    timing_for,
)
from .sessionrecords import DEFAULT_RAW_DIR, annotate, raw_file, write_results
from .sessionstart import Runtime, check_held, check_user_folders, load_runtimes, stamped_settings, usable_engine
from .specs import expected_checksum_of, params_label, scaling, units_in, use_user_workloads
from .stopping import StopRule, budget_seconds, budget_spent, container_figure, measuring_seconds
from .supervise import InfrastructureFault, container_labels, remove_stray_containers, run_container

PROGRESS_EVERY_SECONDS = 30.0
FAULT_SWITCH = "PARBENCH_FAULT_CHECKSUM"  # test-only: the harness misreports this workload's checksum


@dataclass(frozen=True)
class Ran:
    """A container that ran to the end: its records, its wall time from outside, and what came before it."""

    records: list[dict]
    seconds: float
    diagnostics: dict  # the host's state just before it started
    started_at: str
    failures: list[str]  # why earlier attempts of the same container failed


@dataclass(frozen=True)
class Prepared:
    """What a container runs for one cell, and what its records are checked against."""

    runtime: Runtime
    params: dict
    timing: Timing
    env: dict[str, str]
    units: int
    argv: list[str]


class Session:
    """One measurement session over a plan, journaled container by container."""

    def __init__(
        self,
        settings: dict,
        runtimes: dict[str, Runtime],
        host: str,
        journal: Journal,
        timeout: float,
        retries: int,
        log,
        say,
        *,
        labels: dict[str, str],
        engine: Engine = DOCKER,
        raw_dir: Path = DEFAULT_RAW_DIR,
    ):
        self.settings, self.runtimes, self.host, self.journal = settings, runtimes, host, journal
        self.engine, self.raw_dir = engine, raw_dir  # a cluster node's raw files are under its own folder
        self.timeout, self.retries, self.log, self.say = timeout, retries, log, say
        self.labels = labels  # on every container, so a later session can find what this one left
        self.cells = [Cell.from_raw_path(path) for path in settings["cells"]]
        self.users = settings.get("user_workloads", {})
        # Cells that may share a container (containerparts.py); one per container unless the settings say more.
        self.per_container = cells_per_container(settings)
        self.key = partial(container_key, users=tuple(self.users))
        self.plan = session_plan(
            self.cells, settings["repeats"], settings["seed"], self.key if self.per_container > 1 else None
        )
        self.loops: dict[Cell, int] = {}
        self.values: dict[Cell, int] = {}
        self.rule = StopRule.of(settings, spent=budget_spent(settings, journal.entries))
        self.figures: dict[Cell, list[float]] = {cell: [] for cell in self.cells}  # one per container, in order
        for entry in sorted(journal.entries, key=lambda e: e["order"]):
            self.taken(Cell.from_raw_path(entry["cell"]), entry)
        self.agreement = Agreement()  # a user workload without `expected`: held to its earlier answers
        for entry in journal.entries:
            self.agreement.remember(Cell.from_raw_path(entry["cell"]), entry["records"])
        self.ancestors = watched_ancestors()
        self.fault = os.environ.get(FAULT_SWITCH)
        self.costs: list[float] | None = None  # each planned container's predicted seconds (estimate.py)

    def image_for(self, cell: Cell) -> Runtime:
        """The workload's own image on this runtime if it has one, else the runtime's."""
        return self.runtimes.get(f"{cell.runtime}+{cell.workload}") or self.runtimes[cell.runtime]

    def mounts_for(self, cell: Cell) -> dict[str, str]:
        """A user workload's folder, read-only, for CPython (Go's twin is compiled into its image)."""
        user = self.users.get(cell.workload)
        return {user["path"]: WORKLOAD_MOUNT} if user and self.image_for(cell).kind == "cpython" else {}

    def taken(self, cell: Cell, entry: dict) -> None:
        """Keep a container's figure for the stopping rule, and the first container's loops and values."""
        self.figures.setdefault(cell, []).append(container_figure(entry))
        if entry.get("loops") is not None:
            key = calibration_key(cell)
            self.loops.setdefault(key, entry["loops"])
            self.values.setdefault(key, entry.get("values", 1))

    def settle(self, done: set[int], after: int = -1) -> None:
        """Zero the predicted cost of the containers this invocation will not run, so time left drops.

        Those are the ones an earlier invocation measured and, past position
        `after`, the rounds of cells that settled (stopping.py).
        """
        if self.costs:
            for order, (_, cell) in enumerate(self.plan):
                if order in done or (order > after and self.stopped(cell)):
                    self.costs[order] = 0.0

    def stopped(self, cell: Cell) -> str | None:
        """Why the cell takes no more rounds (stopping.py), or None while it goes on."""
        return self.rule.reason(self.figures.get(cell, []))

    def env_for(self, cell: Cell) -> dict[str, str]:
        env = dict(self.settings.get("env", {}).get(cell.variant, {}))
        if self.fault:
            env[FAULT_SWITCH] = self.fault
        return env

    def attempts(self, cell: Cell, argv: list[str], env: dict[str, str], parts: tuple[str, ...] = ()) -> Ran:
        """Run the container until it succeeds or faults exceed the retries.

        `parts` names a shared container's cells in order (the first is `cell`), so a failure names the one running.
        """
        failures: list[str] = []
        while True:
            diagnostics = host_diagnostics(parse_cpuset(cell.cpuset))
            started_at = datetime.now(UTC).isoformat(timespec="seconds")
            image = self.image_for(cell).reference
            try:
                records_and_seconds = run_container(
                    self.engine,
                    image,
                    argv,
                    cell,
                    self.timeout * max(len(parts), 1),  # timeout_seconds is each cell's
                    env,
                    self.labels,
                    self.log,
                    self.ancestors,
                    mounts=self.mounts_for(cell),
                    limits=self.settings.get("limits"),
                    parts=parts,
                )
                return Ran(*records_and_seconds, diagnostics, started_at, failures)
            except InfrastructureFault as fault:
                failures.append(str(fault))
                if len(failures) > self.retries:
                    raise ParbenchError(f"{fault} ({len(failures)} attempt(s); retries={self.retries})") from None
                self.say(f"{fault}; retrying ({len(failures)}/{self.retries})")

    def prepare(self, cell: Cell) -> Prepared:
        """What one container (or one part of a shared one) runs for the cell, and what its records must show."""
        runtime = self.image_for(cell)
        params = self.settings["params"][cell.workload]
        key = calibration_key(cell)
        timing = timing_for(cell, self.loops.get(key), self.settings, self.values.get(key, 1))
        units = units_in(self.settings, cell.workload)
        argv = harness_argv(runtime.kind, cell, params, timing, user=cell.workload in self.users, units=units)
        return Prepared(runtime, params, timing, self.env_for(cell), units, argv)

    def measure_one(self, order: int, round_index: int, cell: Cell) -> dict:
        """Run one container (retrying infrastructure faults), check it, and return its journal entry."""
        prep = self.prepare(cell)
        return self.entry(order, round_index, cell, prep, self.attempts(cell, prep.argv, prep.env))

    def measure_shared(self, batch: list[int]) -> list[dict]:
        """Run several cells of one round in one container, each a process of its own (containerparts.py)."""
        cells = [self.plan[order][1] for order in batch]
        preps = [self.prepare(cell) for cell in cells]
        names = tuple(c.raw_path for c in cells)
        what = shared_phrase(names)
        ran = self.attempts(cells[0], parts_command([Part(prep.argv, prep.env) for prep in preps]), {}, names)
        try:
            parts = split_records(ran.records, len(cells))
        except ValueError as problem:
            raise ParbenchError(f"{what}: {problem} (not retried: the measurement itself is wrong)") from None
        seconds = shares(ran.seconds, [inside for _, inside in parts])
        entries = [
            self.entry(order, self.plan[order][0], cell, prep, replace(ran, records=records, seconds=share))
            for order, cell, prep, (records, _), share in zip(batch, cells, preps, parts, seconds)
        ]
        for entry in entries:  # absent where a cell had its container alone, so such records stay as they were
            for r in entry["records"]:
                r.update(container_cells=len(cells), container_order=batch[0])  # the plan position it started at
        return entries

    def entry(self, order: int, round_index: int, cell: Cell, prep: Prepared, ran: Ran) -> dict:
        """A container's (or part's) records checked and annotated, as its journal entry."""
        records = ran.records
        self.check(records, cell, prep.runtime, prep.env, prep.params, prep.timing, prep.units)
        measured = [r for r in records if not r["warmup"]]
        annotate(
            records,
            cell=cell,
            round_index=round_index,
            order=order,
            env=prep.env,
            image=prep.runtime.image,
            engine=self.engine.name,
            host=self.host,
            session=self.journal.session,
            seed=self.settings["seed"],
            diagnostics=ran.diagnostics,
            container_seconds=ran.seconds,
            started_at=ran.started_at,
            retries=len(ran.failures),
        )
        for r in records:
            r["retry_reasons"] = ran.failures
        return {
            "order": order,
            "round": round_index,
            "cell": cell.raw_path,
            "loops": measured[0]["loops"],
            "values": len(measured),
            "records": records,
        }

    def check(
        self, records: list[dict], cell: Cell, runtime: Runtime, env: dict, params: dict, timing: Timing, units: int
    ) -> None:
        """Stop the session on the first problem: a wrong measurement is not worth another try."""
        problems = record_problems(records, cell, timing.measured, runtime.identity, env, params, timing.loops, units)
        if not problems:
            expected = expected_checksum_of(cell.workload, params_label(params), cell.workers, units)
            if expected is not None:
                problems = checksum_problems(records, expected)
            else:
                problems = self.agreement.problems(cell, records, scaling(cell.workload) == "strong")
        if problems:
            raise ParbenchError(
                f"{raw_file(cell, self.raw_dir)}: {problems[0]} (not retried: the measurement itself is wrong)"
            )

    def run(self) -> None:
        """Every container of the plan not yet in the journal, in plan order, with progress now and then."""
        earlier = self.journal.done()  # measured by an earlier invocation: it costs this one nothing
        done = set(earlier)
        if self.rule.spent:  # an earlier invocation of this session spent it: say so before going on
            self.say(self.spent_line("spent before this resume"))
        total, started = len(self.plan), time.monotonic()
        last_progress = -PROGRESS_EVERY_SECONDS
        last_round = -1
        self.settle(earlier)
        for order, (round_index, cell) in enumerate(self.plan):
            if order in done or self.stopped(cell):
                continue
            if round_index != last_round or time.monotonic() - last_progress >= PROGRESS_EVERY_SECONDS:
                rounds, elapsed = self.settings["repeats"], time.monotonic() - started
                self.say(
                    progress_line(
                        order, total, round_index, rounds, elapsed, len(earlier), self.costs, self.per_container
                    )
                )
                last_progress, last_round = time.monotonic(), round_index
            batch = batch_at(self.plan, order, self.per_container, self.pending(done), self.key)
            for position in batch:
                where = raw_file(self.plan[position][1], self.raw_dir)
                self.log(f"[{position + 1}/{total}] round {round_index + 1}: {where}")
            t0 = time.monotonic()
            entries = self.measure_shared(batch) if len(batch) > 1 else [self.measure_one(order, round_index, cell)]
            # The container's wall time, shared as its records share it: the budget sums these.
            inside = [(entry["records"] or [{}])[0].get("container_seconds", 0.0) for entry in entries]
            for entry, elapsed in zip(entries, shares(time.monotonic() - t0, inside)):
                entry["elapsed"] = elapsed
                self.journal.append(entry)
                self.taken(self.plan[entry["order"]][1], entry)
            done.update(batch[1:])  # measured now: later positions of this batch are not run again
            self.spend()
            self.settle(earlier, after=batch[-1])

    def pending(self, done: set[int]):
        """Whether a plan position still takes its container: not measured, and its cell not stopped."""
        return lambda order, cell: order not in done and not self.stopped(cell)

    def spend(self) -> None:
        """Once the journal's measuring time reaches the budget, cells with min_rounds take no more (stopping.py)."""
        if self.rule.spent or not budget_spent(self.settings, self.journal.entries):
            return
        self.rule = StopRule.of(self.settings, spent=True)
        self.say(self.spent_line("spent"))

    def spent_line(self, how: str) -> str:
        """What the session says of a spent budget: the journal's measuring time, and what it stops."""
        return (
            f"budget {self.settings['budget']['limit']} {how} ({measuring_seconds(self.journal.entries):.0f} s of "
            f"{budget_seconds(self.settings):.0f} s measuring): "
            f"cells with at least {self.rule.fewest} rounds take no more"
        )


def measure(
    settings: dict,
    images_dir: Path,
    host: str,
    timeout: float,
    retries: int,
    state_dir: Path,
    log,
    say,
    raw_dir: Path = DEFAULT_RAW_DIR,
    loaded: dict[str, dict] | None = None,
    planned: str | None = None,
) -> Path:
    """Run (or resume) the session with the settings' engine; return the stamp's path.

    `loaded` is the engine's reference for each image when it is not the
    engine that built them; `planned` the sha256 of the settings file before
    an invocation narrowed it, kept in the journal's header. Whatever stops it (a signal, the workflow engine
    gone) ends in one line and leaves the journal; the lock goes with the
    process either way.
    """
    lock = hold_session_lock(state_dir)
    journal = None
    use_user_workloads((settings.get("user_workloads") or {}).values())  # their modes, scaling and kind
    check_user_folders(settings)
    try:
        cells = [Cell.from_raw_path(path) for path in settings["cells"]]
        names = {cell.runtime for cell in cells}
        names |= {name for name in settings.get("derived_images", []) if name.split("+")[0] in names}
        runtimes = load_runtimes(images_dir, names, loaded)
        images = {name: rt.image for name, rt in runtimes.items()}
        engine = usable_engine(settings)
        check_held(engine, runtimes, loaded is not None)
        settings = stamped_settings(settings, runtimes, engine)
        harness = harness_hashes(Path.cwd())  # the project being measured: the workflow runs in it
        key = plan_key(settings, images, harness)
        # The code that measures is stamped as it was when the session started.
        path, code = state_dir / "journal.jsonl", environment.git_state()  # its header names the cells and plan
        journal = open_journal(path, key, new_session_id(), say, code, settings["cells"], planned)
        remove_stray_containers(engine, log, state_dir)
        labels = container_labels(journal.session, state_dir)
        session = Session(
            settings, runtimes, host, journal, timeout, retries, log, say, labels=labels, engine=engine, raw_dir=raw_dir
        )
        free = [name for name, rt in runtimes.items() if rt.identity.get("gil_build_disabled")]
        session.costs = session_costs(settings, images, free, raw_dir, journal.path, session.plan, say)
        session.run()
        stamp = write_results(journal, settings, images, raw_dir, harness, host, engine.name)
        journal.path.unlink()  # every record is in the raw files now, flushed to disk
        return stamp
    except (KeyboardInterrupt, Stopped) as why:
        kept = len(journal.entries) if journal else 0
        planned = len(settings["cells"]) * settings["repeats"]
        raise ParbenchError(
            f"measurement stopped ({str(why) or 'interrupted'}); {kept} of at most {planned} "
            f"{runs_noun(cells_per_container(settings))} are kept in the journal: "
            "run the same command again to resume"
        ) from None
    finally:
        lock.close()
