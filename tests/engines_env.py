"""The engines other than Docker, made usable for the tests: Podman from Debian, Apptainer from sid.

Podman is installed by scripts/setup.sh. Apptainer is not packaged for
Debian 12, so `scripts/apptainer-env.sh` makes it run from a sid root file
system, unprivileged; its wrapper goes first on PATH, and parbench calls
`apptainer` as it would on a cluster. In CI a missing engine fails the test.
"""

from __future__ import annotations

import fcntl
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
    folder = claimed_folder(projects)
    folder.chmod(0o755)
    return folder


LOCK = ".parbench-test-run"  # in each claimed folder, locked while the run that made it lives
GRACE_SECONDS = 600  # a folder younger than this may be one whose run has not locked it yet
_held: list[int] = []  # the locks of this run's folders, released when the process ends, however it ends


def claimed_folder(parent: Path, prefix: str = "tmp") -> Path:
    """A new folder in `parent`, locked for this run, after removing what killed runs left there.

    Each Apptainer project holds its image archives and sandboxes, 5 GB or
    more, and lives outside pytest's own temporary folders, so a run killed
    before its clean-up would otherwise leave it for good.
    """
    prune_stale(parent, f"{prefix}*")
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    descriptor = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    _held.append(descriptor)
    return folder


def prune_stale(parent: Path, pattern: str = "*", now: float | None = None) -> list[Path]:
    """Remove the folders in `parent` matching `pattern` that no living run holds (and older than GRACE_SECONDS)."""
    now = time.time() if now is None else now
    gone = []
    for path in sorted(parent.glob(pattern)):
        try:
            if not path.is_dir() or now - path.stat().st_mtime < GRACE_SECONDS:
                continue
            descriptor = os.open(path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:  # removed meanwhile by another run's pruning, or not ours to open
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a living run holds it
        else:
            shutil.rmtree(path, ignore_errors=True)
            gone.append(path)
        finally:
            os.close(descriptor)
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
