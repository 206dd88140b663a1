"""The engines other than Docker, made usable for the tests: Podman from Debian, Apptainer from sid.

Podman is installed by scripts/setup.sh. Apptainer is not packaged for
Debian 12, so `scripts/apptainer-env.sh` makes it run from a sid root file
system, unprivileged; its wrapper goes first on PATH, and parbench calls
`apptainer` as it would on a cluster. In CI a missing engine fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from parbench.engines import engine_named

from conftest import REPO

APPTAINER_DIR = Path("/var/tmp/parbench-apptainer")  # kept between runs: a second set-up only checks


def unusable(problem: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the engine tests, but: {problem}")
    pytest.skip(problem)


def engine_workdir(name: str, factory) -> Path:
    """A fresh folder for a project copy; Apptainer's ordinary user must be able to enter it and its parents."""
    if name != "apptainer":
        return factory.mktemp(name)
    projects = APPTAINER_DIR / "projects"
    projects.mkdir(parents=True, exist_ok=True)
    prune_stale(projects)
    folder = Path(tempfile.mkdtemp(dir=projects))
    folder.chmod(0o755)
    return folder


STALE_HOURS = 3  # longer than any test run (CI stops at 90 minutes)


def prune_stale(folder: Path, pattern: str = "*", now: float | None = None) -> list[Path]:
    """Remove what an earlier run left in `folder` (killed before its clean-up), older than STALE_HOURS.

    Each Apptainer project holds its image archives and sandboxes, 5 GB or
    more, so a few killed runs could fill the disk of a later one.
    """
    now = time.time() if now is None else now
    gone = [path for path in folder.glob(pattern) if now - path.stat().st_mtime > STALE_HOURS * 3600]
    for path in gone:
        shutil.rmtree(path, ignore_errors=True)
    return gone


def engine_env(name: str) -> dict[str, str]:
    """The environment under which `name` answers (Apptainer: its wrapper on PATH)."""
    env = {}
    if name == "apptainer":
        made = subprocess.run(
            ["bash", str(REPO / "scripts/apptainer-env.sh"), str(APPTAINER_DIR)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if made.returncode != 0:
            unusable(f"scripts/apptainer-env.sh failed: {made.stderr.strip()[-500:]}")
        env["PATH"] = f"{APPTAINER_DIR / 'bin'}:{os.environ['PATH']}"
    previous = os.environ.get("PATH")
    os.environ["PATH"] = env.get("PATH", previous)
    try:
        problem = engine_named(name).problem()
    finally:
        os.environ["PATH"] = previous
    if problem:
        unusable(problem)
    return env
