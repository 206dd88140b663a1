"""The blog's claims, each put to the comparisons that test it as the blog made it.

Every verdict is computed from comparisons.csv (and summary.csv for per-worker
costs, runs.csv for the channel check) by the rules in `claim_rules`, so
another machine can reach another verdict and a test can feed each rule data
on either side of its threshold. Only interpreter-bound workloads decide
claims about the interpreter; C-library (hash) and sleep-bound (io_wait)
workloads appear as context, labelled as such. A claim about more CPUs than
the run had is "not testable" on it, never refuted by it. Claims that cannot
fail while the session succeeds (a lost message fails the session) are
checks, not verdicts. The claims about Python are here, those about Go in
`claims_go`; claims.csv gives each verdict's deciding figure as numbers too.
"""

from __future__ import annotations

import math
from dataclasses import asdict

import pandas as pd

from .claim_rules import (
    CHECK,
    FAILED,
    FAILS,
    HOLDS,
    INTERPRETER_WORKLOADS,
    NO_SPEEDUP,
    PARALLEL_WORKLOADS,
    PASSED,
    SCALES_EFFICIENCY,
    SINGLE_THREAD_CONTROLS,
    SINGLE_THREAD_VERDICTS,
    SLOWER,
    UNTESTED,
    VERDICT,
    Claim,
    amdahl_text,
    attribute,
    decide,
    deciding,
    depends,
    efficiency_text,
    found,
    gain_outcome,
    gains,
    gains_nothing,
    joined,
    pick,
    single_thread_figure,
    single_thread_pair,
    speedup_row,
    speedup_text,
    summary_cell,
    too_few,
    where,
    why_no_speedup,
)
from .claims_go import channels_share_safely, go_is_150x_faster, goroutines_are_small, goroutines_need_no_os_thread
from .claims_user import user_claims
from .errors import ParbenchError
from .labels import fmt_row
from .names import FREE_THREADED, GIL, GIL_ON, GO, GOROUTINES, THREADS

# Names tests and the report import from here.
__all__ = [
    "CHECK",
    "FAILED",
    "FAILS",
    "HOLDS",
    "PASSED",
    "UNTESTED",
    "VERDICT",
    "Claim",
    "all_claims",
    "average_time_per_thread",
    "channels_share_safely",
    "claims_table",
    "go_is_150x_faster",
    "goroutines_are_small",
    "goroutines_need_no_os_thread",
]


# ---- the claims ------------------------------------------------------------------------------------------------


def gil_speeds_single_threads(comparisons: pd.DataFrame) -> Claim:
    claim = Claim(
        "The GIL makes single-threaded programs faster.",
        "One worker: the free-threaded build against the GIL build (the build), and the same free-threaded "
        "binary with PYTHON_GIL=1 against without (the GIL alone), in the same 1-worker cell.",
        f"The build is slower when its time ratio exceeds {SLOWER} with the interval above 1; the GIL "
        f"speeds things up when switching it on gives a ratio below 1/{SLOWER} with the interval below 1. "
        "If the build is slower and the GIL alone is not faster, the cost is the build's. Only "
        "interpreter-bound workloads decide.",
        shown_in=("table:Variants", "table:Ratios of median times"),
    )
    found_by, parts, context, scopes, builds = {}, [], [], set(), []
    for workload in INTERPRETER_WORKLOADS + SINGLE_THREAD_CONTROLS:
        build, gil = single_thread_pair(comparisons, workload)
        if build is None:
            continue
        figure = single_thread_figure(workload, build, gil)
        if workload in INTERPRETER_WORKLOADS:
            found_by[workload] = attribute(build, gil)
            parts.append(figure)
            builds.append(build)
            scopes.add(f"1 worker, {build['a_mode']} mode, CPUs {build['a_cpuset']}")
        else:
            context.append(figure)
    if not found_by:
        return claim
    outcomes = set(found_by.values())
    if len(outcomes) > 1 and "too few" in outcomes:  # one workload too few to test leaves the claim undecided
        outcomes = {"too few"}
    verdict = (
        SINGLE_THREAD_VERDICTS[outcomes.pop()]
        if len(outcomes) == 1
        else depends("the workload (" + "; ".join(f"{w}: {who}" for w, who in found_by.items()) + ")")
    )
    scope = (
        f"{', '.join(found_by)}; {' and '.join(sorted(scopes))}; cpython-3.13 vs cpython-3.13t (build), "
        "cpython-3.13t with PYTHON_GIL=1 vs without (GIL alone)"
    )
    return found(
        claim,
        verdict=verdict,
        scope=scope,
        key_figure=parts[0],
        evidence=joined(parts),
        context=joined(context),
        **deciding(builds[0], SLOWER),
    )


def gil_threads_do_not_scale(comparisons: pd.DataFrame) -> Claim:
    claim = Claim(
        "With the GIL only one thread runs Python code at a time: CPU-bound threads gain nothing.",
        "Threads on the GIL build: speedup over one worker, one worker per CPU, on the most CPUs.",
        f"Holds when the speedup's 95 % interval lies below {NO_SPEEDUP}, fails when it lies above; "
        f"interpreter-bound workloads without a shared lock ({', '.join(PARALLEL_WORKLOADS)}) decide.",
        shown_in=("figure:cpu_loop", "figure:hash"),
    )
    rows = {w: speedup_row(comparisons, GIL, w, THREADS) for w in PARALLEL_WORKLOADS}
    rows = {w: r for w, r in rows.items() if r is not None}
    if not rows:
        return claim
    outcomes = {w: True if gains_nothing(r) else False if gains(r) else None for w, r in rows.items()}
    key = rows.get("cpu_loop", next(iter(rows.values())))
    hashing = speedup_row(comparisons, GIL, "hash", THREADS)
    return found(
        claim,
        verdict=too_few(rows.values()) or decide(outcomes, HOLDS, FAILS),
        scope=f"cpython-3.13 threads; {', '.join(rows)}; {where(key)}",
        key_figure=speedup_text(key),
        evidence=joined([speedup_text(r) for r in rows.values()]),
        context=speedup_text(hashing) if hashing is not None else "",
        **deciding(key, NO_SPEEDUP),
    )


def gil_threads_suit_io(comparisons: pd.DataFrame) -> Claim:
    claim = Claim(
        "GIL threads suit I/O-bound work.",
        "io_wait (workers that sleep, as blocking I/O does) in threads on the GIL build, most workers "
        "on the most CPUs: speedup against one worker per worker (sleeping workers need no CPU).",
        f"Holds when the speedup reaches {SCALES_EFFICIENCY:.0%} of one per worker.",
        shown_in=("figure:io_wait",),
    )
    row = speedup_row(comparisons, GIL, "io_wait", THREADS, most_workers=True)
    if row is None:
        return claim
    cpu = speedup_row(comparisons, GIL, "cpu_loop", THREADS)
    figure = f"{speedup_text(row)}: {efficiency_text(row)}"
    return found(
        claim,
        verdict=too_few([row]) or (HOLDS if row["efficiency"] >= SCALES_EFFICIENCY else FAILS),
        scope=f"cpython-3.13 threads; io_wait (sleep-bound); {where(row)}",
        key_figure=figure,
        evidence=figure,
        context=speedup_text(cpu) if cpu is not None else "",
        **deciding(row, SCALES_EFFICIENCY, "efficiency"),
    )


def python_needs_processes(comparisons: pd.DataFrame) -> Claim:
    claim = Claim(
        "Python needs multiple processes for parallelism.",
        "cpu_loop speedups on the most CPUs: processes and threads on the GIL build, threads on the "
        "free-threaded build.",
        f"With the GIL, yes when processes gain (speedup interval above {NO_SPEEDUP}) and threads do not "
        f"(interval below); if free-threaded threads gain as well, it depends on the build.",
        shown_in=("figure:cpu_loop",),
    )
    procs, threads = (
        speedup_row(comparisons, GIL, "cpu_loop", "processes"),
        speedup_row(comparisons, GIL, "cpu_loop", THREADS),
    )
    free = speedup_row(comparisons, FREE_THREADED, "cpu_loop", THREADS)
    if procs is None or threads is None:
        return claim
    evidence = [f"3.13 processes {fmt_row(procs)}", f"3.13 threads {fmt_row(threads)}"]
    evidence += [f"3.13t threads {fmt_row(free)}"] if free is not None else []
    if few := too_few([procs, threads, free]):
        verdict = few
    elif gain_outcome(procs) is False or gain_outcome(threads) is True:
        verdict = FAILS
    elif gain_outcome(procs) is None or gain_outcome(threads) is None:
        verdict = depends(f"the threshold: an interval straddles a speedup of {NO_SPEEDUP}")
    elif free is not None and gains(free):
        verdict = depends("the build: with the GIL yes; free-threaded threads scale as well")
    else:
        verdict = HOLDS
    return found(
        claim,
        verdict=verdict,
        scope=f"cpu_loop; cpython-3.13 and cpython-3.13t; {where(procs)}",
        key_figure=joined(evidence),
        evidence=joined(evidence),
        threshold=NO_SPEEDUP,  # two speedups decide (processes and threads): no single ratio
    )


def free_threading_scales(comparisons: pd.DataFrame) -> Claim:
    claim = Claim(
        "Disabling the GIL gives truly parallel threads.",
        "Free-threaded threads' speedup over one worker, with efficiency against ideal and a fitted "
        "Amdahl serial fraction; the same binary with PYTHON_GIL=1 as the control.",
        f"Threads run in parallel when the speedup's 95 % interval lies above {NO_SPEEDUP} (a quarter "
        "of a CPU or more gained). Efficiency and the serial fraction say how well, and do not decide: "
        "a rule demanding 70 % of the CPUs would reject the blog's own 16-core result. Interpreter-bound "
        f"workloads without a shared lock ({', '.join(PARALLEL_WORKLOADS)}) decide.",
        shown_in=("figure:cpu_loop", "figure:alloc", "table:Scaling", "table:Variants"),
    )
    rows = {w: speedup_row(comparisons, FREE_THREADED, w, THREADS) for w in PARALLEL_WORKLOADS}
    rows = {w: r for w, r in rows.items() if r is not None}
    if not rows:
        return claim
    evidence = [f"{speedup_text(r)}, {efficiency_text(r)}" for r in rows.values()]
    counts = [1] + pick(comparisons, "scaling", workload="cpu_loop", a_flavour=FREE_THREADED)["b_cpus"].tolist()
    key = rows.get("cpu_loop", next(iter(rows.values())))
    context = [
        speedup_row(comparisons, FREE_THREADED, "cpu_loop", THREADS, variant=GIL_ON),
        speedup_row(comparisons, FREE_THREADED, "contention", THREADS),
        speedup_row(comparisons, FREE_THREADED, "hash", THREADS),
    ]
    labels = ["control, GIL switched back on: ", "serialised by its one lock: ", ""]
    return found(
        claim,
        verdict=too_few(rows.values()) or decide({w: gain_outcome(r) for w, r in rows.items()}, HOLDS, FAILS),
        scope=f"cpython-3.13t threads; {', '.join(rows)}; {where(key)}",
        key_figure=f"{evidence[list(rows).index(key['workload'])]}; "
        f"{amdahl_text(comparisons, key['workload'], counts)}",
        evidence=joined(evidence),
        context=joined([label + speedup_text(r) for label, r in zip(labels, context) if r is not None]),
        **deciding(key, NO_SPEEDUP),
    )


def all_claims(comparisons: pd.DataFrame, summary: pd.DataFrame, runs: pd.DataFrame) -> list[Claim]:
    """Every claim: the blog's in its order, then each user workload's.

    `summary` carries each runtime's flavour (with_flavours).
    """
    if "flavour" not in summary:
        raise ParbenchError("the summary given to the claims has no flavour column; pass it through with_flavours")
    return [
        gil_speeds_single_threads(comparisons),
        *(
            why_no_speedup(claim, summary)
            for claim in (
                gil_threads_do_not_scale(comparisons),
                gil_threads_suit_io(comparisons),
                python_needs_processes(comparisons),
                free_threading_scales(comparisons),
            )
        ),
        goroutines_are_small(summary),
        goroutines_need_no_os_thread(summary),
        channels_share_safely(comparisons, summary, runs),
        go_is_150x_faster(comparisons),
        *user_claims(comparisons, summary),  # none without user workloads (specs.use_user_workloads)
    ]


# The text of each claim, its deciding figure as numbers (NaN where none decides alone), and how it was tested.
CLAIM_COLUMNS = [
    "claim",
    "kind",
    "verdict",
    "scope",
    "key_figure",
    "ratio",
    "ci_low",
    "ci_high",
    "threshold",
    "evidence",
    "context",
    "test",
    "rule",
    "shown_in",
]


def claims_table(claims: list[Claim]) -> pd.DataFrame:
    """results/claims.csv: one row per claim, every figure the report prints about it.

    `shown_in` (where the report shows its figures) is joined with ";", so the
    report can read the claims back from this file alone.
    """
    rows = [{**asdict(c), "shown_in": ";".join(c.shown_in)} for c in claims]
    return pd.DataFrame(rows).reindex(columns=CLAIM_COLUMNS)


def average_time_per_thread(summary: pd.DataFrame) -> str | None:
    """What the blog's "Average Time per Thread" (wall time / threads) measures, with this run's figures."""
    lines = []
    for flavour, mode, label in (
        (GIL, THREADS, "GIL threads"),
        (FREE_THREADED, THREADS, "free-threaded threads"),
        (GO, GOROUTINES, "goroutines"),
    ):
        cell = summary_cell(summary, flavour, "cpu_loop", mode)
        if cell is None or cell["workers"] < 2 or math.isnan(cell.get("worker_seconds_median", math.nan)):
            continue
        lines.append(
            f"{label}: wall {cell['median']:.3f} s / {cell['workers']} = {cell['median'] / cell['workers']:.3f} s "
            f'"per thread", while each worker was busy {cell["worker_seconds_median"]:.3f} s'
        )
    if not lines:
        return None
    return (
        'The blog\'s "Average Time per Thread" divides the wall time of the whole run by the number of '
        "threads. Every thread runs the full loop and they all run at once, so the quotient is not how "
        "long any thread took: it is wall time per loop completed, an inverse throughput. Only for threads "
        "that take turns (the GIL) does it come near the time one loop takes alone. In this run: "
        + "; ".join(lines)
        + "."
    )
