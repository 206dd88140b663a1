"""Runtimes as the blog's three rows (gil, free-threaded, go), and the ratios between those rows.

A runtime's flavour comes from `names.flavour`, asked with what the
catalogue says of it or with what its own records say (kind from the runtime
version, build from `gil_build_disabled`). The flavour ratios are the blog's
headline comparison: each flavour's fastest cell in its parallel mode, one
worker per CPU, against another's, per workload and CPU count.
"""

from __future__ import annotations

import math

import pandas as pd

from .aggregate import per_container
from .names import FREE_THREADED, GIL, GO, PARALLEL_MODE, PLAIN, catalogue_flavour, flavour
from .speedup import has_speedup, marks, time_ratio

# numerator, denominator: the blog's three ratios, the slower row on top
RATIOS = [(GIL, FREE_THREADED), (FREE_THREADED, GO), (GIL, GO)]
# the columns that name one cell of runs.csv within a CPU count
CELL_COLUMNS = ["host", "runtime", "workload", "params", "mode", "cpuset", "workers"]


def runtime_flavours(runs: pd.DataFrame) -> dict[str, str]:
    """Each runtime's flavour from what its records say about themselves."""
    flavours = {}
    for runtime, group in runs.groupby("runtime"):
        kind = "go" if group["runtime_version"].astype(str).str.startswith("go").any() else "cpython"
        built_free = {str(v).lower() for v in group["gil_build_disabled"].dropna()}
        flavours[runtime] = flavour(kind, "true" in built_free)
    return flavours


def with_flavours(summary: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """summary with each runtime's flavour as the catalogue describes it (column `flavour`)."""
    return summary.assign(flavour=summary["runtime"].map(lambda runtime: catalogue_flavour(catalogue[runtime])))


def ratio_name(numerator: str, denominator: str) -> str:
    """The column of one flavour ratio, e.g. gil_over_free_threaded."""
    return f"{numerator}_over_{denominator}".replace("-", "_")


def cell_seconds(runs: pd.DataFrame, cell: pd.Series) -> list[float]:
    """The measured seconds of one summary cell, one figure per container."""
    mask = (runs[CELL_COLUMNS] == cell[CELL_COLUMNS].values).all(axis=1) & (runs["variant"] == cell["variant"])
    return per_container(runs.loc[mask]).tolist()


def parallel_cells(summary: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """Plain cells of timed work in their runtime's parallel mode, one worker per CPU, with their flavour."""
    summary = summary[(summary["variant"] == PLAIN) & summary["workload"].map(has_speedup)]
    modes = [PARALLEL_MODE[catalogue[runtime]["kind"]] for runtime in summary["runtime"]]
    parallel = summary[(summary["mode"] == modes) & (summary["workers"] == summary["cpus"])]
    return with_flavours(parallel, catalogue)


def shared_sizes(summary: pd.DataFrame) -> set[int]:
    """The CPU counts at which a host (or the one machine of a summary without hosts) measured two CPU sets.

    Rows of such a size must keep their set in their key: by size alone, one
    set's median would stand in for the other's, or a ratio would set one
    set's cell against another's.
    """
    if "cpuset" not in summary or summary.empty:
        return set()
    by = ["host", "cpus"] if "host" in summary else ["cpus"]
    sets = summary.groupby(by)["cpuset"].nunique()
    return {int(cpus) for cpus in sets[sets > 1].index.get_level_values("cpus")}


def set_key(summary: pd.DataFrame) -> pd.Series:
    """Each row's CPU set where its size is shared (`shared_sizes`), else "": what joins a size in a row's key."""
    if "cpuset" not in summary:
        return pd.Series("", index=summary.index)
    shared = summary["cpus"].isin(shared_sizes(summary))
    return summary["cpuset"].astype(str).where(shared, "")


def flavour_ratios(summary: pd.DataFrame, runs: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """GIL / free-threaded, free-threaded / Go and GIL / Go per workload and CPU count.

    Where two CPU sets of one size were measured (`cpusets: [0, 1]`), per
    workload and CPU set instead (column `cpuset`, "" elsewhere): a ratio
    compares cells pinned to the same CPUs. Each flavour's fastest cell stands for it. Each ratio of medians comes with
    the 95 % interval that inverts the exact Mann-Whitney U test (`_low`,
    `_high`), whether that test tells the two samples apart (`_significant`;
    `~` if not) and whether the containers were enough to test (`_testable`;
    "too few to test" if not).
    """
    rows = []
    cells = parallel_cells(summary, catalogue)
    cells = cells.assign(set_key=set_key(cells))
    for (workload, cpus, cpuset), group in cells.groupby(["workload", "cpus", "set_key"]):
        fastest = group.sort_values("median").drop_duplicates("flavour").set_index("flavour")
        row = {"workload": workload, "cpus": int(cpus), "cpuset": cpuset}
        for numerator, denominator in RATIOS:
            name = ratio_name(numerator, denominator)
            figures = (math.nan, math.nan, math.nan, False, False)
            if numerator in fastest.index and denominator in fastest.index:
                a, b = cell_seconds(runs, fastest.loc[numerator]), cell_seconds(runs, fastest.loc[denominator])
                ratio, low, high, _ = time_ratio(a, b)
                figures = (ratio, low, high, *marks(low, high))
            columns = (name, f"{name}_low", f"{name}_high", f"{name}_significant", f"{name}_testable")
            row.update(zip(columns, figures))
        rows.append(row)
    return pd.DataFrame(rows)


def host_flavour_ratios(summary: pd.DataFrame, runs: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """flavour_ratios per host, one table with a `host` column: the merged report's ratios.csv."""
    tables = [
        flavour_ratios(group, runs[runs["host"] == host], catalogue).assign(host=host)
        for host, group in summary.groupby("host")
    ]
    tables = [t for t in tables if not t.empty]
    if not tables:
        return pd.DataFrame(columns=["host", "workload", "cpus"])
    table = pd.concat(tables, ignore_index=True)
    return table[["host", *[c for c in table.columns if c != "host"]]]
