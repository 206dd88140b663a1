"""The docker commands parbench runs, built as argument lists by pure functions.

Keeping command construction pure lets the unit tests check every flag
(pinning, network, naming) without an engine; the few functions that run
commands are thin wrappers.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence

from .errors import ParbenchError

SETUP_HINT = "run scripts/setup.sh as root (installs Debian's docker.io and starts dockerd)"


def daemon_problem(timeout: float = 20) -> str | None:
    """Why the Docker engine cannot be used, as one line, or None if it can."""
    if shutil.which("docker") is None:
        return f"the docker command is not installed: {SETUP_HINT}"
    try:
        done = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"the Docker daemon did not answer within {timeout:g} s: {SETUP_HINT}"
    if done.returncode != 0 or not done.stdout.strip():
        detail = (done.stderr.strip().splitlines() or ["no answer"])[-1]
        return f"cannot reach the Docker daemon ({detail}): {SETUP_HINT}"
    return None


def require_daemon() -> None:
    problem = daemon_problem()
    if problem:
        raise ParbenchError(problem)


def build_command(
    dockerfile: str,
    context: str,
    build_args: Mapping[str, str],
    tag: str,
    iidfile: str,
) -> list[str]:
    """`docker build` writing the image ID to `iidfile`."""
    command = ["docker", "build", "--file", dockerfile, "--iidfile", iidfile, "--tag", tag]
    for key in sorted(build_args):
        command += ["--build-arg", f"{key}={build_args[key]}"]
    return command + [context]


def run_command(
    image: str,
    argv: Sequence[str],
    *,
    name: str | None = None,
    cpuset: str | None = None,
    env: Mapping[str, str] | None = None,
    network: str = "none",
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """`docker run --rm` for a measurement or a probe: no network, optionally pinned and labelled.

    A label lets a later session find containers a killed session left behind.
    """
    command = ["docker", "run", "--rm", "--network", network]
    if name:
        command += ["--name", name]
    for key in sorted(labels or {}):
        command += ["--label", f"{key}={labels[key]}"]
    if cpuset is not None:
        command += ["--cpuset-cpus", cpuset]
    for key in sorted(env or {}):
        command += ["--env", f"{key}={env[key]}"]
    return command + [image, *argv]


def remove_container_command(name: str) -> list[str]:
    return ["docker", "rm", "--force", name]


def find_image(reference: str, timeout: float = 30) -> str | None:
    """The ID of an image, or None if the engine has no such image.

    An engine that cannot be asked is an error, not an absent image, so a
    stopped daemon never makes an image look pruned.
    """
    try:
        done = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Id}}", reference],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ParbenchError(f"cannot ask the Docker engine about {reference}: {error}") from None
    if done.returncode == 0:
        return done.stdout.strip()
    if "no such image" in done.stderr.lower():
        return None
    detail = (done.stderr.strip().splitlines() or ["no answer"])[-1]
    raise ParbenchError(f"cannot ask the Docker engine about {reference}: {detail}")


def output_of(command: Sequence[str], timeout: float | None = 600) -> str:
    """Run a short command and return its stdout; one-line error if it fails."""
    done = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ParbenchError(f"{' '.join(command[:3])} … failed: {detail}")
    return done.stdout
