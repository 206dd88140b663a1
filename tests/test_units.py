"""Units: a configured loop divided into equal parts, so a timed section may be shorter than one loop."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import SMALL_PARAMS, SMALL_UNITS
from workloads import (
    STRIDE,
    WORKLOADS,
    alloc,
    cpu_loop,
    cpu_loop_range,
    expected_checksum,
    strong_share,
    unit_params,
    units_problem,
)

HARNESS = Path(__file__).resolve().parent.parent / "workloads" / "python" / "harness.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HARNESS), *args], capture_output=True, text=True, timeout=120)


def pairs(name: str) -> list[str]:
    return [arg for k, v in SMALL_PARAMS[name].items() for arg in ("--param", f"{k}={v}")]


def test_every_workload_either_divides_or_says_why_not():
    for name, spec in WORKLOADS.items():
        if spec.division is None:
            assert spec.undivided and name == "spawn"
        else:
            assert spec.division.param in spec.params and name in SMALL_UNITS


@pytest.mark.parametrize(
    "name, params, units, want",
    [
        ("cpu_loop", {"iterations": 12}, 3, {"iterations": 12, STRIDE: 3}),
        ("cpu_loop_strong", {"iterations": 12}, 4, {"iterations": 12, STRIDE: 4}),
        ("alloc", {"items": 100}, 10, {"items": 100, STRIDE: 10}),
        ("hash", {"megabytes": 4, "rounds": 8}, 2, {"megabytes": 4, "rounds": 4}),
        ("io_wait", {"tasks": 200, "sleep_us": 1000}, 20, {"tasks": 10, "sleep_us": 1000}),
        ("contention", {"increments": 500}, 5, {"increments": 100}),
        ("channels", {"messages": 1000, "capacity": 64}, 10, {"messages": 100, "capacity": 64}),
        ("cpu_loop", {"iterations": 12}, 1, {"iterations": 12}),
    ],
)
def test_unit_params_stride_the_range_or_shrink_the_parameter(name, params, units, want):
    assert units_problem(WORKLOADS[name], params, units) is None
    assert unit_params(WORKLOADS[name], params, units) == want


@pytest.mark.parametrize(
    "name, params, units, problem",
    [
        ("spawn", {"count": 10}, 2, "spawn cannot be divided into units: its figures are creation costs"),
        ("cpu_loop", {"iterations": 1000}, 7, "7 does not divide iterations=1000 evenly"),
        ("hash", {"megabytes": 1, "rounds": 8}, 3, "3 does not divide rounds=8 evenly"),
        ("cpu_loop", {"iterations": 1000}, 0, "0 is below 1"),
    ],
)
def test_what_cannot_be_divided_is_named(name, params, units, problem):
    assert problem in units_problem(WORKLOADS[name], params, units)


def test_a_strided_unit_takes_every_units_th_element_of_the_whole_range():
    by_hand = 0.0
    for i in (0, 3, 6, 9):
        by_hand += (i * i) / (i + 1)
    assert cpu_loop(12, 3) == by_hand == expected_checksum("cpu_loop", {"iterations": 12}, 2, units=3)
    assert cpu_loop(1000, 1) == cpu_loop_range(0, 1000)


def test_the_strong_unit_splits_its_elements_among_the_workers_once():
    # 12 iterations in units of 4: elements i = 0, 4, 8; three workers take one each, two take 0 | 4, 8.
    assert [strong_share(12, w, 3, 4) for w in range(3)] == [0.0, 16 / 5, 64 / 9]
    assert [strong_share(12, w, 2, 4) for w in range(2)] == [0.0, 16 / 5 + 64 / 9]
    assert expected_checksum("cpu_loop_strong", {"iterations": 12}, 2, units=4) == 16 / 5 + 64 / 9


def test_a_strided_alloc_unit_builds_every_units_th_record():
    by_hand = sum(len(f"item-{i}") + i % 3 + i % 5 + i % 7 for i in range(0, 100, 10))
    assert alloc(100, 10) == float(by_hand)
    assert alloc(100) == float(sum(len(f"item-{i}") + i % 3 + i % 5 + i % 7 for i in range(100)))


@pytest.mark.parametrize("name", sorted(SMALL_UNITS))
def test_shrunk_and_strided_units_check_like_a_whole_loop(name):
    """Every mode runs units and gets the unit's checksum; figures are per configured loop."""
    units = SMALL_UNITS[name]
    for mode in WORKLOADS[name].modes:
        workers = 1 if mode == "sequential" else 2
        done = run(
            "--workload", name, "--mode", mode, "--workers", str(workers), "--units", str(units),
            "--loops", "3", *pairs(name),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        (record,) = [json.loads(line) for line in done.stdout.splitlines()]
        assert record["checksum"] == expected_checksum(name, SMALL_PARAMS[name], workers, units), mode
        assert record["params"] == SMALL_PARAMS[name] and record["units"] == units and record["loops"] == 3
        assert record["seconds"] == pytest.approx(record["total_seconds"] / 3 * units)
        assert record["cpu_seconds"] >= 0 and max(record["worker_seconds"]) <= record["seconds"] * 1.001


def test_a_unit_checksum_differs_from_the_loops_so_a_wrong_unit_cannot_pass():
    for name, units in SMALL_UNITS.items():
        whole = expected_checksum(name, SMALL_PARAMS[name], 2)
        assert expected_checksum(name, SMALL_PARAMS[name], 2, units) != whole, name


def test_calibration_counts_passes_of_one_unit():
    options = "--workload cpu_loop --mode threads --workers 2 --units 100 --min-time 0.05"
    done = run(*options.split(), *pairs("cpu_loop"))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    trials, measured = out[:-1], out[-1]
    assert all(r["calibration"] for r in trials) and not measured["calibration"]
    assert trials[0]["loops"] == 1 and trials[-1]["total_seconds"] >= 0.05  # a trial of min_time ends it
    assert measured["loops"] == trials[-1]["loops"] > 1
    assert {r["units"] for r in out} == {100}


@pytest.mark.parametrize(
    "args, words",
    [
        (["--workload", "spawn", "--param", "count=10", "--units", "2"], "spawn cannot be divided into units"),
        (["--workload", "cpu_loop", "--param", "iterations=1000", "--units", "7"], "7 does not divide iterations=1000"),
        (["--workload", "cpu_loop", "--param", "iterations=1000", "--units", "0"], "0 is below 1"),
    ],
)
def test_bad_units_are_one_line_exit_2_and_no_record(args, words):
    done = run(*args, "--mode", "threads", "--workers", "1")
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and f"argument --units: {words}" in done.stderr


def test_units_let_calibration_time_less_than_one_loop():
    """A loop longer than min_time is no longer the shortest section: units of it are calibrated up to min_time."""
    options = "--workload cpu_loop --mode sequential --units 100 --min-time 0.01"
    done = run(*options.split(), *pairs("cpu_loop"))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    trials, measured = out[:-1], out[-1]
    assert measured["seconds"] > 0.02, "the test needs a loop of more than twice min_time"
    # The trial that ended calibration reached min_time; the measured section repeats its loops (fewer
    # units than one loop), so it lasts about as long: a little less on a noisy machine, never a fraction.
    assert all(r["calibration"] for r in trials) and not measured["calibration"]
    assert trials[-1]["total_seconds"] >= 0.01 and measured["loops"] == trials[-1]["loops"] < 100
    assert measured["total_seconds"] >= 0.5 * 0.01
