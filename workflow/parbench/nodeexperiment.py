"""The experiment a cluster node works out its cells from: results/hosts/experiment.json.

A file of its own, not results/config.json, which every setting changes.
Snakemake does not judge the jobs downstream of a job that must run: it
reaches them only through that job's outputs. Read from config.json, a new
warning threshold or host would have made the experiment's job run and so
either rerun every node's session or (through an `ancient()` input) hidden
each node's own reasons to run, a resume or `--forcerun measure`. This file
changes only with what a node reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .plan import write_if_changed

NODE_EXPERIMENT = "results/hosts/experiment.json"
# What a node never reads of the experiment: who measures and where (its engine and account reach its jobs
# as parameters and resources), how long to wait for a container, and how the reports word their warnings.
# A key not named here is a node's: a new setting measures every node again until it is added.
NOT_FOR_NODES = frozenset(
    ("hosts", "host_engines", "cluster", "host_label", "record_hostname", "retries", "timeout_seconds", "warnings")
)


def node_experiment(experiment: dict) -> dict:
    """The experiment without what a node never reads."""
    return {key: value for key, value in experiment.items() if key not in NOT_FOR_NODES}


def measured_before_it(root: Path, manifests: Iterable[str]) -> bool:
    """Whether nodes were measured before this file existed: their sessions then read results/config.json.

    Such a project keeps that input for one more run, so the file's first
    writing does not measure every node again (Snakemake reruns whatever
    depends on a job that runs); the file, written in that run, is then dated
    before the nodes' results (write_first).
    """
    return not (root / NODE_EXPERIMENT).exists() and any((root / path).exists() for path in manifests)


def write_first(path: Path | str, text: str, manifests: Iterable[str]) -> None:
    """write_if_changed; a file written for the first time over nodes' results is dated before the oldest of them.

    Its content is what they were measured with (the experiment of that
    run), so their sessions stay up to date by its date too.
    """
    target, existing = Path(path), [Path(m) for m in manifests if Path(m).exists()]
    new = not target.exists()
    write_if_changed(target, text)
    if new and existing:
        oldest = min(m.stat().st_mtime for m in existing) - 1
        os.utime(target, (oldest, oldest))
