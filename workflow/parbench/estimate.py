"""What a session will cost before it runs: a model of each cell's containers, summed over its rounds.

A container costs its start-up, its warm-ups and its values (each one timed
section); a cell's first container also calibrates (a cold pass and a trial).
Where earlier sessions measured a cell with the same image and parameters,
their container seconds are the best guess and need no model. Where they
measured the same runtime, workload, mode and variant at another worker count,
the time of one loop is carried over by the workload's scaling and by whether
the mode runs its workers in parallel, then the model rebuilds the container.
Otherwise the timing settings alone say what a container lasts: a calibrated
section of CALIBRATION_MARGIN x min_time, as many values as fill values_time.
A divided loop (settings' `units`) is calibrated in passes of one unit, so
only a unit longer than the target makes a section longer than it; a record
of other units still tells one loop's time, but not its containers'.

Everything here is a pure function over plain data (records as dicts, the
session settings as the plan writes them); history.py reads the records.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .cpusets import parse_cpuset
from .history import BUDGET_SPENT, FROM_JOURNAL, ROUNDS_CAP, earlier_records
from .hostload import BUSY_SAMPLE_SECONDS
from .journal import cell_runs_done
from .matrix import AA, Cell
from .names import C_LIBRARY, GOROUTINES, SLEEP, THREADS
from .progress import cells_per_container, runs_noun
from .specs import CALIBRATION_MARGIN, params_label, scaling, units_in, workload_kind

DEFAULT_STARTUP = 0.3  # seconds to start a container, where no earlier session says (docs/method.md)
# Where cells share a container, each still starts its own process (and the shell's marker between them):
# about 0.1 s a cell on a 2-CPU machine (quick config, 8 cells a container: docs/evidence.md).
PART_STARTUP = 0.1
# A calibrated section of many passes lands about this far past its target: the harness
# predicts its passes to aim 20 % past it (harness.py's PREDICTION_OVERSHOOT, held equal by a test).
OVERSHOOT = 1.2
# Per container, outside it: the host's load is sampled before each start (hostload.host_diagnostics).
OVERHEAD = BUSY_SAMPLE_SECONDS
HISTORY, SCALED, DEFAULT = "history", "scaled", "default"


@dataclass(frozen=True)
class Seen:
    """A cell as its latest session with these images measured it."""

    rounds: int | None  # None: its session has not finished, so how many it takes is not known yet
    per_loop: float  # median seconds of one loop
    startup: float  # median seconds to start one of its containers
    first: float | None = None  # its calibrating container's seconds (None: not among the records)
    later: float | None = None  # median seconds of its later containers


@dataclass(frozen=True)
class CellCost:
    """One cell's predicted containers: the first (calibrating) one, each later one, and how many."""

    cell: str  # raw path
    first: float
    later: float
    rounds: int
    source: str  # HISTORY, SCALED (another worker count) or DEFAULT (the timing settings)
    rounds_known: bool  # False: `rounds` is the most a cell may take, an upper bound

    @property
    def seconds(self) -> float:
        return self.first + self.later * max(self.rounds - 1, 0) if self.rounds else 0.0


@dataclass(frozen=True)
class Estimate:
    """A session's predicted cost, cell by cell; `per_container` cells may share a container."""

    costs: tuple[CellCost, ...]
    per_container: int = 1
    before: int = 0  # cell runs an earlier invocation of a resumed session measured (`after`)

    @property
    def cells(self) -> int:
        return len(self.costs)

    @property
    def containers(self) -> int:
        return sum(c.rounds for c in self.costs)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.costs)

    @property
    def from_history(self) -> int:
        return sum(c.source == HISTORY for c in self.costs)

    @property
    def longest(self) -> float:
        """The longest predicted container, seconds."""
        return max((max(c.first, c.later) for c in self.costs), default=0.0)

    def only(self, cells: Iterable[str]) -> Estimate:
        """The cells (raw paths) an invocation measures, when a repair or `remeasure` narrows it."""
        wanted = set(cells)
        return replace(self, costs=tuple(c for c in self.costs if c.cell in wanted))

    def after(self, done: Mapping[str, int]) -> Estimate:
        """What is left of a resumed session whose journal holds `done` cell runs of each cell (raw path).

        A cell with one done has calibrated: each of its runs left costs a later one's time.
        """
        left, before = [], 0
        for cost in self.costs:
            runs = min(done.get(cost.cell, 0), cost.rounds)
            before += runs
            left.append(replace(cost, first=cost.later, rounds=cost.rounds - runs) if runs else cost)
        return replace(self, costs=tuple(left), before=self.before + before)

    def with_rounds(self, most: int) -> Estimate:
        """The same session with at most `most` rounds per cell (a budget's cut)."""
        return replace(self, costs=tuple(replace(c, rounds=min(c.rounds, most)) for c in self.costs))


def runs_in_parallel(cell: Cell, free_threaded: bool, env: dict[str, str]) -> bool:
    """Whether the cell's workers share its CPUs' time in parallel, as the claims tell modes apart.

    Sleeps overlap and C code that releases the GIL runs beside other threads
    whatever the mode; threads under a GIL (a default build, or PYTHON_GIL=1)
    and goroutines under GOMAXPROCS=1 take turns; processes run in parallel.
    """
    if workload_kind(cell.workload) in (SLEEP, C_LIBRARY):
        return True
    if cell.mode == THREADS:
        return free_threaded and env.get("PYTHON_GIL") != "1"
    if cell.mode == GOROUTINES:
        return env.get("GOMAXPROCS") != "1"
    return True


def pace(cell: Cell, parallel: bool) -> float:
    """One loop's time relative to one worker's work on one CPU: how worker count moves it.

    Weak scaling gives each worker the whole work, strong splits it; workers
    in parallel divide the time by the CPUs they have (sleeps by the workers),
    otherwise they take turns. Contention that grows faster is not modelled.
    """
    cpus = len(parse_cpuset(cell.cpuset))
    work = cell.workers if scaling(cell.workload) == "weak" else 1
    lanes = cell.workers if workload_kind(cell.workload) == SLEEP else min(cell.workers, cpus)
    return work / (lanes if parallel else 1)


def values_for(section: float, settings: dict) -> int:
    """Values per container, by the harness's rule: enough to fill values_time, 1 to max_values."""
    values_time, most = settings.get("values_time", 0.0), settings.get("max_values", 1)
    if values_time <= 0:
        return 1
    return min(most, max(1, math.ceil(values_time / section))) if section > 0 else most


def modelled(cell: Cell, per_loop: float | None, startup: float, settings: dict) -> tuple[float, float]:
    """(first, later) container seconds from one loop's time (None: unknown) and the timing settings.

    A pass (one loop, or one unit of a divided one) shorter than the target
    is calibrated up to it (a cold pass plus a trial first, then warm-ups in
    later rounds); a longer one is that one pass, measured once or more, with
    no warm-up. Spawn always runs one loop, one value, after its warm-ups.
    """
    target = CALIBRATION_MARGIN * settings["min_time"]
    outside = startup + OVERHEAD
    if scaling(cell.workload) == "none":
        loop = per_loop if per_loop is not None else target
        each = outside + (1 + settings["warmup"]) * loop
        return each, each
    loop = per_loop / units_in(settings, cell.workload) if per_loop is not None else 0.0  # one pass
    many = loop < target  # more than one pass per section
    section = OVERSHOOT * target if many else loop
    sections = values_for(section, settings) * section
    first = outside + loop + (section if many else 0.0) + sections
    later = outside + (settings["warmup"] * loop if many else 0.0) + sections
    return first, later


# What a record must hold to say what its container cost.
NEEDED = ("runtime", "workload", "mode", "cpuset", "workers", "session", "round", "seconds", "container_seconds")


def seen_cells(records: Iterable[dict], images: dict[str, str], settings: dict) -> dict[str, Seen]:
    """Each cell's latest session among records measured with these images and these parameters.

    `images` maps a runtime (or RUNTIME+WORKLOAD) to its image ID; a record of
    another image or of other parameters describes another cost and is left out.
    A record of other units keeps its loop's time but not its containers' seconds.
    """
    containers: dict[str, dict[str, dict[int, list[dict]]]] = defaultdict(lambda: defaultdict(dict))
    for r in records:
        if not all(r.get(field) is not None for field in NEEDED):
            continue  # a record from before these fields, or damaged: the estimate is only rougher
        image = images.get(f"{r.get('runtime')}+{r.get('workload')}") or images.get(r.get("runtime", ""))
        wanted = settings.get("params", {}).get(r.get("workload"))
        if image is None or r.get("image_id") != image or wanted is None or r.get("warmup"):
            continue
        given = r.get("params") or {}
        if (given if isinstance(given, str) else params_label(given)) != params_label(wanted):
            continue
        cell = Cell(r["runtime"], r["workload"], r["mode"], r["cpuset"], int(r["workers"]), r.get("variant") or "")
        containers[cell.raw_path][r["session"]].setdefault(int(r["round"]), []).append(r)
    seen = {}
    for path, sessions in containers.items():
        rounds = sessions[max(sessions)]  # session IDs begin with their start time
        units = units_in(settings, Cell.from_raw_path(path).workload)
        alike = all(int(rs[0].get("units") or 1) == units for rs in rounds.values())
        later = [rs[0]["container_seconds"] for index, rs in rounds.items() if index > 0]
        seen[path] = Seen(
            rounds=own_rounds([rs[0] for rs in rounds.values()], settings["repeats"]),
            per_loop=statistics.median(r["seconds"] for rs in rounds.values() for r in rs),
            startup=statistics.median(rs[0].get("startup_seconds") or DEFAULT_STARTUP for rs in rounds.values()),
            first=rounds[0][0]["container_seconds"] if 0 in rounds and alike else None,
            later=statistics.median(later) if later and alike else None,
        )
    return seen


def own_rounds(firsts: list[dict], most: int) -> int | None:
    """The rounds a cell took in its latest session (a record of each), if they say what it needs.

    Not known while the session is unfinished, where its spent time budget
    stopped cells short (they stopped where the budget left them), or where the cell took
    every round of a session that allowed fewer than `most` (a budget's cut,
    or smaller `repeats`): it might have needed more.
    """
    if any(r.get(FROM_JOURNAL) or r.get(BUDGET_SPENT) for r in firsts):
        return None
    cap = firsts[0].get(ROUNDS_CAP)
    took = len(firsts)
    return None if isinstance(cap, int) and took >= cap and cap < most else took


def kin(cell: Cell) -> tuple[str, str, str, str]:
    """What a cell shares with itself at other worker counts (the A/A twin is its original)."""
    return cell.runtime, cell.workload, cell.mode, "" if cell.variant == AA else cell.variant


def nearest(cell: Cell, seen: dict[str, Seen]) -> tuple[Cell, Seen] | None:
    """The same runtime, workload, mode and variant seen at the worker count closest to this one's."""
    family = [
        (other, s)
        for other, s in ((Cell.from_raw_path(p), s) for p, s in seen.items())
        if kin(other) == kin(cell) and other.raw_path != cell.raw_path
    ]
    if not family:
        return None
    return min(family, key=lambda pair: (abs(math.log(pair[0].workers / cell.workers)), -pair[0].workers))


def cell_cost(cell: Cell, seen: dict[str, Seen], settings: dict, parallel: bool, startup: float) -> CellCost:
    """A cell's predicted containers: its own history, else a sibling's scaled, else the settings.

    Rounds: with adaptive rounds (settings carry `precision`) as many as the
    cell took last time, held between min_rounds and repeats; without a
    history (or without adaptive rounds) `repeats`, which is then the most.
    """
    most = settings["repeats"]
    adaptive = settings.get("precision", 0) > 0
    own = seen.get(cell.raw_path)
    if own is not None:
        first, later = modelled(cell, own.per_loop, own.startup, settings)
        took = own.rounds if adaptive and own.rounds is not None else most
        rounds = min(most, max(settings.get("min_rounds", 1), took))
        return CellCost(
            cell.raw_path,
            first if own.first is None else own.first + OVERHEAD,
            later if own.later is None else own.later + OVERHEAD,
            rounds,
            HISTORY,
            rounds_known=own.rounds is not None or not adaptive,
        )
    sibling = nearest(cell, seen)
    if sibling is not None:
        other, s = sibling
        per_loop = s.per_loop * pace(cell, parallel) / pace(other, parallel)
        first, later = modelled(cell, per_loop, s.startup, settings)
        return CellCost(cell.raw_path, first, later, most, SCALED, rounds_known=not adaptive)
    first, later = modelled(cell, None, startup, settings)
    return CellCost(cell.raw_path, first, later, most, DEFAULT, rounds_known=not adaptive)


def default_startup(per_container: int) -> float:
    """A cell's start-up without history: its container's, or its share of one it shares, and its own process."""
    return DEFAULT_STARTUP if per_container <= 1 else DEFAULT_STARTUP / per_container + PART_STARTUP


def estimate_session(settings: dict, seen: dict[str, Seen], free_threaded: Iterable[str] = ()) -> Estimate:
    """The session the settings plan: every cell's containers over its rounds.

    `free_threaded` names the runtimes built without a GIL (their threads run
    in parallel unless PYTHON_GIL=1). A cell with no history of its own starts
    in the median start-up seen in history, else DEFAULT_STARTUP.
    """
    free = set(free_threaded)
    startups = [s.startup for s in seen.values()]
    startup = statistics.median(startups) if startups else default_startup(cells_per_container(settings))
    costs = []
    for path in settings["cells"]:
        cell = Cell.from_raw_path(path)
        env = settings.get("env", {}).get(cell.variant, {})
        costs.append(cell_cost(cell, seen, settings, runs_in_parallel(cell, cell.runtime in free, env), startup))
    return Estimate(tuple(costs), cells_per_container(settings))


def container_costs(plan: Sequence[tuple[int, Cell]], estimate: Estimate) -> list[float]:
    """Each planned container's predicted seconds, in plan order (0 past a cell's predicted rounds)."""
    by_cell = {c.cell: c for c in estimate.costs}
    costs = []
    for round_index, cell in plan:
        cost = by_cell.get(cell.raw_path)
        if cost is None or round_index >= cost.rounds:
            costs.append(0.0)
        else:
            costs.append(cost.first if round_index == 0 else cost.later)
    return costs


def about(seconds: float) -> str:
    """A predicted duration as a reader wants it: `about 40 s`, `about 24 min`, `about 2 h 05 min`."""
    if seconds < 60:
        return f"about {max(int(round(seconds)), 1)} s"
    minutes = int(round(seconds / 60))
    return f"about {minutes} min" if minutes < 120 else f"about {minutes // 60} h {minutes % 60:02d} min"


def estimate_line(estimate: Estimate, most_rounds: int) -> str:
    """The one line printed before measuring: cells, containers, predicted time, and where it comes from.

    E.g. "(cell costs: 12 from earlier sessions, 6 from the timing settings; 6 cells at the most rounds
    (6), an upper bound)": whose containers' seconds were seen, scaled or modelled, and whose rounds are a bound.
    """
    sources = defaultdict(int)
    for c in estimate.costs:
        sources[c.source] += 1
    told = [f"{sources[HISTORY]} from earlier sessions"] if sources[HISTORY] else []
    if sources[SCALED]:
        told.append(f"{sources[SCALED]} scaled from other worker counts")
    if sources[DEFAULT]:
        told.append(f"{sources[DEFAULT]} from the timing settings")
    if sources[HISTORY] == estimate.cells:
        told = [f"all {estimate.cells} from earlier sessions"]
    said = [f"cell costs: {', '.join(told)}"] if told else ["no cells"]
    bound = sum(not c.rounds_known for c in estimate.costs)
    if bound:
        said.append(f"{bound} cell{'' if bound == 1 else 's'} at the most rounds ({most_rounds}), an upper bound")
    runs = f"{estimate.containers} {runs_noun(estimate.per_container)}"
    if estimate.before:  # a session taken up again: what is left of its whole
        total = estimate.containers + estimate.before
        runs = f"{estimate.containers} of {total} {runs_noun(estimate.per_container)} still to measure after a resume"
    cells = f"{estimate.cells} cell{'' if estimate.cells == 1 else 's'}"
    return f"{cells}, {runs}, {about(estimate.seconds)} predicted ({'; '.join(said)})"


def invocation_line(estimate: Estimate, measured: Iterable[Cell], settings: str, done: Mapping[str, int]) -> str:
    """The line said before a session: of the cells this invocation measures, less the cell runs an earlier
    invocation of a session taken up again measured (`done`, its journal's), as the session's own line says."""
    left = estimate.only(cell.raw_path for cell in measured).after(done)
    return estimate_line(left, json.loads(settings)["repeats"])


def session_costs(
    settings: dict,
    images: dict[str, str],
    free_threaded: Iterable[str],
    raw_dir: Path,
    journal: Path,
    plan: Sequence[tuple[int, Cell]],
    say,
) -> list[float]:
    """At a session's start: say the predicted session in one line; return each container's prediction."""
    seen = seen_cells(earlier_records(raw_dir, journal, settings), images, settings)
    estimate = estimate_session(settings, seen, free_threaded)
    say(estimate_line(estimate.after(cell_runs_done(journal)), settings["repeats"]))  # a resumed one: what is left
    return container_costs(plan, estimate)
