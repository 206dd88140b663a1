"""Builds parbench's images and checks that each one is what config asked for.

Every build writes the image ID through `docker build --iidfile` (or `docker
import`) into a temporary file that is moved into place on success, so an
ID file that exists names an image that was completely built.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import docker
from .atomic import atomic_path, write_text_atomic
from .errors import ParbenchError, main_guard

BUILD_TIMEOUT = 7200.0  # a cold CPython build with PGO+LTO on a small machine stays well within it
SHORT_TIMEOUT = 60.0

# ---- pure helpers ----------------------------------------------------------


def base_key(base: dict) -> str:
    """A short digest of what defines the base image, used as its tag."""
    relevant = {k: base.get(k) for k in ("method", "suite", "mirror", "snapshot", "pull_image")}
    if relevant["method"] == "pull":
        relevant = {"method": "pull", "pull_image": relevant["pull_image"]}
    text = json.dumps(relevant, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def mmdebstrap_command(base: dict) -> tuple[list[str], dict[str, str]]:
    """mmdebstrap writing a minbase root file system as a tar stream on stdout.

    With a snapshot timestamp the mirror becomes snapshot.debian.org at that
    time and SOURCE_DATE_EPOCH is pinned to it, so the tarball is reproducible.
    """
    mirror = base["mirror"]
    env: dict[str, str] = {}
    command = ["mmdebstrap", "--variant=minbase", "--include=ca-certificates", "--format=tar"]
    if base.get("snapshot"):
        stamp = datetime.strptime(base["snapshot"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        mirror = f"http://snapshot.debian.org/archive/debian/{base['snapshot']}"
        command.append('--aptopt=Acquire::Check-Valid-Until "false"')
        env["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
    return command + [base["suite"], "-", mirror], env


def cpython_build_args(entry: dict, base_tag: str) -> dict[str, str]:
    """Build arguments of a CPython image: the GIL pair differ in --disable-gil only."""
    flags = list(entry.get("configure_flags", []))
    if entry.get("optimizations"):
        flags += ["--enable-optimizations", "--with-lto"]
    if entry["free_threading"]:
        flags.append("--disable-gil")
    return {"BASE_IMAGE": base_tag, "SOURCE": entry["source"], "CONFIGURE_FLAGS": " ".join(flags)}


def go_build_args(entry: dict, base_tag: str) -> dict[str, str]:
    return {"BASE_IMAGE": base_tag, "GO_VERSION": entry["version"]}


def identity_problems(name: str, entry: dict, identity: dict) -> list[str]:
    """Where the image disagrees with its catalogue entry; each one line."""
    key = f"catalogue.{name}"
    problems = []
    if entry["kind"] == "cpython":
        if identity.get("version") != entry["version"]:
            problems.append(
                f"config key '{key}.version': image runs Python {identity.get('version')}, "
                f"config asks for {entry['version']}"
            )
        wants_free = entry["free_threading"]
        if identity.get("gil_build_disabled") != wants_free:
            problems.append(
                f"config key '{key}.free_threading': image's Py_GIL_DISABLED is "
                f"{identity.get('gil_build_disabled')}, config asks for {wants_free}"
            )
        if identity.get("gil_enabled") == wants_free:
            state = "with" if identity.get("gil_enabled") else "without"
            problems.append(
                f"config key '{key}.free_threading': image runs {state} the GIL, but free_threading is {wants_free}"
            )
    else:
        version = identity.get("GOVERSION", "")
        wanted = f"go{entry['version']}"
        if version != wanted and not version.startswith(wanted + "."):
            problems.append(f"config key '{key}.version': image runs {version or 'no Go'}, config asks for {wanted}")
    return problems


# ---- actions ---------------------------------------------------------------


def build_base(base: dict, iid_out: Path, packages_out: Path) -> str:
    """Make (or reuse) the base image and record its ID and package list.

    An image already tagged with this configuration's key is reused: like
    Docker's own layer cache, it stands for the same recipe. `docker rmi` the
    tag to force a fresh root file system.
    """
    tag = f"parbench/base:{base_key(base)}"
    if docker.find_image(tag) and not os.environ.get("PARBENCH_NO_CACHE"):
        print(f"reusing {tag}", file=sys.stderr)
    elif base["method"] == "pull":
        bounded(docker.pull_command(base["pull_image"]), BUILD_TIMEOUT, check=True)
        bounded(docker.tag_command(base["pull_image"], tag), SHORT_TIMEOUT, check=True)
    else:
        command, extra_env = mmdebstrap_command(base)
        print("running " + " ".join(command), file=sys.stderr)
        maker = subprocess.Popen(command, stdout=subprocess.PIPE, env={**os.environ, **extra_env})
        importer = bounded(
            docker.import_command(tag), BUILD_TIMEOUT, stdin=maker.stdout, capture_output=True, text=True
        )
        maker.stdout.close()
        if maker.wait() != 0 or importer.returncode != 0:
            raise ParbenchError(
                f"config key 'base': building the base image failed "
                f"(mmdebstrap exit {maker.returncode}, docker import: {importer.stderr.strip() or 'ok'}); "
                f"check base.suite and base.mirror, or set base.method: pull"
            )
    image = docker.find_image(tag)
    if image is None:
        raise ParbenchError(f"config key 'base': no image {tag} after building it; see logs/images/base.log")
    packages = docker.output_of(docker.packages_command(image))
    write_text_atomic(packages_out, packages)
    write_text_atomic(iid_out, image + "\n")
    return image


def bounded(command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run with a timeout, so a hung Docker daemon stops the build with one line instead of hanging."""
    try:
        return subprocess.run(command, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired:
        raise ParbenchError(
            f"{' '.join(command[:3])} … did not finish within {timeout:g} s; "
            "is the Docker daemon answering? (scripts/setup.sh restarts it)"
        ) from None


def build_image(
    dockerfile: str,
    build_args: dict[str, str],
    tag: str,
    iid_out: Path,
    context: str = ".",
    network: str | None = None,
) -> str:
    """`docker build` (the repository as context unless given), its output streamed to our stdout as it comes.

    A failed build raises BuildFailed with the line `failure_line` picks
    from its output (a pip or compiler error), else a pointer to the log.
    """
    with atomic_path(iid_out) as tmp:
        # PARBENCH_NO_CACHE: cold builds, for benchmarks/images.py
        cold = bool(os.environ.get("PARBENCH_NO_CACHE"))
        command = docker.build_command(dockerfile, context, build_args, tag, str(tmp), no_cache=cold, network=network)
        print("running " + " ".join(command), flush=True)
        returncode, output = streamed(command, BUILD_TIMEOUT, {**os.environ, "DOCKER_BUILDKIT": "0"})
        if returncode != 0:
            why = failure_line(output) or f"exit {returncode}; see its log"
            raise BuildFailed(f"docker build of {tag} failed: {why}")
        image = tmp.read_text().strip()
    return image


def streamed(command: list[str], timeout: float, env: dict[str, str]) -> tuple[int, str]:
    """Run a long command, copying its output line by line to ours; its exit code and output.

    A build that outlives `timeout` is stopped with one line, its log so far kept.
    """
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
            if time.monotonic() > deadline:
                proc.kill()
                raise ParbenchError(
                    f"{' '.join(command[:3])} … did not finish within {timeout:g} s; "
                    "is the Docker daemon answering? (scripts/setup.sh restarts it)"
                )
        returncode = proc.wait()
    return returncode, "".join(lines)


def pinned_tag(image: str, repository: str) -> str:
    """Tag image ID `image` as `repository:<its first 12 hex digits>` and return the tag.

    A Dockerfile's FROM names that tag, so a build can only start from this
    exact image, never from another one that took over a moving tag.
    """
    tag = f"{repository}:{image.split(':')[-1][:12]}"
    bounded(docker.tag_command(image, tag), SHORT_TIMEOUT, check=True)
    return tag


class BuildFailed(ParbenchError):
    """A build that did not finish, with the line from its output that says why."""


# Lines a failed build prints that say why, most telling first: our twin
# builder's one line, then pip's last error.
FAILURE_MARKERS = ("parbench-go-twin: error: ", "ERROR: ")


def failure_line(output: str) -> str | None:
    """The line of a failed build's output that names the problem, or None."""
    lines = [line.strip() for line in output.splitlines()]
    for marker in FAILURE_MARKERS:
        found = [line[line.index(marker) :] for line in lines if marker in line]
        if found:
            return found[0].removeprefix("parbench-go-twin: error: ") if marker.startswith("parbench") else found[-1]
    return None


def verify_identity(name: str, entry: dict, iid_file: Path, out: Path, packages_out: Path) -> dict:
    """Ask the image what it is, stop on any mismatch with config, keep the answer and package list."""
    image = iid_file.read_text().strip()
    raw = docker.output_of(docker.identity_command(entry["kind"], image))
    identity = json.loads(raw)
    record = {"runtime": name, "image_id": image, "config": entry, "identity": identity}
    problems = identity_problems(name, entry, identity)
    if problems:
        raise ParbenchError(problems[0])
    write_text_atomic(packages_out, docker.output_of(docker.packages_command(image)))
    write_text_atomic(out, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    base = sub.add_parser("base")
    base.add_argument("--config-json", required=True, help="the config's 'base' section as JSON")
    base.add_argument("--iid", required=True, type=Path)
    base.add_argument("--packages", required=True, type=Path)
    build = sub.add_parser("build")
    build.add_argument("--runtime", required=True)
    build.add_argument("--entry-json", required=True)
    build.add_argument("--base-iid", required=True, type=Path)
    build.add_argument("--iid", required=True, type=Path)
    ident = sub.add_parser("identity")
    ident.add_argument("--runtime", required=True)
    ident.add_argument("--entry-json", required=True)
    ident.add_argument("--iid", required=True, type=Path)
    ident.add_argument("--out", required=True, type=Path)
    ident.add_argument("--packages", required=True, type=Path)
    args = parser.parse_args(argv)

    docker.require_daemon()
    if args.action == "base":
        print(build_base(json.loads(args.config_json), args.iid, args.packages))
    elif args.action == "build":
        entry = json.loads(args.entry_json)
        base_image = args.base_iid.read_text().strip()
        # Tag the exact base ID for this build so FROM cannot resolve to another base.
        base_tag = pinned_tag(base_image, "parbench/base")
        if entry["kind"] == "cpython":
            dockerfile, build_args = "containers/cpython/Dockerfile", cpython_build_args(entry, base_tag)
        else:
            dockerfile, build_args = "containers/go/Dockerfile", go_build_args(entry, base_tag)
        print(build_image(dockerfile, build_args, f"parbench/{args.runtime}:latest", args.iid))
    else:
        record = verify_identity(args.runtime, json.loads(args.entry_json), args.iid, args.out, args.packages)
        print(json.dumps(record["identity"], sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
