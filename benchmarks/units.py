"""Does a loop timed in units give the figure a whole loop gives? One cell per divisible workload and runtime.

For every workload whose loop divides into units (workloads.py), this runs
its default-config cell on 2 CPUs (2 workers: CPython threads under the GIL,
Go goroutines) in containers that alternate: one timed in units (the default
config's units), one in whole loops (units 1), round after round, each
calibrated as a session's first container is (min_time, values_time and
max_values from config.yaml), with the pipeline's own command lines and
least-privilege flags, checksums checked. Each container's figure is its
values' median seconds per configured loop. Prints per cell: both medians,
their ratio (units / whole) with the 95 % interval that inverts the exact
Mann-Whitney test, whether that test tells them apart, each side's
coefficient of variation, and each side's median container seconds (what the
units save).

Needs the images built (`snakemake --cores all images` or any run).

    .venv/bin/python benchmarks/units.py [--rounds 5] [--runtimes cpython-3.13 go] [--workloads cpu_loop ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

from parbench.budgetplan import image_ids
from parbench.config import workload_params, workload_units
from parbench.docker import output_of, run_command
from parbench.errors import ParbenchError
from parbench.matrix import Cell
from parbench.recordchecks import checksum_problems, parse_records
from parbench.sessionplan import Timing, harness_argv
from parbench.specs import CALIBRATION_MARGIN, WORKLOADS, expected_checksum_of, modes_for, params_label
from parbench.stats import ratio_ci, summarize, verdict

REPO = Path(__file__).resolve().parent.parent
CPUSET, WORKERS = "0-1", 2


def container(image: str, kind: str, cell: Cell, params: dict, settings: dict, units: int) -> tuple[float, float]:
    """(median seconds per configured loop, container wall seconds) of one calibrated container; exits on a bad one."""
    timing = Timing(
        min_time=settings["min_time"] * CALIBRATION_MARGIN,
        values_time=settings["values_time"],
        max_values=settings["max_values"],
    )
    argv = harness_argv(kind, cell, params, timing, units=units)
    started = time.monotonic()
    try:
        stdout = output_of(run_command(image, argv, cpuset=cell.cpuset), timeout=None)
    except ParbenchError as error:
        sys.exit(f"{cell.raw_path} (units {units}): {error}")
    wall = time.monotonic() - started
    measured = [r for r in parse_records(stdout) if not r["warmup"]]
    expected = expected_checksum_of(cell.workload, params_label(params), cell.workers, units)
    problems = checksum_problems(measured, expected) + [
        f"units {r.get('units')!r}, asked {units}" for r in measured if r.get("units") != units
    ]
    if problems:
        sys.exit(f"{cell.raw_path} (units {units}): {problems[0]}")
    return statistics.median(r["seconds"] for r in measured), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="containers of each kind per cell (default 5)")
    parser.add_argument("--runtimes", nargs="+", default=["cpython-3.13", "go"])
    parser.add_argument("--workloads", nargs="+", default=None, help="default: every divisible workload")
    args = parser.parse_args()
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    images = image_ids(REPO)
    names = args.workloads or [n for n, spec in WORKLOADS.items() if spec.division is not None]
    print(f"{'cell':<34} {'units':>5} {'units s':>9} {'whole s':>9} {'ratio':>6} {'95% interval':>15}  "
          f"{'verdict':<16} {'cv u/w':>11} {'container s u/w':>16}")  # fmt: skip
    for runtime in args.runtimes:
        kind = config["catalogue"][runtime]["kind"]
        if runtime not in images:
            sys.exit(f"no image for {runtime} in results/images: build the images first (snakemake --cores all images)")
        for name in names:
            entry = config["workloads"][name]
            params, units = workload_params(entry), workload_units(name, entry)
            mode = "threads" if kind == "cpython" else "goroutines"
            if mode not in modes_for(name, kind) or units == 1:
                continue
            cell = Cell(runtime, name, mode, CPUSET, WORKERS)
            got: dict[int, list[tuple[float, float]]] = {units: [], 1: []}
            for round_index in range(args.rounds):
                order = (units, 1) if round_index % 2 == 0 else (1, units)
                for each in order:
                    got[each].append(container(images[runtime], kind, cell, params, config, each))
            divided, whole = [s for s, _ in got[units]], [s for s, _ in got[1]]
            ratio, low, high = ratio_ci(divided, whole)
            spread = summarize(divided), summarize(whole)
            walls = [statistics.median(w for _, w in got[each]) for each in (units, 1)]
            label = f"{runtime}/{name}/{mode}/w{WORKERS}"
            print(
                f"{label:<34} {units:>5} {spread[0]['median']:>9.4f} {spread[1]['median']:>9.4f} "
                f"{ratio:>6.3f} {low:>7.3f}-{high:<7.3f}  {verdict(low, high):<16} "
                f"{spread[0]['cv']:>5.1%}/{spread[1]['cv']:<5.1%} {walls[0]:>7.1f}/{walls[1]:<7.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
