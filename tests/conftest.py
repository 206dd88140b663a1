"""Shared fixtures. Docker tests fail (not skip) in CI when no engine is reachable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "workflow"))
sys.path.insert(0, str(REPO / "workloads" / "python"))

from parbench.docker import daemon_problem  # noqa: E402

# What a copy of the repository for pipeline tests leaves out: outputs and caches.
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", ".snakemake", "results", "logs", "__pycache__", ".pytest_cache", "resources")


@pytest.fixture(scope="session")
def docker_engine() -> None:
    problem = daemon_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Docker tests, but: {problem}")
        pytest.skip(problem)


def copy_repo(dest: Path) -> Path:
    """A private copy of the project, so tests never touch the user's results.

    Downloaded sources are hard-linked in, not fetched again.
    """
    shutil.copytree(REPO, dest, ignore=COPY_IGNORE)
    if (REPO / "resources").is_dir():
        (dest / "resources").mkdir()
        for item in (REPO / "resources").iterdir():
            if item.is_file() and not item.name.startswith("."):
                os.link(item, dest / "resources" / item.name)
    return dest


def snakemake(workdir: Path, *args: str, env: dict | None = None, timeout: float = 3600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "all", *args],
        cwd=workdir, capture_output=True, text=True, timeout=timeout,
        env=None if env is None else {**os.environ, **env},
    )


@pytest.fixture(scope="session")
def built_project(tmp_path_factory, docker_engine) -> Path:
    """A copy of the project with every image of the default config built by the pipeline."""
    workdir = copy_repo(tmp_path_factory.mktemp("project") / "parbench")
    done = snakemake(workdir, "images")
    assert done.returncode == 0, done.stderr[-3000:]
    return workdir


QUICK = ("--configfile", "configs/quick.yaml")


@pytest.fixture(scope="session")
def quick_run(built_project) -> Path:
    """The built project after a real run of the quick config (shared by the end-to-end and cluster tests)."""
    done = snakemake(built_project, *QUICK)
    assert done.returncode == 0, done.stderr[-3000:]
    return built_project
