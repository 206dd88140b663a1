"""A user's own workloads through the whole pipeline, with real Docker: the examples, a new user, bad input.

One project copy measures both examples (a pure-Python workload with a Go
twin, and one that installs numpy through requirements.txt) on two CPU sets;
then a workload written in a folder outside the repository, as a new user
would from docs/workloads.md; then, in the same project, each mistake a user
can make, which must end in one line and leave the earlier results as they were.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from conftest import copy_repo, snakemake

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SMALL = "repeats: 2\ncpusets: ['0', '0-1']\nnoise_floor: false\n"  # merged over examples/config.yaml
NUMPY = "2.2.6"  # examples/numpy_dot/requirements.txt


@pytest.fixture(scope="module")
def project(tmp_path_factory, docker_engine) -> Path:
    """A project copy that measured the two examples (images built through the pipeline)."""
    workdir = copy_repo(tmp_path_factory.mktemp("userproject") / "parbench")
    (workdir / "small.yaml").write_text(SMALL)
    done = snakemake(workdir, "--configfile", "examples/config.yaml", "small.yaml")
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir


def table(project: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(project / "results" / name, dtype={"params": str, "variant": str})


def test_every_example_has_rows_for_every_runtime_it_runs_on(project):
    runs, summary = table(project, "runs.csv"), table(project, "summary.csv")
    expected = {
        "wordcount": {"cpython-3.13", "cpython-3.13t", "go"},  # the Go twin brings Go
        "numpy_dot": {"cpython-3.13", "cpython-3.13t"},
    }
    for frame in (runs, summary):
        assert {w: set(g["runtime"]) for w, g in frame.groupby("workload")} == expected
    assert set(runs["cpuset"]) == {"0", "0-1"}
    assert set(runs[runs["workload"] == "wordcount"]["mode"]) == {"sequential", "threads", "processes", "goroutines"}


def test_checksums_agree_across_runtimes_and_modes(project):
    runs = table(project, "runs.csv")
    for (workload, workers), group in runs.groupby(["workload", "workers"]):
        assert group["checksum"].nunique() == 1, (workload, workers, group["checksum"].unique())
    # wordcount splits its lines among the workers (strong scaling): one answer whatever their number
    assert runs[runs["workload"] == "wordcount"]["checksum"].nunique() == 1


def test_comparisons_claims_and_report_answer_for_each_example(project):
    comparisons, claims = table(project, "comparisons.csv"), table(project, "claims.csv")
    for workload in ("wordcount", "numpy_dot"):
        assert (comparisons["workload"] == workload).any()
        mine = claims[claims["shown_in"].fillna("").str.startswith(f"user:{workload}:")]
        assert len(mine) >= 3, claims["shown_in"].tolist()
        assert mine["verdict"].notna().all()
    go = claims[claims["shown_in"].fillna("").str.startswith(("user:wordcount:go", "user:numpy_dot:go"))]
    assert go["shown_in"].str.startswith("user:wordcount:go").tolist() == [True]  # only wordcount has a Go twin
    report = (project / "results/report.md").read_text()
    assert "wordcount" in report and "numpy_dot" in report
    assert "## Your workloads" in report
    assert report.count(f"installed: numpy {NUMPY}") == 2  # the images appendix: 3.13's and 3.13t's


def test_the_stamp_records_each_folder_and_the_numpy_both_images_installed(project):
    (stamp,) = json.loads((project / "results/sessions.json").read_text())["sessions"]
    settings = stamp["settings"]
    assert set(settings["user_workloads"]) == {"wordcount", "numpy_dot"}
    assert all(len(w["sha256"]) == 64 for w in settings["user_workloads"].values())
    installed = settings["distributions"]
    assert {name: packages["numpy"] for name, packages in installed.items()} == {
        "cpython-3.13+numpy_dot": NUMPY,
        "cpython-3.13t+numpy_dot": NUMPY,
    }


def test_containers_ran_with_least_privilege(project):
    log = (project / "logs/measure.log").read_text()
    runs = [line for line in log.splitlines() if line.startswith("running docker run")]
    assert runs
    for line in runs:
        for flag in ("--network none", "--read-only", "--user 65534:65534", "--cap-drop ALL", "no-new-privileges"):
            assert flag in line, line
        assert "/results" not in line.split(" --mount ")[-1].split(" ")[0]
    mounted = [line for line in runs if "--mount" in line]
    assert mounted and all("target=/workload,readonly" in line for line in mounted)


NEW_USER = '''
"""Sums of squares, split among the workers: my first parbench workload."""
SCALING = "strong"


def task(params, index, workers, state):
    n = params["n"]
    start, stop = index * n // workers, (index + 1) * n // workers
    return float(sum(i * i for i in range(start, stop)))


def expected(params, workers):
    n = params["n"] - 1
    return float(n * (n + 1) * (2 * n + 1) // 6)
'''


def user_folder(root: Path, name: str, source: str, **files: str) -> Path:
    """A workload folder outside the repository, with a config beside it naming it by a relative path."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "workload.py").write_text(textwrap.dedent(source))
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    return folder


def one_workload_config(
    root: Path, name: str, params: dict, runtimes: str = "[cpython-3.13]", cpusets: str = "['0']"
) -> Path:
    config = root / f"{name}.yaml"
    config.write_text(
        f"builtin_workloads: false\nruntimes: {runtimes}\ncpusets: {cpusets}\nrepeats: 1\nnoise_floor: false\n"
        f"min_time: 0.02\nworkloads:\n  {name}:\n    path: {name}\n    params: {json.dumps(params)}\n"
    )
    return config


def test_a_new_user_measures_a_folder_outside_the_repository(project, tmp_path):
    user_folder(tmp_path / "my-bench", "squares", NEW_USER)
    config = one_workload_config(tmp_path / "my-bench", "squares", {"n": 300000}, "[cpython-3.13, cpython-3.13t]")
    done = snakemake(project, "--configfile", str(config))
    assert done.returncode == 0, done.stderr[-3000:]
    runs = table(project, "runs.csv")
    assert set(runs["workload"]) == {"squares"} and set(runs["runtime"]) == {"cpython-3.13", "cpython-3.13t"}
    assert runs["checksum"].nunique() == 1
    assert "squares" in (project / "results/report.md").read_text()


def snapshot(project: Path) -> dict[str, bytes]:
    names = ["runs.csv", "summary.csv", "comparisons.csv", "claims.csv", "report.md"]
    raw = sorted((project / "results/raw").rglob("*.jsonl"))
    return {str(p): p.read_bytes() for p in [project / "results" / n for n in names] + raw}


RAISES = """
def task(params, index, workers, state):
    return 1.0 / (params["n"] - params["n"])
"""
SETUP_RAISES = """
def setup(params, workers):
    raise KeyError("corpus")


def task(params, index, workers, state):
    return 1.0
"""
NOT_FLOAT = """
def task(params, index, workers, state):
    return 3
"""
# str hashes are salted per process: the same in every loop of a container, different in the next one
NOT_DETERMINISTIC = """
def task(params, index, workers, state):
    return float(hash("parbench") % 1000003 + params["n"])
"""
NETWORK = """
import socket


def task(params, index, workers, state):
    socket.create_connection(("192.0.2.1", 80), timeout=2)
    return 1.0
"""
WRITES = """
from pathlib import Path


def task(params, index, workers, state):
    Path(__file__).with_name("written-by-the-task").write_text("x")
    return 1.0
"""
TWIN_BROKEN = "package broken\n\nfunc Setup(params map[string]int, workers int) any { return nil }\n\n"
TWIN_BROKEN += "func Task(params map[string]int, index, workers int, state any) float64 { return undefinedName }\n"


# Every worker counts the whole job instead of its share: the answer grows with the workers.
SPLIT_REPEATS_WORK = """
SCALING = "strong"


def task(params, index, workers, state):
    return float(sum(range(params["n"])))
"""


def test_a_strong_scaling_answer_that_changes_with_the_workers_is_one_line(project, tmp_path):
    before = snapshot(project)
    user_folder(tmp_path, "split", SPLIT_REPEATS_WORK)
    config = one_workload_config(tmp_path, "split", {"n": 1000}, cpusets="['0', '0-1']")
    done = snakemake(project, "--configfile", str(config))
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    words = ["parbench: ", "worker(s) differs from", "strong-scaling", "leave out or repeat work"]
    assert all(w in last for w in words), done.stderr[-3000:]
    assert snapshot(project) == before


@pytest.mark.parametrize(
    "source, files, runtimes, words",
    [
        (RAISES, {}, "[cpython-3.13]", ["workload broken", "ZeroDivisionError"]),
        (SETUP_RAISES, {}, "[cpython-3.13]", ["workload broken", "KeyError", "corpus"]),
        (NOT_FLOAT, {}, "[cpython-3.13]", ["workload broken", "int", "not a float"]),
        (NOT_DETERMINISTIC, {}, "[cpython-3.13]", ["checksum", "differs from", "broken"]),
        (NETWORK, {}, "[cpython-3.13]", ["workload broken", "Network is unreachable"]),
        (WRITES, {}, "[cpython-3.13]", ["workload broken", "Read-only file system"]),
        (NEW_USER, {"go/twin.go": TWIN_BROKEN}, "[go]", ["workload 'broken'", "Go twin", "undefinedName"]),
        (
            NEW_USER,
            {"requirements.txt": "parbench-no-such-package==1.0\n"},
            "[cpython-3.13t]",
            ["workload 'broken'", "cpython-3.13t", "parbench-no-such-package"],
        ),
    ],
    ids=["raises", "setup-raises", "not-float", "not-deterministic", "network", "writes", "go-twin", "requirement"],
)
def test_a_mistake_in_user_code_is_one_line_and_keeps_earlier_results(
    project, tmp_path, source, files, runtimes, words
):
    before = snapshot(project)
    user_folder(tmp_path, "broken", source, **files)
    config = one_workload_config(tmp_path, "broken", {"n": 1000}, runtimes)
    done = snakemake(project, "--configfile", str(config))
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("parbench: ") and all(w in last for w in words), done.stderr[-3000:]
    assert snapshot(project) == before
