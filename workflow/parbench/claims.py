"""The blog's claims, each put to one measurement, with a verdict computed from the tables.

Every verdict comes from summary.csv (and runs.csv for checksums) through the
thresholds below, so a different machine can reach a different verdict and a
test can feed each rule data on either side of its threshold. Nothing here
knows what the answer "should" be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from .specs import expected_checksum, parse_params_label

HOLDS, FAILS, UNTESTED = "holds", "does not hold", "not measured"

SCALES_EFFICIENCY = 0.7     # speedup >= 0.7 x CPUs: the mode runs in parallel
NO_SPEEDUP = 1.25           # speedup below 1.25x: it does not
SLOWER = 1.05               # a build is slower if its median is >5 % higher and the CIs do not overlap
GOROUTINE_KB_CLAIM = 2.0    # "~2KB per goroutine"
ABOUT_FACTOR = 2.0          # "about 2 KB" holds within a factor of two
OS_THREADS_PER_TASK = 0.05  # "no OS thread each": fewer than one OS thread per 20 goroutines
BLOG_GO_FACTOR = 150.0      # "nearly 150x better performance"
NEARLY_FACTOR = 100.0       # "nearly 150x" holds from 100x up
SINGLE_THREAD_WORKLOADS = ("cpu_loop", "cpu_loop_strong", "alloc", "hash", "contention")
PARALLEL_WORKLOADS = ("cpu_loop", "cpu_loop_strong", "alloc", "hash")


@dataclass(frozen=True)
class Claim:
    claim: str      # what the blog says, in our words
    test: str       # the measurement that tests it
    evidence: str   # the figures that decide it, from this run
    verdict: str    # holds / does not hold / depends on ... / not measured
    shown_in: tuple[str, ...] = ()  # "figure:<workload>" or "table:<report section>"


def depends(on: str) -> str:
    return f"depends on {on}"


def found(claim: Claim, evidence: str, verdict: str) -> Claim:
    """The claim as this run's figures decide it."""
    return replace(claim, evidence=evidence, verdict=verdict)


def _rows(summary: pd.DataFrame, flavour: str, workload: str, mode: str, variant: str = "") -> pd.DataFrame:
    return summary[(summary["flavour"] == flavour) & (summary["workload"] == workload)
                   & (summary["mode"] == mode) & (summary["variant"] == variant)]


def widest(summary: pd.DataFrame, flavour: str, workload: str, mode: str, variant: str = "",
           workers: str = "cpus") -> pd.Series | None:
    """The cell on the most CPUs, with one worker per CPU ("cpus") or the most workers ("most")."""
    rows = _rows(summary, flavour, workload, mode, variant)
    if rows.empty:
        return None
    rows = rows[rows["cpus"] == rows["cpus"].max()]
    rows = rows[rows["workers"] == rows["cpus"]] if workers == "cpus" else rows[rows["workers"] == rows["workers"].max()]
    return None if rows.empty else rows.iloc[0]


def parallel_cpus(cell: pd.Series | None) -> bool:
    return cell is not None and cell["cpus"] >= 2 and not math.isnan(cell["speedup"])


def scales(cell: pd.Series) -> bool:
    return cell["speedup"] >= SCALES_EFFICIENCY * min(cell["workers"], cell["cpus"])


def no_speedup(cell: pd.Series) -> bool:
    return cell["speedup"] < NO_SPEEDUP


def speedup_text(cell: pd.Series) -> str:
    return f"{cell['speedup']:.2f}× with {cell['workers']} workers on {cell['cpus']} CPUs"


def gil_speeds_single_threads(summary: pd.DataFrame) -> Claim:
    claim = Claim("The GIL makes single-threaded programs faster.",
                  "One worker, no pool: the free-threaded build's time over the GIL build's (same source).",
                  "", UNTESTED,
                  ("table:Every cell", "table:Ratios of median times"))
    slower, not_slower, parts = [], [], []
    for workload in SINGLE_THREAD_WORKLOADS:
        gil, free = widest(summary, "gil", workload, "sequential"), widest(summary, "free-threaded", workload, "sequential")
        if gil is None or free is None:
            continue
        ratio = free["median"] / gil["median"]
        intervals = not (math.isnan(free["ci_low"]) or math.isnan(gil["ci_high"]))
        # Without intervals (fewer than 6 repeats) the point estimate is all there is.
        significant = ratio > SLOWER and (free["ci_low"] > gil["ci_high"] if intervals else True)
        (slower if significant else not_slower).append(workload)
        parts.append(f"{workload} {'' if significant else '~'}{ratio:.2f}×")
    if not parts:
        return claim
    verdict = HOLDS if not not_slower else FAILS if not slower else depends(
        f"the workload (slower without the GIL: {', '.join(slower)}; not: {', '.join(not_slower)})")
    return found(claim, "3.13t time / 3.13 time: " + ", ".join(parts), verdict)


def gil_threads_do_not_scale(summary: pd.DataFrame) -> Claim:
    claim = Claim("With the GIL only one thread runs Python code at a time: CPU-bound threads gain nothing.",
                  "cpu_loop in threads on the GIL build: speedup over one worker.",
                  "", UNTESTED,
                  ("figure:cpu_loop", "figure:hash"))
    cell = widest(summary, "gil", "cpu_loop", "threads")
    if not parallel_cpus(cell):
        return claim
    verdict = HOLDS if no_speedup(cell) else FAILS if scales(cell) else depends("how the speedup is judged (partial)")
    evidence = f"GIL threads: {speedup_text(cell)}"
    hashing = widest(summary, "gil", "hash", "threads")
    if parallel_cpus(hashing):
        # C code that releases the GIL is not Python code: the claim does not cover it.
        evidence += f"; hash, whose C code releases the GIL, for contrast: {hashing['speedup']:.2f}×"
    return found(claim, evidence, verdict)


def gil_threads_suit_io(summary: pd.DataFrame) -> Claim:
    claim = Claim("GIL threads suit I/O-bound work.",
                  "io_wait (workers that sleep) in threads on the GIL build, most workers on the most CPUs: "
                  "speedup per worker.", "", UNTESTED,
                  ("figure:io_wait", "table:Every cell"))
    cell = widest(summary, "gil", "io_wait", "threads", workers="most")
    cpu = widest(summary, "gil", "cpu_loop", "threads")
    if cell is None or cell["workers"] < 2 or math.isnan(cell["speedup"]):
        return claim
    per_worker = cell["speedup"] / cell["workers"]
    evidence = f"io_wait: {speedup_text(cell)} ({per_worker:.0%} of ideal)"
    if cpu is not None and not math.isnan(cpu["speedup"]):
        evidence += f"; cpu_loop for contrast: {speedup_text(cpu)}"
    verdict = HOLDS if per_worker >= SCALES_EFFICIENCY else FAILS
    return found(claim, evidence, verdict)


def python_needs_processes(summary: pd.DataFrame) -> Claim:
    claim = Claim("Python needs multiple processes for parallelism.",
                  "cpu_loop speedups: processes and threads on the GIL build, threads on the free-threaded build.",
                  "", UNTESTED,
                  ("figure:cpu_loop",))
    procs, threads = widest(summary, "gil", "cpu_loop", "processes"), widest(summary, "gil", "cpu_loop", "threads")
    free = widest(summary, "free-threaded", "cpu_loop", "threads")
    if not (parallel_cpus(procs) and parallel_cpus(threads)):
        return claim
    evidence = f"GIL processes {speedup_text(procs)}; GIL threads {threads['speedup']:.2f}×"
    gil_needs = scales(procs) and no_speedup(threads)
    if parallel_cpus(free):
        evidence += f"; free-threaded threads {free['speedup']:.2f}×"
    if not gil_needs:
        verdict = FAILS
    elif parallel_cpus(free) and scales(free):
        verdict = depends("the build: with the GIL yes; free-threaded threads scale as well")
    else:
        verdict = HOLDS
    return found(claim, evidence, verdict)


def free_threading_scales(summary: pd.DataFrame) -> Claim:
    claim = Claim("Disabling the GIL gives truly parallel threads (the blog saw 4.9× on 16 cores).",
                  "Free-threaded threads' speedup per workload; the same binary with PYTHON_GIL=1 isolates the GIL.",
                  "", UNTESTED,
                  ("figure:cpu_loop", "figure:alloc", "table:Variants"))
    good, bad, parts = [], [], []
    for workload in PARALLEL_WORKLOADS:
        cell = widest(summary, "free-threaded", workload, "threads")
        if not parallel_cpus(cell):
            continue
        (good if scales(cell) else bad).append(workload)
        parts.append(f"{workload} {cell['speedup']:.2f}×")
    if not parts:
        return claim
    evidence = f"on {int(summary['cpus'].max())} CPUs: " + ", ".join(parts)
    switched = summary[(summary["flavour"] == "free-threaded") & (summary["workload"] == "cpu_loop")
                       & (summary["mode"] == "threads") & (summary["variant"] != "")]
    switched = switched[switched["cpus"] == switched["cpus"].max()]
    if not switched.empty and not math.isnan(switched["speedup"].iloc[0]):
        evidence += f"; cpu_loop with the GIL switched back on: {switched['speedup'].iloc[0]:.2f}×"
    verdict = HOLDS if not bad else FAILS if not good else depends(
        f"the workload (scales: {', '.join(good)}; not: {', '.join(bad)})")
    return found(claim, evidence, verdict)


def thread_contrast(summary: pd.DataFrame, column: str, flavours: tuple[str, ...], template: str) -> str:
    """"; "-joined figures of parked Python threads (spawn) to set beside a goroutine's."""
    parts = []
    for flavour in flavours:
        thread = widest(summary, flavour, "spawn", "threads")
        if thread is not None and not math.isnan(thread[column]):
            parts.append(template.format(flavour=flavour, value=thread[column]))
    return "".join(f"; {part}" for part in parts)


def goroutines_are_small(summary: pd.DataFrame) -> Claim:
    claim = Claim("A goroutine costs about 2 KB of memory.",
                  "spawn: resident memory added per parked goroutine, after the warm-up's freed memory went back "
                  "to the OS (and per parked Python thread, for contrast).",
                  "", UNTESTED,
                  ("table:Coordination costs",))
    go = widest(summary, "go", "spawn", "goroutines")
    if go is None or math.isnan(go["rss_kb_per_task"]):
        return claim
    kb = go["rss_kb_per_task"]
    evidence = f"{kb:.1f} KB per goroutine ({int(go['tasks'])} parked)"
    evidence += thread_contrast(summary, "rss_kb_per_task", ("gil", "free-threaded"), "{flavour} Python thread {value:.1f} KB")
    within = GOROUTINE_KB_CLAIM / ABOUT_FACTOR <= kb <= GOROUTINE_KB_CLAIM * ABOUT_FACTOR
    return found(claim, evidence, HOLDS if within else FAILS)


def goroutines_need_no_os_thread(summary: pd.DataFrame) -> Claim:
    claim = Claim("Goroutines do not need an OS thread each.",
                  "spawn: OS threads (/proc/self/status) added per parked goroutine.",
                  "", UNTESTED,
                  ("table:Coordination costs",))
    go = widest(summary, "go", "spawn", "goroutines")
    if go is None or math.isnan(go["os_threads_per_task"]):
        return claim
    evidence = f"{go['os_threads_per_task']:.3f} OS threads per goroutine ({int(go['tasks'])} parked)"
    evidence += thread_contrast(summary, "os_threads_per_task", ("gil",), "{value:.2f} per Python thread")
    verdict = HOLDS if go["os_threads_per_task"] < OS_THREADS_PER_TASK else FAILS
    return found(claim, evidence, verdict)


def channels_share_safely(summary: pd.DataFrame, runs: pd.DataFrame) -> Claim:
    claim = Claim("Channels share data between goroutines safely.",
                  "channels: every message of every run received exactly once (the sum of the values checks it).",
                  "", UNTESTED,
                  ("table:Coordination costs", "figure:channels"))
    go_runs = runs[(runs["workload"] == "channels") & (runs["runtime"].isin(
        summary.loc[summary["flavour"] == "go", "runtime"].unique()))]
    if go_runs.empty:
        return claim
    wrong = sum(
        row["checksum"] != expected_checksum("channels", parse_params_label(row["params"]), int(row["workers"]))
        for _, row in go_runs.iterrows()
    )
    messages = sum(parse_params_label(p)["messages"] * w for p, w in zip(go_runs["params"], go_runs["workers"]))
    evidence = f"{len(go_runs)} runs, {messages:,} messages, {wrong} run(s) with a lost or repeated message"
    go = widest(summary, "go", "channels", "goroutines")
    queue = widest(summary, "gil", "channels", "threads")
    if go is not None and queue is not None and not math.isnan(go["latency_p50_us"]):
        evidence += (f"; median latency {go['latency_p50_us']:.1f} µs (Go channel) vs "
                     f"{queue['latency_p50_us']:.1f} µs (queue.Queue, GIL build)")
    return found(claim, evidence, HOLDS if wrong == 0 else FAILS)


def go_is_150x_faster(summary: pd.DataFrame) -> Claim:
    claim = Claim("Go is nearly 150× faster than free-threaded Python.",
                  "Every workload with a speedup: free-threaded Python's faster parallel mode over Go's goroutines, "
                  "one worker per CPU on the most CPUs.", "", UNTESTED,
                  ("table:Ratios of median times",))
    big, small, parts = [], [], []
    for workload in sorted(summary["workload"].unique()):
        go = widest(summary, "go", workload, "goroutines")
        candidates = [widest(summary, "free-threaded", workload, mode) for mode in ("threads", "processes")]
        candidates = [c for c in candidates if c is not None]
        if go is None or not candidates or go["scaling"] == "none":
            continue
        ratio = min(c["median"] for c in candidates) / go["median"]
        (big if ratio >= NEARLY_FACTOR else small).append(workload)
        parts.append(f"{workload} {ratio:.1f}×")
    if not parts:
        return claim
    verdict = HOLDS if not small else FAILS if not big else depends(
        f"the workload (≥ {NEARLY_FACTOR:.0f}×: {', '.join(big)}; below: {', '.join(small)})")
    return found(claim, ", ".join(parts), verdict)


def all_claims(summary: pd.DataFrame, runs: pd.DataFrame) -> list[Claim]:
    """Every claim, in the order the blog makes them. `summary` needs a `flavour` column."""
    return [
        gil_speeds_single_threads(summary),
        gil_threads_do_not_scale(summary),
        gil_threads_suit_io(summary),
        python_needs_processes(summary),
        free_threading_scales(summary),
        goroutines_are_small(summary),
        goroutines_need_no_os_thread(summary),
        channels_share_safely(summary, runs),
        go_is_150x_faster(summary),
    ]


def average_time_per_thread(summary: pd.DataFrame) -> str | None:
    """What the blog's "Average Time per Thread" (wall time / threads) measures, with this run's figures."""
    lines = []
    for flavour, mode, label in (("gil", "threads", "GIL threads"), ("free-threaded", "threads", "free-threaded threads"),
                                 ("go", "goroutines", "goroutines")):
        cell = widest(summary, flavour, "cpu_loop", mode)
        if cell is None or cell["workers"] < 2 or math.isnan(cell.get("worker_seconds_median", math.nan)):
            continue
        lines.append(f"{label}: wall {cell['median']:.3f} s / {cell['workers']} = {cell['median'] / cell['workers']:.3f} s "
                     f"\"per thread\", while each worker was busy {cell['worker_seconds_median']:.3f} s")
    if not lines:
        return None
    return (
        "The blog's \"Average Time per Thread\" divides the wall time of the whole run by the number of "
        "threads. Every thread runs the full loop and they all run at once, so the quotient is not how "
        "long any thread took: it is wall time per loop completed, an inverse throughput. Only for threads "
        "that take turns (the GIL) does it come near the time one loop takes alone. In this run: "
        + "; ".join(lines) + "."
    )
