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
    out = records(
        "--workload",
        "cpu_loop",
        "--mode",
        mode,
        "--param",
        "iterations=20000",
        "--warmup",
        "1",
        "--repeats",
        "2",
        *extra,
    )
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
    pinned = records(
        "--workload", "cpu_loop", "--mode", "threads", "--param", "iterations=100", prefix=("taskset", "-c", cpu)
    )
    assert pinned[0]["workers"] == 1 and pinned[0]["affinity"] == cpu
    # multiprocessing.cpu_count(), which the seed used, still reports the host's CPUs.
    host = subprocess.run(
        ["taskset", "-c", cpu, sys.executable, "-c", "import multiprocessing; print(multiprocessing.cpu_count())"],
        capture_output=True,
        text=True,
        check=True,
    )
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
        (
            ["--workload", "channels", "--mode", "sequential", "--param", "messages=1", "--param", "capacity=1"],
            "--mode",
        ),
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
        assert r["params"] == SMALL_PARAMS[name] and r["tasks"] == (
            1 if mode == "sequential" else spec.tasks(SMALL_PARAMS[name], workers)
        )
        assert r["rss_parked_kb"] > 0 and r["os_threads_parked"] >= 1
        assert (r["latency_p50_us"] is not None) == (name == "channels")
        if name == "spawn":
            assert (
                r["os_threads_parked"] - r["os_threads_before"] == SMALL_PARAMS["spawn"]["count"]
            )  # one OS thread each


def test_strong_scaling_splits_the_range_exactly_once():
    for workers in (1, 2, 3, 7):
        slices = [strong_slice(100, i, workers) for i in range(workers)]
        assert slices[0][0] == 0 and slices[-1][1] == 100
        assert all(a[1] == b[0] for a, b in zip(slices, slices[1:]))


def test_lost_updates_are_caught():
    from types import SimpleNamespace

    shared = SimpleNamespace(cell=SimpleNamespace(value=3))
    assert "lost updates" in WORKLOADS["contention"].check(shared, 4.0, 1)
    assert WORKLOADS["contention"].check(shared, 3.0, 1) is None


def test_channels_check_wants_every_loop_delivered():
    from types import SimpleNamespace

    shared = SimpleNamespace(per_loop=10)
    assert WORKLOADS["channels"].check(shared, 30.0, 3) is None
    assert "expected 30" in WORKLOADS["channels"].check(shared, 29.0, 3)


def test_percentile_is_nearest_rank():
    from harness import percentile

    assert percentile([5, 1, 4, 2, 3], 0.5) == 3 and percentile([5, 1, 4, 2, 3], 0.99) == 5
    assert percentile([5, 1, 4, 2, 3], 0.21) == 2 and percentile([], 0.5) is None


# ---- calibrated timed sections ------------------------------------------------


@pytest.mark.parametrize(
    "loops, total, min_time, max_loops, want",
    [
        (1, 0.01, 0.3, 1 << 20, 36),  # 1.2 x 0.3 s at 10 ms a loop
        (10, 0.1, 0.3, 1 << 20, 36),  # the same per-loop time, later trial
        (1, 1e-6, 0.3, 1 << 20, 100),  # grows at most 100 times per trial
        (1, 0.01, 0.3, 20, 20),  # never past max_loops
        (8, 0.29, 0.3, 1 << 20, 10),  # 1.2 x 0.3 / 0.03625 = 9.93, so 10
        (8, 0.4, 0.3, 1 << 20, 9),  # a prediction below loops still adds one
        (4, 0.0, 0.3, 1 << 20, 400),  # a zero time grows as much as allowed
    ],
)
def test_predict_loops_aims_past_min_time_within_bounds(loops, total, min_time, max_loops, want):
    from harness import predict_loops

    assert predict_loops(loops, total, min_time, max_loops) == want


@pytest.mark.parametrize(
    "section, values_time, max_values, want",
    [
        (0.3, 1.0, 3, 3),
        (0.4, 1.0, 3, 3),
        (0.6, 1.0, 3, 2),
        (5.0, 1.0, 3, 1),
        (0.01, 1.0, 3, 3),
        (0.3, 0.0, 3, 1),
        (0.0, 1.0, 3, 3),
    ],
)
def test_values_fill_values_time_up_to_max_values(section, values_time, max_values, want):
    from harness import values_for

    assert values_for(section, values_time, max_values) == want


def test_calibration_then_warmups_then_repeats_with_the_chosen_loops():
    out = records(
        "--workload",
        "cpu_loop",
        "--mode",
        "threads",
        "--workers",
        "2",
        "--param",
        "iterations=2000",
        "--min-time",
        "0.02",
        "--warmup",
        "2",
        "--repeats",
        "2",
    )
    kinds = [(r["calibration"], r["warmup"]) for r in out]
    trials = [r for r in out if r["calibration"]]
    assert kinds == [(True, True)] * len(trials) + [(False, True)] * 2 + [(False, False)] * 2
    # A cold first pass, then trials whose loops grow, predicted, until one lasts min_time.
    loops = [r["loops"] for r in trials]
    assert loops[0] == 1 and len(trials) >= 2 and loops[1] >= 2 and loops == sorted(set(loops))
    assert trials[-1]["total_seconds"] >= 0.02 and all(r["total_seconds"] < 0.02 for r in trials[:-1])
    assert [r["loops"] for r in out[len(trials) :]] == [1, 1, trials[-1]["loops"], trials[-1]["loops"]]
    assert [r["repeat"] for r in out] == list(range(len(trials))) + [0, 1, 0, 1]
    for r in out:
        assert r["checksum"] == cpu_loop(2000)
        assert r["seconds"] == pytest.approx(r["total_seconds"] / r["loops"])


def test_a_cold_pass_that_lasts_min_time_is_the_whole_calibration():
    out = records(
        "--workload",
        "cpu_loop",
        "--mode",
        "sequential",
        "--param",
        "iterations=2000",
        "--min-time",
        "1e-9",
        "--repeats",
        "2",
    )
    assert [(r["calibration"], r["warmup"], r["loops"]) for r in out] == [(True, True, 1)] + [(False, False, 1)] * 2


def test_values_time_sets_how_many_values_a_container_measures():
    common = (
        "--workload",
        "cpu_loop",
        "--mode",
        "sequential",
        "--param",
        "iterations=2000",
        "--min-time",
        "0.001",
        "--max-values",
        "3",
        "--repeats",
        "5",
    )
    many = [r for r in records(*common, "--values-time", "100") if not r["warmup"]]
    one = [r for r in records(*common, "--values-time", "1e-9") if not r["warmup"]]
    assert [r["repeat"] for r in many] == [0, 1, 2] and [r["repeat"] for r in one] == [0]


def test_max_loops_caps_calibration():
    out = records(
        "--workload",
        "cpu_loop",
        "--mode",
        "sequential",
        "--param",
        "iterations=10",
        "--min-time",
        "100",
        "--max-loops",
        "8",
    )
    loops = [r["loops"] for r in out]
    assert loops[0] == 1 and loops[-2:] == [8, 8] and loops[:-1] == sorted(set(loops[:-1]))
    assert out[-1]["calibration"] is False


@pytest.mark.parametrize("name", sorted(SMALL_PARAMS))
def test_loops_keep_one_loops_checksum_and_report_per_loop_times(name):
    spec = WORKLOADS[name]
    loops = 1 if name == "spawn" else 3
    pairs = [arg for k, v in SMALL_PARAMS[name].items() for arg in ("--param", f"{k}={v}")]
    for mode in spec.modes:
        workers = 1 if mode == "sequential" else 2
        (r,) = records("--workload", name, "--mode", mode, "--workers", str(workers), "--loops", str(loops), *pairs)
        assert r["checksum"] == expected_checksum(name, SMALL_PARAMS[name], workers), (mode, r)
        assert r["loops"] == loops and r["calibration"] is False and r["warmup"] is False
        assert r["seconds"] == pytest.approx(r["total_seconds"] / loops)
        assert max(r["worker_seconds"]) <= r["seconds"] * 1.001


def test_channel_latency_is_sampled_every_64th_message():
    import queue
    from types import SimpleNamespace

    from workloads import LATENCY_EVERY

    fifo = queue.Queue()
    WORKLOADS["channels"].task({"messages": 130, "capacity": 1}, 0, 1, SimpleNamespace(queue=fifo))
    stamped = [k for k in range(130) if fifo.get()[1] is not None]
    assert LATENCY_EVERY == 64 and stamped == [0, 64, 128]


def test_a_loop_that_disagrees_with_the_first_is_an_error():
    from harness import Tally, settle

    spec = WORKLOADS["cpu_loop"]
    assert settle(spec, None, [Tally(2.0, 6.0, None)] * 2, 3) == 2.0
    with pytest.raises(ValueError, match="later loop"):
        settle(spec, None, [Tally(2.0, 6.0, None), Tally(2.0, 7.0, 3.0)], 3)


def test_accumulated_checks_see_every_loop():
    from types import SimpleNamespace

    from harness import Tally, settle

    counter = SimpleNamespace(cell=SimpleNamespace(value=5 * 2 * 3))  # 2 tasks × 5 increments × 3 loops
    assert settle(WORKLOADS["contention"], counter, [Tally(5.0, 15.0, None)] * 2, 3) == 10.0
    counter.cell.value -= 1
    with pytest.raises(RuntimeError, match="lost updates"):
        settle(WORKLOADS["contention"], counter, [Tally(5.0, 15.0, None)] * 2, 3)
    channel = SimpleNamespace(per_loop=21)  # one loop sends 1..6
    assert (
        settle(
            WORKLOADS["channels"], channel, [Tally(0.0, 0.0, None), Tally(9.0, 40.0, None), Tally(12.0, 23.0, None)], 3
        )
        == 21.0
    )
    with pytest.raises(RuntimeError, match="expected 63"):
        settle(WORKLOADS["channels"], channel, [Tally(9.0, 40.0, None), Tally(12.0, 22.0, None)], 3)


@pytest.mark.parametrize(
    "args, names",
    [
        (["--loops", "2", "--min-time", "0.1"], "not allowed with --min-time"),
        (["--loops", "0"], "--loops"),
        (["--min-time", "-1"], "--min-time"),
        (["--min-time", "nan"], "--min-time"),
        (["--min-time", "0.1", "--max-loops", "0"], "--max-loops"),
        (["--values-time", "1"], "needs --min-time"),
        (["--min-time", "0.1", "--values-time", "-1"], "--values-time"),
        (["--min-time", "0.1", "--values-time", "1", "--max-values", "0"], "--max-values"),
    ],
)
def test_bad_loop_options_are_one_line_exit_2(args, names):
    done = run("--workload", "cpu_loop", "--mode", "threads", "--param", "iterations=5", *args)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0]


@pytest.mark.parametrize("args", [["--loops", "2"], ["--min-time", "0.1"], ["--min-time", "0.1", "--values-time", "1"]])
def test_spawn_refuses_loops_and_says_why(args):
    done = run("--workload", "spawn", "--mode", "threads", "--param", "count=2", *args)
    assert done.returncode == 2 and done.stdout == ""
    assert "loops = 1 only" in done.stderr and "creation" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_fault_switch_moves_only_the_named_workloads_checksum():
    args = ("--workload", "cpu_loop", "--mode", "sequential", "--param", "iterations=100")
    faulty = subprocess.run(
        [sys.executable, str(HARNESS), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PARBENCH_FAULT_CHECKSUM": "cpu_loop"},
        check=True,
    )
    other = subprocess.run(
        [sys.executable, str(HARNESS), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PARBENCH_FAULT_CHECKSUM": "hash"},
        check=True,
    )
    assert json.loads(faulty.stdout)["checksum"] == cpu_loop(100) + 1.0
    assert json.loads(other.stdout)["checksum"] == cpu_loop(100)


@pytest.mark.parametrize(
    "per_loop, want_loops, want_chosen",
    [
        ([0.6], [1], 1),  # a cold pass of twice min_time ends calibration
        ([0.4, 0.2, 0.2], [1, 1, 2], 2),  # a cold pass just over min_time is checked warm
        ([0.4, 0.35], [1, 1], 1),  # ... and kept when the warm pass lasts min_time too
        ([0.01, 0.01], [1, 36], 36),  # a short cold pass predicts the first trial
        ([0.02, 0.005, 0.005], [1, 18, 72], 72),  # a slow cold pass costs one more trial
    ],
)
def test_calibrate_trusts_only_a_long_cold_pass(per_loop, want_loops, want_chosen):
    from harness import calibrate

    loops = []

    def section(n: int, index: int) -> float:
        assert index == len(loops)
        loops.append(n)
        return per_loop[index] * n

    chosen, seconds = calibrate(section, 0.3, 1 << 20)
    assert (chosen, loops) == (want_chosen, want_loops) and seconds == per_loop[-1] * chosen
