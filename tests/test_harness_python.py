"""The Python harness, run as users run it: a subprocess with arguments."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workloads import cpu_loop

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
    out = records("--workload", "cpu_loop", "--mode", mode, "--iterations", "20000", "--warmup", "1", "--repeats", "2", *extra)
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
    pinned = records("--workload", "cpu_loop", "--mode", "threads", "--iterations", "100", prefix=("taskset", "-c", cpu))
    assert pinned[0]["workers"] == 1 and pinned[0]["affinity"] == cpu
    # multiprocessing.cpu_count(), which the seed used, still reports the host's CPUs.
    host = subprocess.run(["taskset", "-c", cpu, sys.executable, "-c", "import multiprocessing; print(multiprocessing.cpu_count())"],
                          capture_output=True, text=True, check=True)
    assert int(host.stdout) == os.cpu_count() > 1
    unpinned = records("--workload", "cpu_loop", "--mode", "threads", "--iterations", "100")
    assert unpinned[0]["workers"] == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    "args, names",
    [
        (["--workload", "nope", "--mode", "threads", "--iterations", "5"], "--workload"),
        (["--workload", "cpu_loop", "--mode", "goroutines", "--iterations", "5"], "--mode"),
        (["--workload", "cpu_loop", "--mode", "threads", "--iterations", "0"], "--iterations"),
        (["--workload", "cpu_loop", "--mode", "threads", "--iterations", "5", "--workers", "0"], "--workers"),
        (["--workload", "cpu_loop", "--mode", "threads", "--iterations", "x"], "--iterations"),
        (["--workload", "cpu_loop", "--mode", "sequential", "--iterations", "5", "--workers", "2"], "--workers"),
        (["--mode", "threads", "--iterations", "5"], "--workload"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_record(args, names):
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0]
