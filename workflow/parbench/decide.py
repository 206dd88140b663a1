"""results/claims.csv: every claim's verdict, decided once from the tables, before the report renders it.

The claims rule runs this after comparisons.csv exists; the report reads the
file back (read_claims) and only renders what it holds, so a verdict is
computed in one place and a report can be re-rendered without deciding again.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import fields
from pathlib import Path

import pandas as pd

from .aggregate import read_table
from .analysis import analysed
from .atomic import atomic_path
from .claim_rules import Claim
from .claims import claims_table
from .comparisons import read_comparisons
from .errors import ParbenchError, main_guard
from .specs import use_experiment

NUMBERS = ("ratio", "ci_low", "ci_high", "threshold")


def _value(name: str, value):
    """A claims.csv cell as the Claim field it was written from."""
    if name in NUMBERS:
        return math.nan if pd.isna(value) else float(value)
    if name == "shown_in":
        return tuple(part for part in ("" if pd.isna(value) else str(value)).split(";") if part)
    return "" if pd.isna(value) else str(value)


def read_claims(path: Path) -> list[Claim]:
    """claims.csv back as the Claims it was written from, in its order."""
    if not path.is_file():
        raise ParbenchError(f"{path} does not exist; run the claims step (`.venv/bin/snakemake`) first")
    table = pd.read_csv(path, dtype={name: str for name in ("claim", "verdict", "scope", "shown_in")})
    names = [f.name for f in fields(Claim)]
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise ParbenchError(f"{path} lacks the column(s) {', '.join(missing)}; run the claims step again")
    return [Claim(**{name: _value(name, row[name]) for name in names}) for _, row in table.iterrows()]


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parbench.decide", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, type=Path)
    parser.add_argument("--summary", required=True, type=Path)
    parser.add_argument("--comparisons", required=True, type=Path)
    parser.add_argument("--config-file", required=True, type=Path, help="the experiment's config (JSON)")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    for path in (args.runs, args.summary, args.comparisons, args.config_file):
        if not path.is_file():
            raise ParbenchError(f"{path} does not exist; run the steps before the claims first")
    experiment = json.loads(args.config_file.read_text())
    use_experiment(experiment)
    catalogue = experiment["catalogue"]
    comparisons = read_comparisons(args.comparisons)
    _, claims = analysed(read_table(args.summary), read_table(args.runs), catalogue, comparisons)
    with atomic_path(args.out) as tmp:
        claims_table(claims).to_csv(tmp, index=False)
    print(f"{len(claims)} claims in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
