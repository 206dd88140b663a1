"""What earlier sessions measured, as the estimate reads it: raw records, an unfinished journal, stamps.

A file that cannot be read or a line that is not JSON is skipped: a damaged
history only makes the estimate rougher, and repairs are the plan's job. Each
record kept is marked with what its session's stamp says about its rounds.
"""

from __future__ import annotations

import json
from pathlib import Path

from .progress import cells_per_container
from .stopping import stopped_short

FROM_JOURNAL = "_unfinished"  # marks a record read from a journal: its session's rounds are not all there
# Marks a record of a session whose rounds say nothing of a cell's own need: one whose spent time
# budget stopped cells short (they stopped where the budget left them; BUDGET_SPENT), or, as an int,
# the most rounds its session could take, which a cell that took them all may have needed more of.
ROUNDS_CAP = "_rounds_cap"
BUDGET_SPENT = "_budget_spent"
TIMING = ("min_time", "values_time", "max_values", "warmup")  # the settings a container's cost follows


def earlier_records(raw_dir: Path, journal: Path | None, settings: dict) -> list[dict]:
    """The records of earlier sessions under `raw_dir` (stamps in its `sessions/`) timed as `settings` do."""
    return timed_alike(read_records(raw_dir, journal), raw_dir / "sessions", settings)


def read_records(raw_dir: Path, journal: Path | None = None) -> list[dict]:
    """Every record of the raw files under `raw_dir` and of an unfinished session's journal."""
    files = sorted(raw_dir.rglob("*.jsonl")) if raw_dir.is_dir() else []
    records = []
    for path in files:
        records += _lines(path)
    for entry in _lines(journal) if journal is not None else []:
        records += [{**r, FROM_JOURNAL: True} for r in entry.get("records") or [] if isinstance(r, dict)]
    return [r for r in records if isinstance(r, dict)]


def timed_alike(records: list[dict], stamps_dir: Path, settings: dict) -> list[dict]:
    """The records of sessions that timed their cells as `settings` do, and of the unfinished one.

    A session with another min_time or values per container paid other
    costs; its stamp (stamps_dir/SESSION.json) says how it timed. A record
    whose session left no readable stamp is left out. A record kept carries
    its session's most rounds (ROUNDS_CAP) and whether a spent budget stopped its cells short.
    """
    wanted = {key: settings.get(key) for key in TIMING if key in settings}
    alike: dict[str, dict] = {}
    for path in sorted(stamps_dir.glob("*.json")) if stamps_dir.is_dir() else []:
        stamp = json_object(path)
        timing = stamp.get("settings") or {}
        shared = cells_per_container(timing) == cells_per_container(settings)  # start-up is shared among its cells
        if shared and all(timing.get(key) == value for key, value in wanted.items()):
            alike[stamp.get("session")] = {
                ROUNDS_CAP: timing.get("repeats"),
                BUDGET_SPENT: stopped_short(stamp),
            }
    return [
        r if r.get(FROM_JOURNAL) else {**r, **alike[r["session"]]}
        for r in records
        if r.get(FROM_JOURNAL) or r.get("session") in alike
    ]


def json_object(path: Path) -> dict:
    """A JSON file's object, or {} where it is missing, damaged or not an object."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _lines(path: Path) -> list[dict]:
    try:
        text = path.read_text()
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
