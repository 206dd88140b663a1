"""Stopping a measurement session from the workflow engine, and noticing damaged raw files.

Snakemake waits for running jobs when it is interrupted (SIGINT) and lets them
finish when it is terminated (SIGTERM). A measurement session can run for
hours, so parbench forwards both signals to the session, which stops its
container within seconds and keeps what it measured in its journal.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
from pathlib import Path

from . import docker
from .engines import DEFAULT, engine_named
from .sessionlock import holder_pid
from .slurm import slurm_problem


def start_problem(config: dict, hosts: list[str]) -> str | None:
    """Why the workflow cannot start, as one line: Docker (it builds the images), this machine's engine, SLURM.

    Asked before anything is built, so a missing engine costs no build.
    A node's own engine is asked on the node (hostsession probe).
    """
    problem = docker.daemon_problem()
    engine = config.get("engine", DEFAULT)
    if problem and (engine != DEFAULT or hosts):  # a user who chose another engine may not expect Docker here
        problem = f"{problem} (Docker builds the images here, whatever engine measures them)"
    if not problem and not hosts and engine != DEFAULT:
        problem = engine_named(engine).problem()
        problem = problem and f"engine {engine}: {problem}"
    if hosts and not problem:
        problem = slurm_problem(hosts, config["cluster"]["account"], partition=config["cluster"].get("partition"))
    return problem


def hosts_here_problem(hosts: list[str]) -> str:
    """The line for a run with `hosts` that Snakemake would execute here, not through SLURM's executor."""
    return (
        f"config hosts ({', '.join(hosts)}) are measured on those SLURM nodes, and this run would measure here: "
        "add --profile profiles/slurm (Snakemake's SLURM executor)"
    )


def dry_run_notices(config: dict, hosts: list[str], unknown_hosts: list[str], dry_run: bool) -> list[str]:
    """What a dry run says besides its plan (a run: nothing): unknown hosts, or the line it would stop with.

    A dry run does not start (onstart is not called), yet a missing engine or
    daemon is what its user most needs to hear before asking for a real run.
    An unknown host is one such line already (the start would stop on it).
    """
    if not dry_run:
        return []
    if unknown_hosts:
        return unknown_hosts
    problem = start_problem(config, hosts)
    # One that finds nothing to do never starts, so it would not stop either.
    return [f"a run with jobs to do would stop first: {problem}"] if problem else []


def say_notices(notices: list[str], stops: list[str]) -> None:
    """Print parbench's lines before the plan; a line a run would stop with is said again last, below it.

    A dry run's plan is a screenful of jobs: the one line that matters most
    would otherwise scroll away above it.
    """
    for line in notices + stops:
        print(f"parbench: {line}", file=sys.stderr)
    for line in stops:
        atexit.register(print, f"parbench: {line}", file=sys.stderr, flush=True)


def session_pid(lock_path: Path) -> int | None:
    """The PID of the running measurement session, if the lock names a live one.

    The lock file keeps the PID of the last holder; the process must still be
    a parbench measurement (a reused PID is not signalled).
    """
    try:
        pid = holder_pid(lock_path.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes() if pid else b""
    except OSError:
        return None
    return pid if b"parbench.measure" in cmdline else None


def stop_session(lock_path: Path) -> bool:
    """Ask a running session to stop (SIGTERM); True if there was one."""
    pid = session_pid(lock_path)
    if pid is None:
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return False
    return True


def forward_stop_signals(lock_path: Path) -> None:
    """Make SIGINT and SIGTERM to this process (Snakemake) stop the session too, then do what they did."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)

        def handler(received, frame, previous=previous):
            stop_session(lock_path)
            if callable(previous):
                previous(received, frame)
            elif received == signal.SIGINT:
                raise KeyboardInterrupt

        signal.signal(signum, handler)


def raw_problem(path: Path, rounds: int | None = None) -> str | None:
    """Why a raw file cannot be aggregated ("missing", "empty", "line N is not JSON", too few rounds), or None."""
    if not path.exists():
        return "missing"
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    if not lines:
        return "empty"
    records = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return f"line {number} is not JSON"
        if not isinstance(record, dict) or "seconds" not in record:
            return f"line {number} is not a measurement record"
        records.append(record)
    measured = [record for record in records if not record.get("warmup")]
    if not measured:
        return "holds no measured value"
    # A container may measure several values; each round gives the cell one container.
    containers = (
        len({(r.get("session"), r.get("order")) for r in measured})
        if all("order" in r for r in measured)
        else len(measured)
    )
    if rounds is not None and containers < rounds:
        return f"holds {containers} of {rounds} containers (one per round)"
    return None


def cells_to_repair(
    raw_paths: list[str], last_settings: Path, planned_settings: str, rounds: int | None = None
) -> dict[str, str]:
    """Raw files of the current plan that are missing or damaged, with why, when only they need measuring.

    Only when the plan is the one last measured (the settings file holds the
    same text) and some of its files are intact: a changed plan, or nothing
    measured yet, is a whole new session, planned as usual.
    """
    if not last_settings.exists() or last_settings.read_text() != planned_settings:
        return {}
    problems = {path: raw_problem(Path(path), rounds) for path in raw_paths}
    damaged = {path: why for path, why in problems.items() if why}
    return damaged if len(damaged) < len(raw_paths) else {}
