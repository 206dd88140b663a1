"""What a new user reads and copies: `parbench new-workload`, `parbench check-workload` and examples/.

The examples' and the skeleton's workload.py are the user's own kind of code,
so the tests import them by file and run them on this Python: the checksum
expected() promises must be the task values added in index order, for every
worker count, or the pipeline would reject every run of a correct folder.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from parbench import scaffold, specs
from parbench.names import C_LIBRARY, COORDINATION, INTERPRETER, SLEEP

from conftest import REPO

EXAMPLES = REPO / "examples"


def parbench(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "parbench", *args], cwd=cwd, capture_output=True, text=True)


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"user_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def task_parameters(source: str) -> list[str]:
    tree = ast.parse(source)
    found = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "task"]
    assert len(found) == 1, "workload.py defines task() once, at the top level"
    return [arg.arg for arg in found[0].args.args]


def checksum(module: ModuleType, params: dict[str, int], workers: int) -> float:
    """What the harness reports: one setup, then every task's value added in index order."""
    state = module.setup(params, workers) if hasattr(module, "setup") else None
    total = 0.0
    for index in range(workers):
        value = module.task(params, index, workers, state)
        assert isinstance(value, float), f"task returned {type(value).__name__}, not a float"
        total += value
    return total


# --- new-workload -------------------------------------------------------------------------------


def test_new_workload_writes_a_folder_that_works_and_a_config_beside_it(tmp_path):
    done = parbench("new-workload", "wordfreq", "--go", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "wordfreq"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "README.md",
        "go/wordfreq.go",
        "workload.py",
    ]
    source = (folder / "workload.py").read_text()
    compile(source, "workload.py", "exec")
    assert task_parameters(source) == ["params", "index", "workers", "state"]
    module = load(folder / "workload.py")
    assert module.__doc__.splitlines()[0].startswith("Count the primes below n") and "wordfreq" in module.__doc__
    assert (module.SCALING, module.KIND, tuple(module.MODES)) == ("strong", "interpreter", scaffold.MODES)
    for params, workers in (({}, 1), ({"n": 2000}, 3), ({"n": 2}, 4)):
        assert checksum(module, params, workers) == module.expected(params, workers)
    assert len((folder / "README.md").read_text().splitlines()) == 5
    config = (tmp_path / "wordfreq.yaml").read_text()
    assert "builtin_workloads: false" in config and re.search(r"^  wordfreq:\n    path: wordfreq\b", config, re.M)


def trial_divisions(k: int) -> int:
    """What testing k costs the template's is_prime: the divisors it tries (at least one step)."""
    tried, divisor = 1, 2
    while divisor * divisor <= k and k % divisor:
        tried, divisor = tried + 1, divisor + 1
    return tried


@pytest.mark.parametrize("workers", [2, 3, 4, 8, 16])
def test_the_templates_shares_cost_alike_so_its_threads_can_scale(tmp_path, workers):
    """A user's first measurement is the template's: shares of unequal cost would show threads that do not scale."""
    (tmp_path / "w.py").write_text(scaffold.skeleton_files("wordfreq", go=False)["workload.py"])
    module = load(tmp_path / "w.py")
    n, tested = module.DEFAULT_N, {}
    original = module.is_prime
    for index in range(workers):
        seen = tested.setdefault(index, [])
        module.is_prime = lambda k, seen=seen: seen.append(k) or original(k)
        module.task({}, index, workers, None)
    module.is_prime = original
    assert sorted(k for ks in tested.values() for k in ks) == list(range(n))  # each number tested once
    costs = [sum(map(trial_divisions, ks)) for ks in tested.values()]
    mean = sum(costs) / workers
    assert max(costs) / mean < 1.05 and min(costs) / mean > 0.95, costs  # every share within 5 % of the mean


def test_the_go_skeleton_names_the_contracts_functions_and_avoids_reserved_package_names():
    twin = scaffold.skeleton_files("wordfreq", go=True)["go/wordfreq.go"]
    assert "package wordfreq\n" in twin
    assert "func Setup(params map[string]int, workers int) any {" in twin
    assert "func Task(params map[string]int, index, workers int, state any) float64 {" in twin
    assert "go/select.go" in scaffold.skeleton_files("select", go=True)
    assert "package select_twin\n" in scaffold.skeleton_files("select", go=True)["go/select.go"]
    assert scaffold.skeleton_files("wordfreq", go=False).keys() == {"workload.py", "README.md"}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "Word-Freq",
            "'Word-Freq' is not a workload name: use lower-case letters, digits and _, starting with a letter",
        ),
        ("9lives", "'9lives' is not a workload name"),
        ("cpu_loop", "'cpu_loop' is a built-in workload; choose another name"),
    ],
)
def test_new_workload_refuses_a_bad_or_built_in_name_in_one_line(tmp_path, name, message):
    done = parbench("new-workload", name, "--dir", str(tmp_path))
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(f"parbench new-workload: {message}")
    assert list(tmp_path.iterdir()) == []


def test_every_built_in_name_is_refused():
    assert all(scaffold.name_problem(name) for name in specs.WORKLOADS)
    assert scaffold.name_problem("my_workload2") is None


@pytest.mark.parametrize("existing", ["wordfreq", "wordfreq.yaml"])
def test_new_workload_refuses_to_overwrite_and_leaves_what_is_there(tmp_path, existing):
    (tmp_path / existing).mkdir()
    (tmp_path / existing / "keep").write_text("mine")
    done = parbench("new-workload", "wordfreq", "--dir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"parbench new-workload: {tmp_path / existing} already exists; choose another name or --dir"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]
    assert (tmp_path / existing / "keep").read_text() == "mine"


# --- check-workload -----------------------------------------------------------------------------


def test_check_workload_runs_a_warm_up_and_one_loop_sequentially_on_this_python(tmp_path):
    folder = tmp_path / "wordfreq"
    command = scaffold.harness_command(folder, ["n=100", "k=2"], "sequential", None, python="/usr/bin/python3")
    assert command == [
        "/usr/bin/python3",
        str(REPO / "workloads" / "python" / "harness.py"),
        "--workload-dir",
        str(folder),
        "--workload",
        "wordfreq",
        "--mode",
        "sequential",
        "--loops",
        "1",
        "--warmup",
        "1",
        "--param",
        "n=100",
        "--param",
        "k=2",
    ]
    assert scaffold.HARNESS_FILE.is_file()
    threads = scaffold.harness_command(Path("relative/wf"), [], "threads", 4)
    assert threads[0] == sys.executable and Path(threads[3]).is_absolute() and threads[5] == "wf"
    assert threads[6:] == ["--mode", "threads", "--loops", "1", "--warmup", "1", "--workers", "4"]
    named = scaffold.harness_command(folder, [], "sequential", None, name="mine")
    assert named[4:6] == ["--workload", "mine"] and named[3] == str(folder)


def record(**fields) -> dict:
    base = dict(workload="wf", checksum=5133.0, expected_checksum=5133.0, seconds=0.0912, workers=1)
    return {**base, "mode": "sequential", "runtime_version": "3.13.5", "gil_enabled": True, **fields}


def test_the_check_says_checksum_time_and_where_in_one_line():
    line, good = scaffold.check_line(record())
    assert good and line == "wf: checksum 5133.0 = expected(), 0.091 s (sequential, 1 worker, Python 3.13.5)"
    line, good = scaffold.check_line(record(expected_checksum=None, workers=4, mode="threads", gil_enabled=False))
    assert good and line == (
        "wf: checksum 5133.0 (no expected() to hold it to), 0.091 s (threads, 4 workers, Python 3.13.5 without the GIL)"
    )
    line, good = scaffold.check_line(record(expected_checksum=5134.0))
    assert not good and "but expected() gives 5134.0" in line


def test_shares_that_took_very_different_times_are_told_where_the_workers_ran_side_by_side():
    side_by_side = dict(mode="processes", workers=2, cpu_count=2)
    assert scaffold.shares_line(record()) is None  # one worker
    assert scaffold.shares_line(record(**side_by_side, worker_seconds=[0.030, 0.029])) is None
    line = scaffold.shares_line(record(**side_by_side, worker_seconds=[0.0023, 0.0546]))
    assert line.startswith("uneven shares: worker times 2.3 to 54.6 ms, the slowest 1.92× their mean"), line
    assert scaffold.shares_line(record(**side_by_side, worker_seconds=[0.0, 0.0])) is None
    # Threads under a GIL take turns, and so do more workers than CPUs: their times say nothing of the shares.
    uneven = [0.0023, 0.0546]
    assert scaffold.shares_line(record(**{**side_by_side, "mode": "threads"}, worker_seconds=uneven)) is None
    no_gil = record(**{**side_by_side, "mode": "threads"}, gil_enabled=False, worker_seconds=uneven)
    assert scaffold.shares_line(no_gil) is not None
    assert scaffold.shares_line(record(**{**side_by_side, "cpu_count": 1}, worker_seconds=uneven)) is None


STRIDED_TASK = """
def task(params, index, workers, state):
    n = params.get("n", DEFAULT_N)
    return float(sum(1 for k in range(index, n, workers) if is_prime(k)))
"""


@pytest.mark.slow
def test_check_workload_tells_a_split_whose_shares_cost_differently(tmp_path):
    """The template's numbers dealt one at a time: worker 0 of 2 gets only even numbers, which cost nothing."""
    assert parbench("new-workload", "primes", "--dir", str(tmp_path)).returncode == 0
    args = ("--mode", "processes", "--workers", "2")  # side by side on this machine's 2 CPUs, whatever its Python
    even = parbench("check-workload", str(tmp_path / "primes"), *args)
    assert even.returncode == 0 and even.stderr == "", even.stderr
    source = tmp_path / "primes" / "workload.py"
    source.write_text(source.read_text() + STRIDED_TASK)  # the later task() wins
    strided = parbench("check-workload", str(tmp_path / "primes"), *args)
    assert strided.returncode == 0 and "= expected()" in strided.stdout  # a right answer, from uneven shares
    assert strided.stderr.startswith("parbench check-workload: uneven shares: worker times "), strided.stderr
    assert len(strided.stderr.splitlines()) == 1


# Every worker counts the whole range, and no expected() would say so: only the worker count changes the answer.
WHOLE_RANGE_TASK = """
def task(params, index, workers, state):
    return float(sum(1 for k in range(params.get("n", DEFAULT_N)) if is_prime(k)))


del expected
"""


def test_check_workload_tells_a_strong_split_whose_answer_changes_with_the_workers(tmp_path):
    assert parbench("new-workload", "primes", "--dir", str(tmp_path)).returncode == 0
    source = tmp_path / "primes" / "workload.py"
    source.write_text(source.read_text() + WHOLE_RANGE_TASK)
    args = ("--mode", "threads", "--param", "n=2000")
    alone = parbench("check-workload", str(tmp_path / "primes"), *args, "--workers", "1")
    assert alone.returncode == 0 and "(no expected() to hold it to)" in alone.stdout, alone.stderr
    done = parbench("check-workload", str(tmp_path / "primes"), *args, "--workers", "3")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        "parbench check-workload: with 3 workers the checksum is 909.0, with 1 it is 303.0: a strong-scaling task "
        "set splits the same work among its workers, so its answer must not change with their count (does the "
        "split leave out or repeat work?)\n"
    )


DRIFTING_TASK = """
import itertools

CALLS = itertools.count(1)


def task(params, index, workers, state):
    return float(next(CALLS))  # another answer each time it runs


del expected
"""


def test_check_workload_tells_a_task_set_whose_answer_changes_from_run_to_run(tmp_path):
    assert parbench("new-workload", "drift", "--dir", str(tmp_path)).returncode == 0
    source = tmp_path / "drift" / "workload.py"
    source.write_text(source.read_text() + DRIFTING_TASK)
    done = parbench("check-workload", str(tmp_path / "drift"), "--mode", "sequential")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        "parbench check-workload: the task set gave 1.0 in its first run and 2.0 in its second: its answer must be "
        "the same every time (seed any randomness, e.g. random.Random(params['seed']))\n"
    )


def test_check_workload_says_the_harness_error_in_its_own_words(tmp_path):
    done = parbench("check-workload", str(tmp_path / "nowhere"))
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr == f"parbench check-workload: workload nowhere: no folder {tmp_path / 'nowhere'}\n"
    (tmp_path / "empty").mkdir()
    done = parbench("check-workload", str(tmp_path / "empty"))
    assert done.stderr == f"parbench check-workload: workload empty: {tmp_path / 'empty'} has no workload.py\n"
    (tmp_path / "my-bench").mkdir()
    done = parbench("check-workload", str(tmp_path / "my-bench"))
    assert done.stderr.startswith("parbench check-workload: the workload's name (its folder's, or --name): 'my-bench'")


@pytest.mark.slow
def test_check_workload_runs_the_wordcount_example_here():
    """Needs the harness's --workload-dir (the user-workload harness)."""
    done = parbench("check-workload", str(EXAMPLES / "wordcount"), "--param", "lines=2000")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        r"wordcount: checksum 617324\.0 = expected\(\), \d+\.\d{3} s \(sequential, 1 worker, .*\)\n", done.stdout
    )
    failing = parbench("check-workload", str(EXAMPLES / "wordcount"), "--param", "lines=x")
    assert failing.returncode == 2 and len(failing.stderr.splitlines()) == 1


# --- examples/ ----------------------------------------------------------------------------------

EXAMPLE_CASES = {
    "wordcount": [({"lines": 1}, 1), ({"lines": 7}, 3), ({"lines": 500}, 4), ({"lines": 1000}, 1)],
    "numpy_dot": [({"size": 1, "rounds": 1}, 1), ({"size": 16, "rounds": 3}, 2), ({"size": 40, "rounds": 2}, 3)],
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_CASES))
def test_each_example_is_a_workload_folder(name):
    source = (EXAMPLES / name / "workload.py").read_text()
    compile(source, "workload.py", "exec")
    assert task_parameters(source) == ["params", "index", "workers", "state"]
    module = ast.parse(source)
    assert ast.get_docstring(module).splitlines()[0]
    constants = {
        target.id: ast.literal_eval(node.value)
        for node in module.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id in ("SCALING", "KIND", "MODES")
    }
    assert constants["SCALING"] in ("weak", "strong") and constants["KIND"] in (
        INTERPRETER,
        C_LIBRARY,
        SLEEP,
        COORDINATION,
    )
    assert set(constants["MODES"]) <= set(scaffold.MODES)


@pytest.mark.parametrize(
    ("name", "params", "workers"), [(n, p, w) for n, cases in EXAMPLE_CASES.items() for p, w in cases]
)
def test_each_examples_expected_is_its_tasks_added_in_index_order(name, params, workers):
    if name == "numpy_dot":
        pytest.importorskip("numpy")
    module = load(EXAMPLES / name / "workload.py")
    assert checksum(module, params, workers) == module.expected(params, workers)
    assert checksum(module, params, workers) == checksum(module, params, workers)  # a second loop repeats it


def test_wordcount_scales_strongly_so_its_checksum_ignores_the_worker_count():
    module = load(EXAMPLES / "wordcount" / "workload.py")
    assert module.SCALING == "strong"
    assert {checksum(module, {"lines": 300}, workers) for workers in (1, 2, 5, 300, 301)} == {
        module.expected({"lines": 300}, 1)
    }


def test_the_wordcount_go_twin_has_the_contracts_functions():
    sources = sorted((EXAMPLES / "wordcount" / "go").glob("*.go"))
    code = "\n".join(p.read_text() for p in sources if not p.name.endswith("_test.go"))
    assert re.search(r"^package wordcount$", code, re.M)
    assert "func Setup(params map[string]int, workers int) any {" in code
    assert "func Task(params map[string]int, index, workers int, state any) float64 {" in code
    assert not (EXAMPLES / "wordcount" / "go" / "go.mod").exists()
    imports = set(re.findall(r'^import "([^"]+)"$', code, re.M))
    assert imports and all("." not in path.split("/")[0] for path in imports)  # standard library only


def test_the_numpy_example_pins_a_version_with_free_threaded_wheels():
    lines = (EXAMPLES / "numpy_dot" / "requirements.txt").read_text().split()
    assert len(lines) == 1 and re.fullmatch(r"numpy==2\.[23]\.\d+", lines[0])
    assert not (EXAMPLES / "numpy_dot" / "go").exists()


def test_the_examples_config_measures_only_the_examples():
    import yaml

    config = yaml.safe_load((EXAMPLES / "config.yaml").read_text())
    assert config["builtin_workloads"] is False
    assert {name: entry["path"] for name, entry in config["workloads"].items()} == {
        "wordcount": "wordcount",
        "numpy_dot": "numpy_dot",
    }
    for entry in config["workloads"].values():
        assert (EXAMPLES / entry["path"] / "workload.py").is_file()
        assert entry["params"] and all(type(value) is int for value in entry["params"].values())


def test_check_workload_starts_with_the_first_of_the_workloads_modes(tmp_path, capsys):
    folder = tmp_path / "lackseq"
    folder.mkdir()
    (folder / "workload.py").write_text(
        'MODES = ("threads",)\n\n\ndef task(params, index, workers, state):\n    return 1.0\n'
    )
    assert scaffold.first_mode(folder) == "threads"
    assert scaffold.check_workload_main([str(folder), "--workers", "2"]) == 0
    assert "checksum 2.0" in capsys.readouterr().out


def test_check_workload_with_workers_alone_takes_the_first_mode_that_runs_several(tmp_path, capsys):
    folder = tmp_path / "both"
    folder.mkdir()
    (folder / "workload.py").write_text(
        'MODES = ("sequential", "processes", "threads")\n\n\ndef task(params, index, workers, state):\n    return 1.0\n'
    )
    assert scaffold.first_mode(folder) == "sequential" and scaffold.first_mode(folder, 1) == "sequential"
    assert scaffold.first_mode(folder, 2) == "threads"  # MODES in the contract's order: threads before processes
    assert scaffold.check_workload_main([str(folder), "--workers", "2"]) == 0
    assert "(threads, 2 workers, " in capsys.readouterr().out
