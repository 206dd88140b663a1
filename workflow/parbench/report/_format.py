"""Formatting shared by the sections: seconds, intervals, tables, folded blocks, paths."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..labels import fmt_seconds, markdown_table
from ..stats import MIN_SAMPLES_FOR_CI

__all__ = ["fmt_seconds", "markdown_table"]  # shared with the merged report, kept in labels


def fmt_ci(row) -> str:
    if math.isnan(row["ci_low"]):
        return f"n={row['n']} too few"
    return f"{fmt_seconds(row['ci_low'])} – {fmt_seconds(row['ci_high'])}"


def folded(summary: str, body: list[str]) -> list[str]:
    """A <details> block: the reader sees one line and opens the rest if they want it."""
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def relative(path: Path, report_dir: Path) -> str:
    return (path.relative_to(report_dir) if path.is_relative_to(report_dir) else path).as_posix()


def short(value, width: int = 12) -> str:
    return "–" if value in (None, "") else str(value)[:width]


def ci_statement(summary: pd.DataFrame) -> str:
    """What the interval of a median is with this run's containers per cell, said once."""
    counts = sorted(summary["n"].unique()) if not summary.empty else []
    if counts == [MIN_SAMPLES_FOR_CI]:
        return (
            f"With {MIN_SAMPLES_FOR_CI} containers per cell the 95 % confidence interval of a median is the "
            "min–max range (order statistics; it covers 97 %)."
        )
    return (
        "Intervals of medians are order-statistic 95 % confidence intervals "
        f"(none below {MIN_SAMPLES_FOR_CI} containers)."
    )
