"""Several hosts' tables -> one runs.csv, summary.csv and report.md with the host as a dimension.

The one merge path: a cluster run aggregates each host apart (its CPU sets
are its own) and merges here (`python -m parbench.merge`, the merge_hosts
rule); `parbench bundle merge` reads published bundles and merges through
the same `merged` and `write_merged`, so both print the same tables for the
same records and thresholds. Checksums must agree across hosts for the same
workload, parameters and worker count: the hosts did the same work, or the
merge stops naming the disagreement.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .aggregate import checksum_problem, latest_settings, read_table, stop_rule, summary_table, write_csv
from .atomic import write_text_atomic
from .errors import ParbenchError, main_guard
from .flavours import host_flavour_ratios
from .names import warning_limits
from .render_merged import merged_report
from .specs import use_experiment
from .stopping import StopRule


def merged(
    runs: pd.DataFrame, warnings: dict | None, rule: StopRule | Mapping[str, StopRule] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hosts' runs checked against each other, and their summary with config's warning limits.

    `rule` is the rounds rule the cells were measured under, one for all
    hosts or one per host label (a budget fits each node's session apart).
    """
    problem = checksum_problem(runs)
    if problem:
        raise ParbenchError(f"hosts disagree: {problem}")
    return runs, summary_table(runs, **warning_limits(warnings), rule=rule)


def write_merged(
    out_dir: Path, runs: pd.DataFrame, summary: pd.DataFrame, catalogue: dict, settings_of: dict | None = None
) -> None:
    """runs.csv, summary.csv, ratios.csv (the flavour ratios per host) and report.md of a merge.

    `settings_of`: each host's session settings by host label, so the report says what each budget cut.
    """
    ratios = host_flavour_ratios(summary, runs, catalogue)
    write_csv(runs, out_dir / "runs.csv")
    write_csv(summary, out_dir / "summary.csv")
    write_csv(ratios, out_dir / "ratios.csv")
    write_text_atomic(out_dir / "report.md", merged_report(summary, ratios, runs, settings_of))


def settings_of_hosts(per_host: list[list[dict]]) -> dict[str, dict]:
    """Each host's session settings by its label: of its sessions.json, the latest session's (latest_settings)."""
    return {s[-1]["host_label"]: latest_settings(s) for s in per_host if s and s[-1].get("host_label")}


def merged_tables(
    runs_paths: list[Path], warnings: dict | None = None, rules: list[StopRule] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hosts' runs.csv files in one table, and its summary (cells keyed by host), each under its rounds rule."""
    tables = [read_table(path) for path in runs_paths]
    seen: dict[str, Path] = {}
    rule_of: dict[str, StopRule] = {}
    for index, (path, table) in enumerate(zip(runs_paths, tables)):
        for label in sorted(table["host"].unique()):
            if label in seen:
                raise ParbenchError(f"{path} and {seen[label]} both hold host {label!r}")
            seen[label] = path
            if rules:
                rule_of[label] = rules[index]
    return merged(pd.concat(tables, ignore_index=True), warnings, rule_of or None)


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", required=True, type=Path)
    parser.add_argument("--config", required=True, type=Path, help="the experiment's config (JSON), for the catalogue")
    parser.add_argument("runs", nargs="+", type=Path, help="each host's runs.csv")
    parser.add_argument(
        "--sessions", nargs="+", type=Path, default=None, help="each host's sessions.json, in the order of the runs"
    )
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text())
    use_experiment(config)  # its user workloads, for their scaling
    if args.sessions is not None and len(args.sessions) != len(args.runs):
        raise ParbenchError(
            f"{len(args.runs)} runs.csv files but {len(args.sessions)} sessions.json: give one per host"
        )
    # Each host's rounds rule is its sessions' (a budget fits each node apart); the config's without them.
    stamps = [json.loads(path.read_text())["sessions"] for path in args.sessions or []]
    rules = [stop_rule(host, config) for host in stamps] if stamps else [StopRule.of(config)] * len(args.runs)
    runs, summary = merged_tables(args.runs, config.get("warnings"), rules)
    write_merged(args.out_dir, runs, summary, config["catalogue"], settings_of_hosts(stamps))
    print(f"{args.out_dir}: {len(runs)} runs from {summary['host'].nunique()} host(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
