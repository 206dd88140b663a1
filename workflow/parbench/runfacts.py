"""What a run did, counted from runs.csv: start-up, warm-ups, retries, loops and values, sessions.

These are figures about the measurement itself rather than about a cell, so
they are not summary.csv rows; the report prints them and this module is the
one place they are computed. Each counts a container once, whatever number of
values it measured (its start-up, warm-up and retries are copied onto each).
"""

from __future__ import annotations

import pandas as pd

from .aggregate import container_keys, one_row_per_container
from .names import PLAIN


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows measured without a variant's switch (and not the A/A twin)."""
    return frame[frame["variant"] == PLAIN]


def startup_medians(runs: pd.DataFrame) -> pd.Series:
    """Median container start-up per runtime, one start-up per container whatever values it measured."""
    containers = one_row_per_container(runs)
    startup = containers.dropna(subset=["startup_seconds"]) if "startup_seconds" in runs else runs.iloc[0:0]
    if startup.empty:
        return pd.Series(dtype=float)
    return startup.groupby("runtime")["startup_seconds"].median()


def warmup_cost(stamps: list[dict] | None, runs: pd.DataFrame) -> tuple[float, float, str] | None:
    """Warm-up seconds, timed seconds and where they come from: the stamps, else runs.csv, else None."""
    if stamps:
        warm = sum(float(s.get("warmup_seconds") or 0) for s in stamps)
        timed = sum(float(s.get("timed_seconds") or 0) for s in stamps)
        return warm, timed, "the session stamps"
    if {"warmup_seconds", "total_seconds"} <= set(runs.columns):
        # A container's warm-up is copied onto each of its values; its timed sections are one per value.
        warm = float(one_row_per_container(runs)["warmup_seconds"].sum())
        return warm, float(runs["total_seconds"].sum()), "runs.csv"
    return None


def retry_count(runs: pd.DataFrame) -> int:
    """Repeats run again after a failed container; a container's retries are copied onto each of its values."""
    containers = one_row_per_container(runs)
    return int(pd.to_numeric(containers.get("retries", pd.Series(dtype=float)), errors="coerce").fillna(0).sum())


def span(low: int, high: int) -> str:
    """A range as the report shows it: "3" or "1–4"."""
    return f"{low}" if low == high else f"{low}–{high}"


def values_per_container(runs: pd.DataFrame) -> pd.Series:
    """The range of measured values one container took, per workload."""
    counts = runs.groupby(["workload", *container_keys(runs)]).size().groupby(level="workload")
    return counts.agg(lambda c: span(int(c.min()), int(c.max())))


def loop_ranges(runs: pd.DataFrame) -> pd.DataFrame:
    """Per workload: the range of passes per timed section, of units per loop and of values per container."""
    ones = pd.Series(1, index=runs.index)
    counts = runs.assign(
        loops=(runs["loops"].fillna(1) if "loops" in runs else ones).astype(int),
        units=(runs["units"].fillna(1) if "units" in runs else ones).astype(int),
    ).groupby("workload")
    frame = counts.agg(
        loops_min=("loops", "min"), loops_max=("loops", "max"), units_min=("units", "min"), units_max=("units", "max")
    ).reset_index()
    values = values_per_container(runs)
    return pd.DataFrame(
        {
            "workload": frame["workload"],
            "loops": [span(lo, hi) for lo, hi in zip(frame["loops_min"], frame["loops_max"])],
            "units": [span(lo, hi) for lo, hi in zip(frame["units_min"], frame["units_max"])],
            "values": frame["workload"].map(values).fillna("1").tolist(),
        }
    )


def session_cells(runs: pd.DataFrame) -> pd.DataFrame:
    """Which cells came from which session (runtimes and workloads, and the containers measured)."""
    frame = one_row_per_container(runs).assign(session=lambda f: f["session"].fillna("unknown").astype(str))
    grouped = frame.groupby("session")
    return pd.DataFrame(
        {
            "session": list(grouped.groups),
            "runtimes": [", ".join(sorted(g["runtime"].unique())) for _, g in grouped],
            "workloads": [", ".join(sorted(g["workload"].unique())) for _, g in grouped],
            "containers": [len(g) for _, g in grouped],
        }
    )


def crossing_comparisons(comparisons: pd.DataFrame) -> int:
    """How many comparisons (not the blog's quotes) set cells of two different sessions side by side."""
    crossing = comparisons[(comparisons["kind"] != "blog") & (comparisons["a_session"] != comparisons["b_session"])]
    return len(crossing)


def rounds_counts(summary: pd.DataFrame) -> dict[str, int]:
    """Cells per reason they took no more rounds (summary.csv's `stopped`); empty for tables from before it."""
    if "stopped" not in summary or summary["stopped"].isna().all():
        return {}
    return {str(reason): int(count) for reason, count in summary["stopped"].value_counts().items() if reason}
