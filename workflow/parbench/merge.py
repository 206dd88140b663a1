"""Several hosts' tables -> one runs.csv, summary.csv and report.md with the host as a dimension.

The rules' twin of `scripts/bundle merge`: a cluster run aggregates each host
apart (its CPU sets are its own), then merges here. Checksums must agree
across hosts for the same workload, parameters and worker count: the hosts
did the same work, or the merge stops naming the disagreement.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from .aggregate import checksum_problem, read_table, summary_table, write_csv
from .atomic import write_text_atomic
from .errors import ParbenchError, main_guard


def merged_tables(runs_paths: list[Path], warnings: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hosts' runs in one table, and its summary (cells keyed by host), with the config's warning limits."""
    tables = [read_table(path) for path in runs_paths]
    hosts = [sorted(table["host"].unique()) for table in tables]
    seen: dict[str, Path] = {}
    for path, labels in zip(runs_paths, hosts):
        for label in labels:
            if label in seen:
                raise ParbenchError(f"{path} and {seen[label]} both hold host {label!r}")
            seen[label] = path
    runs = pd.concat(tables, ignore_index=True)
    problem = checksum_problem(runs)
    if problem:
        raise ParbenchError(f"hosts disagree: {problem}")
    limits = warnings or {}
    return runs, summary_table(
        runs,
        **{
            name: limits[key]
            for key, name in (("cv", "cv_limit"), ("min_seconds", "min_seconds"), ("busy", "busy_limit"))
            if key in limits
        },
    )


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", required=True, type=Path)
    parser.add_argument("--config", required=True, type=Path, help="the experiment's config (JSON), for the catalogue")
    parser.add_argument("runs", nargs="+", type=Path, help="each host's runs.csv")
    args = parser.parse_args(argv)
    from .bundle import merged_report

    config = json.loads(args.config.read_text())
    runs, summary = merged_tables(args.runs, config.get("warnings"))
    catalogue = config["catalogue"]
    write_csv(runs, args.out_dir / "runs.csv")
    write_csv(summary, args.out_dir / "summary.csv")
    write_text_atomic(args.out_dir / "report.md", merged_report(summary, runs, catalogue))
    print(f"{args.out_dir}: {len(runs)} runs from {summary['host'].nunique()} host(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
