"""A measurement session: every cell, in interleaved rounds, one pinned `docker run` each.

Round r of every cell runs before round r+1, in an order shuffled afresh each
round from a seed, so slow drift of the machine spreads over all runtimes
instead of favouring one. In the first round each cell is calibrated: the
harness predicts `loops` from a cold pass (and trials, as Go's testing.B does)
until its timed section lasts CALIBRATION_MARGIN x `min_time`, and chooses how
many values the container measures (enough to fill `values_time`, at most
`max_values`, pyperf's values per process). That `loops` and that number of
values are used in every later round of the cell, so containers stay
comparable. In later rounds, cells of more than one loop (and spawn, which is
not calibrated) do short warm-ups (one pass of the task set) before the
measured values; see timing_for.

Each container's records are checked against what was asked (CPU set,
workers, runtime identity, loops, and the checksum the workload's parameters
imply) and then appended to a journal, so an interrupted session resumes
instead of starting over (see journal.py). Raw files and the session stamp are
written when the whole session succeeded, each atomically.
"""

from __future__ import annotations

import argparse
import fcntl
import glob
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import docker, environment
from .atomic import atomic_path
from .control import raw_problem
from .cpusets import format_cpuset, parse_cpuset
from .errors import ParbenchError, main_guard
from .journal import Journal, new_session_id, now, open_journal, plan_key, resumed_at
from .matrix import AA, Cell
from .provenance import build_stamp, harness_hashes, machine_facts, stamp_path, write_stamp
from .specs import CALIBRATION_MARGIN, expected_checksum_of, params_label, scaling

PYTHON_HARNESS = "/opt/parbench/python/harness.py"
BUSY_SAMPLE_SECONDS = 0.05
PROGRESS_EVERY_SECONDS = 30.0
DOCKER_CALL_TIMEOUT = 30.0
FAULT_SWITCH = "PARBENCH_FAULT_CHECKSUM"  # test-only: the harness misreports this workload's checksum
CONTAINER_LABEL = "parbench.session"
DEFAULT_RAW_DIR = Path("results/raw")


def session_plan(cells: list[Cell], rounds: int, seed: int) -> list[tuple[int, Cell]]:
    """(round, cell) pairs: round-major, each round a seeded shuffle of every cell."""
    rng = random.Random(seed)
    plan = []
    for round_index in range(rounds):
        order = sorted(cells, key=lambda c: c.raw_path)
        rng.shuffle(order)
        plan += [(round_index, cell) for cell in order]
    return plan


@dataclass(frozen=True)
class Timing:
    """How a container times its cell: calibrate (`min_time`) or a fixed `loops`, after `warmup` short warm-ups.

    A calibrating container chooses its number of values itself, from
    `values_time` and `max_values`; a later one measures `repeats` values.
    """

    loops: int | None = None
    min_time: float | None = None
    warmup: int = 0
    repeats: int = 1
    values_time: float = 0.0
    max_values: int = 1

    @property
    def measured(self) -> range:
        """How many measured records the container may print."""
        if self.min_time is not None and self.values_time > 0:
            return range(1, self.max_values + 1)
        return range(self.repeats, self.repeats + 1)


def harness_argv(kind: str, cell: Cell, params: dict[str, int], timing: Timing) -> list[str]:
    """The command line of the harness inside the image."""
    pairs = [f"{name}={params[name]}" for name in sorted(params)]
    dash = "--" if kind == "cpython" else "-"
    head = ["python3", PYTHON_HARNESS] if kind == "cpython" else ["parbench-go"]
    argv = head + [
        f"{dash}runtime",
        cell.runtime,
        f"{dash}workload",
        cell.workload,
        f"{dash}mode",
        cell.mode,
        f"{dash}workers",
        str(cell.workers),
    ]
    argv += [arg for pair in pairs for arg in (f"{dash}param", pair)]
    if timing.min_time is not None:
        argv += [f"{dash}min-time", f"{timing.min_time:g}"]
        if timing.values_time > 0:
            argv += [f"{dash}values-time", f"{timing.values_time:g}", f"{dash}max-values", str(timing.max_values)]
    else:
        argv += [f"{dash}loops", str(timing.loops or 1)]
    return argv + [f"{dash}repeats", str(timing.repeats), f"{dash}warmup", str(timing.warmup)]


def timing_for(cell: Cell, round_index: int, loops: int | None, settings: dict, values: int = 1) -> Timing:
    """Calibrate in the cell's first container; reuse its loops and values in every later round.

    The calibration trials (a cold pass, then predicted trials) warm the first
    container up. Later containers run `warmup` one-loop passes first only
    where one loop is shorter than the section (loops > 1), where a pass costs
    1/loops of it; a one-loop section lasts min_time by itself, and a
    full-length warm-up there bought nothing: on a default run a one-loop
    cell's first pass took as long as its measured one, for every runtime
    (the README gives the figures; benchmarks/session.py prints them for any
    run). Spawn's figures are per-worker creation costs, so it always runs one
    short loop.
    """
    if scaling(cell.workload) == "none":
        return Timing(loops=1, warmup=settings["warmup"])
    if loops is None:
        return Timing(
            min_time=settings["min_time"] * CALIBRATION_MARGIN,
            warmup=0,
            values_time=settings.get("values_time", 0.0),
            max_values=settings.get("max_values", 1),
        )
    return Timing(loops=loops, warmup=settings["warmup"] if loops > 1 else 0, repeats=values)


def calibration_key(cell: Cell) -> Cell:
    """The A/A twin runs with its original's loops, so the two differ only by chance."""
    return Cell(cell.runtime, cell.workload, cell.mode, cell.cpuset, cell.workers) if cell.variant == AA else cell


def container_name(cell: Cell) -> str:
    """Unique, so a leftover container can never be mistaken for this run's."""
    return f"parbench-{cell.runtime}-{cell.mode}-{uuid.uuid4().hex[:10]}"


def parse_records(stdout: str) -> list[dict]:
    records = []
    for number, line in enumerate(stdout.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise ParbenchError(f"harness output line {number} is not JSON: {line[:120]!r}") from None
    return records


def record_problems(
    records: list[dict],
    cell: Cell,
    measured: int | range,
    identity: dict,
    env: dict[str, str] | None = None,
    params: dict[str, int] | None = None,
    loops: int | None = None,
) -> list[str]:
    """Everything that makes these records untrustworthy, each as one line.

    A variant's environment changes what must be seen: PYTHON_GIL=1 turns the
    GIL on in a free-threaded build, GOMAXPROCS fixes Go's parallelism. With
    `loops` given, the measured repeats must have run exactly that many loops;
    without, they must all have run the same loops.
    """
    env = env or {}
    problems = []
    measured = range(measured, measured + 1) if isinstance(measured, int) else measured
    wanted_gil = {"1": True, "0": False}.get(env.get("PYTHON_GIL"), identity.get("gil_enabled"))
    got = [r for r in records if not r.get("warmup")]
    if len(got) not in measured:
        wanted = str(measured.start) if len(measured) == 1 else f"{measured.start} to {measured.stop - 1}"
        problems.append(f"expected {wanted} measured record(s), got {len(got)}")
    if len({r.get("loops") for r in got}) > 1:
        problems.append("the measured records ran different loops")
    wanted_cpus = format_cpuset(parse_cpuset(cell.cpuset))
    version = identity.get("version") or identity.get("GOVERSION")
    for r in records:
        where = f"repeat {r.get('repeat')}{' (warm-up)' if r.get('warmup') else ''}"
        seen = r.get("affinity")
        if seen != wanted_cpus:
            problems.append(f"{where}: CPU set {cell.cpuset} requested, the harness could use {seen}")
        fields = [("workload", cell.workload), ("mode", cell.mode), ("workers", cell.workers)]
        if params is not None:
            fields.append(("params", params))
        if loops is not None and not r.get("warmup"):
            fields.append(("loops", loops))
        for field, wanted in fields:
            if r.get(field) != wanted:
                problems.append(f"{where}: {field} is {r.get(field)!r}, expected {wanted!r}")
        if r.get("runtime_version") != version:
            problems.append(f"{where}: runtime version {r.get('runtime_version')} differs from the image's {version}")
        if "gil_enabled" in identity and r.get("gil_enabled") != wanted_gil:
            problems.append(
                f"{where}: GIL enabled is {r.get('gil_enabled')}, expected {wanted_gil} "
                f"(image identity {identity['gil_enabled']}, PYTHON_GIL={env.get('PYTHON_GIL', 'unset')})"
            )
        if "GOMAXPROCS" in env and r.get("gomaxprocs") != int(env["GOMAXPROCS"]):
            problems.append(f"{where}: GOMAXPROCS is {r.get('gomaxprocs')}, the variant sets {env['GOMAXPROCS']}")
    return problems


def checksum_problems(records: list[dict], expected: float) -> list[str]:
    """Every record whose checksum differs from the one the workload's parameters imply."""
    return [
        f"repeat {r.get('repeat')}{' (warm-up)' if r.get('warmup') else ''}: checksum {r.get('checksum')!r}, "
        f"expected {expected!r}"
        for r in records
        if r.get("checksum") != expected
    ]


# ---- what the host looked like just before a run ---------------------------


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields), idle


def busy_fraction(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """Share of CPU time spent outside idle between two /proc/stat readings."""
    total, idle = after[0] - before[0], after[1] - before[1]
    return None if total <= 0 else (total - idle) / total


def _first_line(pattern: str) -> str | None:
    for path in sorted(glob.glob(pattern)):
        try:
            return Path(path).read_text().strip()
        except OSError:
            continue
    return None


def host_diagnostics(cpus: list[int], sample: float = BUSY_SAMPLE_SECONDS) -> dict:
    """Load, other processes' CPU use, frequency governor and turbo state, where readable.

    Nothing of the workflow runs while this samples, so any busy time seen is
    someone else's.
    """
    before = _cpu_times()
    time.sleep(sample)
    busy = busy_fraction(before, _cpu_times())
    governors = {_first_line(f"/sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor") for cpu in cpus}
    no_turbo = _first_line("/sys/devices/system/cpu/intel_pstate/no_turbo")
    boost = _first_line("/sys/devices/system/cpu/cpufreq/boost")
    turbo = None if no_turbo is None and boost is None else (no_turbo == "0" if no_turbo is not None else boost == "1")
    with open("/proc/loadavg") as f:
        load = float(f.read().split()[0])
    return {
        "load_1m_before": load,
        "host_busy_before": busy,
        "governor": ",".join(sorted(g for g in governors if g)) or None,
        "turbo": turbo,
    }


# ---- running containers ----------------------------------------------------


class InfrastructureFault(Exception):
    """The container failed for a reason outside the measurement: worth one more try."""


class Stopped(Exception):
    """The user (or the workflow engine going away) stopped the session."""


def _terminate(signum, frame):
    """Stop on the first SIGINT or SIGTERM and ignore any later one.

    Ctrl-C reaches the session twice: directly (the terminal signals the whole
    process group) and as SIGTERM forwarded by Snakemake. The second must not
    interrupt the clean-up the first started (removing the container, writing
    the one-line error), or the container is left and the user sees a traceback.
    """
    signal.signal(signal.SIGINT, _already_stopping)
    signal.signal(signal.SIGTERM, _already_stopping)
    raise Stopped(signal.Signals(signum).name)


def _already_stopping(signum, frame):
    """A handler that does nothing (SIG_IGN would make Python raise "ignored due to race condition")."""


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def watched_ancestors() -> list[int]:
    """The processes the session lives for: its parent and grandparent (the shell and Snakemake).

    Snakemake runs the session through a shell; if Snakemake is killed the
    shell may live on, so the grandparent is watched too. Init and the
    container runtime's reapers are never watched.
    """
    parent = os.getppid()
    return [pid for pid in (parent, _parent_of(parent)) if pid and pid > 1]


def classify_failure(returncode: int, stderr: str, cell: Cell) -> Exception:
    """A failed `docker run` as an infrastructure fault (retried) or a measurement error (not)."""
    last = (stderr.strip().splitlines() or ["no message"])[-1]
    if returncode == 137:
        return InfrastructureFault(f"{cell.raw_path}: the container was killed (OOM killer or `docker kill`)")
    if returncode in (125, 126, 127) or "docker daemon" in stderr.lower():
        problem = docker.daemon_problem(timeout=10)
        if problem:
            return ParbenchError(
                f"lost the Docker daemon while measuring {cell.raw_path} ({problem}); "
                "after it is back, run the same command again to resume"
            )
        return InfrastructureFault(f"{cell.raw_path}: docker could not run the container ({last})")
    return ParbenchError(f"harness exited with {returncode} for {cell.raw_path}: {last}")


def stop_container(name: str) -> None:
    """Remove a container we abandon; bounded, so a hung daemon cannot hang the session."""
    try:
        subprocess.run(docker.remove_container_command(name), capture_output=True, timeout=DOCKER_CALL_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        pass


def run_container(
    image: str,
    argv: list[str],
    cell: Cell,
    timeout: float,
    env: dict[str, str],
    labels: dict[str, str],
    log,
    ancestors: list[int],
) -> tuple[list[dict], float]:
    """One pinned, networkless container; returns its records and outside wall time.

    Waits in steps of at most a second so that the session notices within
    seconds when the workflow engine that started it has gone away, and a
    timeout shorter than a step still applies.
    """
    name = container_name(cell)
    command = docker.run_command(image, argv, name=name, cpuset=cell.cpuset, env=env, labels=labels)
    log(f"running {' '.join(command)}")
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            left = timeout - (time.perf_counter() - t0)
            try:
                stdout, stderr = proc.communicate(timeout=max(0.0, min(1.0, left)))
                break
            except subprocess.TimeoutExpired:
                if time.perf_counter() - t0 >= timeout:
                    raise InfrastructureFault(f"{cell.raw_path} exceeded timeout_seconds={timeout:g}") from None
                if not all(pid_alive(pid) for pid in ancestors):
                    raise Stopped("the workflow engine that started the session has gone away") from None
    except BaseException:
        proc.kill()
        stop_container(name)
        proc.communicate()
        raise
    seconds = time.perf_counter() - t0
    log(stderr.rstrip())
    if proc.returncode != 0:
        raise classify_failure(proc.returncode, stderr, cell)
    return parse_records(stdout), seconds


def remove_stray_containers(log) -> int:
    """Containers a killed session left behind, found by their label, removed before measuring."""
    try:
        listed = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label={CONTAINER_LABEL}"],
            capture_output=True,
            text=True,
            timeout=DOCKER_CALL_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired):
        return 0
    ids = listed.stdout.split()
    for container in ids:
        stop_container(container)
    if ids:
        log(f"removed {len(ids)} stray parbench container(s) left by an earlier session")
    return len(ids)


# ---- the session -------------------------------------------------------------


@dataclass(frozen=True)
class Runtime:
    image: str
    identity: dict
    kind: str


def load_runtimes(images_dir: Path, runtimes: set[str]) -> dict[str, Runtime]:
    found = {}
    for runtime in sorted(runtimes):
        entry = json.loads((images_dir / f"{runtime}.identity.json").read_text())
        found[runtime] = Runtime(entry["image_id"], entry["identity"], entry["config"]["kind"])
    return found


def annotate(
    records: list[dict],
    *,
    cell: Cell,
    round_index: int,
    order: int,
    env: dict,
    image: str,
    host: str,
    session: str,
    seed: int,
    diagnostics: dict,
    container_seconds: float,
    started_at: str,
    retries: int,
) -> None:
    """Add what the session knows about a container to each of its records.

    A measured record's `repeat` is its round (the container is the repeat);
    `value` keeps the harness's index, which tells a container's values apart.
    """
    inside = sum(r.get("total_seconds", r["seconds"]) + r.get("spawn_seconds", 0.0) for r in records)
    unmeasured = sum(r.get("total_seconds", r["seconds"]) for r in records if r.get("warmup"))
    for r in records:
        r.update(
            diagnostics,
            round=round_index,
            repeat=round_index if not r["warmup"] else r["repeat"],
            value=r["repeat"],
            order=order,
            variant=cell.variant,
            env=env,
            cpuset=cell.cpuset,
            cpus=len(parse_cpuset(cell.cpuset)),
            image_id=image,
            host=host,
            session=session,
            container_seconds=container_seconds,
            startup_seconds=container_seconds - inside,
            warmup_seconds=unmeasured,
            retries=retries,
            started_at=started_at,
            seed=seed,
        )


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
    ):
        self.settings, self.runtimes, self.host, self.journal = settings, runtimes, host, journal
        self.timeout, self.retries, self.log, self.say = timeout, retries, log, say
        self.cells = [Cell.from_raw_path(path) for path in settings["cells"]]
        self.plan = session_plan(self.cells, settings["repeats"], settings["seed"])
        self.loops: dict[Cell, int] = {}
        self.values: dict[Cell, int] = {}
        for entry in journal.entries:
            if entry.get("loops") is not None:
                self.calibrated(Cell.from_raw_path(entry["cell"]), entry)
        self.ancestors = watched_ancestors()
        self.fault = os.environ.get(FAULT_SWITCH)

    def calibrated(self, cell: Cell, entry: dict) -> None:
        """Keep the loops and values of a cell's first container for its later rounds."""
        key = calibration_key(cell)
        self.loops.setdefault(key, entry["loops"])
        self.values.setdefault(key, entry.get("values", 1))

    def env_for(self, cell: Cell) -> dict[str, str]:
        env = dict(self.settings.get("env", {}).get(cell.variant, {}))
        if self.fault:
            env[FAULT_SWITCH] = self.fault
        return env

    def measure_one(self, order: int, round_index: int, cell: Cell) -> dict:
        """Run one container (retrying infrastructure faults), check it, and return its journal entry."""
        runtime = self.runtimes[cell.runtime]
        params = self.settings["params"][cell.workload]
        key = calibration_key(cell)
        timing = timing_for(cell, round_index, self.loops.get(key), self.settings, self.values.get(key, 1))
        argv = harness_argv(runtime.kind, cell, params, timing)
        env = self.env_for(cell)
        labels = {CONTAINER_LABEL: self.journal.session}
        failures = []
        while True:
            diagnostics = host_diagnostics(parse_cpuset(cell.cpuset))
            started_at = datetime.now(UTC).isoformat(timespec="seconds")
            try:
                records, seconds = run_container(
                    runtime.image, argv, cell, self.timeout, env, labels, self.log, self.ancestors
                )
                break
            except InfrastructureFault as fault:
                failures.append(str(fault))
                if len(failures) > self.retries:
                    raise ParbenchError(f"{fault} ({len(failures)} attempt(s); retries={self.retries})") from None
                self.say(f"{fault}; retrying ({len(failures)}/{self.retries})")
        self.check(records, cell, runtime, env, params, timing)
        measured = [r for r in records if not r["warmup"]]
        annotate(
            records,
            cell=cell,
            round_index=round_index,
            order=order,
            env=env,
            image=runtime.image,
            host=self.host,
            session=self.journal.session,
            seed=self.settings["seed"],
            diagnostics=diagnostics,
            container_seconds=seconds,
            started_at=started_at,
            retries=len(failures),
        )
        for r in records:
            r["retry_reasons"] = failures
        return {
            "order": order,
            "round": round_index,
            "cell": cell.raw_path,
            "loops": measured[0]["loops"],
            "values": len(measured),
            "records": records,
        }

    def check(self, records, cell, runtime, env, params, timing) -> None:
        problems = record_problems(records, cell, timing.measured, runtime.identity, env, params, timing.loops)
        if not problems:
            expected = expected_checksum_of(cell.workload, params_label(params), cell.workers)
            problems = checksum_problems(records, expected)
        if problems:
            raise ParbenchError(f"{cell.raw_path}: {problems[0]} (not retried: the measurement itself is wrong)")

    def run(self) -> None:
        done = self.journal.done()
        total, started = len(self.plan), time.monotonic()
        last_progress = -PROGRESS_EVERY_SECONDS
        for order, (round_index, cell) in enumerate(self.plan):
            if order in done:
                continue
            first_of_round = order % len(self.cells) == 0
            if first_of_round or time.monotonic() - last_progress >= PROGRESS_EVERY_SECONDS:
                self.say(
                    progress_line(
                        order, total, round_index, self.settings["repeats"], time.monotonic() - started, len(done)
                    )
                )
                last_progress = time.monotonic()
            self.log(f"[{order + 1}/{total}] round {round_index + 1}: {cell.raw_path}")
            t0 = time.monotonic()
            entry = self.measure_one(order, round_index, cell)
            entry["elapsed"] = time.monotonic() - t0
            self.journal.append(entry)
            self.calibrated(cell, entry)

    def collected(self) -> dict[Cell, list[dict]]:
        """Every cell's records in plan order, from the journal."""
        out: dict[Cell, list[dict]] = defaultdict(list)
        for entry in sorted(self.journal.entries, key=lambda e: e["order"]):
            out[Cell.from_raw_path(entry["cell"])] += entry["records"]
        return out


def progress_line(order: int, total: int, round_index: int, rounds: int, elapsed: float, skipped: int) -> str:
    """Containers done / total, the round, elapsed time and an estimate of what is left."""
    done_here = max(order - skipped, 0)
    left = (total - order) * elapsed / done_here if done_here else None
    estimate = f", about {format_duration(left)} left" if left is not None else ""
    return (
        f"measuring: {order}/{total} containers done, round {round_index + 1}/{rounds}, "
        f"{format_duration(elapsed)} elapsed{estimate}"
    )


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def session_counts(journal: Journal) -> dict:
    """What the session cost: containers, wall time, and where it went."""
    records = [r for e in journal.entries for r in e["records"]]
    measured = [r for r in records if not r["warmup"]]
    # Start-up and retries are the container's, repeated on each of its records: count them once.
    containers = [e["records"][0] for e in journal.entries if e["records"]]
    return {
        "containers": len(journal.entries),
        "retries": sum(r["retries"] for r in containers),
        "wall_seconds": sum(e.get("elapsed", 0.0) for e in journal.entries),
        "timed_seconds": sum(r["total_seconds"] for r in measured),
        "warmup_seconds": sum(r["total_seconds"] for r in records if r["warmup"]),
        "startup_seconds": sum(r["startup_seconds"] for r in containers),
    }


def raw_file(cell: Cell, raw_dir: Path) -> Path:
    """Where a cell's records go: its raw path, under another raw folder if given (one per host)."""
    return raw_dir / Path(cell.raw_path).relative_to(DEFAULT_RAW_DIR)


def write_results(session: Session, raw_dir: Path, header: dict, harness: dict, label: str) -> Path:
    """Raw files, then the stamp: each atomically, only after every container succeeded."""
    for cell, records in session.collected().items():
        with atomic_path(raw_file(cell, raw_dir)) as tmp:
            tmp.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
    cpusets = sorted({cell.cpuset for cell in session.cells})
    machine = {**machine_facts(label, cpusets), **header.get("code", {})}
    stamp = build_stamp(
        session=session.journal.session,
        started_at=header["started_at"],
        ended_at=now(),
        resumed_at=resumed_at(session.journal),
        label=label,
        harness=harness,
        images={name: rt.image for name, rt in session.runtimes.items()},
        settings=session.settings,
        machine=machine,
        counts=session_counts(session.journal),
    )
    path = stamp_path(raw_dir, session.journal.session)
    write_stamp(path, stamp)
    return path


def hold_session_lock(path: Path):
    """Refuse a second session on this machine while one is measuring (one measurement at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        raise ParbenchError(
            f"a measurement session is already running ({holder}); wait for it to finish or stop it, then run again"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, started {now()}")
    handle.flush()
    return handle


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
) -> Path:
    """Run (or resume) the session; return the stamp's path.

    Whatever stops it (a signal, the workflow engine gone) ends in one line and
    leaves the journal; the lock goes with the process either way.
    """
    lock = hold_session_lock(state_dir / "measure.lock")
    journal = None
    try:
        cells = [Cell.from_raw_path(path) for path in settings["cells"]]
        runtimes = load_runtimes(images_dir, {cell.runtime for cell in cells})
        harness = harness_hashes(Path.cwd())  # the project being measured: the workflow runs in it
        # The margin decides every cell's loops, so it is a setting of the session: it keys the journal
        # (one calibrated under another margin is not resumed) and the stamp records it.
        settings = {**settings, "calibration_margin": CALIBRATION_MARGIN}
        key = plan_key(settings, {name: rt.image for name, rt in runtimes.items()}, harness)
        # The code that measures is stamped as it was when the session started.
        journal = open_journal(state_dir / "journal.jsonl", key, new_session_id(), say, code=environment.git_state())
        remove_stray_containers(log)
        session = Session(settings, runtimes, host, journal, timeout, retries, log, say)
        session.run()
        stamp = write_results(session, raw_dir, journal.header, harness, host)
        journal.path.unlink()  # every record is in the raw files now, flushed to disk
        return stamp
    except (KeyboardInterrupt, Stopped) as why:
        kept = len(journal.entries) if journal else 0
        planned = len(session_plan([Cell.from_raw_path(p) for p in settings["cells"]], settings["repeats"], 0))
        raise ParbenchError(
            f"measurement stopped ({str(why) or 'interrupted'}); {kept} of {planned} "
            "containers are kept in the journal: run the same command again to resume"
        ) from None
    finally:
        lock.close()


def narrowed(cells: list[str], repair: bool, runtimes: str | None, repeats: int | None = None) -> list[str]:
    """The plan's cells this invocation measures: the damaged ones, some runtimes' cells, or all."""
    if repair:
        return [path for path in cells if raw_problem(Path(path), repeats)]
    if runtimes:
        names = set(runtimes.split(","))
        return [path for path in cells if Cell.from_raw_path(path).runtime in names]
    return cells


def open_log(path: Path | None):
    """A writer for detail lines: the log file, or stderr when none is given."""
    if path is None:
        return lambda line: print(line, file=sys.stderr, flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a")

    def log(line: str) -> None:
        if line:
            handle.write(line + "\n")
            handle.flush()

    return log


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--settings",
        required=True,
        type=Path,
        help="JSON: cells, repeats, warmup, min_time, seed, parameters per workload, variant env",
    )
    parser.add_argument("--images", required=True, type=Path, help="folder of <runtime>.identity.json files")
    parser.add_argument("--host-label", required=True)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per container")
    parser.add_argument("--retries", type=int, default=1, help="extra attempts after an infrastructure fault")
    parser.add_argument("--state", type=Path, default=Path("results/session"), help="journal and lock folder")
    parser.add_argument("--log", type=Path, default=None, help="detail log (default: stderr)")
    narrow = parser.add_mutually_exclusive_group()
    narrow.add_argument(
        "--repair", action="store_true", help="measure just the plan's cells whose raw files are missing or damaged"
    )
    narrow.add_argument("--runtimes", default=None, help="comma-separated: measure just these runtimes' cells")
    args = parser.parse_args(argv)
    log = open_log(args.log)

    def say(line: str) -> None:
        log(line)
        print(f"parbench: {line}", file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    settings = json.loads(args.settings.read_text())
    settings["cells"] = narrowed(settings["cells"], args.repair, args.runtimes, settings["repeats"])
    stamp = measure(settings, args.images, args.host_label, args.timeout, args.retries, args.state, log, say)
    counts = json.loads(stamp.read_text())
    say(
        f"measured {counts['containers']} containers in session {counts['session']} "
        f"({format_duration(counts['wall_seconds'])}); stamp {stamp}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
