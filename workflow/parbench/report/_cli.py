"""python -m parbench.report: the report, figures and environment.json from the tables, claims and stamps."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..aggregate import read_table
from ..atomic import write_text_atomic
from ..comparisons import read_comparisons
from ..decide import read_claims
from ..errors import ParbenchError, main_guard
from ..specs import use_experiment
from ._document import render
from ._figures import plot_figures
from ._inputs import prepare, read_stamps, stamp_environment

DESCRIPTION = "results/report.md and results/figures/: what a reader needs, top-down."


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m parbench.report", description=DESCRIPTION)
    parser.add_argument("--runs", required=True, type=Path)
    parser.add_argument("--summary", required=True, type=Path)
    parser.add_argument("--comparisons", required=True, type=Path, help="comparisons.csv (the comparisons rule's)")
    parser.add_argument("--sessions", type=Path, help="sessions.json; a missing file is reported as no stamp")
    parser.add_argument("--claims", required=True, type=Path, help="claims.csv (the claims rule's)")
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--config-json", help="the experiment's config as JSON text")
    given.add_argument("--config-file", type=Path, help="the experiment's config as a JSON file")
    parser.add_argument("--report", required=True, type=Path)
    parser.add_argument(
        "--environment", required=True, type=Path, help="where to write the measuring machine's facts (from the stamps)"
    )
    parser.add_argument("--figures", required=True, type=Path)
    parser.add_argument("--host-label", required=True, help="the host's name in environment.json when no stamp has it")
    parser.add_argument("identities", nargs="*", type=Path)
    return parser


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    for path in (args.runs, args.summary, args.comparisons, args.claims):
        if not path.is_file():
            raise ParbenchError(f"{path} does not exist; run the steps before the report first")
    experiment = json.loads(args.config_json or args.config_file.read_text())
    use_experiment(experiment)
    summary, runs = read_table(args.summary), read_table(args.runs)
    comparisons, claims = read_comparisons(args.comparisons), read_claims(args.claims)
    stamps = read_stamps(args.sessions)
    env = stamp_environment(stamps)
    figures = plot_figures(summary, args.figures)
    inputs = prepare(
        summary,
        runs,
        comparisons,
        claims,
        experiment,
        identities=[json.loads(p.read_text()) for p in args.identities],
        env=env,
        stamps=stamps,
        figures=figures,
        report_dir=args.report.parent,
    )
    recorded = env or {"host_label": args.host_label, "session": None}  # no stamp: nothing measured is known
    write_text_atomic(args.environment, json.dumps(recorded, indent=2) + "\n")
    write_text_atomic(args.report, render(inputs))
    print(f"wrote {args.report} and {len(figures)} figure(s)", file=sys.stderr)
    return 0
