"""How noisy is this machine for parbench? The median coefficient of variation of cpu_loop cells.

Runs the default experiment's cells with 5 interleaved repeats (and N reduced
to --iterations to keep it short) in a private copy of the project, then
prints each cell's CV and their median, with the A/A noise floor.

    .venv/bin/python benchmarks/noise.py [--iterations 10000000]
"""

import argparse

import pandas as pd
import yaml

from common import project_copy, timed_snakemake


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10_000_000)
    args = parser.parse_args()
    project = project_copy()
    timed_snakemake(project, "images")
    # Null switches off the default config's other workloads (Snakemake merges key by key).
    default = yaml.safe_load((project / "config.yaml").read_text())
    workloads = {name: None for name in default["workloads"]}
    workloads["cpu_loop"] = {"iterations": args.iterations}
    overrides = {"repeats": 5, "warmup": 1, "noise_floor": True, "workloads": workloads}
    (project / "noise.yaml").write_text(yaml.safe_dump(overrides))
    wall = timed_snakemake(project, "--configfile", "noise.yaml")
    summary = pd.read_csv(project / "results/summary.csv")
    cells = summary[summary["workload"] == "cpu_loop"]
    for _, cell in cells.sort_values(["runtime", "mode", "cpus"]).iterrows():
        print(f"{cell['runtime']:14s} {cell['mode']:10s} CPUs {cell['cpuset']:4s} CV {cell['cv']:6.2%}")
    print(
        f"median CV of {len(cells)} cpu_loop cells over 5 repeats: {cells['cv'].median():.2%}  (run took {wall:.0f} s)"
    )
    floor = [line for line in (project / "results/report.md").read_text().splitlines() if "measured twice" in line]
    print(floor[0] if floor else "no A/A run in the report")


if __name__ == "__main__":
    main()
