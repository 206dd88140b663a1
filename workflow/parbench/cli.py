"""`parbench`: the jobs users type by hand. Snakemake stays the way to run the pipeline.

parbench cpus [--sysfs DIR] [--cpus LIST]   this machine's CPU order and the auto CPU sets
parbench bundle verify|merge|publish ...   check or combine published bundles
parbench time [--results DIR] [--all]      where a measurement session's time went
parbench new-workload NAME [--go] [--dir DIR]   a working workload folder of your own to start from
parbench check-workload PATH [--param K=V]      run that workload's task set once on this Python
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .errors import main_guard


def _time(argv: list[str]) -> int:
    from .timeuse import time_lines

    parser = argparse.ArgumentParser(prog="parbench time", description="where a measurement session's time went")
    parser.add_argument("--results", type=Path, default=Path("results"), help="the results folder (default results)")
    parser.add_argument(
        "--all", action="store_true", help="every session and raw file in the folder, not only those the tables show"
    )
    args = parser.parse_args(argv)
    print("\n".join(time_lines(args.results, args.all)))
    return 0


def _cpus(argv: list[str]) -> int:
    from .topology import main as topology_main

    return topology_main(argv)


def _bundle(argv: list[str]) -> int:
    from .bundle import main as bundle_main

    return bundle_main(argv)


def _new_workload(argv: list[str]) -> int:
    from .scaffold import new_workload_main

    return new_workload_main(argv)


def _check_workload(argv: list[str]) -> int:
    from .scaffold import check_workload_main

    return check_workload_main(argv)


COMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "cpus": (_cpus, "this machine's CPU topology and the CPU sets `cpusets: auto` picks, as JSON"),
    "bundle": (_bundle, "publish, verify or merge result bundles"),
    "time": (_time, "where a measurement session's time went (wall time against timed sections)"),
    "new-workload": (_new_workload, "write a working workload folder (and a config measuring it) to start from"),
    "check-workload": (_check_workload, "run a workload folder's task set once on this machine's Python"),
}


@main_guard
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        lines = [f"  {name.ljust(width)}  {text}" for name, (_, text) in COMMANDS.items()]
        print("usage: parbench COMMAND [ARGS]\n\ncommands:\n" + "\n".join(lines))
        if argv and argv[0] not in ("-h", "--help"):
            print(f"parbench: no command {argv[0]!r}; choose one of {', '.join(COMMANDS)}", file=sys.stderr)
            return 2
        return 0 if argv else 2
    run, _ = COMMANDS[argv[0]]
    return run(argv[1:])
