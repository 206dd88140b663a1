"""The planner's predicted session for the default config on machines of 2, 16, 64 and 128 CPUs.

Each machine is a sysfs fixture under tests/data/sysfs; its auto CPU sets and
the default config give the cells, and the estimate's model (estimate.py)
their cost. History: this checkout's results/raw (and an unfinished journal)
for the images in results/images, if there are any; or the records of a
runs.csv given with --runs (each row taken with its own image ID), so a
reference run can stand in. Prints, per machine: cells, containers, predicted
session minutes, the longest predicted container, and the session's ratio to
the 2-CPU figure.

    .venv/bin/python benchmarks/estimate.py [--runs results/reference/runs.csv]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import yaml
from snakemake.utils import validate

from parbench.estimate import estimate_session, read_records, seen_cells
from parbench.matrix import all_cells, cpusets_for
from parbench.plan import IMAGES, JOURNAL, RAW, session_settings
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
    records = read_records(REPO / RAW, REPO / JOURNAL)
    return records, images, f"{len(records)} records of {REPO / RAW} for the images in {REPO / IMAGES}"


def machine_settings(config: dict, name: str, count: int) -> dict:
    """The session settings the default config gives on the fixture machine."""
    topology = read_topology(list(range(count)), SYSFS / name / "devices" / "system")
    sets = cpusets_for(config, list(range(count)), topology)
    explicit = {**config, "cpusets": sets}  # the auto sets of that machine, given as explicit ones
    return json.loads(session_settings(explicit, all_cells(explicit, list(range(count)))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, help="a runs.csv whose records stand for history")
    args = parser.parse_args()
    config = default_config()
    records, images, about = history(args.runs)
    free = [name for name, entry in config["catalogue"].items() if entry.get("free_threading")]
    print(f"history: {about}")
    print(f"{'cpus':>5} {'cells':>6} {'containers':>10} {'minutes':>8} {'longest s':>10} {'x 2 cpus':>8}  from history")
    base = None
    for name, count in MACHINES:
        settings = machine_settings(config, name, count)
        found = estimate_session(settings, seen_cells(records, images, settings), free)
        base = base or found.seconds
        print(
            f"{count:>5} {found.cells:>6} {found.containers:>10} {found.seconds / 60:>8.1f} "
            f"{found.longest:>10.1f} {found.seconds / base:>8.2f}  {found.from_history} cells"
        )


if __name__ == "__main__":
    main()
