"""What the claims' rules are made of: the Claim record, verdict words, thresholds and row pickers.

Every threshold a claim's rule names is here, beside the small predicates
(slower, gains, ...) that apply it to one comparisons.csv row, so a rule reads
as words and a test can put a row on either side of each line.
The single-thread pair and the Amdahl text are here as well: the blog's claims
(claims) and a user workload's (claims_user) read them alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from .labels import fmt_row, row_testable, workload_label
from .names import C_LIBRARY, FREE_THREADED, INTERPRETER, PLAIN, SEQUENTIAL, SLEEP, THREADS, WORKLOAD_KINDS
from .stats import TOO_FEW

HOLDS, FAILS, UNTESTED = "holds", "does not hold", "not measured"
PASSED, FAILED = "passed", "failed"
VERDICT, CHECK = "verdict", "check"

SLOWER = 1.05  # a time ratio counts as slower above 1.05 with its interval above 1
NO_SPEEDUP = 1.25  # a speedup whose interval lies below 1.25x gains nothing; above it, threads run at once
SCALES_EFFICIENCY = 0.7  # io_wait: threads that sleep reach 70 % of one-per-worker ideal
GOROUTINE_KB_CLAIM = 2.0  # "~2KB per goroutine"
ABOUT_FACTOR = 2.0  # "about 2 KB" holds within a factor of two
OS_THREADS_PER_TASK = 0.05  # "no OS thread each": fewer than one OS thread per 20 goroutines
NEARLY_FACTOR = 100.0  # "nearly 150x" holds from 100x up
# Only interpreter-bound workloads decide claims about the interpreter (names.WORKLOAD_KINDS says which).
INTERPRETER_WORKLOADS = tuple(w for w, kind in WORKLOAD_KINDS.items() if kind == INTERPRETER)
# Control workloads whose figures are shown beside the single-thread claim but decide nothing.
SINGLE_THREAD_CONTROLS = tuple(w for w, kind in WORKLOAD_KINDS.items() if kind in (C_LIBRARY, SLEEP))
PARALLEL_WORKLOADS = ("cpu_loop", "cpu_loop_strong", "alloc")  # independent work: contention's one lock serialises


@dataclass(frozen=True)
class Claim:
    claim: str  # what the blog says, in our words
    test: str  # the measurement that tests it
    rule: str  # how the verdict follows from the figures, in words
    kind: str = VERDICT  # verdict, or check (cannot come out otherwise while the session succeeds)
    verdict: str = UNTESTED  # holds / does not hold / depends on ... / not testable on N CPUs / passed
    scope: str = ""  # runtimes, workloads, mode, CPUs and workers the verdict rests on
    key_figure: str = ""  # the one figure a reader should remember
    evidence: str = ""  # every deciding figure
    context: str = ""  # figures shown beside it that do not decide it
    shown_in: tuple[str, ...] = ()  # "figure:<workload>" or "table:<report section>"
    # The deciding figure as numbers, NaN where no single figure decides: the ratio (or per-task
    # figure), its 95 % interval and the threshold the rule compares it with.
    ratio: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    threshold: float = math.nan


def depends(on: str) -> str:
    return f"depends on {on}"


def not_testable(cpus: int) -> str:
    return f"not testable on {cpus} CPU{'' if cpus == 1 else 's'}"


def found(claim: Claim, **fields) -> Claim:
    """The claim as this run's figures decide it."""
    return replace(claim, **fields)


def why_no_speedup(claim: Claim, summary: pd.DataFrame) -> Claim:
    """A claim about speedups that none decided, with why where the cells tell: too few CPUs, or no baseline.

    A speedup sets a cell of one worker per CPU on 2 or more CPUs against the
    same runtime and mode's 1-worker cell (speedup.baselines): a run of one
    CPU set of 2 CPUs, with `workers: [cpus]`, has no such cell.
    """
    if claim.verdict != UNTESTED or summary.empty:
        return claim
    most = int(summary["cpus"].max())
    if most < 2:
        return found(claim, verdict=not_testable(most))
    if not (summary["workers"] == 1).any():
        why = "a speedup needs a 1-worker cell: add a 1-CPU set to cpusets, or 1 to workers"
        return found(claim, verdict=f"{UNTESTED}: {why}")
    return claim


# ---- picking rows --------------------------------------------------------------------------------------


def pick(comparisons: pd.DataFrame, kind: str, **equal) -> pd.DataFrame:
    """Comparison rows of one kind whose columns equal the given values."""
    mask = comparisons["kind"] == kind
    for column, value in equal.items():
        mask &= comparisons[column] == value
    return comparisons[mask]


def first(frame: pd.DataFrame) -> pd.Series | None:
    return None if frame.empty else frame.iloc[0]


def widest(frame: pd.DataFrame, most_workers: bool = False) -> pd.Series | None:
    """The comparison on the most CPUs: one worker per CPU, or the most workers there."""
    if frame.empty:
        return None
    frame = frame[frame["b_cpus"] == frame["b_cpus"].max()]
    if most_workers:
        return first(frame[frame["b_workers"] == frame["b_workers"].max()])
    return first(frame[frame["b_workers"] == frame["b_cpus"]])


def speedup_row(
    comparisons: pd.DataFrame, flavour: str, workload: str, mode: str, variant: str = "", most_workers: bool = False
) -> pd.Series | None:
    """The scaling comparison of one runtime flavour and mode on the most CPUs (at least 2)."""
    rows = pick(comparisons, "scaling", workload=workload, a_flavour=flavour, a_mode=mode, a_variant=variant)
    row = widest(rows, most_workers)
    return row if row is not None and row["b_cpus"] >= 2 else None


def too_few(rows) -> str | None:
    """The verdict of a claim one of whose deciding comparisons is too few to test; None when all were tested.

    Such a claim is neither confirmed nor refuted: its containers cannot reach
    the test's level whichever way the point estimate lies, so no rule below
    may decide on that point (a missing interval means exactly this).
    """
    short = [row for row in rows if row is not None and not row_testable(row)]
    if not short:
        return None
    row = short[0]
    if pd.isna(row.get("a_n")) or pd.isna(row.get("b_n")):
        return TOO_FEW
    return f"{TOO_FEW}: {int(row['a_n'])} against {int(row['b_n'])} containers cannot reach p ≤ 0.05"


def lower(row: pd.Series) -> float:
    """The interval's low end: every row a rule reads was tested (too_few first), so it has one."""
    return row["ci_low"]


def upper(row: pd.Series) -> float:
    return row["ci_high"]


def slower(row: pd.Series) -> bool:
    return row["ratio"] > SLOWER and lower(row) > 1


def faster(row: pd.Series) -> bool:
    return row["ratio"] < 1 / SLOWER and upper(row) < 1


def gains(row: pd.Series) -> bool:
    return lower(row) >= NO_SPEEDUP


def gains_nothing(row: pd.Series) -> bool:
    return upper(row) < NO_SPEEDUP


def gain_outcome(row: pd.Series) -> bool | None:
    """True when the speedup's interval lies above the no-gain line, False below, None when it straddles it."""
    return True if gains(row) else False if gains_nothing(row) else None


def where(row: pd.Series) -> str:
    workers = int(row["b_workers"])
    return (
        f"{workers} worker{'' if workers == 1 else 's'} on {int(row['b_cpus'])} CPU{'' if row['b_cpus'] == 1 else 's'}"
    )


def speedup_text(row: pd.Series) -> str:
    return f"{workload_label(row['workload'])} {fmt_row(row)} with {where(row)}"


def efficiency_text(row: pd.Series) -> str:
    return (
        f"{row['efficiency']:.0%} of ideal ({row['efficiency_low']:.0%}–{row['efficiency_high']:.0%})"
        if not pd.isna(row["efficiency_low"])
        else f"{row['efficiency']:.0%} of ideal"
    )


def decide(outcomes: dict[str, bool | None], yes: str, no: str) -> str:
    """One verdict from per-workload outcomes: all agree, or it depends on the workload (or on the threshold)."""
    decided = {w: o for w, o in outcomes.items() if o is not None}
    if not decided:
        return depends(f"the threshold: every interval straddles a speedup of {NO_SPEEDUP}")
    if all(decided.values()):
        return yes
    if not any(decided.values()):
        return no
    agree = [w for w, o in decided.items() if o]
    disagree = [w for w, o in decided.items() if not o]
    return depends(f"the workload ({yes}: {', '.join(agree)}; {no}: {', '.join(disagree)})")


def joined(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p)


def deciding(row: pd.Series, threshold: float, column: str = "ratio") -> dict:
    """The numeric fields of a claim decided by one comparison row's `column` (ratio or efficiency)."""
    low, high = ("ci_low", "ci_high") if column == "ratio" else (f"{column}_low", f"{column}_high")
    return {"ratio": float(row[column]), "ci_low": float(row[low]), "ci_high": float(row[high]), "threshold": threshold}


def summary_cell(summary: pd.DataFrame, flavour: str, workload: str, mode: str) -> pd.Series | None:
    """The plain cell on the most CPUs, one worker per CPU (coordination figures live in summary.csv)."""
    rows = summary[
        (summary["flavour"] == flavour)
        & (summary["workload"] == workload)
        & (summary["mode"] == mode)
        & (summary["variant"] == PLAIN)
    ]
    if rows.empty:
        return None
    rows = rows[rows["cpus"] == rows["cpus"].max()]
    return first(rows[rows["workers"] == rows["cpus"]])


# ---- figures two claims share (the blog's and a user workload's) ----------------------------------------


def single_thread_pair(comparisons: pd.DataFrame, workload: str) -> tuple[pd.Series | None, pd.Series | None]:
    """(build, GIL alone) for one worker: 3.13t vs 3.13 and 3.13t with the GIL vs without, in the same cell.

    The GIL variant runs in threads mode, so the build comparison uses the same
    1-worker threads cell when it exists (like with like), else sequential.
    """
    gil = pick(comparisons, "gil", workload=workload, a_workers=1, a_mode=THREADS)
    gil = first(gil.sort_values("a_cpus"))
    build = None
    if gil is not None:
        build = first(
            pick(comparisons, "build", workload=workload, a_workers=1, a_mode=THREADS, a_cpuset=gil["a_cpuset"])
        )
    for mode in (SEQUENTIAL, THREADS):
        if build is None:
            build = first(pick(comparisons, "build", workload=workload, a_workers=1, a_mode=mode).sort_values("a_cpus"))
    return build, gil


def attribute(build: pd.Series, gil: pd.Series | None) -> str:
    """Who carries a single-thread cost: none, the build, the GIL, untested (no GIL-alone control) or too few."""
    if too_few([build, gil]):
        return "too few"
    if not slower(build):
        return "none"
    if gil is None:
        return "untested"
    return "gil" if faster(gil) else "build"


SINGLE_THREAD_VERDICTS = {
    "build": f"{FAILS}: the free-threaded build carries the cost, not the missing GIL",
    "gil": f"{HOLDS}: switching the GIL back on makes the same binary faster",
    "none": f"{FAILS}: no single-thread cost without the GIL",
    "untested": depends(
        "what is meant: the GIL build is faster, the GIL alone was not measured (no PYTHON_GIL=1 cell)"
    ),
    "too few": TOO_FEW,
}


def single_thread_figure(workload: str, build: pd.Series, gil: pd.Series | None) -> str:
    mode = f"1 worker, {build['a_mode']}"
    text = f"{workload_label(workload)} ({mode}): 3.13t / 3.13 {fmt_row(build)}"
    return text + (f", 3.13t with GIL / without {fmt_row(gil)}" if gil is not None else "")


def amdahl_text(comparisons: pd.DataFrame, workload: str, cpu_counts: list[int]) -> str:
    """The fitted serial fraction of free-threaded threads, or why there is none."""
    row = first(
        pick(comparisons, "amdahl", workload=workload, a_flavour=FREE_THREADED, a_mode=THREADS, a_variant=PLAIN)
    )
    if row is None:
        counts = ", ".join(str(c) for c in sorted(set(cpu_counts)))
        return f"an Amdahl fit needs speedups at 3 CPU counts; this run has {counts}"
    return f"Amdahl serial fraction {row['ratio']:.1%} ({row['ci_low']:.1%}–{row['ci_high']:.1%})"
