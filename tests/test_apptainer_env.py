"""The unprivileged Apptainer environment of scripts/apptainer-env.sh, used for real.

Each test runs the wrapper the way parbench's apptainer engine will: as root, with
the sid apptainer dropped to an ordinary user inside. The environment is cached in
ENV_DIR (made once, about 30 s). The sandbox is the one parbench's own load
(rule engine_images) builds from the 3.13t image's `docker save` archive, in
the Apptainer project the engine tests share: the conversion is tested as
parbench does it, and done once per test run (it takes most of a minute).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from engines_env import claimed_folder

from conftest import REPO, snakemake

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.engines]

ENV_DIR = Path("/var/tmp/parbench-apptainer")
USER = "parbench-apptainer"
CONTAINED = ["exec", "--userns", "--containall", "--cleanenv", "--no-mount", "devpts"]
PROBE = "import os, sys; print(sorted(os.sched_getaffinity(0)), sys._is_gil_enabled(), os.getuid())"


def wrapper() -> str:
    return str(ENV_DIR / "bin" / "apptainer")


def run(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([wrapper(), *args], capture_output=True, text=True, timeout=timeout, **kwargs)


def ok(*args: str, **kwargs) -> str:
    done = run(*args, **kwargs)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="session")
def environment(docker_engine) -> Path:
    if os.geteuid() != 0:
        pytest.fail("the Apptainer environment needs root (the wrapper's mounts): run the tests as root")
    done = subprocess.run(
        ["bash", str(REPO / "scripts/apptainer-env.sh"), str(ENV_DIR)], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"export PATH={ENV_DIR}/bin:$PATH" in done.stdout
    return ENV_DIR


@pytest.fixture(scope="session")
def workdir(environment) -> Path:
    """A folder the unprivileged user may write, below the bound /var/tmp."""
    path = claimed_folder(environment, "run-")
    shutil.chown(path, USER, USER)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def sandbox(environment, engine_project) -> Path:
    """The 3.13t sandbox the engine's load made as the ordinary user, from the image's archive."""
    project, env = engine_project("apptainer")
    target = "results/images/loaded-apptainer.json"
    done = snakemake(project, target, "--config", "engine=apptainer", env=env, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    made = Path(json.loads((project / target).read_text())["images"]["cpython-3.13t"]["reference"])
    assert made.is_relative_to(project), made  # an absolute path, in this project's results/images
    return made


def test_version_and_refusal_as_non_root(environment):
    assert ok("--version").startswith("apptainer version 1.")
    done = subprocess.run(
        ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", wrapper(), "--version"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 126 and "must be run as root" in done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stdout == ""


def test_sandbox_is_built_from_the_docker_archive(sandbox):
    assert (sandbox / ".singularity.d/env").is_dir()
    assert (sandbox / "usr/local/bin/python3").exists()
    # The build ran as the ordinary user, not as root.
    assert sandbox.stat().st_uid == uid_of(USER) != 0


def test_pinned_free_threaded_unprivileged(sandbox):
    out = ok(*CONTAINED, str(sandbox), "taskset", "-c", "1", "python3", "-c", PROBE)
    uid = uid_of(USER)
    assert out.split("\n")[0] == f"[1] False {uid}" and uid != 0


def test_no_network(sandbox):
    code = (
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "try:\n    s.connect(('1.1.1.1', 53)); print('connected')\nexcept OSError as e:\n    print(e.errno)"
    )
    out = ok(*CONTAINED, "--net", "--network", "none", str(sandbox), "python3", "-c", code)
    assert out.strip() == "101"  # ENETUNREACH: only a loopback device in the container


def test_environment_passes_and_is_clean(sandbox):
    code = "import os, sys; print(os.environ.get('PYTHON_GIL'), sys._is_gil_enabled(), os.environ.get('LEAK'))"
    out = ok(*CONTAINED, "--env", "PYTHON_GIL=1", str(sandbox), "python3", "-c", code, env={**os.environ, "LEAK": "x"})
    assert out.strip() == "1 True None"


def test_read_only_root_private_tmp_and_read_only_bind(sandbox, workdir):
    marker = Path("/tmp") / f"parbench-host-{uuid.uuid4().hex}"
    marker.write_text("host")
    try:
        script = (
            f"touch /usr/x 2>&1; test -e {marker} && echo host-tmp-visible; "
            "echo t > /tmp/t && cat /tmp/t; cat /data/file; { echo w > /data/new; } 2>&1; true"
        )
        shared = workdir / "shared"
        shared.mkdir(exist_ok=True)
        (shared / "file").write_text("data\n")
        out = ok(*CONTAINED, "--bind", f"{shared}:/data:ro", str(sandbox), "sh", "-c", script)
    finally:
        marker.unlink()
    lines = out.splitlines()
    assert "Read-only file system" in lines[0] and "/usr/x" in lines[0]
    assert lines[1:3] == ["t", "data"] and "host-tmp-visible" not in out
    assert "Read-only file system" in lines[3] and not (shared / "new").exists()


def test_exit_status_and_stdin_pass_through(sandbox):
    assert run(*CONTAINED, str(sandbox), "python3", "-c", "raise SystemExit(3)").returncode == 3
    done = run(*CONTAINED, str(sandbox), "python3", "-c", "print(input().upper())", input="piped\n")
    assert (done.returncode, done.stdout) == (0, "PIPED\n")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_wrapper_kills_the_container(sandbox, sig):
    token = f"{time.time_ns()}"
    code = f"import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300 + 0 * {token})"
    proc = subprocess.Popen([wrapper(), *CONTAINED, str(sandbox), "python3", "-c", code])
    try:
        assert wait_for(lambda: mine("^sleep 300$"), 60), "the container's processes never started"
        proc.send_signal(sig)
        assert proc.wait(timeout=30) != 0
        assert wait_for(lambda: not mine(token) and not mine("^sleep 300$"), 10), mine(token)
    finally:
        if proc.poll() is None:
            proc.kill()


def uid_of(user: str) -> int:
    return int(subprocess.run(["id", "-u", user], capture_output=True, text=True, check=True).stdout)


def mine(pattern: str) -> list[str]:
    """The unprivileged user's processes whose command line matches (pgrep only reads)."""
    done = subprocess.run(["pgrep", "-u", USER, "-f", pattern], capture_output=True, text=True)
    return done.stdout.split()


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False
