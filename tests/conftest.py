"""Shared fixtures. Docker tests fail (not skip) in CI when no engine is reachable."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest

from parbench.docker import daemon_problem
from parbench.project import copy_project

REPO = Path(__file__).resolve().parent.parent


def _load_harness() -> None:
    """The in-container harness as a module, so unit tests can call its functions.

    It is loaded from its file (it is not part of the installed package); loading
    it makes its registry, `workloads`, importable too, as it is in a container.
    """
    spec = importlib.util.spec_from_file_location("harness", REPO / "workloads" / "python" / "harness.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["harness"] = module
    spec.loader.exec_module(module)


_load_harness()


@pytest.fixture(scope="session")
def docker_engine() -> None:
    problem = daemon_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Docker tests, but: {problem}")
        pytest.skip(problem)


def copy_repo(dest: Path) -> Path:
    """A private copy of the project, so tests never touch the user's results."""
    return copy_project(REPO, dest)


def workflow_rules() -> dict[str, list[str]]:
    """Each rule of the Snakefile and workflow/rules/*.smk, named 'FILE:RULE', with its lines stripped.

    Read as text, since loading the workflow needs a config and a run of its own; a rule may be
    indented (under an `if`), and its body runs to the next rule of its file.
    """
    rules: dict[str, list[str]] = {}
    for path in [REPO / "Snakefile", *sorted((REPO / "workflow/rules").glob("*.smk"))]:
        body: list[str] = []
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) == 2 and words[0] in ("rule", "localrule") and words[1].endswith(":"):
                body = rules.setdefault(f"{path.name}:{words[1][:-1]}", [])
            else:
                body.append(line.strip())
    return rules


def job_counts(output: str) -> dict[str, int]:
    """A dry run's job stats: how many jobs of each rule it plans."""
    table = output.split("Job stats:")[1].split("\n\n")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def snakemake(workdir: Path, *args: str, env: dict | None = None, timeout: float = 3600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "all", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
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
# Image archives (rule save_image), a GB or so each: made once in the built
# project, hard-linked into the copies that load them into an engine, left
# out of the copies that measure with Docker.
ARCHIVES = ("*.tar", "*.tar.sha256")
WITHOUT_ARCHIVES = shutil.ignore_patterns(*ARCHIVES)


def link_archives(source: str, dest: str) -> str:
    """For copytree: an archive hard-linked (a rule replaces its outputs, never rewrites them), else a copy."""
    if any(fnmatch(Path(source).name, pattern) for pattern in ARCHIVES):
        try:
            os.link(source, dest)
            return dest
        except OSError:  # another file system
            pass
    return shutil.copy2(source, dest)


@pytest.fixture(scope="session")
def archived_project(built_project) -> Path:
    """The built project with each runtime's image saved as an archive, once for every engine's copy."""
    images = built_project / "results/images"
    runtimes = [path.name.removesuffix(".identity.json") for path in sorted(images.glob("*.identity.json"))]
    done = snakemake(built_project, *(f"results/images/{runtime}.tar" for runtime in runtimes))
    assert done.returncode == 0, done.stderr[-3000:]
    return built_project


@pytest.fixture(scope="session")
def quick_run(built_project) -> Path:
    """The built project after a real run of the quick config (shared by the end-to-end and cluster tests)."""
    done = snakemake(built_project, *QUICK)
    assert done.returncode == 0, done.stderr[-3000:]
    return built_project


@pytest.fixture(scope="session")
def engine_project(archived_project, tmp_path_factory, request):
    """For an engine other than Docker: a copy of the built project and the environment the engine answers in.

    One copy per engine for the whole session, with the archives saved once
    for all (fixture archived_project), so its images are loaded into the
    engine once (Apptainer makes a sandbox of each, most of a minute per
    image) and the engine, fault and Apptainer environment tests share them.
    Apptainer runs as an ordinary user here, so its copy lives where that
    user may enter (tests/engines_env.py).
    """
    from engines_env import engine_env, engine_workdir

    made: dict[str, tuple[Path, dict]] = {}
    roots: list[Path] = []

    def project(name: str) -> tuple[Path, dict]:
        if name not in made:
            env = engine_env(name)
            root = engine_workdir(name, tmp_path_factory)
            roots.append(root)
            made[name] = (copy_project(archived_project, root / "parbench"), env)
            # Built by Docker, and saved: the engine's load starts from these archives.
            images = made[name][0] / "results/images"
            shutil.copytree(archived_project / "results/images", images, copy_function=link_archives)
        return made[name]

    yield project
    # Apptainer's copy is outside pytest's temporary folders, which pytest clears
    # itself; like those, it is kept after a failure (the next run prunes it).
    if not request.session.testsfailed:
        for root in roots:
            if not root.is_relative_to(tmp_path_factory.getbasetemp()):
                shutil.rmtree(root, ignore_errors=True)
