"""parbench is an installable package with a `parbench` command, and nothing edits the import path."""

from __future__ import annotations

import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import REPO

# Code files where an import-path edit would show (the in-container harness may make its own folder importable).
CODE = ("*.py", "*.smk", "*.sh", "Snakefile", "scripts/*")
PATH_EDIT = re.compile(r"sys\.path\.(insert|append)|PYTHONPATH")


def tracked(*patterns: str) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", *patterns], cwd=REPO, capture_output=True, text=True, check=True)
    return [REPO / line for line in listed.stdout.split()]


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs the git checkout")
def test_no_import_path_edits_outside_the_workloads():
    edits = [
        f"{path.relative_to(REPO)}:{number}"
        for path in tracked(*CODE)
        if not path.relative_to(REPO).parts[0] == "workloads" and path.is_file()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if PATH_EDIT.search(line) and path.name != "test_package.py"
    ]
    assert edits == []
    readme = (REPO / "README.md").read_text()
    assert "PYTHONPATH" not in readme


def parbench(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "parbench", *args], cwd=cwd, capture_output=True, text=True)


def test_the_command_lists_its_jobs_and_refuses_an_unknown_one():
    done = parbench("--help")
    assert done.returncode == 0 and {"cpus", "bundle", "time"} <= set(re.findall(r"^  (\w+)", done.stdout, re.M))
    wrong = parbench("measure")
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines() == [
        "parbench: no command 'measure'; choose one of cpus, bundle, time, new-workload, check-workload"
    ]


def test_time_without_sessions_is_one_line(tmp_path):
    done = parbench("time", "--results", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"parbench: no session stamps in {tmp_path}/raw/sessions: run the pipeline first"
    ]


def test_cpus_prints_this_machines_auto_cpusets():
    import json
    import os

    done = parbench("cpus")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [cpu["cpu"] for cpu in listed["topology"]["cpus"]] == sorted(os.sched_getaffinity(0))
    assert listed["auto_cpusets"]


@pytest.mark.slow
def test_a_fresh_venv_installs_the_package_and_its_command(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    found = subprocess.run(
        [str(python), "-c", "import parbench, sys; print(parbench.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0 and Path(found.stdout.strip()).parent == REPO / "workflow" / "parbench"
    assert (env_dir / "bin" / "parbench").is_file()


def test_time_without_a_summary_is_one_line(tmp_path):
    sessions = tmp_path / "raw" / "sessions"
    sessions.mkdir(parents=True)
    stamp = {
        "session": "s1",
        "containers": 1,
        "wall_seconds": 2.0,
        "timed_seconds": 1.0,
        "warmup_seconds": 0.1,
        "startup_seconds": 0.3,
        "settings": {"min_time": 0.2},
    }
    (sessions / "s1.json").write_text(__import__("json").dumps(stamp))
    done = parbench("time", "--results", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"parbench: {tmp_path}/summary.csv does not exist: run the aggregate step (`.venv/bin/snakemake`) first"
    ]
