"""The blog's table on this machine: each runtime's best parallel cpu_loop time beside the blog's figures."""

from __future__ import annotations

import pandas as pd

from ..comparisons import BLOG, BLOG_WORKERS, fmt_row
from ..names import PARALLEL_MODE, catalogue_flavour
from ..runfacts import plain
from ._format import fmt_ci, fmt_seconds, markdown_table
from ._inputs import ReportInputs


def headline_rows(summary: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """The blog's table on this machine: each runtime's parallel mode on all CPUs it had, the seed's loop."""
    summary = plain(summary)
    summary = summary[summary["workload"] == "cpu_loop"]
    rows = []
    for runtime, group in summary.groupby("runtime", sort=False):
        entry = catalogue[runtime]
        cells = group[(group["mode"] == PARALLEL_MODE[entry["kind"]]) & (group["workers"] == group["cpus"])]
        if cells.empty:
            continue
        best = cells[cells["cpus"] == cells["cpus"].max()].iloc[0]
        rows.append(
            {
                "runtime": runtime,
                "flavour": catalogue_flavour(entry),
                "workers": int(best["workers"]),
                "seconds": best["median"],
                "ci": fmt_ci(best),
                "blog_seconds": BLOG[catalogue_flavour(entry)],
            }
        )
    return pd.DataFrame(rows)


def times_go(comparisons: pd.DataFrame, flavour: str, cpus: int) -> str:
    """A runtime's cpu_loop time over Go's on `cpus` CPUs (one worker each), as comparisons.csv has it."""
    if flavour == "go":
        return "1"
    rows = comparisons[
        (comparisons["kind"] == "runtime")
        & (comparisons["workload"] == "cpu_loop")
        & (comparisons["a_flavour"] == flavour)
        & (comparisons["a_mode"] == "threads")
        & (comparisons["a_variant"] == "")
        & (comparisons["b_cpus"] == cpus)
        & (comparisons["b_workers"] == cpus)
    ]
    return fmt_row(rows.iloc[0]) if not rows.empty else "–"


def blog_times_go(comparisons: pd.DataFrame, flavour: str) -> str:
    rows = comparisons[
        (comparisons["kind"] == "blog") & (comparisons["a_flavour"] == flavour) & (comparisons["b_flavour"] == "go")
    ]
    return "1" if flavour == "go" else fmt_row(rows.iloc[0]) if not rows.empty else "–"


def blog_table_section(inp: ReportInputs) -> list[str]:
    if not inp.builtins_measured:  # a run of the user's workloads alone: the blog's claims follow from none of it
        return [
            "## The blog's claims",
            "",
            "Not measured here: no built-in workload was measured (`builtin_workloads: false`, or each set to "
            "null), so the blog's table and claims, which rest on them, are left out.",
            "",
        ]
    head = headline_rows(inp.summary, inp.config["catalogue"])
    lines = ["## The blog's table, on this machine", ""]
    if head.empty:
        return lines + ["_no cpu_loop cell in the parallel modes_", ""]
    cpus = int(head["workers"].max())
    shown = pd.DataFrame(
        {
            "runtime": head["runtime"],
            "workers here": head["workers"],
            "time here (s)": head["seconds"].map(fmt_seconds),
            "95 % CI (s)": head["ci"],
            "× Go here": [times_go(inp.comparisons, f, cpus) for f in head["flavour"]],
            f"blog, {BLOG_WORKERS} workers (s)": head["blog_seconds"].map(fmt_seconds),
            "× Go in the blog": [blog_times_go(inp.comparisons, f) for f in head["flavour"]],
        }
    )
    return lines + [
        f"cpu_loop, threads or goroutines, one worker per CPU; the blog ran {BLOG_WORKERS} on "
        f"{BLOG_WORKERS} cores, this run {cpus} on {cpus}.",
        "",
        markdown_table(shown),
        "",
    ]
