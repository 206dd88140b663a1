"""The session stamp: which code, images and machine produced a set of raw records.

Written by the measurement session itself, beside the raw records, so a
report or bundle made later names the commit that measured, not the commit
checked out when the report was rendered.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from . import environment
from .atomic import write_text_atomic
from .cpusets import available_cpus, parse_cpuset
from .errors import ParbenchError
from .topology import describe_cpuset, read_topology, topology_summary

HARNESS_DIRS = {"python": "workloads/python", "go": "workloads/go"}
STAMP_DIR = "sessions"  # inside the raw folder: results/raw/sessions/<session>.json


def tree_sha256(folder: Path) -> str:
    """One digest over every source file of a folder: relative paths and contents, in order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def harness_hashes(root: Path) -> dict[str, str]:
    """The sha256 of each harness's sources, the code that runs inside the containers."""
    return {name: tree_sha256(root / folder) for name, folder in HARNESS_DIRS.items()}


def stamp_path(raw_dir: Path, session: str) -> Path:
    return raw_dir / STAMP_DIR / f"{session}.json"


def build_stamp(
    *,
    session: str,
    started_at: str,
    ended_at: str,
    resumed_at: list[str],
    label: str,
    harness: dict[str, str],
    images: dict[str, str],
    settings: dict,
    machine: dict,
    counts: dict,
) -> dict:
    """The stamp as plain data: the session, its code, its images, its machine, its settings, its cost.

    `machine` is environment.collect() taken while measuring plus the CPU
    topology and the description of each CPU set; `counts` the containers
    run and the seconds spent in timed sections, warm-ups and start-up.
    Docker's version is None at the top for a session of another engine
    (settings.engine_facts names it); stamps from before engines have no
    engine_facts, so the report still reads Docker's from there.
    """
    return {
        "session": session,
        "started_at": started_at,
        "ended_at": ended_at,
        "resumed_at": resumed_at,
        "host_label": label,
        "git_commit": machine.get("git_commit"),
        "git_clean": machine.get("git_clean"),
        "harness_sha256": harness,
        "images": images,
        "docker_server_version": machine.get("docker_server_version"),
        "kernel": machine.get("kernel"),
        "cpu_model": machine.get("cpu_model"),
        "machine": machine,
        "topology": machine.get("topology"),
        "cpusets": machine.get("cpusets"),
        "settings": {key: value for key, value in settings.items() if key != "cells"},
        "cells": settings.get("cells", []),
        **counts,
    }


def machine_facts(label: str, cpusets: list[str], engine: str) -> dict:
    """What the machine is, as the session with `engine` sees it: environment, topology, each CPU set's cores."""
    facts = environment.collect(label, engine)
    # Under SLURM, the job that measured: its accounting can show the node was the session's alone.
    facts["slurm_job_id"] = os.environ.get("SLURM_JOB_ID")
    topology = read_topology(available_cpus())
    facts["topology"] = topology_summary(topology)
    facts["cpusets"] = {
        text: cpuset_facts(describe_cpuset(parse_cpuset(text), topology)) for text in sorted(set(cpusets))
    }
    return facts


def cpuset_facts(description: dict) -> dict:
    """A CPU set's description under the stamp's names: which physical cores and nodes it used, and its flags."""
    return {
        "cpus": description["cpus"],
        "physical_cores": description["cores"],
        "numa_nodes": description["nodes"],
        "smt_shared": description["smt_shared"],
        "spans_numa": description["spans_numa"],
        "mixed_speed": description["mixed_speed"],
    }


def write_stamp(path: Path, stamp: dict) -> None:
    write_text_atomic(path, json.dumps(stamp, indent=2, sort_keys=True) + "\n")


def load_stamps(raw_dir: Path, sessions: list[str]) -> list[dict]:
    """The stamps of these sessions, oldest first; a missing stamp is named, not skipped."""
    stamps = []
    for session in sorted(set(sessions)):
        path = stamp_path(raw_dir, session)
        if not path.exists():
            raise ParbenchError(f"raw records name session {session} but {path} is missing; remeasure or restore it")
        stamps.append(json.loads(path.read_text()))
    return stamps
