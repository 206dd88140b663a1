"""The Python harness, run as users run it: a subprocess with arguments."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import SMALL_PARAMS
from workloads import WORKLOADS, cpu_loop, expected_checksum, strong_slice

HARNESS = Path(__file__).resolve().parent.parent / "workloads" / "python" / "harness.py"


def run(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, str(HARNESS), *args], capture_output=True, text=True, timeout=120)


def records(*args: str, prefix: tuple[str, ...] = ()) -> list[dict]:
    done = run(*args, prefix=prefix)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_cpu_loop_reference_value():
    total = cpu_loop(1_000_000)
    assert total == 499998500012.9994
    assert total.hex() == "0x1.d1a8ee92b3ff6p+38"


@pytest.mark.parametrize("mode, workers", [("sequential", 1), ("threads", 2), ("processes", 2)])
def test_modes_agree_on_checksum_and_report_every_worker(mode, workers):
    extra = () if mode == "sequential" else ("--workers", str(workers))
    out = records("--workload", "cpu_loop", "--mode", mode, "--param", "iterations=20000", "--warmup", "1", "--repeats", "2", *extra)
    assert [(r["warmup"], r["repeat"]) for r in out] == [(True, 0), (False, 0), (False, 1)]
    for r in out:
        assert r["schema"] == 1 and r["mode"] == mode and r["workers"] == workers
        assert r["checksum"] == cpu_loop(20000)
        assert len(r["worker_seconds"]) == workers
        assert r["seconds"] > 0 and r["cpu_seconds"] >= 0 and r["max_rss_kb"] > 0
        assert r["setup_seconds"] > 0 and (r["spawn_seconds"] > 0) == (mode != "sequential")
        assert r["gil_enabled"] in (True, False) and r["affinity"]
    if mode == "processes":
        assert out[0]["start_method"] in ("fork", "spawn", "forkserver")


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to show the difference")
def test_default_workers_follow_affinity_not_host():
    import shutil

    if shutil.which("taskset") is None:
        pytest.skip("taskset (util-linux) is not installed")
    cpu = str(min(os.sched_getaffinity(0)))
    pinned = records("--workload", "cpu_loop", "--mode", "threads", "--param", "iterations=100", prefix=("taskset", "-c", cpu))
    assert pinned[0]["workers"] == 1 and pinned[0]["affinity"] == cpu
    # multiprocessing.cpu_count(), which the seed used, still reports the host's CPUs.
    host = subprocess.run(["taskset", "-c", cpu, sys.executable, "-c", "import multiprocessing; print(multiprocessing.cpu_count())"],
                          capture_output=True, text=True, check=True)
    assert int(host.stdout) == os.cpu_count() > 1
    unpinned = records("--workload", "cpu_loop", "--mode", "threads", "--param", "iterations=100")
    assert unpinned[0]["workers"] == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    "args, names",
    [
        (["--workload", "nope", "--mode", "threads", "--param", "iterations=5"], "--workload"),
        (["--workload", "cpu_loop", "--mode", "goroutines", "--param", "iterations=5"], "--mode"),
        (["--workload", "cpu_loop", "--mode", "threads", "--param", "iterations=0"], "iterations=0 is below 1"),
        (["--workload", "cpu_loop", "--mode", "threads", "--param", "iterations=5", "--workers", "0"], "--workers"),
        (["--workload", "cpu_loop", "--mode", "threads", "--param", "iterations=x"], "'x' is not a whole number"),
        (["--workload", "cpu_loop", "--mode", "threads", "--param", "iters=5"], "no parameter 'iters'"),
        (["--workload", "cpu_loop", "--mode", "threads"], "needs --param iterations=N"),
        (["--workload", "hash", "--mode", "threads", "--param", "megabytes=1"], "needs --param rounds=N"),
        (["--workload", "io_wait", "--mode", "threads", "--param", "tasks=1", "--param", "sleep_us=-1"], "below 0"),
        (["--workload", "channels", "--mode", "sequential", "--param", "messages=1", "--param", "capacity=1"], "--mode"),
        (["--workload", "spawn", "--mode", "processes", "--param", "count=1"], "--mode"),
        (["--workload", "cpu_loop", "--mode", "threads", "--param", "iterations"], "not NAME=VALUE"),
        (["--workload", "cpu_loop", "--mode", "sequential", "--param", "iterations=5", "--workers", "2"], "--workers"),
        (["--mode", "threads", "--param", "iterations=5"], "--workload"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_record(args, names):
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0]


def test_every_workload_has_small_test_parameters():
    assert set(SMALL_PARAMS) == set(WORKLOADS)


@pytest.mark.parametrize("name", sorted(SMALL_PARAMS))
def test_every_workload_gives_its_expected_checksum_in_every_mode(name):
    spec = WORKLOADS[name]
    pairs = [arg for k, v in SMALL_PARAMS[name].items() for arg in ("--param", f"{k}={v}")]
    for mode in spec.modes:
        workers = 1 if mode == "sequential" else 3
        out = records("--workload", name, "--mode", mode, "--workers", str(workers), *pairs)
        (r,) = out
        assert r["checksum"] == expected_checksum(name, SMALL_PARAMS[name], workers), (mode, r)
        assert r["params"] == SMALL_PARAMS[name] and r["tasks"] == (1 if mode == "sequential" else spec.tasks(SMALL_PARAMS[name], workers))
        assert r["rss_parked_kb"] > 0 and r["os_threads_parked"] >= 1
        assert (r["latency_p50_us"] is not None) == (name == "channels")
        if name == "spawn":
            assert r["os_threads_parked"] - r["os_threads_before"] == SMALL_PARAMS["spawn"]["count"]  # one OS thread each


def test_strong_scaling_splits_the_range_exactly_once():
    for workers in (1, 2, 3, 7):
        slices = [strong_slice(100, i, workers) for i in range(workers)]
        assert slices[0][0] == 0 and slices[-1][1] == 100
        assert all(a[1] == b[0] for a, b in zip(slices, slices[1:]))


def test_lost_updates_are_caught():
    from types import SimpleNamespace

    shared = SimpleNamespace(cell=SimpleNamespace(value=3))
    assert "lost updates" in WORKLOADS["contention"].check(shared, 4.0)
    assert WORKLOADS["contention"].check(shared, 3.0) is None


def test_percentile_is_nearest_rank():
    from harness import percentile

    assert percentile([5, 1, 4, 2, 3], 0.5) == 3 and percentile([5, 1, 4, 2, 3], 0.99) == 5
    assert percentile([5, 1, 4, 2, 3], 0.21) == 2 and percentile([], 0.5) is None
