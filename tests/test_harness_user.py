"""The Python harness on a user's workload folder, run as the pipeline and `parbench check-workload` run it.

Every run is a subprocess of the host's Python on a fixture folder under
tests/data/user_workloads (or a workload.py written into tmp_path for the
one-off problems), so what is tested is the command line, the records and
the one stderr line a user sees.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from workloads import Workload

HARNESS = REPO / "workloads" / "python" / "harness.py"
FIXTURES = Path(__file__).resolve().parent / "data" / "user_workloads"
GOOD_N = 1001
IMAGE = "parbench/cpython-3.13t"


def run(
    folder: Path | str, name: str, mode: str, *args: str, workers: int | None = None
) -> subprocess.CompletedProcess:
    count = () if workers is None else ("--workers", str(workers))
    command = ["--workload-dir", str(folder), "--workload", name, "--mode", mode, *count, *args]
    return subprocess.run([sys.executable, str(HARNESS), *command], capture_output=True, text=True, timeout=120)


def records(done: subprocess.CompletedProcess) -> list[dict]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def one_line(done: subprocess.CompletedProcess, code: int) -> str:
    """The single stderr line of a run that must fail with `code` and write no record."""
    assert (done.returncode, done.stdout) == (code, ""), done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def good_checksum(n: int, workers: int) -> float:
    """What good/ must report: each worker's share of 1..n summed, the shares added in index order."""
    checksum = 0.0
    for index in range(workers):
        share = 0.0
        for i in range(index * n // workers, (index + 1) * n // workers):
            share += float(i + 1)
        checksum += share
    return checksum


def line_of(fixture: str, text: str) -> int:
    """The line of the fixture's workload.py that holds `text`, as a traceback counts lines."""
    lines = (FIXTURES / fixture / "workload.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def builtin_fields(mode: str) -> set[str]:
    """The fields of a built-in's record in this mode: a user's record has these and one more."""
    command = [sys.executable, str(HARNESS), "--workload", "cpu_loop", "--mode", mode, "--param", "iterations=10"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    "mode, workers", [("sequential", 1), ("threads", 1), ("threads", 2), ("processes", 1), ("processes", 2)]
)
def test_good_gives_its_expected_checksum_in_every_mode(mode, workers):
    out = records(
        run(
            FIXTURES / "good",
            "good",
            mode,
            "--param",
            f"n={GOOD_N}",
            "--warmup",
            "1",
            "--repeats",
            "2",
            "--loops",
            "3",
            workers=None if mode == "sequential" else workers,
        )
    )
    want = good_checksum(GOOD_N, workers)
    assert want == float(GOOD_N * (GOOD_N + 1) // 2)
    assert [(r["warmup"], r["loops"]) for r in out] == [(True, 1), (False, 3), (False, 3)]
    for r in out:
        assert (r["workload"], r["mode"], r["workers"], r["tasks"]) == ("good", mode, workers, workers)
        assert r["params"] == {"n": GOOD_N} and len(r["worker_seconds"]) == workers
        assert r["checksum"] == r["expected_checksum"] == want
    assert set(out[0]) == builtin_fields(mode) | {"expected_checksum"}


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_worker_processes_load_the_workload_under_every_start_method(method):
    # good/'s state is an instance of a class defined in workload.py: a fresh child must load the file to unpickle it.
    (r,) = records(run(FIXTURES / "good", "good", "processes", "--param", "n=500", "--start-method", method, workers=2))
    assert r["start_method"] == method and r["checksum"] == r["expected_checksum"] == good_checksum(500, 2)
    done = run(FIXTURES / "raises", "raises", "processes", "--param", "n=1", "--start-method", method, workers=2)
    assert "task raised ZeroDivisionError: division by zero" in one_line(done, 1)


def test_without_setup_the_state_is_none_and_without_expected_the_field_is_null():
    (r,) = records(run(FIXTURES / "nosetup", "nosetup", "threads", "--param", "n=7", workers=3))
    assert r["checksum"] == 21.0 and r["expected_checksum"] is None


def test_a_users_workload_is_not_divided_into_units_and_says_so_in_one_line():
    line = one_line(run(FIXTURES / "nosetup", "nosetup", "threads", "--param", "n=7", "--units", "2"), 2)
    assert "argument --units: a user's workload cannot be divided into units" in line
    (r,) = records(run(FIXTURES / "nosetup", "nosetup", "threads", "--param", "n=7", "--units", "1", workers=3))
    assert r["units"] == 1 and r["checksum"] == 21.0


def test_calibration_works_on_a_user_workload():
    out = records(run(FIXTURES / "good", "good", "threads", "--param", "n=2000", "--min-time", "0.01", workers=2))
    trials = [r for r in out if r["calibration"]]
    assert trials and out[-1]["calibration"] is False and out[-1]["loops"] == trials[-1]["loops"]
    assert {r["checksum"] for r in out} == {good_checksum(2000, 2)}


RUNTIME_ERRORS = [
    (
        "raises",
        (),
        f"task raised ZeroDivisionError: division by zero (workload.py, line {line_of('raises', '1 / 0')})",
    ),
    (
        "setup_raises",
        (),
        f"setup raised LookupError: no input data for n (workload.py, line {line_of('setup_raises', 'raise')})",
    ),
    ("notfloat", (), "returned int 3, not a float (return float(...))"),
    ("nondeterministic", ("--loops", "3"), "in a later loop"),
]


@pytest.mark.parametrize("mode", ["sequential", "threads", "processes"])
@pytest.mark.parametrize("fixture, extra, words", RUNTIME_ERRORS)
def test_errors_of_user_code_are_one_line_naming_the_workload_in_every_mode(fixture, extra, words, mode):
    workers = None if mode == "sequential" else 2
    line = one_line(run(FIXTURES / fixture, fixture, mode, "--param", "n=3", *extra, workers=workers), 1)
    assert line.startswith(f"harness.py: workload {fixture}: ") and words in line


@pytest.mark.parametrize(
    "fixture, words",
    [
        ("badsig", "task(params, index, workers) has the wrong parameters: define task(params, index, workers, state)"),
        ("notask", "workload.py defines no task(params, index, workers, state) function"),
    ],
)
def test_a_task_of_the_wrong_shape_is_found_before_measuring(fixture, words):
    line = one_line(run(FIXTURES / fixture, fixture, "threads", "--param", "n=1", workers=2), 2)
    assert line == f"harness.py: workload {fixture}: {words}"


@pytest.mark.parametrize(
    "source, mode, code, words",
    [
        ("import no_such_module\n", "threads", 2, "could not be imported: ModuleNotFoundError: No module named"),
        ("def task(p, i, w, s) return 1.0\n", "threads", 2, "could not be imported: SyntaxError"),
        ("x = 1 / 0\n", "threads", 2, "ZeroDivisionError: division by zero (workload.py, line 1)"),
        ("def setup(params): return 1\n", "threads", 2, "setup(params) has the wrong parameters"),
        ("def expected(params, workers, extra): return 1.0\n", "threads", 2, "define expected(params, workers)"),
        ("def task(*args): return 1.0\n", "threads", 2, "task(*args) has the wrong parameters"),
        ("task = 3\n", "threads", 2, "task is not a function"),
        ('SCALING = "linear"\n', "threads", 2, "SCALING = 'linear' is not allowed (allowed: weak, strong)"),
        ('KIND = "gpu"\n', "threads", 2, "(allowed: interpreter, c_library, sleep, coordination)"),
        ('MODES = "threads"\n', "threads", 2, "MODES = 'threads' must be a tuple or list"),
        ('MODES = ("goroutines",)\n', "threads", 2, "some of sequential, threads, processes"),
        ('MODES = ["threads"]\n', "processes", 2, "argument --mode: mine runs under threads, not processes"),
        ("def expected(params, workers): return 3\n", "threads", 1, "expected returned int 3, not a float"),
        ("def expected(params, workers): return params['zz']\n", "threads", 1, "expected raised KeyError: 'zz'"),
        (
            "import threading\ndef setup(params, workers): return threading.Lock()\n",
            "processes",
            1,
            "setup's state cannot be sent to worker processes: TypeError",
        ),
    ],
)
def test_problems_of_a_workload_py_are_one_line(tmp_path, source, mode, code, words):
    body = (
        ""
        if "def task" in source or "task =" in source
        else "def task(params, index, workers, state):\n    return 1.0\n"
    )
    (tmp_path / "workload.py").write_text(source + body)
    line = one_line(run(tmp_path, "mine", mode, "--param", "n=1", workers=2), code)
    assert words in line
    assert line.startswith("harness.py: error: " if "argument" in words else "harness.py: workload mine: ")


@pytest.mark.parametrize(
    "name, folder, words",
    [
        ("mine", "missing", "harness.py: workload mine: no folder "),
        ("mine", "empty", "has no workload.py"),
        ("cpu_loop", "good", "argument --workload: cpu_loop is a built-in workload; give yours another name"),
        ("My-Work", "good", "argument --workload: 'My-Work' is not a workload name"),
    ],
)
def test_a_folder_or_name_that_cannot_be_a_user_workload_is_one_line_exit_2(tmp_path, name, folder, words):
    (tmp_path / "empty").mkdir()
    where = FIXTURES / "good" if folder == "good" else tmp_path / folder
    assert words in one_line(run(where, name, "threads", "--param", "n=1", workers=2), 2)


def test_what_user_code_prints_goes_to_stderr_and_no_bytecode_is_written(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 2.5\n")
    (tmp_path / "workload.py").write_text(
        "from helper import VALUE\nprint('loading')\n"
        "def task(params, index, workers, state):\n    print('task', index)\n    return VALUE\n"
    )
    for mode in ("threads", "processes"):
        done = run(tmp_path, "chatty", mode, "--start-method", "spawn", workers=2)
        (r,) = records(done)  # stdout holds the record alone
        assert (
            r["checksum"] == 5.0 and "loading" in done.stderr and done.stderr.count("task") == 2
        )  # threads interleave
    assert not list(tmp_path.rglob("__pycache__"))


def test_parameters_of_a_user_workload_are_any_whole_numbers():
    (r,) = records(run(FIXTURES / "nosetup", "nosetup", "sequential", "--param", "n=-4", "--param", "other=0"))
    assert r["params"] == {"n": -4, "other": 0} and r["checksum"] == -4.0
    done = run(FIXTURES / "nosetup", "nosetup", "sequential", "--param", "n=1.5")
    assert "argument --param: n: '1.5' is not a whole number" in one_line(done, 2)


def test_an_exception_in_a_worker_thread_reaches_the_main_thread():
    from harness import run_threads

    def task(params, index, workers, state):
        if index == 1:
            raise ZeroDivisionError("worker 1 failed")
        return 1.0, []

    with pytest.raises(ZeroDivisionError, match="worker 1 failed"):
        run_threads(Workload("boom", "raises in one thread", {}, task, combine="sum"), {}, 3, 2)


# ---- in the container, with the least privilege every container gets -------------------------


@pytest.fixture(scope="module")
def cpython_image(request) -> str:
    """The free-threaded image: the one already built here, else the one the pipeline builds."""
    request.getfixturevalue("docker_engine")
    found = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, text=True)
    if found.returncode == 0:
        return IMAGE
    project = request.getfixturevalue("built_project")
    return (project / "results/images/cpython-3.13t.iid").read_text().strip()


def in_container(image: str, fixture: str, mode: str, *args: str) -> subprocess.CompletedProcess:
    """The harness from this checkout on a fixture folder, in the container every workload gets."""
    command = [
        "docker", "run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp",
        "--user", "65534:65534", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--pids-limit", "4096", "--memory", "2g",
        "-v", f"{FIXTURES / fixture}:/workload:ro", "-v", f"{HARNESS.parent}:/opt/parbench/python:ro",
        image, "python3", "/opt/parbench/python/harness.py",
        "--workload-dir", "/workload", "--workload", fixture, "--mode", mode, "--param", "n=300", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.mark.docker
def test_in_the_container_good_runs_and_network_and_writes_fail_in_one_line(cpython_image):
    for mode, args in [("sequential", ()), ("threads", ("--workers", "2")), ("processes", ("--workers", "2"))]:
        (r,) = records(in_container(cpython_image, "good", mode, *args))
        assert r["gil_build_disabled"] is True and r["checksum"] == r["expected_checksum"] == good_checksum(300, 2)
    network = one_line(in_container(cpython_image, "network", "threads", "--workers", "2"), 1)
    assert (
        network.startswith("harness.py: workload network: task raised OSError: ")
        and "Network is unreachable" in network
        and network.endswith(
            ": the measuring containers have no network: read what the task needs from the workload's folder"
        )
    )
    writes = one_line(in_container(cpython_image, "writes", "processes", "--workers", "2"), 1)
    assert writes.startswith("harness.py: workload writes: task raised OSError: ") and "Read-only file system" in writes
    assert writes.endswith(": the measuring containers can write only under /tmp")
    assert not (FIXTURES / "writes" / "written-by-task").exists()


@pytest.mark.parametrize("timing", [("--warmup", "1"), ("--min-time", "0.001")])
@pytest.mark.parametrize("mode", ["sequential", "threads"])
def test_a_parameter_no_code_reads_is_a_misspelt_name(mode, timing):
    given = ("--param", f"n={GOOD_N}", "--param", "N=5")
    done = run(FIXTURES / "good", "good", mode, *given, *timing, workers=1 if mode == "sequential" else 2)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()[-1:]
    assert line == (
        "harness.py: workload good: parameter 'N' is given but never read by setup, task or expected "
        "(they read: n): is it misspelt in the config's params?"
    )


def test_reads_are_not_watched_in_measured_values_or_worker_processes():
    given = ("--param", f"n={GOOD_N}", "--param", "N=5")
    assert records(run(FIXTURES / "good", "good", "sequential", *given, "--loops", "1"))  # no warm-up: not watched
    assert records(run(FIXTURES / "good", "good", "processes", *given, "--warmup", "1", workers=2))
    (warm, measured) = records(run(FIXTURES / "good", "good", "threads", "--param", f"n={GOOD_N}", "--warmup", "1"))
    assert warm["warmup"] and not measured["warmup"]


def test_a_task_value_that_is_not_finite_is_one_line(tmp_path):
    folder = tmp_path / "nanny"
    folder.mkdir()
    (folder / "workload.py").write_text("def task(params, index, workers, state):\n    return float('nan')\n")
    line = one_line(run(folder, "nanny", "sequential"), 1)
    assert line == (
        "harness.py: workload nanny: task 0 returned nan, not a finite float (a checksum must compare equal to itself)"
    )


def test_reading_every_parameter_at_once_counts_as_reading_them(tmp_path):
    folder = tmp_path / "allkeys"
    folder.mkdir()
    (folder / "workload.py").write_text(
        "def setup(params, workers):\n    return sorted(params.keys())\n\n\n"
        "def task(params, index, workers, state):\n    return float(len(state))\n"
    )
    done = run(folder, "allkeys", "threads", "--param", "a=1", "--param", "b=2", "--warmup", "1", workers=2)
    assert [r["checksum"] for r in records(done)] == [4.0, 4.0]


@pytest.mark.parametrize("when", ["setup", "task"])
def test_a_worker_process_that_dies_ends_the_run_in_one_line(tmp_path, when):
    folder = tmp_path / "dies"
    folder.mkdir()
    body = "    import os\n    if index == 1:\n        os._exit(3)\n    return 1.0\n"
    source = "def task(params, index, workers, state):\n" + body
    if when == "setup":  # dies while parked: the unpickling of its state kills it before the barrier
        source = (
            "import os\n\n\nclass Fatal:\n    def __reduce__(self):\n        return (os._exit, (3,))\n\n\n"
            "def setup(params, workers):\n    return Fatal()\n\n\n"
            "def task(params, index, workers, state):\n    return 1.0\n"
        )
    (folder / "workload.py").write_text(source)
    done = run(folder, "dies", "processes", "--loops", "1", workers=2)
    assert done.returncode == 1, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("harness.py: workload dies: worker process ") and "exited with code 3" in line


@pytest.mark.parametrize(
    "error, hint",
    [
        (__import__("socket").gaierror(-3, "Temporary failure in name resolution"), "have no network"),
        (OSError(101, "Network is unreachable"), "have no network"),
        (OSError(30, "Read-only file system"), "can write only under /tmp"),
        (__import__("urllib.error").error.URLError(__import__("socket").gaierror(-3, "no name")), "have no network"),
        (OSError(2, "No such file or directory"), None),
        (ZeroDivisionError("division by zero"), None),
    ],
)
def test_errors_the_containers_limits_cause_say_so(error, hint):
    from userworkload import describe  # the harness's folder is on the path, as for `workloads`

    line = describe(error, "/workload/workload.py")
    assert (hint in line) if hint else ("measuring containers" not in line), line
