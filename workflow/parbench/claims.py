"""The blog's claims, each put to the comparisons that test it as the blog made it.

Every verdict is computed from comparisons.csv (and summary.csv for per-worker
costs, runs.csv for the channel check) by the rules below, so another machine
can reach another verdict and a test can feed each rule data on either side of
its threshold. Only interpreter-bound workloads decide claims about the
interpreter; C-library (hash) and sleep-bound (io_wait) workloads appear as
context, labelled as such. A claim about more CPUs than the run had is "not
testable" on it, never refuted by it. Claims that cannot fail while the
session succeeds (a lost message fails the session) are checks, not verdicts.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import pandas as pd

from .comparisons import BLOG_WORKERS, fmt_row, workload_label
from .specs import expected_checksum, parse_params_label

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
INTERPRETER_WORKLOADS = ("cpu_loop", "cpu_loop_strong", "alloc", "contention")
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


def depends(on: str) -> str:
    return f"depends on {on}"


def not_testable(cpus: int) -> str:
    return f"not testable on {cpus} CPU{'' if cpus == 1 else 's'}"


def found(claim: Claim, **fields) -> Claim:
    """The claim as this run's figures decide it."""
    return replace(claim, **fields)


# ---- picking comparisons --------------------------------------------------------------------------------------


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


def lower(row: pd.Series) -> float:
    """The interval's low end, or the point estimate where there is no interval (fewer than 2 repeats)."""
    return row["ratio"] if pd.isna(row["ci_low"]) else row["ci_low"]


def upper(row: pd.Series) -> float:
    return row["ratio"] if pd.isna(row["ci_high"]) else row["ci_high"]


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


# ---- the claims ------------------------------------------------------------------------------------------------


def single_thread_pair(comparisons: pd.DataFrame, workload: str) -> tuple[pd.Series | None, pd.Series | None]:
    """(build, GIL alone) for one worker: 3.13t vs 3.13 and 3.13t with the GIL vs without, in the same cell.

    The GIL variant runs in threads mode, so the build comparison uses the same
    1-worker threads cell when it exists (like with like), else sequential.
    """
    gil = pick(comparisons, "gil", workload=workload, a_workers=1, a_mode="threads")
    gil = first(gil.sort_values("a_cpus"))
    build = None
    if gil is not None:
        build = first(
            pick(comparisons, "build", workload=workload, a_workers=1, a_mode="threads", a_cpuset=gil["a_cpuset"])
        )
    for mode in ("sequential", "threads"):
        if build is None:
            build = first(pick(comparisons, "build", workload=workload, a_workers=1, a_mode=mode).sort_values("a_cpus"))
    return build, gil


def attribute(build: pd.Series, gil: pd.Series | None) -> str:
    """Who carries a single-thread cost: none, the build, the GIL, or untested (no GIL-alone control)."""
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
}


def single_thread_figure(workload: str, build: pd.Series, gil: pd.Series | None) -> str:
    mode = f"1 worker, {build['a_mode']}"
    text = f"{workload_label(workload)} ({mode}): 3.13t / 3.13 {fmt_row(build)}"
    return text + (f", 3.13t with GIL / without {fmt_row(gil)}" if gil is not None else "")


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
    found_by, parts, context, scopes = {}, [], [], set()
    for workload in INTERPRETER_WORKLOADS + ("hash", "io_wait"):
        build, gil = single_thread_pair(comparisons, workload)
        if build is None:
            continue
        figure = single_thread_figure(workload, build, gil)
        if workload in INTERPRETER_WORKLOADS:
            found_by[workload] = attribute(build, gil)
            parts.append(figure)
            scopes.add(f"1 worker, {build['a_mode']} mode, CPUs {build['a_cpuset']}")
        else:
            context.append(figure)
    if not found_by:
        return claim
    outcomes = set(found_by.values())
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
        claim, verdict=verdict, scope=scope, key_figure=parts[0], evidence=joined(parts), context=joined(context)
    )


def gil_threads_do_not_scale(comparisons: pd.DataFrame) -> Claim:
    claim = Claim(
        "With the GIL only one thread runs Python code at a time: CPU-bound threads gain nothing.",
        "Threads on the GIL build: speedup over one worker, one worker per CPU, on the most CPUs.",
        f"Holds when the speedup's 95 % interval lies below {NO_SPEEDUP}, fails when it lies above; "
        f"interpreter-bound workloads without a shared lock ({', '.join(PARALLEL_WORKLOADS)}) decide.",
        shown_in=("figure:cpu_loop", "figure:hash"),
    )
    rows = {w: speedup_row(comparisons, "gil", w, "threads") for w in PARALLEL_WORKLOADS}
    rows = {w: r for w, r in rows.items() if r is not None}
    if not rows:
        return claim
    outcomes = {w: True if gains_nothing(r) else False if gains(r) else None for w, r in rows.items()}
    key = rows.get("cpu_loop", next(iter(rows.values())))
    hashing = speedup_row(comparisons, "gil", "hash", "threads")
    return found(
        claim,
        verdict=decide(outcomes, HOLDS, FAILS),
        scope=f"cpython-3.13 threads; {', '.join(rows)}; {where(key)}",
        key_figure=speedup_text(key),
        evidence=joined([speedup_text(r) for r in rows.values()]),
        context=speedup_text(hashing) if hashing is not None else "",
    )


def gil_threads_suit_io(comparisons: pd.DataFrame) -> Claim:
    claim = Claim(
        "GIL threads suit I/O-bound work.",
        "io_wait (workers that sleep, as blocking I/O does) in threads on the GIL build, most workers "
        "on the most CPUs: speedup against one worker per worker (sleeping workers need no CPU).",
        f"Holds when the speedup reaches {SCALES_EFFICIENCY:.0%} of one per worker.",
        shown_in=("figure:io_wait",),
    )
    row = speedup_row(comparisons, "gil", "io_wait", "threads", most_workers=True)
    if row is None:
        return claim
    cpu = speedup_row(comparisons, "gil", "cpu_loop", "threads")
    figure = f"{speedup_text(row)}: {efficiency_text(row)}"
    return found(
        claim,
        verdict=HOLDS if row["efficiency"] >= SCALES_EFFICIENCY else FAILS,
        scope=f"cpython-3.13 threads; io_wait (sleep-bound); {where(row)}",
        key_figure=figure,
        evidence=figure,
        context=speedup_text(cpu) if cpu is not None else "",
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
        speedup_row(comparisons, "gil", "cpu_loop", "processes"),
        speedup_row(comparisons, "gil", "cpu_loop", "threads"),
    )
    free = speedup_row(comparisons, "free-threaded", "cpu_loop", "threads")
    if procs is None or threads is None:
        return claim
    evidence = [f"3.13 processes {fmt_row(procs)}", f"3.13 threads {fmt_row(threads)}"]
    evidence += [f"3.13t threads {fmt_row(free)}"] if free is not None else []
    if gain_outcome(procs) is False or gain_outcome(threads) is True:
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
    )


def amdahl_text(comparisons: pd.DataFrame, workload: str, cpu_counts: list[int]) -> str:
    """The fitted serial fraction of free-threaded threads, or why there is none."""
    row = first(
        pick(comparisons, "amdahl", workload=workload, a_flavour="free-threaded", a_mode="threads", a_variant="")
    )
    if row is None:
        counts = ", ".join(str(c) for c in sorted(set(cpu_counts)))
        return f"an Amdahl fit needs speedups at 3 CPU counts; this run has {counts}"
    return f"Amdahl serial fraction {row['ratio']:.1%} ({row['ci_low']:.1%}–{row['ci_high']:.1%})"


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
    rows = {w: speedup_row(comparisons, "free-threaded", w, "threads") for w in PARALLEL_WORKLOADS}
    rows = {w: r for w, r in rows.items() if r is not None}
    if not rows:
        return claim
    evidence = [f"{speedup_text(r)}, {efficiency_text(r)}" for r in rows.values()]
    counts = [1] + pick(comparisons, "scaling", workload="cpu_loop", a_flavour="free-threaded")["b_cpus"].tolist()
    key = rows.get("cpu_loop", next(iter(rows.values())))
    context = [
        speedup_row(comparisons, "free-threaded", "cpu_loop", "threads", variant="gil1"),
        speedup_row(comparisons, "free-threaded", "contention", "threads"),
        speedup_row(comparisons, "free-threaded", "hash", "threads"),
    ]
    labels = ["control, GIL switched back on: ", "serialised by its one lock: ", ""]
    return found(
        claim,
        verdict=decide({w: gain_outcome(r) for w, r in rows.items()}, HOLDS, FAILS),
        scope=f"cpython-3.13t threads; {', '.join(rows)}; {where(key)}",
        key_figure=f"{evidence[list(rows).index(key['workload'])]}; "
        f"{amdahl_text(comparisons, key['workload'], counts)}",
        evidence=joined(evidence),
        context=joined([label + speedup_text(r) for label, r in zip(labels, context) if r is not None]),
    )


def summary_cell(summary: pd.DataFrame, flavour: str, workload: str, mode: str) -> pd.Series | None:
    """The plain cell on the most CPUs, one worker per CPU (coordination figures live in summary.csv)."""
    rows = summary[
        (summary["flavour"] == flavour)
        & (summary["workload"] == workload)
        & (summary["mode"] == mode)
        & (summary["variant"] == "")
    ]
    if rows.empty:
        return None
    rows = rows[rows["cpus"] == rows["cpus"].max()]
    return first(rows[rows["workers"] == rows["cpus"]])


def thread_contrast(summary: pd.DataFrame, column: str, template: str) -> str:
    """Figures of parked Python threads (spawn) to set beside a goroutine's."""
    parts = []
    for flavour in ("gil", "free-threaded"):
        thread = summary_cell(summary, flavour, "spawn", "threads")
        if thread is not None and not pd.isna(thread[column]):
            parts.append(template.format(flavour=flavour, value=thread[column]))
    return joined(parts)


def goroutines_are_small(summary: pd.DataFrame) -> Claim:
    claim = Claim(
        "A goroutine costs about 2 KB of memory.",
        "spawn: resident memory added per parked goroutine, after the warm-up's freed memory went back to the OS.",
        f"Holds within a factor of {ABOUT_FACTOR:.0f} of {GOROUTINE_KB_CLAIM:.0f} KB.",
        shown_in=("table:Coordination costs",),
    )
    go = summary_cell(summary, "go", "spawn", "goroutines")
    if go is None or pd.isna(go["rss_kb_per_task"]):
        return claim
    kb = go["rss_kb_per_task"]
    within = GOROUTINE_KB_CLAIM / ABOUT_FACTOR <= kb <= GOROUTINE_KB_CLAIM * ABOUT_FACTOR
    figure = f"{kb:.1f} KB per goroutine ({int(go['tasks'])} parked)"
    return found(
        claim,
        verdict=HOLDS if within else FAILS,
        scope=f"go spawn; {int(go['tasks'])} goroutines",
        key_figure=figure,
        evidence=figure,
        context=thread_contrast(summary, "rss_kb_per_task", "{flavour} Python thread {value:.1f} KB"),
    )


def goroutines_need_no_os_thread(summary: pd.DataFrame) -> Claim:
    claim = Claim(
        "Goroutines do not need an OS thread each.",
        "spawn: OS threads (/proc/self/status) added per parked goroutine.",
        f"Holds below {OS_THREADS_PER_TASK} OS threads per goroutine (one per {1 / OS_THREADS_PER_TASK:.0f}).",
        shown_in=("table:Coordination costs",),
    )
    go = summary_cell(summary, "go", "spawn", "goroutines")
    if go is None or pd.isna(go["os_threads_per_task"]):
        return claim
    figure = f"{go['os_threads_per_task']:.3f} OS threads per goroutine ({int(go['tasks'])} parked)"
    return found(
        claim,
        verdict=HOLDS if go["os_threads_per_task"] < OS_THREADS_PER_TASK else FAILS,
        scope=f"go spawn; {int(go['tasks'])} goroutines",
        key_figure=figure,
        evidence=figure,
        context=thread_contrast(summary, "os_threads_per_task", "{value:.2f} per {flavour} Python thread"),
    )


def message_counts(runs: pd.DataFrame) -> tuple[int, int, int]:
    """(runs, messages, runs whose checksum is not every message exactly once) over Go's channel runs."""
    loops = runs["loops"].fillna(1) if "loops" in runs else pd.Series(1, index=runs.index)
    wrong = sum(
        row["checksum"] != expected_checksum("channels", parse_params_label(row["params"]), int(row["workers"]))
        for _, row in runs.iterrows()
    )
    messages = sum(
        parse_params_label(p)["messages"] * w * int(n) for p, w, n in zip(runs["params"], runs["workers"], loops)
    )
    return len(runs), messages, wrong


def channel_context(comparisons: pd.DataFrame, summary: pd.DataFrame) -> str:
    """What the channels workload compares: a Go channel against queue.Queue, throughput and latency."""
    row = widest(pick(comparisons, "runtime", workload="channels", a_flavour="gil", a_mode="threads", a_variant=""))
    if row is None:
        return ""
    text = (
        f"queue.Queue (cpython-3.13 threads) takes {fmt_row(row)} the Go channel's time for the same messages "
        f"({int(row['b_workers'])} producers and {int(row['b_workers'])} consumers on {int(row['b_cpus'])} CPUs)"
    )
    go, queue = (
        summary_cell(summary, "go", "channels", "goroutines"),
        summary_cell(summary, "gil", "channels", "threads"),
    )
    if go is not None and queue is not None and not pd.isna(go["latency_p50_us"]):
        text += (
            f"; median send-to-receive latency {go['latency_p50_us']:.1f} µs (channel) vs "
            f"{queue['latency_p50_us']:.1f} µs (queue.Queue)"
        )
    return text


def channels_share_safely(comparisons: pd.DataFrame, summary: pd.DataFrame, runs: pd.DataFrame) -> Claim:
    claim = Claim(
        "Channels share data between goroutines safely.",
        "channels: the sum of the received values shows every message of every run arrived exactly once; "
        "beside it, a Go channel against queue.Queue in throughput and latency.",
        "A check, not a verdict: a lost message would deadlock and fail the session, so a finished run "
        "can only pass it.",
        kind=CHECK,
        shown_in=("table:Coordination costs", "figure:channels"),
    )
    go_runtimes = summary.loc[summary["flavour"] == "go", "runtime"].unique()
    go_runs = runs[(runs["workload"] == "channels") & runs["runtime"].isin(go_runtimes)]
    if go_runs.empty:
        return claim
    count, messages, wrong = message_counts(go_runs)
    figure = (
        f"every message arrived exactly once in {count} runs ({messages:,} messages)"
        if wrong == 0
        else f"{wrong} of {count} runs lost or repeated a message"
    )
    return found(
        claim,
        verdict=PASSED if wrong == 0 else FAILED,
        scope="go channels, every CPU set and repeat",
        key_figure=figure,
        evidence=figure,
        context=channel_context(comparisons, summary),
    )


def go_is_150x_faster(comparisons: pd.DataFrame) -> Claim:
    claim = Claim(
        "Go is nearly 150× faster than free-threaded Python (16 threads on 16 cores).",
        "cpu_loop: free-threaded threads' time over Go goroutines', one worker per CPU, as the blog ran it.",
        f"Testable only with at least {BLOG_WORKERS} CPUs (the ratio depends on how each side scales); "
        f"there it holds from a ratio of {NEARLY_FACTOR:.0f} up. Other workloads are context.",
        shown_in=("table:Ratios of median times",),
    )
    rows = pick(comparisons, "runtime", workload="cpu_loop", a_flavour="free-threaded", a_mode="threads", a_variant="")
    row = widest(rows)
    if row is None:
        return claim
    cpus = int(row["b_cpus"])
    if cpus >= BLOG_WORKERS:
        at_blog = first(rows[rows["b_workers"] == BLOG_WORKERS])
        row = at_blog if at_blog is not None else row
    figure = f"3.13t threads / Go {fmt_row(row)} with {where(row)}"
    context = [
        f"{workload_label(r['workload'])} {fmt_row(r)}"
        for _, r in pick(
            comparisons,
            "runtime",
            a_flavour="free-threaded",
            a_mode="threads",
            a_variant="",
            b_cpus=cpus,
            b_workers=cpus,
        ).iterrows()
        if r["workload"] != "cpu_loop"
    ]
    if cpus < BLOG_WORKERS:
        verdict = not_testable(cpus)
        figure += f"; testing it takes the blog's protocol: {BLOG_WORKERS} workers pinned to {BLOG_WORKERS} cores"
    else:
        verdict = HOLDS if row["ratio"] >= NEARLY_FACTOR else FAILS
    return found(
        claim,
        verdict=verdict,
        scope=f"cpu_loop; cpython-3.13t threads vs go goroutines; {where(row)}",
        key_figure=figure,
        evidence=figure,
        context=joined(context),
    )


def flavour_map(comparisons: pd.DataFrame) -> dict[str, str]:
    """runtime -> flavour as comparisons.csv records it."""
    pairs = pd.concat(
        [
            comparisons[["a_runtime", "a_flavour"]].set_axis(["runtime", "flavour"], axis=1),
            comparisons[["b_runtime", "b_flavour"]].set_axis(["runtime", "flavour"], axis=1),
        ]
    )
    return dict(pairs.drop_duplicates("runtime").itertuples(index=False))


def all_claims(comparisons: pd.DataFrame, summary: pd.DataFrame, runs: pd.DataFrame) -> list[Claim]:
    """Every claim, in the order the blog makes them."""
    if "flavour" not in summary:
        summary = summary.assign(flavour=summary["runtime"].map(flavour_map(comparisons)))
    return [
        gil_speeds_single_threads(comparisons),
        gil_threads_do_not_scale(comparisons),
        gil_threads_suit_io(comparisons),
        python_needs_processes(comparisons),
        free_threading_scales(comparisons),
        goroutines_are_small(summary),
        goroutines_need_no_os_thread(summary),
        channels_share_safely(comparisons, summary, runs),
        go_is_150x_faster(comparisons),
    ]


CLAIM_COLUMNS = ["claim", "kind", "verdict", "scope", "key_figure", "evidence", "context", "test", "rule"]


def claims_table(claims: list[Claim]) -> pd.DataFrame:
    """results/claims.csv: one row per claim, every figure the report prints about it."""
    return pd.DataFrame([asdict(c) for c in claims]).reindex(columns=CLAIM_COLUMNS)


def average_time_per_thread(summary: pd.DataFrame) -> str | None:
    """What the blog's "Average Time per Thread" (wall time / threads) measures, with this run's figures."""
    lines = []
    for flavour, mode, label in (
        ("gil", "threads", "GIL threads"),
        ("free-threaded", "threads", "free-threaded threads"),
        ("go", "goroutines", "goroutines"),
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
