"""Whether a container's records can be trusted: what it printed, checked against what was asked.

A record that saw other CPUs, another interpreter, other loops or a wrong sum
is rejected before anything is written, with one line saying which and why.
"""

from __future__ import annotations

import json
import math

from .cpusets import format_cpuset, parse_cpuset
from .errors import ParbenchError
from .matrix import Cell


def parse_records(stdout: str) -> list[dict]:
    """The harness's JSON lines; a line that is not JSON stops with its number."""
    records = []
    for number, line in enumerate(stdout.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise ParbenchError(f"harness output line {number} is not JSON: {line[:120]!r}") from None
    return records


def _where(record: dict) -> str:
    """Which record a problem is about: the value (the harness's `repeat` counts a container's values)."""
    return f"value {record.get('repeat')}{' (warm-up)' if record.get('warmup') else ''}"


def record_problems(
    records: list[dict],
    cell: Cell,
    measured: int | range,
    identity: dict,
    env: dict[str, str] | None = None,
    params: dict[str, int] | None = None,
    loops: int | None = None,
    units: int = 1,
) -> list[str]:
    """Everything that makes these records untrustworthy, each as one line.

    A variant's environment changes what must be seen: PYTHON_GIL=1 turns the
    GIL on in a free-threaded build, GOMAXPROCS fixes Go's parallelism. With
    `loops` given, the measured values must have run exactly that many loops;
    without, they must all have run the same loops. Every record must have
    divided its loop into `units` (a record without the field ran whole loops).
    """
    measured = range(measured, measured + 1) if isinstance(measured, int) else measured
    got = [r for r in records if not r.get("warmup")]
    problems = []
    if len(got) not in measured:
        wanted = str(measured.start) if len(measured) == 1 else f"{measured.start} to {measured.stop - 1}"
        problems.append(f"expected {wanted} measured record(s), got {len(got)}")
    if len({r.get("loops") for r in got}) > 1:
        problems.append("the measured records ran different loops")
    for record in records:
        problems += _one_record_problems(record, cell, identity, env or {}, params, loops)
        if record.get("units", 1) != units:
            problems.append(f"{_where(record)}: units is {record.get('units')!r}, expected {units!r}")
    return problems


def _one_record_problems(
    record: dict, cell: Cell, identity: dict, env: dict[str, str], params: dict | None, loops: int | None
) -> list[str]:
    """One record against its cell, its image's identity and its variant's switches."""
    where, problems = _where(record), []
    seen = record.get("affinity")
    if seen != format_cpuset(parse_cpuset(cell.cpuset)):
        problems.append(f"{where}: CPU set {cell.cpuset} requested, the harness could use {seen}")
    fields = [("workload", cell.workload), ("mode", cell.mode), ("workers", cell.workers)]
    if params is not None:
        fields.append(("params", params))
    if loops is not None and not record.get("warmup"):
        fields.append(("loops", loops))
    for field, wanted in fields:
        if record.get(field) != wanted:
            problems.append(f"{where}: {field} is {record.get(field)!r}, expected {wanted!r}")
    version = identity.get("version") or identity.get("GOVERSION")
    if record.get("runtime_version") != version:
        problems.append(f"{where}: runtime version {record.get('runtime_version')} differs from the image's {version}")
    wanted_gil = {"1": True, "0": False}.get(env.get("PYTHON_GIL"), identity.get("gil_enabled"))
    if "gil_enabled" in identity and record.get("gil_enabled") != wanted_gil:
        problems.append(
            f"{where}: GIL enabled is {record.get('gil_enabled')}, expected {wanted_gil} "
            f"(image identity {identity['gil_enabled']}, PYTHON_GIL={env.get('PYTHON_GIL', 'unset')})"
        )
    if "GOMAXPROCS" in env and record.get("gomaxprocs") != int(env["GOMAXPROCS"]):
        problems.append(f"{where}: GOMAXPROCS is {record.get('gomaxprocs')}, the variant sets {env['GOMAXPROCS']}")
    return problems


def checksum_problems(records: list[dict], expected: float) -> list[str]:
    """Every record whose checksum differs from the one the workload's parameters imply."""
    return [
        f"{_where(r)}: checksum {r.get('checksum')!r}, expected {expected!r}"
        for r in records
        if r.get("checksum") != expected
    ]


def agreement_problems(
    records: list[dict], reference: float, first_cell: str, first_cell_is_go: bool = False
) -> list[str]:
    """Every record of a user workload whose checksum (or own `expected`) differs from the reference.

    The reference is the first container's `expected` or, without one, its
    checksum: every runtime and mode must compute the same sum for the same
    parameters and worker count, or the task is not deterministic (or a twin
    does other work).
    """
    problems = []
    for record in records:
        for field in ("checksum", "expected_checksum"):
            value = record.get(field)
            if value is not None and value != reference:
                # Go prints a whole float as 4369719, Python as 4369719.0: one form for both.
                said = f"{field.replace('_', ' ')} {float(value)!r} differs from {float(reference)!r} of {first_cell}"
                why = "a task must return the same value for the same parameters and workers"
                if is_go(record) != first_cell_is_go:
                    said = f"the Go twin and workload.py disagree: {said}"
                    why = "the twin must compute what workload.py does, adding the same values in the same order"
                problems.append(f"{_where(record)}: {said} ({why})")
    return problems


def is_go(record: dict) -> bool:
    """A record of Go's harness: its runtime version is Go's own (runtime.Version(), "go1.23.4")."""
    return str(record.get("runtime_version") or "").startswith("go")


# Partial sums added in another grouping differ in their last bits; a split that loses or repeats work does not.
SPLIT_TOLERANCE = 1e-9


class Agreement:
    """What a user workload is held to: the answers it gave before (its own `expected()` where it has one).

    Each worker count is held to the first checksum it gave, whatever the
    runtime or mode (agreement_problems). A strong-scaling workload splits one
    fixed job among its workers, so every worker count is also held to the
    first answer of any count: a split that leaves out or repeats part of the
    work changes the answer with the count, which the speedups would hide.
    """

    def __init__(self) -> None:
        # (checksum, the cell that gave it, whether Go's harness gave it), by workload and workers, and by workload
        self.by_workers: dict[tuple[str, int], tuple[float, str, bool]] = {}
        self.by_workload: dict[str, tuple[float, str, bool]] = {}

    def remember(self, cell: Cell, records: list[dict]) -> None:
        measured = [r for r in records if not r.get("warmup")]
        if measured:
            reference = measured[0].get("expected_checksum")
            reference = measured[0]["checksum"] if reference is None else reference
            first = (reference, cell.raw_path, is_go(measured[0]))
            self.by_workers.setdefault((cell.workload, cell.workers), first)
            self.by_workload.setdefault(cell.workload, first)

    def problems(self, cell: Cell, records: list[dict], strong: bool) -> list[str]:
        """Every disagreement of these records (remembered first) with the answers before them."""
        self.remember(cell, records)
        problems = agreement_problems(records, *self.by_workers[(cell.workload, cell.workers)])
        if problems or not strong:
            return problems
        reference, first_cell, go = self.by_workload[cell.workload]
        split = (
            "a strong-scaling task set splits the same work among its workers, so its answer must not change with "
            "their count (does the split leave out or repeat work?)"
        )
        return [
            f"{_where(record)}: {'the Go twin and workload.py disagree: ' if is_go(record) != go else ''}checksum "
            f"{float(record['checksum'])!r} with {cell.workers} worker(s) differs from {float(reference)!r} of "
            f"{first_cell}: {split}"
            for record in records
            if record.get("checksum") is not None and not same_split(record["checksum"], reference)
        ]


def same_split(value: float, reference: float) -> bool:
    """Equal but for the last bits that partial sums added in another grouping may change (an answer of 0 too)."""
    return math.isclose(value, reference, rel_tol=SPLIT_TOLERANCE, abs_tol=SPLIT_TOLERANCE)
