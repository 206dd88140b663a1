"""What every engine offers a session, and the plain data it answers with."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# What a container may use at most when config's `limits` says nothing.
DEFAULT_LIMITS = {"memory": "8g", "pids": 16384}
UNPRIVILEGED_USER = "65534:65534"  # nobody:nogroup
CALL_TIMEOUT = 30.0


@dataclass(frozen=True)
class Loaded:
    """An image as one engine runs it: the reference it is run by, and what identifies its bytes.

    For Docker and Podman the reference is the image ID itself; for Apptainer
    it is the sandbox folder made from the image's archive, and the digest is
    that archive's sha256 (the folder is made from nothing else).
    """

    image_id: str
    reference: str
    digest: str

    def as_dict(self) -> dict[str, str]:
        return {"image_id": self.image_id, "reference": self.reference, "digest": self.digest}


class Engine(Protocol):
    """A container engine, as a session uses it."""

    name: str
    title: str  # what a message calls it: "the Docker daemon", "Podman", "Apptainer"
    hint: str  # how to install it or make it usable, for the one-line errors
    start_failures: tuple[int, ...]  # its exit statuses when it could not start a container
    kill_hint: str  # why a container of it was killed, for the retry's line

    def problem(self, timeout: float = 20) -> str | None:
        """Why this engine cannot be used on this machine, in one line, or None if it can."""

    def version(self) -> str:
        """The engine's version, for the stamp."""

    def start_failed(self, returncode: int, stderr: str) -> bool:
        """Whether a container's exit says the engine could not run it (retried), not that the harness failed."""

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
        """The command line that runs `argv` in the image, with least privilege, pinned and named."""

    def gaps(self) -> list[str]:
        """The promises this engine cannot keep here, as short phrases for the report."""

    def stop(self, name: str) -> None:
        """Kill and remove one container by the name it was run with; bounded, never raises."""

    def strays(self, label: str, value: str) -> list[str]:
        """The names (or IDs) of containers still around that carry label=value."""

    def load(self, archive: Path, image_id: str, dest: Path, *, digest: str) -> Loaded:
        """Make the image of a `docker save` archive runnable by this engine, checked against its ID.

        `digest` is the archive's sha256 ('sha256:HEX') as the caller checked
        it against the sidecar saved with it, so no engine hashes the archive again.
        """

    def holds(self, reference: str) -> bool:
        """Whether the engine still has what `load` made, so a session does not start without it."""


def last_line(text: str, default: str = "no message") -> str:
    """The last line of a command's output: where engines put the reason they failed."""
    return (text.strip().splitlines() or [default])[-1]


def answer(command: Sequence[str], timeout: float) -> tuple[int, str, str]:
    """Run a short command: (exit status, stdout, stderr); a missing program or a timeout is status -1."""
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        return -1, "", f"{command[0]}: command not found"
    except OSError as error:
        return -1, "", f"{command[0]}: {error}"
    except subprocess.TimeoutExpired:
        return -1, "", f"{command[0]} did not answer within {timeout:g} s"
    return done.returncode, done.stdout, done.stderr


def installed(program: str) -> bool:
    """Whether `program` is on PATH: asked first, so a missing engine gets its own line."""
    return shutil.which(program) is not None


def version_tuple(text: str) -> tuple[int, ...]:
    """'4.3.1', '20.10.24+dfsg1' or 'apptainer version 1.4.5-1' -> (4, 3, 1) ...; () when there is none."""
    found = re.search(r"(?<![\w.])(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(part) for part in found.groups() if part is not None) if found else ()
