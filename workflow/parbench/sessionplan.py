"""What a session runs and how each container times its cell: pure functions over the plan.

Round r of every cell runs before round r+1, in an order shuffled afresh each
round from a seed, so slow drift of the machine spreads over all runtimes
instead of favouring one. A cell's first container calibrates: the harness
predicts `loops` from a cold pass (and trials, as Go's testing.B does) until
its timed section lasts CALIBRATION_MARGIN x `min_time`, and chooses how many
values it measures (enough to fill `values_time`, at most `max_values`,
pyperf's values per process). Every later container of the cell reuses that
`loops` and that number of values, so containers stay comparable.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass

from .matrix import AA, Cell
from .specs import CALIBRATION_MARGIN, scaling

PYTHON_HARNESS = "/opt/parbench/python/harness.py"
WORKLOAD_MOUNT = "/workload"  # where a user's folder is mounted, read-only, in a CPython container


def session_plan(
    cells: list[Cell], rounds: int, seed: int, key: Callable[[Cell], Hashable] | None = None
) -> list[tuple[int, Cell]]:
    """(round, cell) pairs: round-major, each round a seeded shuffle of every cell.

    With `key` (cells that may share a container: container_key), each
    round's shuffle is then gathered by key, the groups in the order their
    first cell drew and the cells of a group in the order they drew, so
    cells that can share a container are next to each other in the plan.
    """
    rng = random.Random(seed)
    plan = []
    for round_index in range(rounds):
        order = sorted(cells, key=lambda c: c.raw_path)
        rng.shuffle(order)
        if key is not None:
            first = {}
            for cell in order:
                first.setdefault(key(cell), len(first))
            order.sort(key=lambda cell: first[key(cell)])  # stable: a group keeps its cells' drawn order
        plan += [(round_index, cell) for cell in order]
    return plan


def container_key(cell: Cell, users: Collection[str] = ()) -> tuple[str, str, str]:
    """What cells sharing a container must share: the image, the CPU set, and a user workload's mount."""
    return cell.runtime, cell.cpuset, cell.workload if cell.workload in users else ""


def batch_at(
    plan: Sequence[tuple[int, Cell]],
    order: int,
    size: int,
    pending: Callable[[int, Cell], bool],
    key: Callable[[Cell], Hashable],
) -> list[int]:
    """The plan positions one container runs, from `order` on: up to `size` pending cells of its round and key.

    A group's cells are next to each other in the plan (session_plan), so
    the batch ends at the first cell of another round or key; positions
    already measured or of cells that stopped are skipped, not counted. The
    A/A twin is skipped too where its original is in the batch (it starts a
    container of its own when its turn comes): it must take its original's
    calibrated loops, and its noise floor is the spread between containers.
    """
    round_index, cell = plan[order]
    batch, twins = [order], {calibration_key(cell)}
    for later in range(order + 1, len(plan)):
        other = plan[later][1]
        if len(batch) >= size or plan[later][0] != round_index or key(other) != key(cell):
            break
        if pending(later, other) and calibration_key(other) not in twins:
            batch.append(later)
            twins.add(calibration_key(other))
    return batch


@dataclass(frozen=True)
class Timing:
    """How a container times its cell: calibrate (`min_time`) or a fixed `loops`, after `warmup` short warm-ups.

    A calibrating container chooses its number of values itself, from
    `values_time` and `max_values`; a later one measures `values` values.
    """

    loops: int | None = None
    min_time: float | None = None
    warmup: int = 0
    values: int = 1
    values_time: float = 0.0
    max_values: int = 1

    @property
    def measured(self) -> range:
        """How many measured records the container may print."""
        if self.min_time is not None and self.values_time > 0:
            return range(1, self.max_values + 1)
        return range(self.values, self.values + 1)


def timing_for(cell: Cell, loops: int | None, settings: dict, values: int = 1) -> Timing:
    """Calibrate in the cell's first container (`loops` not known yet); reuse its loops and values later.

    The calibration trials (a cold pass, then predicted trials) warm the first
    container up. Later containers run `warmup` one-pass warm-ups first only
    where a pass (a loop, or a unit of one) is shorter than the section
    (loops > 1), where a pass costs 1/loops of it; a one-pass section lasts
    min_time by itself, and a
    full-length warm-up there bought nothing: on a default run a one-loop
    cell's first pass took as long as its measured one, for every runtime
    (benchmarks/session.py prints the figures for any run). Spawn's figures
    are per-worker creation costs, so it always runs one short loop.
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
    return Timing(loops=loops, warmup=settings["warmup"] if loops > 1 else 0, values=values)


def calibration_key(cell: Cell) -> Cell:
    """The A/A twin runs with its original's loops, so the two differ only by chance."""
    return Cell(cell.runtime, cell.workload, cell.mode, cell.cpuset, cell.workers) if cell.variant == AA else cell


def harness_argv(
    kind: str, cell: Cell, params: dict[str, int], timing: Timing, user: bool = False, units: int = 1
) -> list[str]:
    """The command line of the harness inside the image (Go's flag package takes one dash).

    The harness's `--repeats` flag is how many values the container measures;
    `--units` (given only when a loop is divided) what one pass of it runs.
    A user workload runs in CPython from its mounted folder; Go's twin is
    compiled into the workload's own image, so Go's command line is the same.
    """
    dash = "--" if kind == "cpython" else "-"
    head = ["python3", PYTHON_HARNESS] if kind == "cpython" else ["parbench-go"]
    if user and kind == "cpython":
        head += ["--workload-dir", WORKLOAD_MOUNT]
    named = [("runtime", cell.runtime), ("workload", cell.workload), ("mode", cell.mode), ("workers", cell.workers)]
    named += [("param", f"{name}={params[name]}") for name in sorted(params)]
    if units > 1:
        named.append(("units", units))
    if timing.min_time is not None:
        named.append(("min-time", f"{timing.min_time:g}"))
        if timing.values_time > 0:
            named += [("values-time", f"{timing.values_time:g}"), ("max-values", timing.max_values)]
    else:
        named.append(("loops", timing.loops or 1))
    named += [("repeats", timing.values), ("warmup", timing.warmup)]
    return head + [arg for flag, value in named for arg in (f"{dash}{flag}", str(value))]
