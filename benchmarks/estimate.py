"""The planner's predicted session for the default config on machines of 2, 16, 64 and 128 CPUs.

Each machine is a sysfs fixture under tests/data/sysfs; its auto CPU sets and
the default config give the cells, and the estimate's model (estimate.py)
their cost. History: this checkout's results/raw (and an unfinished journal)
for the images in results/images, if there are any; or the records of a
runs.csv given with --runs (each row taken with its own image ID), so a
reference run can stand in. Prints, per machine: cells, cell runs (each a
cell's repeat; containers where each cell has its own), predicted session
minutes, the longest predicted cell run, and the session's ratio to
the 2-CPU figure. With --budget, then what the planner makes of that budget on
each machine (budget.fit): the rounds, the CPU sets it leaves out and the
session it predicts, or the line that refuses it.

    .venv/bin/python benchmarks/estimate.py [--runs results/reference/runs.csv] [--budget 15m]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import yaml
from snakemake.utils import validate

from parbench.budget import cut_text, fit
from parbench.budgetplan import IMAGES, JOURNAL, RAW
from parbench.errors import ParbenchError
from parbench.estimate import Estimate, estimate_session, seen_cells
from parbench.history import earlier_records
from parbench.matrix import Cell, all_cells, cpusets_for
from parbench.plan import session_settings
from parbench.topology import read_topology

REPO = Path(__file__).resolve().parent.parent
SYSFS = REPO / "tests" / "data" / "sysfs"
MACHINES = [("vm2", 2), ("smt8x2", 16), ("smt32x2", 64), ("numa2smt32x2", 128)]
NUMBERS = {"workers": int, "round": int, "seconds": float, "container_seconds": float, "startup_seconds": float}


def default_config() -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    validate(config, str(REPO / "workflow/schemas/config.schema.yaml"))
    return config


def csv_records(path: Path) -> tuple[list[dict], dict[str, str]]:
    """A runs.csv's rows as records, and each runtime's image ID as the rows name it."""
    rows = []
    with path.open() as f:
        for row in csv.DictReader(f):
            record = {**row, **{k: cast(row[k]) for k, cast in NUMBERS.items() if row.get(k) not in (None, "")}}
            record["warmup"] = False  # runs.csv holds measured values only
            rows.append(record)
    images = {row["runtime"]: row["image_id"] for row in rows}
    return rows, images


def history(runs: Path | None) -> tuple[list[dict], dict[str, str], str]:
    """(records, images, what they are) for the model."""
    if runs is not None:
        records, images = csv_records(runs)
        return records, images, f"{len(records)} values of {runs}"
    images = {iid.stem: iid.read_text().strip() for iid in sorted((REPO / IMAGES).glob("*.iid"))}
    records = earlier_records(REPO / RAW, REPO / JOURNAL, default_config())  # the sessions timed as the config times
    return records, images, f"{len(records)} records of {REPO / RAW} for the images in {REPO / IMAGES}"


def machine_cells(config: dict, name: str, count: int) -> tuple[list[Cell], dict]:
    """The cells and session settings the default config gives on the fixture machine."""
    topology = read_topology(list(range(count)), SYSFS / name / "devices" / "system")
    sets = cpusets_for(config, list(range(count)), topology)
    explicit = {**config, "cpusets": sets}  # the auto sets of that machine, given as explicit ones
    cells = all_cells(explicit, list(range(count)))
    return cells, json.loads(session_settings(explicit, cells))


def budget_line(found: Estimate, cells: list[Cell], budget: str, config: dict) -> str:
    """What the planner makes of the budget for these cells: its cut and the session it predicts, or its refusal."""
    try:
        chosen = fit(found, cells, budget, config["repeats"], config["min_rounds"])
    except ParbenchError as refused:
        return str(refused)
    kept = chosen.estimate(found, cells)
    return f"{cut_text(chosen, config['repeats'], cells)}: {kept.cells} cells, {kept.seconds / 60:.1f} minutes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, help="a runs.csv whose records stand for history")
    parser.add_argument("--budget", help="a budget as config.yaml takes it (15m): what the planner cuts to fit it")
    args = parser.parse_args()
    config = default_config()
    records, images, about = history(args.runs)
    free = [name for name, entry in config["catalogue"].items() if entry.get("free_threading")]
    print(f"history: {about}")
    print(f"{'cpus':>5} {'cells':>6} {'cell runs':>10} {'minutes':>8} {'longest s':>10} {'x 2 cpus':>8}  from history")
    base, fits = None, []
    for name, count in MACHINES:
        cells, settings = machine_cells(config, name, count)
        found = estimate_session(settings, seen_cells(records, images, settings), free)
        base = base or found.seconds
        print(
            f"{count:>5} {found.cells:>6} {found.containers:>10} {found.seconds / 60:>8.1f} "
            f"{found.longest:>10.1f} {found.seconds / base:>8.2f}  {found.from_history} cells"
        )
        if args.budget:
            fits.append(f"{count:>5}  {budget_line(found, cells, args.budget, config)}")
    if fits:
        print(f"budget {args.budget}:", *fits, sep="\n")


if __name__ == "__main__":
    main()
