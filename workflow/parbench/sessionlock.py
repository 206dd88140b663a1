"""What keeps a measurement session alone on the machine, and what stops it.

The lock refuses a second session while one measures (one measurement at a
time); it names its holder, so the workflow engine can signal the session
(control.py). The session stops on SIGINT or SIGTERM, and when the workflow
engine that started it has gone away, within seconds and leaving its journal.
"""

from __future__ import annotations

import fcntl
import os
import signal
from contextlib import ExitStack
from pathlib import Path

from .errors import ParbenchError
from .journal import now

LOCK_NAME = "measure.lock"  # in the session's state folder, beside its journal
# One machine, one measurement: sessions of other checkouts take this one too.
MACHINE_LOCK = Path("/run/lock" if Path("/run/lock").is_dir() else "/tmp") / "parbench-measure.lock"


class Stopped(Exception):
    """The user (or the workflow engine going away) stopped the session."""


def _terminate(signum, frame):
    """Stop on the first SIGINT or SIGTERM and ignore any later one.

    Ctrl-C reaches the session twice: directly (the terminal signals the whole
    process group) and as SIGTERM forwarded by Snakemake. The second must not
    interrupt the clean-up the first started (removing the container, writing
    the one-line error), or the container is left and the user sees a traceback.
    """
    signal.signal(signal.SIGINT, _already_stopping)
    signal.signal(signal.SIGTERM, _already_stopping)
    raise Stopped(signal.Signals(signum).name)


def _already_stopping(signum, frame):
    """A handler that does nothing (SIG_IGN would make Python raise "ignored due to race condition")."""


def stop_on_signals(*signums: int) -> None:
    """Make these signals (SIGINT and SIGTERM unless named) raise Stopped in the session."""
    for signum in signums or (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _terminate)


def pid_alive(pid: int) -> bool:
    """Whether a process runs (a zombie, exited but not reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def watched_ancestors() -> list[int]:
    """The processes the session lives for: its parent and grandparent (the shell and Snakemake).

    Snakemake runs the session through a shell; if Snakemake is killed the
    shell may live on, so the grandparent is watched too. Init and the
    container runtime's reapers are never watched.
    """
    parent = os.getppid()
    return [pid for pid in (parent, _parent_of(parent)) if pid and pid > 1]


def holder_pid(text: str) -> int | None:
    """The PID a lock file names ("pid 123, started ..."), or None."""
    try:
        return int(text.split()[1].rstrip(","))
    except (IndexError, ValueError):
        return None


def hold_session_lock(state_dir: Path) -> ExitStack:
    """Take the session lock in `state_dir` and the machine's, or stop with one line if another session holds either.

    The project's lock names its holder for the workflow engine (control.py);
    the machine's keeps sessions of two checkouts of parbench on one machine
    apart, as the project's keeps two invocations in one. Each lock goes with
    its open file, so it is released however the process ends, or by closing
    what this returns.
    """
    held = ExitStack()
    held.enter_context(_locked(_open_lock(state_dir / LOCK_NAME), ""))
    try:
        machine = _open_lock(MACHINE_LOCK)
    except OSError:  # no lock folder this user may write to: the project's lock still holds
        return held
    try:
        held.enter_context(_locked(machine, f" in {Path.cwd()}"))  # the project: the workflow runs in it
    except ParbenchError:
        held.close()
        raise
    return held


def _open_lock(path: Path):
    """The lock file, readable and writable; the machine's is left writable by every user of the machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR)  # without O_CREAT: a sticky folder may refuse it on another user's file
    except FileNotFoundError:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        if path == MACHINE_LOCK:
            os.fchmod(fd, 0o666)
    return os.fdopen(fd, "r+")


def _locked(handle, where: str):
    """`handle` with its exclusive lock taken and its holder written, or the one line naming who holds it."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise ParbenchError(
            f"a measurement session is already running ({holder}); wait for it to finish or stop it, then run again"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}{where}, started {now()}")
    handle.flush()
    return handle
