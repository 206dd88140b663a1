"""The answer for each user workload: the blog's questions put to the user's own code.

Every workload registered with specs.use_user_workloads gets the claims below,
decided from comparisons.csv by the rules of `claim_rules`, as the blog's are:

  scaling            do its threads run in parallel on the free-threaded build (speedup and
                     efficiency at each CPU count, the verdict on the most CPUs)
  single_thread      what the free-threaded build costs it on one worker, split into the build
                     and the GIL alone (PYTHON_GIL=1) as the blog's single-thread claim splits them
  threads_processes  does it need processes: threads against processes on each build, most CPUs
  go                 is its Go twin faster (only where Go measured it: no claim otherwise)

KIND decides what a workload may be evidence for. The first two are claims
about the interpreter, so only an interpreter-bound workload decides them; a
C-library, sleep-bound or coordination workload shows its figures as context,
its kind named in the verdict. The last two are the user's own choices
(threads or processes, Python or Go) and are decided whatever bounds the work.
A claim about more CPUs than the run had is "not testable" on it, never refuted.

claims.csv keeps its columns: a user claim's id (`user:NAME:ASPECT`) is the
first entry of its `shown_in`, which tells the report to show it under
"Your workloads" rather than among the blog's claims.
"""

from __future__ import annotations

import pandas as pd

from .claim_rules import (
    FAILS,
    HOLDS,
    NO_SPEEDUP,
    SINGLE_THREAD_VERDICTS,
    SLOWER,
    Claim,
    amdahl_text,
    attribute,
    decide,
    deciding,
    depends,
    efficiency_text,
    faster,
    found,
    gain_outcome,
    gains,
    gains_nothing,
    joined,
    not_testable,
    pick,
    single_thread_figure,
    single_thread_pair,
    slower,
    speedup_row,
    speedup_text,
    too_few,
    where,
    widest,
)
from .labels import fmt_others, fmt_row, workload_label
from .names import FREE_THREADED, GIL, GIL_ON, GO, INTERPRETER, PLAIN, PROCESSES, THREADS
from .specs import USER_WORKLOADS, workload_kind

USER = "user"  # the kind of a claim's id in shown_in: user:NAME:ASPECT
ASPECTS = ("scaling", "single_thread", "threads_processes", "go")
# What one build's speedups say about threads against processes.
BUILD_OUTCOMES = {
    "processes": "processes gain, threads do not",
    "threads": "threads gain as well",
    "neither": "neither processes nor threads gain",
}


def claim_id(workload: str, aspect: str) -> str:
    return f"{USER}:{workload}:{aspect}"


def user_claim_id(claim: Claim) -> str:
    """The id of a user workload's claim (user:NAME:ASPECT), or "" for one of the blog's."""
    return next((ref for ref in claim.shown_in if ref.startswith(f"{USER}:")), "")


def user_workload_of(claim: Claim) -> str:
    """The user workload a claim answers for, or "" for one of the blog's."""
    return user_claim_id(claim).removeprefix(f"{USER}:").rpartition(":")[0]


def context_only(workload: str) -> str:
    """The verdict of an interpreter claim on a workload that cannot decide it."""
    label = workload_label(workload)
    return f"context only: {label} is not interpreter-bound, so it decides nothing about the interpreter"


def without_speedup(claim: Claim, summary: pd.DataFrame, workload: str) -> Claim:
    """A claim about parallelism that no speedup decides: not testable on a run of one CPU, else not measured."""
    cpus = summary.loc[summary["workload"] == workload, "cpus"]
    if cpus.empty or cpus.max() >= 2:
        return claim
    count = int(cpus.max())
    return found(claim, verdict=not_testable(count), scope=f"{workload_label(workload)}; every cell on {count} CPU")


# ---- the claims ------------------------------------------------------------------------------------------


def threads_scale(comparisons: pd.DataFrame, summary: pd.DataFrame, workload: str) -> Claim:
    claim = Claim(
        f"Free-threading lets {workload}'s threads run in parallel.",
        f"{workload} in threads on the free-threaded build: speedup over one worker and efficiency against "
        "ideal at each CPU count, one worker per CPU; the GIL build's threads and the same free-threaded "
        "binary with PYTHON_GIL=1 beside it.",
        f"Holds when the speedup's 95 % interval on the most CPUs lies above {NO_SPEEDUP}, fails when it "
        "lies below; efficiency and the serial fraction say how well and do not decide. Only an "
        "interpreter-bound workload decides.",
        shown_in=(claim_id(workload, "scaling"), f"figure:{workload}", "table:Scaling"),
    )
    key = speedup_row(comparisons, FREE_THREADED, workload, THREADS)
    if key is None:
        return without_speedup(claim, summary, workload)
    rows = pick(comparisons, "scaling", workload=workload, a_flavour=FREE_THREADED, a_mode=THREADS, a_variant=PLAIN)
    rows = rows[rows["b_workers"] == rows["b_cpus"]].sort_values("b_cpus")
    evidence = [f"{speedup_text(r)}, {efficiency_text(r)}" for _, r in rows.iterrows()]
    beside = (
        ("with the GIL: ", speedup_row(comparisons, GIL, workload, THREADS)),
        ("control, GIL switched back on: ", speedup_row(comparisons, FREE_THREADED, workload, THREADS, GIL_ON)),
    )
    context = [label + speedup_text(row) for label, row in beside if row is not None]
    figure = f"{speedup_text(key)}, {efficiency_text(key)}; {amdahl_text(comparisons, workload, [1, *rows['b_cpus']])}"
    scope = f"{key['a_runtime']} threads; {workload_label(workload)}; {where(key)}"
    if workload_kind(workload) != INTERPRETER:
        return found(
            claim, verdict=context_only(workload), scope=scope, key_figure=figure, context=joined(evidence + context)
        )
    return found(
        claim,
        verdict=too_few([key]) or decide({workload: gain_outcome(key)}, HOLDS, FAILS),
        scope=scope,
        key_figure=figure,
        evidence=joined(evidence),
        context=joined(context),
        **deciding(key, NO_SPEEDUP),
    )


def gil_speeds_one_worker(comparisons: pd.DataFrame, workload: str) -> Claim:
    claim = Claim(
        f"The GIL makes {workload} faster on one worker.",
        "One worker: the free-threaded build against the GIL build (the build), and the same free-threaded "
        "binary with PYTHON_GIL=1 against without (the GIL alone), in the same 1-worker cell where measured.",
        f"The build is slower when its time ratio exceeds {SLOWER} with the interval above 1; the GIL speeds "
        f"things up when switching it on gives a ratio below 1/{SLOWER} with the interval below 1. If the "
        "build is slower and the GIL alone is not faster, the cost is the build's. Only an interpreter-bound "
        "workload decides.",
        shown_in=(claim_id(workload, "single_thread"), "table:Variants", "table:Ratios of median times"),
    )
    build, gil = single_thread_pair(comparisons, workload)
    if build is None:
        return claim
    figure = single_thread_figure(workload, build, gil)
    scope = (
        f"{workload_label(workload)}; 1 worker, {build['a_mode']} mode, CPUs {build['a_cpuset']}; "
        f"{build['b_runtime']} vs {build['a_runtime']} (build)"
        + (f", {gil['a_runtime']} with PYTHON_GIL=1 vs without (GIL alone)" if gil is not None else "")
    )
    if workload_kind(workload) != INTERPRETER:
        return found(claim, verdict=context_only(workload), scope=scope, key_figure=figure, context=figure)
    return found(
        claim,
        verdict=SINGLE_THREAD_VERDICTS[attribute(build, gil)],
        scope=scope,
        key_figure=figure,
        evidence=figure,
        **deciding(build, SLOWER),
    )


def build_outcome(procs: pd.Series, threads: pd.Series) -> str | None:
    """What one build's two speedups say (a key of BUILD_OUTCOMES), or None where an interval straddles the line."""
    if gains(threads):
        return "threads"
    if not gains_nothing(threads):
        return None
    return "processes" if gains(procs) else "neither" if gains_nothing(procs) else None


def processes_verdict(outcomes: dict[str, str | None]) -> str:
    """One verdict from each build's outcome: all agree, or it depends on the build.

    A build left undecided keeps the verdict open, with what the others said:
    one build's answer is no answer for the other.
    """
    decided = {runtime: outcome for runtime, outcome in outcomes.items() if outcome is not None}
    straddles = f"an interval straddles a speedup of {NO_SPEEDUP}"
    if not decided:
        return depends(f"the threshold: {straddles}")
    said = "; ".join(f"{r}: {BUILD_OUTCOMES[o]}" for r, o in decided.items())
    open_ = [runtime for runtime, outcome in outcomes.items() if outcome is None]
    if open_:
        return depends(f"the threshold on {' and '.join(open_)}: {straddles} ({said})")
    kinds = set(decided.values())
    if kinds == {"processes"}:
        return HOLDS
    if len(kinds) == 1:
        return f"{FAILS}: {BUILD_OUTCOMES[kinds.pop()]}"
    return depends(f"the build ({said})")


def needs_processes(comparisons: pd.DataFrame, summary: pd.DataFrame, workload: str) -> Claim:
    claim = Claim(
        f"{workload} needs processes for parallelism: its threads gain nothing.",
        f"{workload}'s speedups over one worker on the most CPUs, one worker per CPU: processes against "
        "threads, on the GIL build and on the free-threaded build.",
        f"On a build, yes when processes gain (speedup interval above {NO_SPEEDUP}) and threads do not "
        "(interval below); no when threads gain, or when neither does. Builds that disagree make it depend "
        "on the build; a build whose interval straddles the line leaves it to the threshold. Decided whatever "
        "bounds the workload: it is the user's choice of mode.",
        shown_in=(claim_id(workload, "threads_processes"), f"figure:{workload}", "table:Scaling"),
    )
    pairs = {}  # runtime -> (processes, threads) speedups, for each build that measured both modes
    for flavour in (GIL, FREE_THREADED):
        procs, threads = (speedup_row(comparisons, flavour, workload, mode) for mode in (PROCESSES, THREADS))
        if procs is not None and threads is not None:
            pairs[procs["a_runtime"]] = (procs, threads)
    if not pairs:
        return without_speedup(claim, summary, workload)
    evidence = [
        f"{runtime} {PROCESSES} {fmt_row(procs)}; {runtime} {THREADS} {fmt_row(threads)}"
        for runtime, (procs, threads) in pairs.items()
    ]
    row = next(iter(pairs.values()))[0]
    return found(
        claim,
        verdict=too_few([row for pair in pairs.values() for row in pair])
        or processes_verdict({runtime: build_outcome(*pair) for runtime, pair in pairs.items()}),
        scope=f"{workload_label(workload)}; {' and '.join(pairs)}; processes and threads; {where(row)}",
        key_figure=joined(evidence),
        evidence=joined(evidence),
        context=fastest_context(comparisons, workload, int(row["b_cpus"])),
        threshold=NO_SPEEDUP,  # two speedups per build decide: no single ratio
    )


def fastest_context(comparisons: pd.DataFrame, workload: str, cpus: int) -> str:
    """Speedups say whether a mode gains, not which is fastest: the time of each way against the fastest's."""
    rows = pick(comparisons, "fastest", workload=workload, b_cpus=cpus)
    if rows.empty:
        return ""
    best = rows.iloc[0]
    return f"fastest here: {best['b_runtime']} {best['b_mode']}; the others' time over its time: {fmt_others(rows)}"


def go_twin_faster(comparisons: pd.DataFrame, summary: pd.DataFrame, workload: str) -> Claim | None:
    """Free-threaded threads against the Go twin's goroutines; None where Go measured no cell of the workload."""
    if summary[(summary["workload"] == workload) & (summary["flavour"] == GO)].empty:
        return None
    claim = Claim(
        f"{workload}'s Go twin is faster than free-threaded Python threads.",
        f"{workload}: free-threaded threads' time over the Go twin's goroutines', one worker per CPU, on the "
        "most CPUs; the GIL build and processes beside it.",
        f"Holds when the time ratio exceeds {SLOWER} with the interval above 1. Decided whatever bounds the "
        "workload: it compares the user's two implementations.",
        shown_in=(claim_id(workload, "go"), "table:Ratios of median times"),
    )
    rows = pick(comparisons, "runtime", workload=workload, a_variant=PLAIN)
    row = widest(rows[(rows["a_flavour"] == FREE_THREADED) & (rows["a_mode"] == THREADS)])
    if row is None:
        return claim
    figure = f"3.13t threads / Go {fmt_row(row)} with {where(row)}"
    others = rows[(rows["b_cpus"] == row["b_cpus"]) & (rows["b_workers"] == row["b_workers"])]
    context = [
        f"{r['a_runtime']} {r['a_mode']} / Go {r['b_mode']} {fmt_row(r)}"
        for _, r in others.iterrows()
        if (r["a_runtime"], r["a_mode"]) != (row["a_runtime"], row["a_mode"])
    ]
    if too_few([row]):
        verdict = too_few([row])
    elif slower(row):
        verdict = HOLDS
    elif faster(row):
        verdict = f"{FAILS}: free-threaded threads are faster"
    elif row["ratio"] > SLOWER:  # the point says faster, the interval reaches 1: more rounds would tell
        verdict = depends("the threshold: the interval reaches 1")
    else:
        verdict = f"{FAILS}: about as fast"
    return found(
        claim,
        verdict=verdict,
        scope=f"{workload_label(workload)}; {row['a_runtime']} threads vs {row['b_runtime']} goroutines; {where(row)}",
        key_figure=figure,
        evidence=figure,
        context=joined(context),
        **deciding(row, SLOWER),
    )


def user_claims(comparisons: pd.DataFrame, summary: pd.DataFrame) -> list[Claim]:
    """Each registered user workload's claims, in registration order; `summary` carries each runtime's flavour."""
    claims = []
    for workload in USER_WORKLOADS:
        claims += [
            threads_scale(comparisons, summary, workload),
            gil_speeds_one_worker(comparisons, workload),
            needs_processes(comparisons, summary, workload),
        ]
        go = go_twin_faster(comparisons, summary, workload)
        claims += [go] if go is not None else []
    return claims
