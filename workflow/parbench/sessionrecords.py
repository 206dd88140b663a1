"""What a session adds to each record, and what it writes once every container succeeded.

Each record learns its round, its place in the plan, its container's cost and
the host's state before it ran. At the end the records go to one raw file per
cell and the session's stamp beside them, each atomically: a raw file that
exists holds a whole session's records.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from .atomic import atomic_path
from .cpusets import parse_cpuset
from .journal import Journal, now, resumed_at
from .matrix import Cell
from .provenance import build_stamp, machine_facts, stamp_path, write_stamp
from .stopping import budget_spent, budget_stopped, measuring_seconds

DEFAULT_RAW_DIR = Path("results/raw")


def annotate(
    records: list[dict],
    *,
    cell: Cell,
    round_index: int,
    order: int,
    env: dict,
    image: str,
    engine: str,
    host: str,
    session: str,
    seed: int,
    diagnostics: dict,
    container_seconds: float,
    started_at: str,
    retries: int,
) -> None:
    """Add what the session knows about a container to each of its records.

    A measured record's `repeat` is its round (the container is the repeat);
    `value` keeps the harness's index, which tells a container's values apart.
    """
    inside = sum(r.get("total_seconds", r["seconds"]) + r.get("spawn_seconds", 0.0) for r in records)
    unmeasured = sum(r.get("total_seconds", r["seconds"]) for r in records if r.get("warmup"))
    for r in records:
        r.update(
            diagnostics,
            round=round_index,
            repeat=round_index if not r["warmup"] else r["repeat"],
            value=r["repeat"],
            order=order,
            variant=cell.variant,
            env=env,
            cpuset=cell.cpuset,
            cpus=len(parse_cpuset(cell.cpuset)),
            image_id=image,
            engine=engine,
            host=host,
            session=session,
            container_seconds=container_seconds,
            startup_seconds=container_seconds - inside,
            warmup_seconds=unmeasured,
            retries=retries,
            started_at=started_at,
            seed=seed,
        )


def session_counts(journal: Journal) -> dict:
    """What the session cost: containers, wall time, and where it went."""
    records = [r for e in journal.entries for r in e["records"]]
    measured = [r for r in records if not r["warmup"]]
    # Start-up and retries are the container's, repeated on each of its records: count them once.
    containers = [e["records"][0] for e in journal.entries if e["records"]]
    # Where cells shared containers (containerparts.py), how many were started: one per container_order.
    started = {r.get("container_order", r["order"]) for r in containers if r.get("container_cells")}
    sharing = {"containers_started": len(started) + sum(not r.get("container_cells") for r in containers)}
    return {
        **(sharing if started else {}),
        "containers": len(journal.entries),
        "retries": sum(r["retries"] for r in containers),
        "wall_seconds": measuring_seconds(journal.entries),
        "timed_seconds": sum(r["total_seconds"] for r in measured),
        "warmup_seconds": sum(r["total_seconds"] for r in records if r["warmup"]),
        "startup_seconds": sum(r["startup_seconds"] for r in containers),
    }


def budget_fact(settings: dict, entries: list[dict]) -> dict:
    """`budget_spent` and `budget_stopped` (cells it stopped short) for the stamp of a session with a budget."""
    if not settings.get("budget"):
        return {}
    return {"budget_spent": budget_spent(settings, entries), "budget_stopped": budget_stopped(settings, entries)}


def collected(journal: Journal) -> dict[Cell, list[dict]]:
    """Every cell's records in plan order, from the journal."""
    out: dict[Cell, list[dict]] = defaultdict(list)
    for entry in sorted(journal.entries, key=lambda e: e["order"]):
        out[Cell.from_raw_path(entry["cell"])] += entry["records"]
    return out


def raw_file(cell: Cell, raw_dir: Path) -> Path:
    """Where a cell's records go: its raw path, under another raw folder if given (one per host)."""
    return raw_dir / Path(cell.raw_path).relative_to(DEFAULT_RAW_DIR)


def write_results(
    journal: Journal, settings: dict, images: dict[str, str], raw_dir: Path, harness: dict, label: str, engine: str
) -> Path:
    """Raw files, then the stamp: each atomically, only after every container succeeded.

    `engine` names the engine that ran the containers: Docker's versions are asked only of a Docker session.
    """
    for cell, records in collected(journal).items():
        with atomic_path(raw_file(cell, raw_dir)) as tmp:
            tmp.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
    cpusets = sorted({Cell.from_raw_path(path).cpuset for path in settings["cells"]})
    machine = {**machine_facts(label, cpusets, engine), **journal.header.get("code", {})}
    stamp = build_stamp(
        session=journal.session,
        started_at=journal.header["started_at"],
        ended_at=now(),
        resumed_at=resumed_at(journal),
        label=label,
        harness=harness,
        images=images,
        settings=settings,
        machine=machine,
        # Whether a budget stopped cells at min_rounds: the tables' `stopped` says `budget` for them.
        counts={**session_counts(journal), **budget_fact(settings, journal.entries)},
    )
    path = stamp_path(raw_dir, journal.session)
    write_stamp(path, stamp)
    return path
