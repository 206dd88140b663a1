"""A measurement session's command line: every cell, in interleaved rounds, one pinned container each.

This module is the session's command line (`python -m parbench.measure`, run
by the workflow's measure rule): it reads the settings, narrows them to what
this invocation measures, and runs the session. The session's jobs live in
their own modules: the plan (sessionplan.py), the record checks
(recordchecks.py), the host's state (hostload.py), the containers
(supervise.py), the lock and signals (sessionlock.py), the loop (session.py),
what it writes (sessionrecords.py) and what it says (progress.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .budgetplan import joined
from .control import raw_problem
from .engineimages import read_loaded
from .engines import DEFAULT
from .errors import ParbenchError, main_guard
from .journal import journal_cells, settings_digest
from .matrix import Cell
from .progress import containers_phrase, format_duration, unneeded_phrase
from .session import measure
from .sessionlock import stop_on_signals
from .settingsfile import measured_with
from .stopping import StopRule


def narrowed(
    cells: list[str], repair: bool, runtimes: str | None, rounds: int | None = None, resume: list[str] | None = None
) -> list[str]:
    """The plan's cells this invocation measures: an unfinished session's, the damaged ones, some runtimes', or all."""
    if resume is not None:
        wanted = set(resume)
        return [path for path in cells if path in wanted]
    if repair:
        return [path for path in cells if raw_problem(Path(path), rounds)]
    if runtimes:
        names = set(runtimes.split(","))
        return [path for path in cells if Cell.from_raw_path(path).runtime in names]
    return cells


def resumed_cells(journal: Path) -> list[str]:
    """The cells of the unfinished session to take up again; one line when its journal is gone meanwhile."""
    cells = journal_cells(journal)
    if cells is None:
        raise ParbenchError(f"{journal} no longer names an unfinished session's cells: run the same command again")
    return cells


def open_log(path: Path | None):
    """A writer for detail lines: the log file, or stderr when none is given."""
    if path is None:
        return lambda line: print(line, file=sys.stderr, flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a")

    def log(line: str) -> None:
        if line:
            handle.write(line + "\n")
            handle.flush()

    return log


def parser() -> argparse.ArgumentParser:
    """The command line the measure rule calls (a contract of the workflow)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--settings",
        required=True,
        type=Path,
        help="JSON: cells, repeats (rounds), warmup, min_time, seed, parameters per workload, variant env",
    )
    parser.add_argument(
        "--budget", default=None, help="JSON text: what a time budget asked and chose (budgetplan); none by default"
    )
    parser.add_argument("--images", required=True, type=Path, help="folder of <runtime>.identity.json files")
    parser.add_argument("--host-label", required=True)
    parser.add_argument(
        "--loaded", type=Path, default=None, help="JSON: how the settings' engine holds each image (engines.Loaded)"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per container")
    parser.add_argument("--retries", type=int, default=1, help="extra attempts after an infrastructure fault")
    parser.add_argument("--state", type=Path, default=Path("results/session"), help="journal and lock folder")
    parser.add_argument("--log", type=Path, default=None, help="detail log (default: stderr)")
    narrow = parser.add_mutually_exclusive_group()
    narrow.add_argument(
        "--repair", action="store_true", help="measure just the plan's cells whose raw files are missing or damaged"
    )
    narrow.add_argument("--runtimes", default=None, help="comma-separated: measure just these runtimes' cells")
    narrow.add_argument(
        "--resume", action="store_true", help="measure just the cells of the unfinished session in --state's journal"
    )
    return parser


def budget_record(text: str | None) -> dict | None:
    """The budget the plan chose (--budget), or None for none."""
    if text is None:
        return None
    try:
        record = json.loads(text)
    except ValueError as why:
        raise ParbenchError(f"--budget {text!r} is not JSON ({why}): give the record the plan wrote") from None
    if record is not None and not (isinstance(record, dict) and record.get("limit")):
        raise ParbenchError(f"--budget {text!r} is no budget record (it has no limit): give the one the plan wrote")
    return record


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    log = open_log(args.log)

    def say(line: str) -> None:
        log(line)
        print(f"parbench: {line}", file=sys.stderr, flush=True)

    stop_on_signals()
    text = args.settings.read_text()
    settings = joined(json.loads(text), budget_record(args.budget))
    resume = resumed_cells(args.state / "journal.jsonl") if args.resume else None
    settings["cells"] = narrowed(settings["cells"], args.repair, args.runtimes, StopRule.of(settings).fewest, resume)
    loaded = read_loaded(args.loaded, settings.get("engine", DEFAULT), args.host_label) if args.loaded else None
    stamp = measure(
        settings,
        args.images,
        args.host_label,
        args.timeout,
        args.retries,
        args.state,
        log,
        say,
        loaded=loaded,
        planned=settings_digest(text),
    )
    measured_with(args.settings)  # the settings file is the results' now, whatever happens next
    counts = json.loads(stamp.read_text())
    unneeded = unneeded_phrase(len(settings["cells"]) * settings["repeats"], counts["containers"])
    say(
        f"measured {containers_phrase(counts)} in session {counts['session']} "
        f"({format_duration(counts['wall_seconds'])}{unneeded}); stamp {stamp}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
