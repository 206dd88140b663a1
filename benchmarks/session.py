"""Where a measurement session's time goes (`parbench time`), optionally after a fresh quick run.

.venv/bin/python benchmarks/session.py                 # the sessions behind results/'s tables
.venv/bin/python benchmarks/session.py --quick         # run the quick config in a copy first
.venv/bin/python benchmarks/session.py --results DIR   # another results folder
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parbench.errors import main_guard
from parbench.timeuse import time_lines

from common import project_copy, timed_snakemake


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--quick", action="store_true", help="run the quick config in a project copy first")
    args = parser.parse_args(argv)
    results = args.results
    if args.quick:
        project = project_copy()
        timed_snakemake(project, "images")
        timed_snakemake(project, "--configfile", "configs/quick.yaml")
        results = project / "results"
    print("\n".join(time_lines(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
