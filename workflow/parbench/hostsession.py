"""One host of a cluster run: load the images built once, then measure there.

Runs on the node itself (a SLURM job pinned to it), so the node's own CPUs
decide the CPU sets (`cpusets: auto` is resolved here, not on the machine that
submitted the workflow) and the node's own engine (`engine`, or its entry in
`host_engines`) runs the containers. Images arrive as `docker save` archives
in the shared working directory and are loaded by engineimages.py, which
checks them, so every host measures byte-identical runtimes.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from .atomic import write_text_atomic
from .budgetplan import host_budgeted
from .config import cpuset_problems
from .cpusets import available_cpus
from .engineimages import read_loaded
from .engines import DEFAULT, ENGINES, engine_named
from .errors import ParbenchError, main_guard
from .matrix import Cell, all_cells
from .measure import open_log
from .plan import write_if_changed
from .progress import containers_phrase, format_duration, unneeded_phrase
from .session import measure
from .sessionlock import stop_on_signals
from .sessionrecords import raw_file
from .specs import use_experiment


def host_settings(
    settings: dict,
    config: dict,
    host: str = "this node",
    folders: tuple[Path, Path] | None = None,
    budget: str | None = None,
) -> tuple[dict, list[str]]:
    """The session's settings with the cells this node measures (its own CPUs decide the CPU sets), and what to say.

    Explicit CPU sets are checked against the node's CPUs here, where they are
    known. A `budget` (the command line's: it is neither in the settings nor
    in the node experiment) is fitted here too, to the node's own cells and
    records (budgetplan.host_budgeted, in `folders`: the node's raw and state
    folders), and the choice is kept in the state folder for a resumed session.
    """
    local = {key: value for key, value in config.items() if key != "hosts"}
    problems = cpuset_problems(local, available_cpus())
    if problems:
        raise ParbenchError(f"host {host}: {problems[0]}")
    use_experiment(config)  # its user workloads decide their cells' modes
    cells = all_cells(config, available_cpus())
    if not budget or folders is None:
        return dict(settings, cells=[cell.raw_path for cell in cells]), []
    try:
        session = host_budgeted(settings, cells, config, Path.cwd(), folders, budget)
    except ParbenchError as refused:
        raise ParbenchError(f"host {host}: {refused}") from None
    write_if_changed(folders[1] / "settings.json", session.settings)
    return json.loads(session.settings), session.said


def host_cells(settings: dict, runtimes: str | None) -> list[str]:
    """The host's cells this invocation measures: all, or those of the named runtimes (comma-separated)."""
    if not runtimes:
        return settings["cells"]
    names = set(runtimes.split(","))
    return [path for path in settings["cells"] if Cell.from_raw_path(path).runtime in names]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    probe = sub.add_parser("probe", help="check that this node's engine answers")
    probe.add_argument("--host", required=True)
    probe.add_argument("--engine", default=DEFAULT, choices=sorted(ENGINES))
    probe.add_argument("--out", required=True, type=Path)
    session = sub.add_parser("measure", help="measure every cell on this node")
    session.add_argument("--host", required=True)
    session.add_argument("--images", required=True, type=Path)
    session.add_argument("--loaded", required=True, type=Path, help="JSON: how this node's engine holds each image")
    session.add_argument("--engine", required=True, choices=sorted(ENGINES), help="this node's engine")
    session.add_argument("--config", required=True, type=Path, help="the experiment's config (JSON)")
    session.add_argument("--settings", required=True, type=Path)
    session.add_argument("--out", required=True, type=Path, help="this host's raw folder")
    session.add_argument("--state", required=True, type=Path, help="this host's journal and lock folder")
    session.add_argument("--timeout", type=float, default=1800.0)
    session.add_argument("--retries", type=int, default=1)
    session.add_argument("--log", type=Path, default=None)
    session.add_argument("--runtimes", default=None, help="comma-separated: measure just these runtimes' cells")
    session.add_argument("--budget", default=None, help="the time budget this node fits its session into (15m)")
    session.add_argument(
        "--manifest",
        required=True,
        type=Path,
        help="JSON written last: the session, its stamp and the raw files it wrote",
    )
    return parser.parse_args(argv)


def probe(args: argparse.Namespace) -> None:
    engine = engine_named(args.engine)
    problem = engine.problem()
    if problem:
        raise ParbenchError(f"host {args.host}: {problem}")
    found = {"host": args.host, "cpus": available_cpus(), "engine": engine.name, "version": engine.version()}
    write_text_atomic(args.out, json.dumps(found, indent=2) + "\n")


def session(args: argparse.Namespace) -> None:
    """Measure this host's cells (or some runtimes' of them); the manifest lists every raw file of the host."""
    stop_on_signals(signal.SIGTERM)
    log = open_log(args.log)

    def say(line: str) -> None:
        log(line)
        print(f"parbench: host {args.host}: {line}", file=sys.stderr, flush=True)

    config = json.loads(args.config.read_text())
    folders = (args.out, args.state)
    settings, said = host_settings(json.loads(args.settings.read_text()), config, args.host, folders, args.budget)
    for line in said:
        say(line)
    measured = dict(settings, cells=host_cells(settings, args.runtimes), engine=args.engine)
    loaded = read_loaded(args.loaded, args.engine, args.host)
    stamp = measure(
        measured,
        args.images,
        args.host,
        args.timeout,
        args.retries,
        args.state,
        log,
        say,
        raw_dir=args.out,
        loaded=loaded,
    )
    counts = json.loads(stamp.read_text())
    manifest = {
        "host": args.host,
        "session": counts["session"],
        "stamp": str(stamp),
        "raw": [str(raw_file(Cell.from_raw_path(path), args.out)) for path in settings["cells"]],
    }
    write_text_atomic(args.manifest, json.dumps(manifest, indent=2) + "\n")
    unneeded = unneeded_phrase(len(measured["cells"]) * measured["repeats"], counts["containers"])
    say(f"measured {containers_phrase(counts)} ({format_duration(counts['wall_seconds'])}{unneeded}); stamp {stamp}")


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.action == "probe":
        probe(args)
    else:
        session(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
