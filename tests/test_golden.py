"""Nothing measured changes: the committed reference run through the analysis layer.

results/reference/runs.csv is fed to aggregation, comparisons and claims; the
tables that come out must be the committed summary.csv and comparisons.csv,
figure for figure (as numbers, not text), and claims.csv's verdicts must be the
same. A restructuring of the analysis code keeps this test as it is; only the
three calls in `pipeline` may follow a function to its new home.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"
# The reference run's settings for warnings (config.yaml's defaults when it ran).
WARNINGS = {"cv_limit": 0.05, "min_seconds": 0.1, "busy_limit": 0.1}
# Columns the restructuring may drop because nothing reads them (issue 18's dead weight).
MAY_DROP = {"warn_first_repeat", "ratio_to_fastest", "ratio_to_fastest_ci_low", "ratio_to_fastest_ci_high"}
CATALOGUE = {
    "cpython-3.13": {"kind": "cpython", "free_threading": False},
    "cpython-3.13t": {"kind": "cpython", "free_threading": True},
    "go": {"kind": "go"},
}


def pipeline(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """summary.csv, comparisons.csv and claims.csv as the workflow's rules make them."""
    from parbench.aggregate import summary_table
    from parbench.claims import all_claims, claims_table
    from parbench.comparisons import comparisons_table
    from parbench.flavours import with_flavours

    summary = summary_table(runs, **WARNINGS)
    comparisons = comparisons_table(runs, summary)
    claims = claims_table(all_claims(comparisons, with_flavours(summary, CATALOGUE), runs))
    return summary, comparisons, claims


def read(name: str) -> pd.DataFrame:
    from parbench.aggregate import read_table

    return read_table(REFERENCE / name)


@pytest.fixture(scope="module")
def made() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return pipeline(read("runs.csv"))


def same_figures(new: pd.DataFrame, old: pd.DataFrame, keys: list[str]) -> None:
    """Every column of `old` (bar the droppable ones) is in `new` with equal values, row for row."""
    missing = set(old.columns) - set(new.columns) - MAY_DROP
    assert not missing, f"columns gone: {sorted(missing)}"
    assert len(new) == len(old)
    new = new.sort_values(keys, kind="stable").reset_index(drop=True)
    old = old.sort_values(keys, kind="stable").reset_index(drop=True)
    for column in sorted(set(old.columns) & set(new.columns)):
        a, b = new[column], old[column]
        numeric_a, numeric_b = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
        if numeric_b.notna().any() and (numeric_b.notna() == b.notna()).all():
            for i, (x, y) in enumerate(zip(numeric_a, numeric_b)):
                both_missing = math.isnan(x) and math.isnan(y)
                assert both_missing or x == pytest.approx(y, rel=1e-9, abs=1e-12), (column, i, x, y)
        else:
            text_a = a.fillna("").astype(str).tolist()
            text_b = b.fillna("").astype(str).tolist()
            assert text_a == text_b, column


def test_summary_figures_are_the_reference_ones(made):
    old = read("summary.csv")
    keys = ["host", "runtime", "workload", "params", "mode", "variant", "cpuset", "workers"]
    same_figures(
        made[0].assign(variant=made[0]["variant"].fillna("")), old.assign(variant=old["variant"].fillna("")), keys
    )


def test_comparison_figures_are_the_reference_ones(made):
    from parbench.comparisons import read_comparisons

    old = read_comparisons(REFERENCE / "comparisons.csv")
    keys = [
        "kind",
        "statistic",
        "workload",
        "a_runtime",
        "a_mode",
        "a_variant",
        "a_cpuset",
        "a_workers",
        "b_runtime",
        "b_mode",
        "b_variant",
        "b_cpuset",
        "b_workers",
    ]
    new = made[1]
    for frame in (new, old):
        for column in keys:
            frame[column] = frame[column].fillna("").astype(str)
    same_figures(new, old, keys)


def test_claim_verdicts_are_the_reference_ones(made):
    text = ["claim", "kind", "verdict", "key_figure", "scope", "evidence", "context", "test", "rule"]
    old = pd.read_csv(REFERENCE / "claims.csv")[text].fillna("")
    new = made[2][text].fillna("")
    assert new["claim"].tolist() == old["claim"].tolist()
    assert new["kind"].tolist() == old["kind"].tolist()
    assert new["verdict"].tolist() == old["verdict"].tolist()
    assert new["key_figure"].tolist() == old["key_figure"].tolist()
    assert new["scope"].tolist() == old["scope"].tolist()
    for column in ("evidence", "context", "test", "rule"):
        assert new[column].tolist() == old[column].tolist(), column
