"""The measurement session's journal: what is done survives whatever stops the session.

Every container's records are appended (and flushed to disk) as soon as they
passed their checks. The journal's first line names the session and the plan
it measures; a later session with the same plan reads the journal back and
carries on where the first one stopped, so an interruption costs at most the
container that was running. A session with another plan moves the old journal
aside (nothing is deleted) and starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .errors import ParbenchError


def plan_key(settings: dict, images: dict[str, str], harness: dict[str, str]) -> str:
    """A digest of everything that decides what a session measures, in which order.

    Settings (cells, rounds, seed, warm-ups, min_time, parameters, variant
    switches), the image IDs and the harness sources: if any differs, the
    journal's records were measured under another plan and must not be mixed in.
    A time budget is not among them: what it chose (rounds, cells) is in the
    settings, and a session taken up again holds to the budget asked now.
    """
    measured = {key: value for key, value in settings.items() if key != "budget"}
    text = json.dumps({"settings": measured, "images": images, "harness": harness}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Journal:
    """An append-only JSON-lines file: a header, then one entry per finished container."""

    path: Path
    header: dict
    entries: list[dict] = field(default_factory=list)

    @property
    def session(self) -> str:
        return self.header["session"]

    def done(self) -> set[int]:
        """Positions in the plan whose container finished and passed its checks."""
        return {entry["order"] for entry in self.entries}

    def append(self, entry: dict) -> None:
        """Write one finished container, durably, before the next one starts."""
        write_line(self.path, entry)
        self.entries.append(entry)

    def note_resume(self) -> None:
        write_line(self.path, {"resumed_at": now()})


def write_line(path: Path, entry: dict, mode: str = "a") -> None:
    with open(path, mode) as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_lines(path: Path) -> list[dict]:
    """The journal's entries; a torn last line (the machine went down mid-write) is dropped."""
    lines = path.read_text().splitlines()
    entries = []
    for number, line in enumerate(lines, 1):
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise ParbenchError(f"{path}:{number} is damaged; move the file away to start the session afresh") from None
    return entries


def open_journal(
    path: Path,
    key: str,
    session: str,
    say,
    code: dict | None = None,
    cells: list[str] | None = None,
    planned: str | None = None,
) -> Journal:
    """Resume the journal at `path` if it belongs to this plan, else start a new one.

    `say` gets one line for the user whenever something other than a plain
    fresh start happens. `code` (the git commit and whether the tree was
    clean) is kept in the header: the stamp names the code that started the
    session, whenever it ends. So are the session's `cells` (raw paths) and
    the sha256 of the settings file it was `planned` from: an invocation
    that narrowed the plan (some runtimes, a repair) is taken up again by a
    plain one as what it was, not as the whole plan, while the plan is the same.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        lines = read_lines(path)
        if lines and lines[0].get("plan") == key:
            rewrite(path, lines)  # drops a torn last line, so appends start on a line of their own
            journal = Journal(path, lines[0], [e for e in lines[1:] if "order" in e])
            say(f"resuming session {journal.session}: {len(journal.entries)} cell run(s) already measured")
            journal.note_resume()
            return journal
        if lines:
            aside = path.with_name(f"{path.stem}.{lines[0].get('session', 'unknown')}.superseded.jsonl")
            os.replace(path, aside)
            say(f"the plan changed since the interrupted session; its journal is kept as {aside}, starting afresh")
    header = {"plan": key, "session": session, "started_at": now(), "code": code or {}}
    if cells is not None:
        header["cells"] = list(cells)
    if planned is not None:
        header["planned"] = planned
    write_line(path, header, "w")
    return Journal(path, header)


def journal_header(path: Path) -> dict:
    """An unfinished session's journal header ({} where there is none, or it cannot be read)."""
    try:
        with open(path) as f:
            header = json.loads(f.readline())
    except (OSError, ValueError):
        return {}
    return header if isinstance(header, dict) else {}


def journal_cells(path: Path, planned: str | None = None) -> list[str] | None:
    """The cells an unfinished session's journal says it measures, or None (no journal, or one from before).

    With `planned` (a settings file's sha256), only if the session was planned from that same file.
    """
    header = journal_header(path)
    cells = header.get("cells")
    if planned is not None and header.get("planned") != planned:
        return None
    return cells if isinstance(cells, list) else None


def cell_runs_done(path: Path) -> dict[str, int]:
    """How many cell runs of each cell (raw path) an unfinished session's journal holds; {} where none."""
    try:
        lines = read_lines(path)
    except (OSError, ParbenchError):
        return {}
    cells = [entry.get("cell") for entry in lines[1:] if "order" in entry]
    return dict(Counter(cell for cell in cells if isinstance(cell, str)))


def settings_digest(text: str) -> str:
    """The sha256 of a session settings file's text, as a journal's header keeps it."""
    return hashlib.sha256(text.encode()).hexdigest()


def rewrite(path: Path, lines: list[dict]) -> None:
    tmp = path.with_suffix(".rewrite")
    tmp.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))
    os.replace(tmp, path)


def resumed_at(journal: Journal) -> list[str]:
    """When the session was taken up again, read back from the journal."""
    return [e["resumed_at"] for e in read_lines(journal.path) if "resumed_at" in e]


def new_session_id() -> str:
    """Sortable by time, unique on a machine: 20261126T021500Z-3f9a1c."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{os.urandom(3).hex()}"
