"""Raw JSON-lines records -> results/runs.csv and results/summary.csv (tidy).

runs.csv has one row per measured repeat (warm-ups are kept in the raw files
only). summary.csv has one row per cell with its statistics, its speedup over
one worker of the same runtime and mode, and its ratio to the fastest runtime
and mode for the same workload, CPU set and worker count.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from .atomic import atomic_path
from .errors import ParbenchError, main_guard
from .stats import summarize

RUN_COLUMNS = [
    "runtime", "workload", "mode", "cpuset", "cpus", "workers", "iterations", "repeat",
    "seconds", "cpu_seconds", "max_rss_kb", "checksum", "checksum_hex", "gil_enabled",
    "gil_build_disabled", "gomaxprocs", "numcpu", "affinity", "runtime_version", "start_method",
    "setup_seconds", "spawn_seconds", "container_seconds", "worker_seconds", "image_id", "host", "started_at",
]
CELL_KEYS = ["host", "runtime", "workload", "iterations", "mode", "cpuset", "cpus", "workers"]


def load_records(paths: list[Path]) -> list[dict]:
    records = []
    for path in paths:
        for number, line in enumerate(Path(path).read_text().splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    raise ParbenchError(f"{path}:{number} is not a JSON record; remeasure that cell") from None
    return records


def runs_table(records: list[dict]) -> pd.DataFrame:
    """One tidy row per measured (non-warm-up) repeat."""
    rows = []
    for r in records:
        if r.get("warmup"):
            continue
        row = {column: r.get(column) for column in RUN_COLUMNS}
        row["checksum_hex"] = float(r["checksum"]).hex()
        row["worker_seconds"] = json.dumps(r.get("worker_seconds"))
        rows.append(row)
    table = pd.DataFrame(rows, columns=RUN_COLUMNS)
    return table.sort_values(CELL_KEYS + ["repeat"], kind="stable").reset_index(drop=True)


def checksum_problem(runs: pd.DataFrame) -> str | None:
    """One line if any two records of the same workload and size disagree."""
    for (workload, iterations), group in runs.groupby(["workload", "iterations"]):
        distinct = group.groupby("checksum_hex")["runtime"].unique()
        if len(distinct) > 1:
            detail = "; ".join(f"{', '.join(sorted(rts))} gave {value}" for value, rts in distinct.items())
            return f"checksums disagree for {workload} with {iterations} iterations: {detail}"
    return None


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Statistics per cell, plus speedup, efficiency and ratio to the fastest."""
    rows = []
    for key, group in runs.groupby(CELL_KEYS, sort=True):
        row = dict(zip(CELL_KEYS, key))
        row.update(summarize(group["seconds"].to_numpy()))
        row["cpu_seconds_median"] = float(group["cpu_seconds"].median())
        row["max_rss_kb_max"] = int(group["max_rss_kb"].max())
        rows.append(row)
    summary = pd.DataFrame(rows)
    if summary.empty:
        return summary
    # Throughput: worker-iterations per second. Speedup compares it with one worker
    # of the same runtime and mode (the seed's weak scaling: W x T1 / TW).
    summary["throughput"] = summary["workers"] * summary["iterations"] / summary["median"]
    one_worker = (
        summary[summary["workers"] == 1]
        .sort_values("cpus")
        .drop_duplicates(["host", "runtime", "workload", "iterations", "mode"])
        .set_index(["host", "runtime", "workload", "iterations", "mode"])["throughput"]
    )
    base = summary.set_index(["host", "runtime", "workload", "iterations", "mode"]).index.map(one_worker)
    summary["speedup"] = summary["throughput"] / pd.Series(base, index=summary.index, dtype=float)
    summary["efficiency"] = summary["speedup"] / summary[["workers", "cpus"]].min(axis=1)
    fastest = summary.groupby(["host", "workload", "iterations", "cpuset", "workers"])["median"].transform("min")
    summary["ratio_to_fastest"] = summary["median"] / fastest
    return summary


def write_csv(table: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)  # shortest round-trip floats: checksums stay exact


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", required=True, type=Path)
    parser.add_argument("--summary", required=True, type=Path)
    parser.add_argument("raw", nargs="+", type=Path)
    args = parser.parse_args(argv)
    runs = runs_table(load_records(args.raw))
    problem = checksum_problem(runs)
    if problem:
        raise ParbenchError(problem)
    summary = summary_table(runs)
    write_csv(runs, args.runs)
    write_csv(summary, args.summary)
    print(f"{len(runs)} runs in {len(summary)} cells", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
