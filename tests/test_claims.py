"""Each claim's verdict follows the data: fixture tables on both sides of every threshold."""

import math

import pandas as pd
import pytest

from parbench import claims
from parbench.claims import FAILS, HOLDS, UNTESTED

RUNTIME = {"gil": "cpython-3.13", "free-threaded": "cpython-3.13t", "go": "go"}
SCALING = {"spawn": "none", "cpu_loop_strong": "strong"}


def cell(flavour, workload, mode, cpus=2, workers=None, median=1.0, speedup=math.nan, variant="", ci=0.01, **extra):
    workers = cpus if workers is None else workers
    row = {
        "runtime": RUNTIME[flavour], "flavour": flavour, "workload": workload, "mode": mode, "variant": variant,
        "params": "x=1", "cpuset": "0" if cpus == 1 else f"0-{cpus - 1}", "cpus": cpus, "workers": workers,
        "tasks": workers, "median": median, "ci_low": median * (1 - ci), "ci_high": median * (1 + ci),
        "speedup": speedup, "scaling": SCALING.get(workload, "weak"), "rss_kb_per_task": math.nan,
        "os_threads_per_task": math.nan, "latency_p50_us": math.nan, "latency_p99_us": math.nan,
        "worker_seconds_median": math.nan,
    }
    row.update(extra)
    return row


def table(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


@pytest.mark.parametrize("free_median, verdict", [(1.5, HOLDS), (1.02, FAILS), (0.8, FAILS)])
def test_gil_speeds_single_threads(free_median, verdict):
    summary = table(cell("gil", "cpu_loop", "sequential", 1, median=1.0),
                    cell("free-threaded", "cpu_loop", "sequential", 1, median=free_median))
    assert claims.gil_speeds_single_threads(summary).verdict == verdict


def test_gil_speeds_single_threads_depends_on_workload_and_overlapping_cis():
    summary = table(cell("gil", "cpu_loop", "sequential", 1, median=1.0),
                    cell("free-threaded", "cpu_loop", "sequential", 1, median=1.5),
                    cell("gil", "hash", "sequential", 1, median=1.0),
                    cell("free-threaded", "hash", "sequential", 1, median=1.08, ci=0.1))  # CIs overlap: ~
    result = claims.gil_speeds_single_threads(summary)
    assert result.verdict.startswith("depends on the workload") and "hash" in result.verdict
    assert "cpu_loop 1.50×" in result.evidence and "hash ~1.08×" in result.evidence


@pytest.mark.parametrize("speedup, verdict", [(1.0, HOLDS), (1.24, HOLDS), (1.3, "depends"), (1.4, FAILS), (1.9, FAILS)])
def test_gil_threads_do_not_scale(speedup, verdict):
    summary = table(cell("gil", "cpu_loop", "threads", 2, speedup=speedup), cell("gil", "cpu_loop", "threads", 1, speedup=1.0))
    assert claims.gil_threads_do_not_scale(summary).verdict.startswith(verdict)


def test_one_cpu_cannot_test_parallel_claims():
    summary = table(cell("gil", "cpu_loop", "threads", 1, speedup=1.0))
    assert claims.gil_threads_do_not_scale(summary).verdict == UNTESTED


@pytest.mark.parametrize("speedup, verdict", [(14.0, HOLDS), (11.0, FAILS)])
def test_gil_threads_suit_io(speedup, verdict):
    summary = table(cell("gil", "io_wait", "threads", 2, workers=16, speedup=speedup),
                    cell("gil", "io_wait", "threads", 2, workers=2, speedup=2.0))
    result = claims.gil_threads_suit_io(summary)
    assert result.verdict == verdict and "16 workers on 2 CPUs" in result.evidence


@pytest.mark.parametrize("procs, threads, free, verdict", [
    (1.9, 1.0, 1.1, HOLDS),
    (1.9, 1.0, 1.9, "depends on the build"),
    (1.2, 1.0, 1.9, FAILS),   # processes do not scale either
    (1.9, 1.9, 1.9, FAILS),   # GIL threads scale: processes are not needed
])
def test_python_needs_processes(procs, threads, free, verdict):
    summary = table(cell("gil", "cpu_loop", "processes", speedup=procs), cell("gil", "cpu_loop", "threads", speedup=threads),
                    cell("free-threaded", "cpu_loop", "threads", speedup=free))
    assert claims.python_needs_processes(summary).verdict.startswith(verdict)


@pytest.mark.parametrize("loop, alloc, verdict", [(1.9, 1.5, HOLDS), (1.3, 1.2, FAILS), (1.9, 1.3, "depends on the workload")])
def test_free_threading_scales(loop, alloc, verdict):
    summary = table(cell("free-threaded", "cpu_loop", "threads", speedup=loop),
                    cell("free-threaded", "alloc", "threads", speedup=alloc),
                    cell("free-threaded", "cpu_loop", "threads", speedup=1.0, variant="gil1"))
    result = claims.free_threading_scales(summary)
    assert result.verdict.startswith(verdict) and "GIL switched back on: 1.00×" in result.evidence


@pytest.mark.parametrize("kb, verdict", [(2.6, HOLDS), (4.0, HOLDS), (4.5, FAILS), (0.9, FAILS)])
def test_goroutines_are_small(kb, verdict):
    summary = table(cell("go", "spawn", "goroutines", rss_kb_per_task=kb, tasks=2000),
                    cell("gil", "spawn", "threads", rss_kb_per_task=70.0))
    result = claims.goroutines_are_small(summary)
    assert result.verdict == verdict and "gil Python thread 70.0 KB" in result.evidence


@pytest.mark.parametrize("per_task, verdict", [(0.001, HOLDS), (0.049, HOLDS), (0.05, FAILS), (1.0, FAILS)])
def test_goroutines_need_no_os_thread(per_task, verdict):
    summary = table(cell("go", "spawn", "goroutines", os_threads_per_task=per_task))
    assert claims.goroutines_need_no_os_thread(summary).verdict == verdict


@pytest.mark.parametrize("checksum, verdict", [(float(200 * 201 // 2), HOLDS), (float(200 * 201 // 2 - 7), FAILS)])
def test_channels_share_safely(checksum, verdict):
    summary = table(cell("go", "channels", "goroutines", latency_p50_us=3.0, latency_p99_us=40.0),
                    cell("gil", "channels", "threads", latency_p50_us=90.0, latency_p99_us=400.0))
    runs = pd.DataFrame([
        {"runtime": "go", "workload": "channels", "params": "capacity=4,messages=100", "workers": 2, "checksum": checksum},
        {"runtime": "go", "workload": "channels", "params": "capacity=4,messages=100", "workers": 2, "checksum": 20100.0},
    ])
    result = claims.channels_share_safely(summary, runs)
    assert result.verdict == verdict and "400 messages" in result.evidence and "3.0 µs" in result.evidence


def test_channels_untested_without_go_runs():
    summary = table(cell("gil", "channels", "threads"))
    runs = pd.DataFrame(columns=["runtime", "workload", "params", "workers", "checksum"])
    assert claims.channels_share_safely(summary, runs).verdict == UNTESTED


@pytest.mark.parametrize("hash_free, verdict", [(12.0, HOLDS), (0.5, "depends on the workload")])
def test_go_is_150x_faster(hash_free, verdict):
    summary = table(
        cell("go", "cpu_loop", "goroutines", median=0.1), cell("free-threaded", "cpu_loop", "threads", median=14.0),
        cell("free-threaded", "cpu_loop", "processes", median=15.0),
        cell("go", "hash", "goroutines", median=0.1), cell("free-threaded", "hash", "threads", median=hash_free),
        cell("go", "spawn", "goroutines", median=0.001), cell("free-threaded", "spawn", "threads", median=5.0),
    )
    result = claims.go_is_150x_faster(summary)
    assert result.verdict.startswith(verdict) and "cpu_loop 140.0×" in result.evidence and "spawn" not in result.evidence


def test_go_is_150x_faster_does_not_hold_below_100x():
    summary = table(cell("go", "cpu_loop", "goroutines", median=0.1), cell("free-threaded", "cpu_loop", "threads", median=7.0))
    assert claims.go_is_150x_faster(summary).verdict == FAILS


def test_every_claim_untested_on_an_empty_run():
    summary = table(cell("gil", "alloc", "sequential", 1))
    runs = pd.DataFrame(columns=["runtime", "workload", "params", "workers", "checksum"])
    assert {c.verdict for c in claims.all_claims(summary, runs)} == {UNTESTED}


def test_average_time_per_thread_is_explained_with_this_runs_figures():
    summary = table(cell("free-threaded", "cpu_loop", "threads", median=4.0, worker_seconds_median=3.9))
    text = claims.average_time_per_thread(summary)
    assert "wall 4.000 s / 2 = 2.000 s" in text and "busy 3.900 s" in text
    assert claims.average_time_per_thread(table(cell("gil", "alloc", "sequential", 1))) is None


def test_without_intervals_the_point_estimate_decides():
    summary = table(cell("gil", "cpu_loop", "sequential", 1, median=1.0, ci_low=math.nan, ci_high=math.nan),
                    cell("free-threaded", "cpu_loop", "sequential", 1, median=1.5, ci_low=math.nan, ci_high=math.nan))
    assert claims.gil_speeds_single_threads(summary).verdict == HOLDS


def test_gil_threads_evidence_shows_hashing_for_contrast():
    summary = table(cell("gil", "cpu_loop", "threads", speedup=0.95), cell("gil", "hash", "threads", speedup=1.9))
    result = claims.gil_threads_do_not_scale(summary)
    assert result.verdict == HOLDS and "hash, whose C code releases the GIL, for contrast: 1.90×" in result.evidence
