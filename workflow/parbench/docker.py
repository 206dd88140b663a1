"""Every docker command line parbench runs, built as argument lists by pure functions.

It is the engine that builds the images: no other module names `docker` in
an argument list for that (build, import, pull, tag, save, the identity and
package probes). The engines a session measures with, Docker among them,
are in engines/, which also answer whether Docker can be used and which
images it holds. Keeping construction pure
lets the unit tests check every flag (pinning, network, naming, labels)
without an engine, and keeps the engine behind one module; the few functions
here that run commands are thin wrappers.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

from .engines._oci import DOCKER, oci_run_command
from .errors import ParbenchError

PYTHON_IDENTITY = "/opt/parbench/python/identity.py"
GO_IDENTITY = ["go", "env", "-json", "GOVERSION", "GOOS", "GOARCH", "GOROOT"]
PACKAGE_QUERY = ["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${Architecture}\n"]


# ---- command lines -----------------------------------------------------------


def version_command(side: str = "Server") -> list[str]:
    """The engine's version, of its `Server` or its `Client` side."""
    return ["docker", "version", "--format", f"{{{{.{side}.Version}}}}"]


def build_command(
    dockerfile: str,
    context: str,
    build_args: Mapping[str, str],
    tag: str,
    iidfile: str,
    *,
    no_cache: bool = False,
    network: str | None = None,
) -> list[str]:
    """`docker build` writing the image ID to `iidfile`; `no_cache` for cold builds, network "none" for offline ones.

    `--force-rm`: the classic builder otherwise keeps the stopped container of
    a failed step (a user's requirements that do not install), and each such
    container keeps its layer's disk until someone prunes it.
    """
    command = ["docker", "build", "--force-rm"]
    command += [*(["--no-cache"] if no_cache else []), *(["--network", network] if network else [])]
    command += ["--file", dockerfile, "--iidfile", iidfile, "--tag", tag]
    for key in sorted(build_args):
        command += ["--build-arg", f"{key}={build_args[key]}"]
    return command + [context]


def import_command(tag: str) -> list[str]:
    """`docker import` of a root file system's tar stream from stdin."""
    return ["docker", "import", "-", tag]


def pull_command(image: str) -> list[str]:
    return ["docker", "pull", image]


def tag_command(image: str, tag: str) -> list[str]:
    return ["docker", "tag", image, tag]


def save_command(image: str, archive: str) -> list[str]:
    """`docker save` of one image into an archive a cluster node can load."""
    return ["docker", "save", "--output", archive, image]


def run_command(image: str, argv: Sequence[str], **options) -> list[str]:
    """`docker run --rm` with least privilege (engines/_oci.py builds it for Docker and Podman alike)."""
    return oci_run_command("docker", image, argv, **options)


def identity_command(kind: str, image: str) -> list[str]:
    """Asks an image who it is: CPython's version and GIL state, or Go's `go env`."""
    if kind == "cpython":
        return run_command(image, ["python3", PYTHON_IDENTITY])
    return run_command(image, GO_IDENTITY)


def packages_command(image: str) -> list[str]:
    """Lists an image's Debian packages, one `name<TAB>version<TAB>architecture` a line."""
    return run_command(image, PACKAGE_QUERY)


# ---- running them ------------------------------------------------------------


def daemon_problem(timeout: float = 20) -> str | None:
    """Why the Docker engine cannot be used, as one line, or None if it can (engines/ asks it)."""
    return DOCKER.problem(timeout)


def require_daemon() -> None:
    problem = daemon_problem()
    if problem:
        raise ParbenchError(problem)


def find_image(reference: str, timeout: float = 30) -> str | None:
    """The ID of an image, or None if the engine has no such image.

    An engine that cannot be asked is an error, not an absent image, so a
    stopped daemon never makes an image look pruned.
    """
    return DOCKER.find_image(reference, timeout)


def output_of(command: Sequence[str], timeout: float | None = 600) -> str:
    """Run a short command and return its stdout; one-line error if it fails."""
    done = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ParbenchError(f"{' '.join(command[:3])} … failed: {detail}")
    return done.stdout
