"""The blog's claims about Go: goroutines' cost, channels, and "nearly 150x faster".

Goroutines' memory and OS threads are per-task figures of summary.csv (spawn);
the channel check reads runs.csv's checksums; the 150x claim is a runtime
comparison of comparisons.csv, testable only on as many CPUs as the blog had.
"""

from __future__ import annotations

import pandas as pd

from .blog import BLOG_WORKERS
from .claim_rules import (
    ABOUT_FACTOR,
    CHECK,
    FAILED,
    FAILS,
    GOROUTINE_KB_CLAIM,
    HOLDS,
    NEARLY_FACTOR,
    OS_THREADS_PER_TASK,
    PASSED,
    Claim,
    deciding,
    first,
    found,
    joined,
    not_testable,
    pick,
    summary_cell,
    too_few,
    where,
    widest,
)
from .labels import fmt_row, workload_label
from .names import FREE_THREADED, GIL, GO, GOROUTINES, PLAIN, PYTHON_FLAVOURS, THREADS
from .specs import WORKLOADS, expected_checksum, parse_params_label


def thread_contrast(summary: pd.DataFrame, column: str, template: str) -> str:
    """Figures of parked Python threads (spawn) to set beside a goroutine's."""
    parts = []
    for flavour in PYTHON_FLAVOURS:
        thread = summary_cell(summary, flavour, "spawn", THREADS)
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
    go = summary_cell(summary, GO, "spawn", GOROUTINES)
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
        ratio=float(kb / GOROUTINE_KB_CLAIM),  # to the claimed 2 KB: holds from 1/ABOUT_FACTOR to ABOUT_FACTOR
        threshold=ABOUT_FACTOR,
    )


def goroutines_need_no_os_thread(summary: pd.DataFrame) -> Claim:
    claim = Claim(
        "Goroutines do not need an OS thread each.",
        "spawn: OS threads (/proc/self/status) added per parked goroutine.",
        f"Holds below {OS_THREADS_PER_TASK} OS threads per goroutine (one per {1 / OS_THREADS_PER_TASK:.0f}).",
        shown_in=("table:Coordination costs",),
    )
    go = summary_cell(summary, GO, "spawn", GOROUTINES)
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
        ratio=float(go["os_threads_per_task"]),  # OS threads per goroutine
        threshold=OS_THREADS_PER_TASK,
    )


def message_counts(runs: pd.DataFrame) -> tuple[int, int, int]:
    """(runs, messages, runs whose checksum is not every message exactly once) over Go's channel runs.

    A pass of a divided loop sends messages / units per producer.
    """
    wrong, messages = 0, 0
    for _, row in runs.iterrows():
        params, workers, units = parse_params_label(row["params"]), int(row["workers"]), int(row.get("units", 1))
        wrong += row["checksum"] != expected_checksum("channels", params, workers, units)
        messages += params["messages"] // units * workers * int(row["loops"])
    return len(runs), messages, wrong


def channel_context(comparisons: pd.DataFrame, summary: pd.DataFrame) -> str:
    """What the channels workload compares: a Go channel against queue.Queue, throughput and latency."""
    row = widest(pick(comparisons, "runtime", workload="channels", a_flavour=GIL, a_mode=THREADS, a_variant=PLAIN))
    if row is None:
        return ""
    text = (
        f"queue.Queue (cpython-3.13 threads) takes {fmt_row(row)} the Go channel's time for the same messages "
        f"({int(row['b_workers'])} producers and {int(row['b_workers'])} consumers on {int(row['b_cpus'])} CPUs)"
    )
    go, queue = (
        summary_cell(summary, GO, "channels", GOROUTINES),
        summary_cell(summary, GIL, "channels", THREADS),
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
    go_runtimes = summary.loc[summary["flavour"] == GO, "runtime"].unique()
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
    rows = pick(comparisons, "runtime", workload="cpu_loop", a_flavour=FREE_THREADED, a_mode=THREADS, a_variant=PLAIN)
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
            a_flavour=FREE_THREADED,
            a_mode=THREADS,
            a_variant=PLAIN,
            b_cpus=cpus,
            b_workers=cpus,
        ).iterrows()
        if r["workload"] != "cpu_loop" and r["workload"] in WORKLOADS  # a user's workload answers in its own claims
    ]
    if cpus < BLOG_WORKERS:
        verdict = not_testable(cpus)
        figure += f"; testing it takes the blog's protocol: {BLOG_WORKERS} workers pinned to {BLOG_WORKERS} cores"
    else:
        verdict = too_few([row]) or (HOLDS if row["ratio"] >= NEARLY_FACTOR else FAILS)
    return found(
        claim,
        verdict=verdict,
        scope=f"cpu_loop; cpython-3.13t threads vs go goroutines; {where(row)}",
        key_figure=figure,
        evidence=figure,
        context=joined(context),
        **deciding(row, NEARLY_FACTOR),
    )
