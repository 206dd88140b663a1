"""What the report still derives from the tables itself: these move to the analysis layer.

Issue 18 asks that the report only render. Every function here computes
rather than formats (a flavour from the catalogue, ratios with their own
bootstrap and Mann-Whitney test, comparisons and claims when none are passed,
medians, sums and counts over runs.csv), so each belongs in aggregation,
comparisons or claims. They are gathered in this one module, unchanged in
behaviour, so that the section modules reach them through one narrow seam and
switching them to the analysis layer's functions touches only this file.
"""

from __future__ import annotations

import math

import pandas as pd

from ..aggregate import container_keys, one_row_per_container, per_container
from ..claims import Claim, all_claims, average_time_per_thread
from ..comparisons import comparisons_table
from ..stats import differs, ratio_ci

PARALLEL_MODE = {"cpython": "threads", "go": "goroutines"}
RATIOS = [("gil", "free-threaded"), ("free-threaded", "go"), ("gil", "go")]


def flavour(entry: dict) -> str:
    """Which of the blog's three rows a catalogue entry corresponds to."""
    if entry["kind"] == "go":
        return "go"
    return "free-threaded" if entry["free_threading"] else "gil"


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows measured without a variant's switch (and not the A/A twin)."""
    return frame[frame["variant"] == ""]


def with_flavours(summary: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """summary with the blog's row name (gil, free-threaded, go) of each runtime."""
    return summary.assign(flavour=summary["runtime"].map(lambda runtime: flavour(catalogue[runtime])))


def ratio_name(numerator: str, denominator: str) -> str:
    return f"{numerator}_over_{denominator}".replace("-", "_")


def cell_seconds(runs: pd.DataFrame, cell: pd.Series, variant: str | None = None) -> list[float]:
    """The measured seconds of one cell, one per container (of `variant` if given, else of the cell's own)."""
    keys = ["host", "runtime", "workload", "params", "mode", "cpuset", "workers"]
    mask = (runs[keys] == cell[keys].values).all(axis=1)
    mask &= runs["variant"] == (cell["variant"] if variant is None else variant)
    return per_container(runs.loc[mask]).tolist()


def _ratio_fields(name: str, runs: pd.DataFrame, fastest: pd.DataFrame, numerator: str, denominator: str) -> dict:
    """One ratio of medians with its interval and significance, or NaNs when a flavour is missing."""
    if numerator in fastest.index and denominator in fastest.index:
        a = cell_seconds(runs, fastest.loc[numerator])
        b = cell_seconds(runs, fastest.loc[denominator])
        ratio, low, high = ratio_ci(a, b)
        return {name: ratio, f"{name}_low": low, f"{name}_high": high, f"{name}_significant": differs(a, b)}
    return {name: math.nan, f"{name}_low": math.nan, f"{name}_high": math.nan, f"{name}_significant": False}


def flavour_ratios(summary: pd.DataFrame, runs: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """GIL / free-threaded, free-threaded / Go and GIL / Go per CPU count, in each parallel mode.

    Each ratio of medians comes with a 95 % bootstrap interval and whether a
    Mann-Whitney U test tells the two samples apart (benchstat's `~` if not).
    """
    summary = plain(summary)
    summary = summary[summary["scaling"] != "none"]  # spawn's timed section is teardown, not work
    parallel = summary[
        summary.apply(lambda r: r["mode"] == PARALLEL_MODE[catalogue[r["runtime"]]["kind"]], axis=1)
        & (summary["workers"] == summary["cpus"])
    ]
    parallel = with_flavours(parallel, catalogue)
    rows = []
    for (workload, cpus), group in parallel.groupby(["workload", "cpus"]):
        fastest = group.sort_values("median").drop_duplicates("flavour").set_index("flavour")
        row = {"workload": workload, "cpus": int(cpus)}
        for numerator, denominator in RATIOS:
            row.update(_ratio_fields(ratio_name(numerator, denominator), runs, fastest, numerator, denominator))
        rows.append(row)
    return pd.DataFrame(rows)


def comparisons_and_claims(
    summary: pd.DataFrame, runs: pd.DataFrame, comparisons: pd.DataFrame | None, catalogue: dict
) -> tuple[pd.DataFrame, list[Claim]]:
    """comparisons.csv's rows (made here if not given) and the claims they decide."""
    comparisons = comparisons_table(runs, summary) if comparisons is None else comparisons
    return comparisons, all_claims(comparisons, with_flavours(summary, catalogue), runs)


def time_per_thread(summary: pd.DataFrame, catalogue: dict) -> str | None:
    """The blog's "Average Time per Thread" explained with this run's figures (claims.py divides)."""
    return average_time_per_thread(with_flavours(summary, catalogue))


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
    return f"{low}" if low == high else f"{low}–{high}"


def values_per_container(runs: pd.DataFrame) -> pd.Series:
    """The range of measured values one container took, per workload (1 for tables without containers)."""
    keys = container_keys(runs)
    if keys is None:
        return runs.groupby("workload")["seconds"].agg(lambda _: "1")
    counts = runs.groupby(["workload", *keys]).size().groupby(level="workload")
    return counts.agg(lambda c: span(int(c.min()), int(c.max())))


def loop_ranges(runs: pd.DataFrame) -> pd.DataFrame:
    """Per workload: the range of loops per timed section and of values per container over its cells."""
    loops = runs["loops"].fillna(1) if "loops" in runs else pd.Series(1, index=runs.index)
    frame = runs.assign(loops=loops.astype(int)).groupby("workload")["loops"].agg(["min", "max"]).reset_index()
    values = values_per_container(runs)
    return pd.DataFrame(
        {
            "workload": frame["workload"],
            "loops": [span(lo, hi) for lo, hi in zip(frame["min"], frame["max"])],
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
