"""A cluster's records that say its nodes are up to date, kept through a run that fails.

results/hosts/NODE/images.json (what the node's load job loaded) and
raw.json (the node's manifest, which its session writes last) are outputs
of the node's jobs and inputs of everything after them. A job that fails,
or a submission SLURM refuses, loses them: Snakemake removes a failed job's
outputs (and a load job's before it runs), puts an update() output back as
a copy dated now, and records the failed job's params as the file's. The
next run with the config of the results would then load the images and
measure the whole node again, for nothing. So would new settings
(results/hosts/settings.json, and the node experiment beside it) that a
failed run wrote before any node measured with them.

So the workflow's onstart keeps each such file's bytes, dates and
Snakemake record in memory (`keep`), and its onerror (`put_back`) puts back
each node file that is gone, or that holds the same bytes under another
date, and the settings and node experiment where no node's session wrote
its manifest in this run. A file a job rewrote stands: that job did its
work. A Snakemake killed outright (SIGKILL) runs no hook, and puts nothing
back.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import atomic_path
from .budgetplan import CLUSTER_SETTINGS
from .nodeexperiment import NODE_EXPERIMENT

NODE_FILES = ("images.json", "raw.json")  # under results/hosts/NODE/
SHARED = (CLUSTER_SETTINGS, Path(NODE_EXPERIMENT))  # every node's job reads them


@dataclass(frozen=True)
class Kept:
    """One file as the run found it: its bytes, its dates (ns) and Snakemake's record of it (None: none)."""

    path: Path
    data: bytes
    times: tuple[int, int]
    record: Any


def node_files(hosts: Iterable[str]) -> list[Path]:
    """Each node's files that say it is up to date, and the settings every node reads."""
    return [Path("results") / "hosts" / host / name for host in hosts for name in NODE_FILES] + list(SHARED)


def keep(paths: Iterable[Path], persistence: Any) -> list[Kept]:
    """The files that exist, as they are now, with Snakemake's records of them."""
    from snakemake.io import IOFile  # Snakemake's own file type: its records are keyed by it

    kept = []
    for path in paths:
        try:
            data, stat = path.read_bytes(), path.stat()
        except OSError:
            continue
        kept.append(Kept(path, data, (stat.st_atime_ns, stat.st_mtime_ns), persistence.metadata(IOFile(str(path)))))
    return kept


def now_as(kept: Kept) -> tuple[bool, bool] | None:
    """(same bytes, same date) of the file now against as it was kept; None where it is gone."""
    try:
        return kept.path.read_bytes() == kept.data, kept.path.stat().st_mtime_ns == kept.times[1]
    except FileNotFoundError:
        return None


def lost(kept: Kept) -> bool:
    """Whether a failed job lost the file: it is gone, or holds the same bytes under another date."""
    return now_as(kept) in (None, (True, False))


def changed(kept: Kept) -> bool:
    """Whether the file is not as it was: gone, other bytes, or another date."""
    return now_as(kept) != (True, True)


def measured(kept: list[Kept], hosts: Iterable[str], since: float) -> bool:
    """Whether a node's session measured, or may still measure, with this run's settings.

    It wrote its manifest (a raw.json that is new, or holds other bytes), or it
    started after `since` (the run's start): its journal or lock is that new. A
    run that stops without waiting for its node jobs (SLURM's status check
    failing) may leave such a session measuring.
    """
    before = {file.path: file.data for file in kept}
    for folder in (Path("results") / "hosts" / host for host in hosts):
        try:
            if (folder / "raw.json").read_bytes() != before.get(folder / "raw.json"):
                return True
        except FileNotFoundError:
            pass
        for started in (folder / "session" / "journal.jsonl", folder / "session" / "measure.lock"):
            try:
                if started.stat().st_mtime >= since:
                    return True
            except FileNotFoundError:
                continue
    return False


def put_back(kept: list[Kept], persistence: Any, hosts: Iterable[str], since: float) -> list[str]:
    """Put back the lost node files, and the settings no node measured with, as they were; the paths put back.

    Each with its date and Snakemake record. `since`: when the run started (`measured`).
    """
    from snakemake.io import IOFile

    back = []
    settled = measured(kept, hosts, since)  # before anything is put back
    for file in kept:
        due = (changed(file) and not settled) if file.path in SHARED else lost(file)
        if not due:  # a node file a job rewrote, or settings a node measured with: they stand
            continue
        with atomic_path(file.path) as tmp:
            tmp.write_bytes(file.data)
            os.utime(tmp, ns=file.times)  # a rename keeps the date
        target = IOFile(str(file.path))
        persistence.cleanup_metadata(target)  # the failed job's record, and its incomplete mark
        # The run's record as it was: Snakemake 9 keeps no public way to write one (requirements.txt pins it).
        # Without it, no record is as good: the settings rule reruns on its file's text (settings_renewal).
        if file.record is not None and hasattr(persistence, "_write_record"):
            persistence._write_record(persistence._get_key(target), file.record)
        back.append(str(file.path))
    return back
