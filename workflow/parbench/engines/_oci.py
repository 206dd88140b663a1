"""Docker and Podman: engines with the same command line, images by ID, containers by name and label.

Podman reads Docker's flags, so one builder serves both; what differs is
kept as data: Podman asks for open-file and process limits the container may
raise to (its defaults exceed what many hosts allow a process: "error setting
rlimit type 7"), and it runs rootless when started by an ordinary user, where
cgroups v1 cannot pin CPUs or bound memory.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ParbenchError
from ._base import CALL_TIMEOUT, DEFAULT_LIMITS, UNPRIVILEGED_USER, Loaded, answer, installed, last_line, version_tuple

TMPFS = "/tmp:rw,nosuid,nodev,size=512m"
LOAD_TIMEOUT = 1800.0
ABSENT = ("no such image", "image not known", "failed to find image")
NO_CONTAINER = ("no such container", "no container with name")  # Docker's words, then Podman's
CREATE_POLL = 0.25  # seconds between looks for a container whose create may still be finishing
CREATE_POLLS = 12  # 3 s of looking: what an engine may take to finish a create whose client was killed
POLL_TIMEOUT = 2.0  # an engine that cannot list its containers this fast is not waited for


def least_privilege(limits: Mapping[str, object] | None = None) -> list[str]:
    """The `run` options that take from a container all it does not need."""
    bounds = {**DEFAULT_LIMITS, **(limits or {})}
    return [
        "--read-only",
        "--tmpfs",
        TMPFS,
        "--user",
        UNPRIVILEGED_USER,
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--pids-limit",
        str(bounds["pids"]),
        "--memory",
        str(bounds["memory"]),
    ]


def oci_run_command(
    program: str,
    reference: str,
    argv: Sequence[str],
    *,
    name: str | None = None,
    cpuset: str | None = None,
    env: Mapping[str, str] | None = None,
    network: str = "none",
    labels: Mapping[str, str] | None = None,
    mounts: Mapping[str, str] | None = None,
    limits: Mapping[str, object] | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """`PROGRAM run --rm` with least privilege, optionally pinned, named and labelled.

    A label lets a later session find containers a killed session left behind.
    `mounts` (host folder -> container folder) are bind-mounted read-only.
    """
    command = [program, "run", "--rm", "--network", network, *least_privilege(limits), *extra]
    for source in sorted(mounts or {}):
        command += ["--mount", f"type=bind,source={source},target={mounts[source]},readonly"]
    if name:
        command += ["--name", name]
    for key in sorted(labels or {}):
        command += ["--label", f"{key}={labels[key]}"]
    if cpuset is not None:
        command += ["--cpuset-cpus", cpuset]
    for key in sorted(env or {}):
        command += ["--env", f"{key}={env[key]}"]
    return command + [reference, *argv]


def podman_rlimits(limits: Mapping[str, object] | None) -> list[str]:
    """Open files a container may hold, and its processes and threads, no more than `limits.pids`."""
    pids = {**DEFAULT_LIMITS, **(limits or {})}["pids"]
    return ["--ulimit", "nofile=1024:1024", "--ulimit", f"nproc={pids}:{pids}"]


def rootless_problem(name: str, rootless: bool, cgroups: str, controllers: str = "") -> str | None:
    """Rootless Podman pins a container to CPUs only through a delegated cpuset controller of cgroups v2.

    On cgroups v1 it cannot pin at all; on v2 systemd delegates only memory
    and pids to a user unless told otherwise. Pinning is the one thing a
    measurement cannot do without, so either is refused before anything runs.
    """
    if not rootless:
        return None
    if cgroups.strip() == "v1":
        return (
            f"{name} runs rootless on cgroups v1, where it cannot pin containers to CPUs: "
            "boot with cgroups v2 (systemd.unified_cgroup_hierarchy=1) or run it as root"
        )
    if "cpuset" not in controllers:
        shown = controllers.strip("[] \n") or "none"
        return (
            f"{name} runs rootless without the cpuset cgroup controller "
            f"(it has: {shown}), so it cannot pin containers to CPUs: "
            "delegate it (systemd: Delegate=cpuset cpu io memory pids for user@.service) or run it as root"
        )
    return None


@dataclass(frozen=True)
class OciEngine:
    """Docker or Podman, told apart by program name, the options only one needs, and the probe."""

    name: str
    title: str  # what a message calls it: "the Docker daemon", "Podman"
    hint: str
    minimum: tuple[int, ...]
    # What `info --format` prints: the version, then (Podman) rootless, the cgroups version and controllers.
    info_format: str
    rlimits: bool = False  # give the open-file and process limits explicitly
    start_failures: tuple[int, ...] = (125, 126, 127)  # its exits when it could not start a container
    lost_words: str = ""  # what its client says, whatever the exit, when it lost its daemon mid-container
    # The last good `info` answer, which `version` reads instead of asking again (see `info`).
    _answered: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def kill_hint(self) -> str:
        return f"out of memory, see limits.memory; or `{self.name} kill`"

    def run_command(self, reference: str, argv: Sequence[str], **options) -> list[str]:
        extra = podman_rlimits(options.get("limits")) if self.rlimits else []
        return oci_run_command(self.name, reference, argv, extra=extra, **options)

    def info(self, timeout: float) -> tuple[int, str, str]:
        """`ENGINE info` asked now, as `answer` gives it; a good answer is kept for `version`.

        `problem` always asks again: a session asks it after a container failed
        to start, to tell a lost daemon from one bad container. The version
        changes only with an upgrade, not within a session, so `version` (for
        the stamp) reads the answer `problem` got when the session began.
        """
        status, out, err = answer([self.name, "info", "--format", self.info_format], timeout)
        if status == 0 and out.strip():
            self._answered["info"] = out
        return status, out, err

    def problem(self, timeout: float = 20) -> str | None:
        if not installed(self.name):
            return f"the {self.name} command is not installed: {self.hint}"
        status, out, err = self.info(timeout)
        if status != 0 or not out.strip():
            return f"cannot reach {self.title} ({last_line(err, 'no answer')}): {self.hint}"
        fields = out.strip().split(maxsplit=3)
        found = version_tuple(fields[0])
        if found and found < self.minimum:
            wanted = ".".join(map(str, self.minimum))
            return f"{self.name} {fields[0]} is too old (parbench needs {wanted} or newer): {self.hint}"
        if len(fields) >= 3:
            controllers = fields[3] if len(fields) > 3 else ""
            return rootless_problem(self.name, fields[1] == "true", fields[2], controllers)
        return None

    def version(self) -> str:
        if "info" not in self._answered:
            self.info(CALL_TIMEOUT)
        return self._answered["info"].split()[0] if "info" in self._answered else "unknown"

    def gaps(self) -> list[str]:
        return []

    def start_failed(self, returncode: int, stderr: str) -> bool:
        return returncode in self.start_failures or bool(self.lost_words and self.lost_words in stderr.lower())

    def stop(self, name: str) -> None:
        """Remove the container; where `rm` found none, look for it a little longer.

        A client killed while its create request was in flight leaves the
        engine to finish creating the container after `rm` has found nothing,
        and a container created but never started stays until removed. So
        for CREATE_POLLS × CREATE_POLL seconds the name is looked for and removed if it
        comes. `rm --force` of a missing name exits 0 in both engines (Docker
        says so on stderr, Podman says nothing), so what was removed is read
        from stdout, where both print it. A create that ends later still is
        removed, by the next session's sweep of its state folder's label.
        """
        status, out, err = answer(self.remove_command(name), CALL_TIMEOUT)
        if out.strip():  # both engines print what they removed
            return
        if status != 0 and not any(phrase in err.lower() for phrase in NO_CONTAINER):
            return  # the engine cannot answer: nothing to wait for
        for _ in range(CREATE_POLLS):
            time.sleep(CREATE_POLL)
            status, out, _ = answer(self.listed_command(f"name={name}"), POLL_TIMEOUT)
            if status != 0:
                return
            if out.split():
                answer(self.remove_command(name), CALL_TIMEOUT)
                return

    def listed_command(self, match: str) -> list[str]:
        """The IDs of every container, running or not, that `match` selects (`name=N`, `label=K=V`)."""
        return [self.name, "ps", "-aq", "--filter", match]

    def remove_command(self, name: str) -> list[str]:
        """Stops (kills) and removes a container at once."""
        return [self.name, "rm", "--force", name]

    def holds(self, reference: str) -> bool:
        """Whether the engine still has the image a session is about to run."""
        return self.find_image(reference, timeout=CALL_TIMEOUT) is not None

    def strays(self, label: str, value: str) -> list[str]:
        status, out, _ = answer(self.listed_command(f"label={label}={value}"), CALL_TIMEOUT)
        return out.split() if status == 0 else []

    def find_image(self, reference: str, timeout: float = 30) -> str | None:
        """The ID of an image, or None if the engine has none; an engine that cannot answer is an error."""
        status, out, err = answer([self.name, "image", "inspect", "--format", "{{.Id}}", reference], timeout)
        if status == 0:  # Podman prints the ID without the algorithm Docker names it by
            found = out.strip()
            return found if found.startswith("sha256:") else f"sha256:{found}"
        if any(phrase in err.lower() for phrase in ABSENT):
            return None
        raise ParbenchError(f"cannot ask {self.title} about {reference}: {last_line(err, 'no answer')}")

    def load(self, archive: Path, image_id: str, dest: Path, *, digest: str) -> Loaded:
        """`load` the archive unless the image is there already; the loaded ID must be the one built.

        The image ID names the image's bytes here, so the archive's digest is not needed.
        """
        if self.find_image(image_id) != image_id:
            try:
                done = subprocess.run(
                    [self.name, "load", "--input", str(archive)], capture_output=True, text=True, timeout=LOAD_TIMEOUT
                )
            except subprocess.TimeoutExpired:
                raise ParbenchError(f"{self.name} load of {archive} took over {LOAD_TIMEOUT:g} s") from None
            if done.returncode != 0:
                raise ParbenchError(f"{self.name} load of {archive} failed: {last_line(done.stderr)}")
        found = self.find_image(image_id)
        if found != image_id:
            raise ParbenchError(
                f"{self.name} holds the image of {archive} as {found}, expected {image_id}: "
                "the engine changed the image, so its figures would not compare"
            )
        return Loaded(image_id, image_id, image_id)


DOCKER = OciEngine(
    name="docker",
    title="the Docker daemon",
    hint="run scripts/setup.sh as root (installs Debian's docker.io and starts dockerd)",
    minimum=(20, 10),
    info_format="{{.ServerVersion}}",
    lost_words="docker daemon",
)
PODMAN = OciEngine(
    name="podman",
    title="Podman",
    hint="install Podman 4 or newer (Debian: apt-get install podman); rootless, give the user "
    "subuid/subgid ranges (usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER)",
    minimum=(4, 0),
    info_format="{{.Version.Version}} {{.Host.Security.Rootless}} {{.Host.CgroupsVersion}} {{.Host.CgroupControllers}}",
    rlimits=True,
)
