"""A user's workload folder as the pipeline reads it: without running it, one line per mistake."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

from parbench import specs
from parbench.config import check_config, enabled_workloads, workload_params
from parbench.errors import ParbenchError
from parbench.images import failure_line
from parbench.matrix import all_cells
from parbench.plan import derived_images, session_settings
from parbench.userworkloads import folder_digest, read_user_workload, resolve_paths

from conftest import REPO

DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())

GOOD = '''"""Counts words of a synthetic text."""
SCALING = "strong"
KIND = "interpreter"
MODES = ("sequential", "threads")


def setup(params, workers):
    return None


def task(params, index, workers, state):
    return float(index)


def expected(params, workers):
    return float(sum(range(workers)))
'''


@pytest.fixture(autouse=True)
def no_user_workloads():
    yield
    specs.use_user_workloads([])


def folder(tmp_path: Path, source: str = GOOD, name: str = "wordfreq", **files: str) -> Path:
    where = tmp_path / name
    where.mkdir(parents=True)
    (where / "workload.py").write_text(source)
    for relative, text in files.items():
        target = where / relative.replace("__", "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for path in [tmp_path, where, *where.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return where


def test_the_contract_is_read_from_the_syntax_alone(tmp_path):
    where = folder(tmp_path, GOOD + "\nraise SystemExit('never run on the host')\n", **{"go__twin.go": "package x\n"})
    spec = read_user_workload("wordfreq", where)
    assert (spec.scaling, spec.kind, spec.modes) == ("strong", "interpreter", ("sequential", "threads"))
    assert spec.about == "Counts words of a synthetic text."
    assert spec.go and not spec.requirements
    assert spec.sha256 == folder_digest(where) and len(spec.sha256) == 64


def test_defaults_without_constants(tmp_path):
    spec = read_user_workload("w", folder(tmp_path, "def task(params, index, workers, state):\n    return 1.0\n"))
    assert (spec.scaling, spec.kind, spec.modes, spec.go) == ("weak", "interpreter", specs_modes(), False)
    assert spec.about == "your workload w"


def specs_modes() -> tuple[str, ...]:
    return ("sequential", "threads", "processes")


def test_a_changed_file_changes_the_digest(tmp_path):
    where = folder(tmp_path)
    before = folder_digest(where)
    (where / "data.txt").write_text("more")
    assert folder_digest(where) != before


@pytest.mark.parametrize(
    "source, words",
    [
        ("def run(params):\n    return 1.0\n", ["defines no task(params, index, workers, state)"]),
        ("def task(params, index):\n    return 1.0\n", ["task(params, index) has the wrong parameters"]),
        ("def task(params, index, workers, *state):\n    return 1.0\n", ["wrong parameters"]),
        (GOOD.replace("def setup(params, workers)", "def setup(params)"), ["setup(params)", "setup(params, workers)"]),
        (GOOD.replace('SCALING = "strong"', 'SCALING = "linear"'), ["SCALING = 'linear'", "weak, strong"]),
        (GOOD.replace('KIND = "interpreter"', 'KIND = "gpu"'), ["KIND = 'gpu'", "c_library"]),
        (GOOD.replace('("sequential", "threads")', '("fibers",)'), ["MODES", "sequential, threads, processes"]),
        (GOOD.replace('SCALING = "strong"', "SCALING = pick()"), ["SCALING must be a top-level literal"]),
        ("def task(params, index, workers, state)\n", ["workload.py line 1", "expected"]),
    ],
)
def test_contract_mistakes_are_one_line(tmp_path, source, words):
    with pytest.raises(ParbenchError) as caught:
        read_user_workload("wordfreq", folder(tmp_path, source))
    message = str(caught.value)
    assert message.startswith("workload 'wordfreq': ") and "\n" not in message
    assert all(w in message for w in words), message


def test_missing_folder_file_and_taken_name(tmp_path):
    with pytest.raises(ParbenchError, match=r"workload 'w': no folder .*/nowhere \(config key 'workloads.w.path'\)"):
        read_user_workload("w", tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParbenchError, match=r"has no workload.py \(`parbench new-workload` writes one\)"):
        read_user_workload("w", tmp_path / "empty")
    with pytest.raises(ParbenchError, match="taken by a built-in workload"):
        read_user_workload("cpu_loop", folder(tmp_path))


def test_a_folder_the_unprivileged_container_user_cannot_read(tmp_path):
    where = folder(tmp_path)
    (where / "workload.py").chmod(0o600)
    with pytest.raises(ParbenchError, match=r"not readable by other users.*chmod -R o\+rX"):
        read_user_workload("wordfreq", where)


def test_paths_are_relative_to_the_config_file_that_names_them(tmp_path):
    (tmp_path / "cfg").mkdir()
    named = tmp_path / "cfg" / "mine.yaml"
    named.write_text("workloads:\n  wordfreq:\n    path: ../bench/wordfreq\n")
    config = {"workloads": {"wordfreq": {"path": "../bench/wordfreq"}, "other": {"path": "x"}, "cpu_loop": {"n": 1}}}
    resolved = resolve_paths(config, [REPO / "config.yaml", named], cwd=tmp_path / "elsewhere")
    assert resolved["workloads"]["wordfreq"]["path"] == str(tmp_path / "bench" / "wordfreq")
    assert resolved["workloads"]["other"]["path"] == str(tmp_path / "elsewhere" / "x")  # from --config: the cwd
    assert resolved["workloads"]["cpu_loop"] == {"n": 1}
    assert config["workloads"]["wordfreq"]["path"] == "../bench/wordfreq"  # the input is not changed


def user_config(tmp_path: Path, entry: dict | None = None, **top) -> dict:
    config = copy.deepcopy(DEFAULT)
    config["workloads"]["wordfreq"] = entry or {"path": str(folder(tmp_path)), "params": {"lines": 100}}
    config.update(top)
    return config


def problem_with(config: dict) -> str:
    with pytest.raises(ParbenchError) as caught:
        check_config(config, SCHEMA, [0, 1])
    return str(caught.value)


def test_a_config_of_only_user_workloads(tmp_path):
    config = user_config(tmp_path, builtin_workloads=False)
    check_config(config, SCHEMA, [0, 1])
    assert list(enabled_workloads(config)) == ["wordfreq"]
    assert workload_params(config["workloads"]["wordfreq"]) == {"lines": 100}


@pytest.mark.parametrize(
    "entry, words",
    [
        ({"path": "P", "params": {"lines": 2.5}}, ["'workloads.wordfreq.params.lines'", "2.5 is not a whole number"]),
        ({"path": "P", "lines": 3}, ["'workloads.wordfreq.lines'", "parameters go under 'params'"]),
        ({"path": "P", "parms": {"n": 1}}, ["'workloads.wordfreq.parms'", "did you mean 'params'?"]),
        ({"path": "P", "worker": ["cpus"]}, ["'workloads.wordfreq.worker'", "did you mean 'workers'?"]),
        ({"path": "/no/such/folder"}, ["workload 'wordfreq': no folder /no/such/folder"]),
    ],
)
def test_bad_user_entries_are_one_line(tmp_path, entry, words):
    where = str(folder(tmp_path))
    entry = {k: (where if v == "P" else v) for k, v in entry.items()}
    message = problem_with(user_config(tmp_path, entry))
    assert all(w in message for w in words) and "\n" not in message, message


def test_an_unknown_name_without_a_path_says_how_to_bring_one(tmp_path):
    config = copy.deepcopy(DEFAULT)
    config["workloads"]["wordfreq"] = {"lines": 3}
    assert "a workload of yours needs a 'path'" in problem_with(config)
    config["builtin_workloads"] = False  # the path forgotten in a config of only user workloads
    assert "unknown workload 'wordfreq'" in problem_with(config)


def test_only_user_workloads_asked_for_but_none_has_a_path():
    config = copy.deepcopy(DEFAULT) | {"builtin_workloads": False}
    assert "builtin_workloads is false: give yours a 'path'" in problem_with(config)


def test_a_built_in_name_with_a_path_is_refused(tmp_path):
    config = copy.deepcopy(DEFAULT)
    config["workloads"]["cpu_loop"]["path"] = str(folder(tmp_path))  # merged over the default's entry
    assert "workload 'cpu_loop': the name is taken by a built-in workload" in problem_with(config)


def test_cells_settings_and_images_of_a_user_workload(tmp_path):
    where = folder(tmp_path, **{"go__twin.go": "package x\n", "requirements.txt": "numpy==2.2.6\n"})
    config = user_config(tmp_path, {"path": str(where), "params": {"lines": 100}}, builtin_workloads=False)
    config.update(cpusets=["0", "0-1"], variants={}, limits={"memory": "8g", "pids": 16384})
    specs.use_user_workloads([read_user_workload("wordfreq", where)])
    cells = all_cells(config, [0, 1])
    modes = {(c.runtime, c.mode) for c in cells}
    assert modes == {
        ("cpython-3.13", "sequential"),
        ("cpython-3.13", "threads"),
        ("cpython-3.13t", "sequential"),
        ("cpython-3.13t", "threads"),
        ("go", "sequential"),
        ("go", "goroutines"),
    }  # MODES leaves processes out; the Go twin brings Go
    assert derived_images(config) == ["cpython-3.13+wordfreq", "cpython-3.13t+wordfreq", "go+wordfreq"]
    settings = yaml.safe_load(session_settings(config, cells))
    recorded = settings["user_workloads"]["wordfreq"]
    assert (recorded["path"], recorded["sha256"], recorded["modes"]) == (
        str(where),
        folder_digest(where),
        ["sequential", "threads"],
    )
    assert settings["params"] == {"wordfreq": {"lines": 100}}


def test_without_a_go_twin_go_has_no_cells(tmp_path):
    where = folder(tmp_path)
    specs.use_user_workloads([read_user_workload("wordfreq", where)])
    assert specs.modes_for("wordfreq", "go") == []
    assert specs.expected_checksum_of("wordfreq", "lines=1", 2) is None
    assert os.access(where / "workload.py", os.R_OK)


@pytest.mark.parametrize(
    "output, line",
    [
        (
            "Step 4/4 : RUN pip install\nCollecting nosuchpkg==9\n"
            "ERROR: Could not find a version that satisfies the requirement nosuchpkg==9 (from versions: none)\n"
            "ERROR: No matching distribution found for nosuchpkg==9\n",
            "ERROR: No matching distribution found for nosuchpkg==9",
        ),
        (
            "Step 5/6 : RUN parbench-go-twin\n\x1b[91mparbench-go-twin: error: ./task.go:7:9: undefined: foo\n"
            "ERROR: something later\n",
            "./task.go:7:9: undefined: foo",
        ),
        ("Step 1/2 : FROM x\nthe daemon went away\n", None),
    ],
)
def test_a_failed_build_is_told_by_its_telling_line(output, line):
    assert failure_line(output) == line


@pytest.mark.parametrize(
    "source, words",
    [
        (GOOD.replace('MODES = ("sequential", "threads")', "MODES = 5"), ["MODES = 5 must be a list"]),
        (GOOD.replace('MODES = ("sequential", "threads")', "MODES = ()"), ["MODES = () must be a list"]),
        (GOOD.replace('KIND = "interpreter"', 'KIND = ""'), ["KIND = '' is not allowed"]),
        (GOOD.replace('SCALING = "strong"', "SCALING = None"), ["SCALING = None is not allowed"]),
    ],
)
def test_constants_the_harness_would_refuse_are_refused_here(tmp_path, source, words):
    with pytest.raises(ParbenchError) as caught:
        read_user_workload("wordfreq", folder(tmp_path, source))
    assert all(w in str(caught.value) for w in words), caught.value


def test_a_task_bound_by_import_or_under_if_is_left_to_the_harness(tmp_path):
    imported = "from helpers import count as task\n"
    assert read_user_workload("w", folder(tmp_path / "a", imported)).modes == specs_modes()
    guarded = "if True:\n    def task(params, index, workers, state):\n        return 1.0\n"
    guarded += 'SCALING = "weak"\nSCALING = "strong"\n'
    assert read_user_workload("w", folder(tmp_path / "b", guarded)).scaling == "strong"  # the last one, as it runs


def test_links_commas_and_odd_configs_are_one_line(tmp_path):
    where = folder(tmp_path)
    (where / "data").symlink_to(tmp_path / "nowhere")
    with pytest.raises(ParbenchError, match=r"workload 'wordfreq': .*/data is a symbolic link"):
        read_user_workload("wordfreq", where)
    comma = folder(tmp_path, name="a,b")
    with pytest.raises(ParbenchError, match="holds a comma"):
        read_user_workload("wordfreq", comma)
    assert resolve_paths({"workloads": ["x"]}, [], tmp_path) == {"workloads": ["x"]}  # left to the schema


def test_a_parameter_workload_py_names_nowhere_is_said_before_anything_is_built(tmp_path):
    from parbench.userworkloads import unnamed_params

    folder = tmp_path / "jsonish"
    folder.mkdir()
    (folder / "workload.py").write_text(
        'def task(params, index, workers, state):\n    return float(params["records"] + params.get("depth", 2))\n'
    )
    entry = {"path": str(folder), "params": {"record": 20000, "depth": 3}}
    assert unnamed_params({"jsonish": entry, "cpu_loop": {"iterations": 5}}) == [
        "workload 'jsonish': parameter 'record' is named nowhere in workload.py (did you mean 'records'?); "
        "if no code reads it, the first container stops on it"
    ]
    assert unnamed_params({"jsonish": {**entry, "params": {"records": 5}}}) == []
    # Case is no reason to miss the key, and a name that is no key (here `sum`, `params`) is never offered.
    (said,) = unnamed_params({"jsonish": {**entry, "params": {"DEPTH": 3, "records": 5}}})
    assert "parameter 'DEPTH' is named nowhere in workload.py (did you mean 'depth'?)" in said
    (folder / "workload.py").write_text(
        'def task(params, index, workers, state):\n    return float(sum([params["n"]]))\n'
    )
    (said,) = unnamed_params({"jsonish": {**entry, "params": {"num": 3, "n": 1}}})
    assert "did you mean" not in said
    (folder / "workload.py").write_text(
        'def task(params, index, workers, state):\n    return float(params["records"] + params.get("depth", 2))\n'
    )
    assert unnamed_params({"jsonish": {**entry, "path": str(tmp_path / "gone")}}) == []  # the folder's own line says
    # Another mapping's items() takes nothing from params: the notice stands (a new user's totals.items()).
    (folder / "workload.py").write_text(
        "def task(params, index, workers, state):\n    totals = {}\n"
        "    return float(params['records'] + len(totals.items()))\n"
    )
    assert len(unnamed_params({"jsonish": entry})) == 2  # record, and depth, which this file does not read
    # Code that may take params whole, or a helper module, may read any name: no notice then.
    for whole in ["return float(compute(**params))", "return float(sum(v for k, v in params.items()))"]:
        (folder / "workload.py").write_text(f"def task(params, index, workers, state):\n    {whole}\n")
        assert unnamed_params({"jsonish": entry}) == [], whole
    (folder / "workload.py").write_text("def task(params, index, workers, state):\n    return float(records)\n")
    assert unnamed_params({"jsonish": {**entry, "params": {"records": 1}}}) == []  # a name counts
    (folder / "helpers.py").write_text("")
    assert unnamed_params({"jsonish": entry}) == []
