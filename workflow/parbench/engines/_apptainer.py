"""Apptainer: no daemon, the user is the same inside and out, images are folders made from archives.

What Docker's flags say, Apptainer says differently:
- the CPU set: Apptainer has no flag of its own, so the command is started
  under `taskset -c`; the harness then reports the affinity it saw, and the
  session checks it as for any engine;
- least privilege: `--userns --containall --cleanenv` runs unprivileged in a
  user namespace, with a private /tmp and home, the host's environment
  dropped and the image's root read-only (a sandbox is not `--writable`);
  an unprivileged user holds no capabilities there;
- no network: `--net --network none`, a namespace with a loopback only;
- memory and process limits need cgroups an unprivileged user is not given
  here, so they are not applied, and `gaps` says so for the report;
- names and labels: Apptainer has none, so they travel as environment
  variables of the container's processes, where a later session finds the
  strays of its state folder (`/proc/PID/environ`) and kills them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParbenchError
from ._base import CALL_TIMEOUT, Loaded, answer, installed, last_line, version_tuple

NAME_VARIABLE = "PARBENCH_CONTAINER"
BUILD_TIMEOUT = 1800.0
USERNS_FILE = "/proc/sys/user/max_user_namespaces"


def label_variable(label: str) -> str:
    """'parbench.state' -> 'PARBENCH_STATE': a label as an environment variable's name."""
    return "".join(c if c.isalnum() else "_" for c in label).upper()


def tagged(environ: bytes, variable: str, value: str) -> bool:
    """Whether a process's environment (NUL-separated, as /proc shows it) sets variable=value."""
    return f"{variable}={value}".encode() in environ.split(b"\0")


def value_of(environ: bytes, variable: str) -> str | None:
    """The value a process's environment gives `variable`, or None where it does not set it."""
    prefix = f"{variable}=".encode()
    for item in environ.split(b"\0"):
        if item.startswith(prefix):
            return item[len(prefix) :].decode(errors="replace")
    return None


def process_environments() -> dict[int, bytes]:
    """Every process's environment this user may read, by PID (others are not ours to stop)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = (entry / "environ").read_bytes()
            except OSError:
                continue
    return found


def archive_image_id(archive: Path) -> str | None:
    """The image ID a `docker save` archive holds: its manifest's config blob, named by its sha256."""
    try:
        with tarfile.open(archive) as tar:
            member = tar.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member else []
    except (OSError, KeyError, tarfile.TarError, ValueError):
        return None
    if len(manifest) != 1:
        return None
    config = manifest[0].get("Config", "")
    return "sha256:" + Path(config).name.removesuffix(".json")


@dataclass(frozen=True)
class ApptainerEngine:
    """Apptainer run unprivileged (`--userns`): no daemon, no setuid starter, user namespaces only."""

    name: str = "apptainer"
    title: str = "Apptainer"
    hint: str = "install Apptainer 1.1 or newer with user namespaces on (see docs/engines.md, What a site needs)"
    minimum: tuple[int, ...] = (1, 1)
    start_failures: tuple[int, ...] = (255,)  # with a FATAL line: the container could not be made or started
    kill_hint: str = "killed from outside: Apptainer applies no memory limit here"

    def run_command(
        self,
        reference: str,
        argv: Sequence[str],
        *,
        name: str | None = None,
        cpuset: str | None = None,
        env: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        mounts: Mapping[str, str] | None = None,
        limits: Mapping[str, object] | None = None,
    ) -> list[str]:
        """`apptainer exec` unprivileged, networkless, clean, pinned with taskset; limits are not applied."""
        command = ["apptainer", "exec", "--userns", "--containall", "--cleanenv", "--no-mount", "devpts"]
        command += ["--net", "--network", "none"]
        for source in sorted(mounts or {}):
            command += ["--bind", f"{source}:{mounts[source]}:ro"]
        tags = {label_variable(key): value for key, value in (labels or {}).items()}
        if name:
            tags[NAME_VARIABLE] = name
        variables = {**tags, **(env or {})}
        for key in sorted(variables):
            command += ["--env", f"{key}={variables[key]}"]
        command.append(reference)
        if cpuset is not None:
            command += ["taskset", "--cpu-list", cpuset]
        return command + list(argv)

    def problem(self, timeout: float = 20) -> str | None:
        if not installed(self.name):
            return f"the apptainer command is not installed: {self.hint}"
        status, out, err = answer([self.name, "--version"], timeout)
        if status != 0:
            return f"cannot run apptainer ({last_line(err, 'no answer')}): {self.hint}"
        found = version_tuple(out)
        if found and found < self.minimum:
            return f"apptainer {out.strip()} is too old (parbench needs 1.1 or newer): {self.hint}"
        return userns_problem(_read(USERNS_FILE))

    def version(self) -> str:
        status, out, _ = answer([self.name, "--version"], CALL_TIMEOUT)
        return out.strip().removeprefix("apptainer version ") if status == 0 and out.strip() else "unknown"

    def gaps(self) -> list[str]:
        return [
            "memory and process limits (limits.memory, limits.pids): an unprivileged user has no cgroups here",
            "the user 65534: containers run as the calling user, in a user namespace of their own",
            "a 512 MB /tmp: Apptainer's private /tmp holds 64 MB (sessiondir max size)",
        ]

    def start_failed(self, returncode: int, stderr: str) -> bool:
        """255 with Apptainer's own FATAL line; a harness that exits 255 itself prints none, and is not retried."""
        return returncode in self.start_failures and any(line.startswith("FATAL:") for line in stderr.splitlines())

    def stop(self, name: str) -> None:
        for pid, environ in process_environments().items():
            if tagged(environ, NAME_VARIABLE, name):
                _kill_if_tagged(pid, name)

    def holds(self, reference: str) -> bool:
        """The sandbox folder is still there, with the digest `load` left in it."""
        return (Path(reference) / ".parbench-digest").is_file()

    def strays(self, label: str, value: str) -> list[str]:
        names = set()
        for environ in process_environments().values():
            if tagged(environ, label_variable(label), value):
                names.add(value_of(environ, NAME_VARIABLE) or "")
        return sorted(n for n in names if n)

    def load(self, archive: Path, image_id: str, dest: Path, *, digest: str) -> Loaded:
        """A sandbox folder made from the archive, once: its digest is the archive's sha256, as checked."""
        held = archive_image_id(archive)
        if held != image_id:
            raise ParbenchError(f"{archive} holds image {held}, expected {image_id}: save the image again")
        stamp = dest / ".parbench-digest"
        if not (stamp.is_file() and stamp.read_text().strip() == digest):
            dest.parent.mkdir(parents=True, exist_ok=True)
            # Absolute paths: apptainer may start elsewhere (a site's wrapper, a batch job's folder).
            command = [self.name, "build", "--force", "--sandbox", str(dest.resolve())]
            command.append(f"docker-archive://{archive.resolve()}")
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise ParbenchError(f"apptainer build from {archive} took over {BUILD_TIMEOUT:g} s") from None
            if done.returncode != 0:
                raise ParbenchError(f"apptainer could not convert {archive}: {last_line(done.stderr)}")
            stamp.write_text(digest + "\n")
        return Loaded(image_id, str(dest.resolve()), digest)


def userns_problem(limit: str | None) -> str | None:
    """Unprivileged Apptainer needs user namespaces; a limit of 0 turns them off."""
    if limit is not None and limit.strip() == "0":
        return (
            f"user namespaces are off ({USERNS_FILE} is 0), which unprivileged Apptainer needs: "
            "sysctl -w user.max_user_namespaces=15000"
        )
    return None


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _kill_if_tagged(pid: int, name: str) -> None:
    """SIGKILL a container's process, through a pidfd opened after its environment is read again.

    A PID read from /proc may be reused by the time it is signalled; a pidfd
    names one process, so what is killed is the process that was checked.
    """
    try:
        handle = os.pidfd_open(pid)
    except OSError:
        return
    try:
        if tagged(Path(f"/proc/{pid}/environ").read_bytes(), NAME_VARIABLE, name):
            signal.pidfd_send_signal(handle, signal.SIGKILL)
    except OSError:
        pass
    finally:
        os.close(handle)


APPTAINER = ApptainerEngine()
