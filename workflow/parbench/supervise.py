"""One container at a time: run it pinned and networkless, watch it, and clean up after it.

A container that fails for a reason outside the measurement (killed, or
the engine could not start it) is an InfrastructureFault, worth one more try; a
harness that exits with an error, or an engine that is gone, stops the session
with one line. The engine (engines/) builds the command lines; this module
only runs them. Whatever stops the wait (a timeout, a signal, the workflow
engine gone) removes the container before it goes on.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from .containerparts import failing_cell, shared_phrase
from .engines import Engine
from .errors import ParbenchError
from .matrix import Cell
from .recordchecks import parse_records
from .sessionlock import Stopped, pid_alive

CONTAINER_LABEL = "parbench.session"  # its value is the session that ran the container
STATE_LABEL = "parbench.state"  # its value is the session's state folder: strays are found by it


class InfrastructureFault(Exception):
    """The container failed for a reason outside the measurement: worth one more try."""


class TimedOut(InfrastructureFault):
    """A container that outlived its timeout: retried, as a stuck start or a busy machine may be the cause."""

    def __init__(self, named: str, timeout: float, cells: int = 1):
        allowed = (
            "timeout_seconds"
            if cells <= 1
            else f"{timeout / cells:g} s of timeout_seconds for each of its {cells} cells"
        )
        super().__init__(
            f"{named} exceeded {timeout:g} s ({allowed}): a task that never returns, "
            "or one that needs longer (raise timeout_seconds)"
        )
        self.timeout = timeout
        self.cells = cells


def container_labels(session: str, state_dir: Path) -> dict[str, str]:
    """What every container of a session carries: the session, and the state folder it ran under.

    Strays are found by the state folder, whose lock allows one session at a
    time: a session of another checkout (or another host's folder) on the same
    machine holds its own lock, and its running containers are not ours to remove.
    """
    return {CONTAINER_LABEL: session, STATE_LABEL: str(state_dir.resolve())}


def container_name(cell: Cell) -> str:
    """Unique, so a leftover container can never be mistaken for this run's."""
    return f"parbench-{cell.runtime}-{cell.mode}-{uuid.uuid4().hex[:10]}"


def classify_failure(returncode: int, stderr: str, cell: Cell, engine: Engine, what: str | None = None) -> Exception:
    """A failed container as an infrastructure fault (retried) or a measurement error (not).

    `what` names the cell, or where cells shared the container, the one that was running (default: the cell's raw path).
    """
    last = (stderr.strip().splitlines() or ["no message"])[-1]
    named = what or cell.raw_path
    if returncode == 137:
        return InfrastructureFault(f"{named}: the container was killed ({engine.kill_hint})")
    if engine.start_failed(returncode, stderr):
        problem = engine.problem(timeout=10)
        if problem:
            return ParbenchError(
                f"lost {engine.title} while measuring {named} ({problem}); "
                "after it is back, run the same command again to resume"
            )
        return InfrastructureFault(f"{named}: {engine.name} could not run the container ({last})")
    return ParbenchError(f"harness exited with {returncode} for {named}: {last}")


def _check_ancestors(ancestors: list[int]) -> None:
    """Stop the session if the workflow engine that started it is gone (`sessionlock.watched_ancestors`)."""
    if not all(pid_alive(pid) for pid in ancestors):
        raise Stopped("the workflow engine that started the session has gone away")


def _wait(
    proc: subprocess.Popen, named: str, timeout: float, ancestors: list[int], t0: float, cells: int = 1
) -> tuple[str, str]:
    """The container's output, waiting in steps of at most a second.

    Short steps let the session notice within seconds that the workflow engine
    that started it has gone away, and a timeout shorter than a step still applies.
    """
    while True:
        left = timeout - (time.perf_counter() - t0)
        try:
            return proc.communicate(timeout=max(0.0, min(1.0, left)))
        except subprocess.TimeoutExpired:
            if time.perf_counter() - t0 >= timeout:
                raise TimedOut(named, timeout, cells) from None
            _check_ancestors(ancestors)


def run_container(
    engine: Engine,
    image: str,
    argv: list[str],
    cell: Cell,
    timeout: float,
    env: dict[str, str],
    labels: dict[str, str],
    log,
    ancestors: list[int],
    *,
    mounts: dict[str, str] | None = None,
    limits: dict | None = None,
    parts: Sequence[str] = (),
) -> tuple[list[dict], float]:
    """One pinned, least-privilege container; returns its records and outside wall time.

    `parts`: where the container runs several cells (containerparts.py), their
    raw paths in order, so that a failure or a timeout names the one running.
    """
    # Looked at before each start as well as while waiting: a container shorter
    # than one wait step would otherwise never see it, and the session would
    # measure to its end for a Snakemake that was killed.
    _check_ancestors(ancestors)
    what = shared_phrase(parts) or cell.raw_path
    name = container_name(cell)
    command = engine.run_command(
        image, argv, name=name, cpuset=cell.cpuset, env=env, labels=labels, mounts=mounts, limits=limits
    )
    log(f"running {' '.join(command)}")
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = _wait(proc, what, timeout, ancestors, t0, max(len(parts), 1))
    except BaseException as error:
        proc.kill()
        engine.stop(name)
        printed, _ = proc.communicate()
        if isinstance(error, TimedOut) and parts:
            raise TimedOut(failing_cell(printed or "", parts, what), error.timeout, error.cells) from None
        raise
    seconds = time.perf_counter() - t0
    log(stderr.rstrip())
    if proc.returncode != 0:
        raise classify_failure(proc.returncode, stderr, cell, engine, failing_cell(stdout, parts, what))
    return parse_records(stdout), seconds


def remove_stray_containers(engine: Engine, log, state_dir: Path) -> int:
    """Containers a killed session of this state folder left behind, removed before measuring."""
    strays = engine.strays(STATE_LABEL, str(state_dir.resolve()))
    for container in strays:
        engine.stop(container)
    if strays:
        log(f"removed {len(strays)} stray parbench container(s) left by an earlier session")
    return len(strays)
