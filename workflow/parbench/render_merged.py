"""The merged report of several hosts (results/merged/report.md, `parbench bundle merge`'s report.md).

Rendering only, and apart from report.py: publishing and merging must not pull
in the single-host report and its figures. The ratios it prints are
those of ratios.csv (`flavours.host_flavour_ratios`), computed by the merge.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .blog import BLOG
from .budgetcut import budget_sentence
from .flavours import RATIOS, ratio_name, set_key
from .labels import fmt_ratio_ci, fmt_seconds, markdown_table, row_testable
from .names import FREE_THREADED, GIL, WARNING_KINDS

# The blog's own rows as the example, from blog.BLOG: its figures live there alone.
RATIOS_READING = (
    f"Time of the first over time of the second, as the blog's rows ({BLOG[GIL]} s / {BLOG[FREE_THREADED]} s: "
    f"gil / free-threaded {BLOG[GIL] / BLOG[FREE_THREADED]:.2f}×); above 1 the second is faster. As the blog ran "
    "them: threads (Go: goroutines), one worker per CPU; `~` marks a ratio the test does not tell from 1."
)


def medians_per_host(summary: pd.DataFrame, hosts: list[str]) -> pd.DataFrame:
    """One row per cell, one column of median seconds per host.

    A variant (the GIL forced back on, GOMAXPROCS=1) is a cell of its own:
    without it in the row's key, its median would stand in for the default
    cell's, or be dropped, whichever came first. Cells line up across hosts
    by CPU count, since nodes name the same-sized sets differently (SMT
    siblings); where a host measured two sets of one size (`cpusets: [0, 1]`),
    the set joins the key of every host's rows of that size, in a `CPU set`
    column, or one of them would be lost.
    """
    variant = summary["variant"].fillna("") if "variant" in summary else ""
    cpuset = set_key(summary)
    key = ["workload", "runtime", "mode", "variant", "cpus", "cpuset", "workers"]
    wide = (
        summary.assign(variant=variant, cpuset=cpuset)
        .pivot_table(index=key, columns="host", values="median", aggfunc="first")
        .reset_index()
    )
    if not (wide["cpuset"] != "").any():
        wide = wide.drop(columns="cpuset")
    for host in hosts:
        wide[host] = wide[host].map(fmt_seconds)
    return wide.rename(columns={"cpuset": "CPU set"})


def ratios_per_host(ratios: pd.DataFrame) -> pd.DataFrame:
    """The blog's three flavour ratios per host, workload and CPU count, benchstat-style."""
    rows = []
    for _, r in ratios.iterrows():
        row = {"host": r["host"], "workload": r["workload"], "CPUs": r["cpus"], "CPU set": r.get("cpuset", "")}
        row["CPU set"] = "" if pd.isna(row["CPU set"]) else str(row["CPU set"])
        for numerator, denominator in RATIOS:
            name = ratio_name(numerator, denominator)
            tested = row_testable(r, f"{name}_testable", f"{name}_low")
            row[f"{numerator} / {denominator}"] = fmt_ratio_ci(
                r[name], r[f"{name}_low"], r[f"{name}_high"], r[f"{name}_significant"], tested
            )
        rows.append(row)
    table = pd.DataFrame(rows)
    if "CPU set" in table and not (table["CPU set"].fillna("") != "").any():
        table = table.drop(columns="CPU set")
    return table


def engines_lines(runs: pd.DataFrame) -> list[str]:
    """Which engine ran each host's containers, and, when they differ, what that means for reading the tables."""
    engines = runs.groupby("host")["engine"].unique() if "engine" in runs else pd.Series(dtype=object)
    named = {host: ", ".join(sorted(values)) for host, values in engines.items()}
    if len(set(named.values())) <= 1:
        return [f"Engine: {next(iter(named.values()), 'docker')}.", ""]
    listed = "; ".join(f"{host} {engine}" for host, engine in sorted(named.items()))
    return [
        f"Engines differ between hosts ({listed}). Ratios within a host compare containers of one engine; "
        "a time set beside another host's also compares two engines' start-up and isolation.",
        "",
    ]


def budget_lines(summary: pd.DataFrame, settings_of: Mapping[str, dict]) -> list[str]:
    """What each host's budget cut, for the hosts where it cut something (a budget fits each node apart)."""
    said = []
    for host in sorted(settings_of):
        sentence = budget_sentence(settings_of[host], summary[summary["host"] == host])
        if sentence:
            said.append(f"- {host}:{sentence}")
    return ["What each host's time budget cut:", "", *said, ""] if said else []


def sessions_lines(runs: pd.DataFrame) -> list[str]:
    """Hosts whose tables hold more than one session (a runtime remeasured alone): cells not interleaved."""
    if "session" not in runs:
        return []
    counts = runs.groupby("host")["session"].nunique()
    said = [f"- {host}: {int(count)} sessions" for host, count in sorted(counts.items()) if count > 1]
    if not said:
        return []
    return [
        "Hosts measured in more than one session (one runtime remeasured alone, say): cells of different "
        "sessions were not interleaved with each other, so a ratio across them also compares two moments of "
        "the node (each host's report.md names its sessions and cells):",
        "",
        *said,
        "",
    ]


def warnings_lines(summary: pd.DataFrame) -> list[str]:
    """Per host, how many cells each kind of warning flags; each host's own report.md names the cells."""
    said = []
    for host in sorted(summary["host"].unique()):
        cells = summary[summary["host"] == host]
        counts = [
            f"{kind} ({count} cells)"
            for column, kind in WARNING_KINDS.items()
            if column in cells and (count := int(cells[column].eq(True).sum()))
        ]
        if counts:
            said.append(f"- {host}: {', '.join(counts)}")
    return ["## Warnings", "", *(said or ["None on any host."]), ""]


def merged_report(
    summary: pd.DataFrame, ratios: pd.DataFrame, runs: pd.DataFrame, settings_of: Mapping[str, dict] | None = None
) -> str:
    """The engines, each host's budget cut, median times side by side per host, the ratios per host, warnings.

    `settings_of` holds each host's session settings (from its stamps), by host label.
    """
    hosts = sorted(summary["host"].unique())
    lines = ["# parbench: results from several machines", "", f"Hosts: {', '.join(hosts)}.", ""]
    lines += engines_lines(runs)
    lines += budget_lines(summary, settings_of or {})
    lines += sessions_lines(runs)
    lines += ["## Median seconds per cell and host", "", markdown_table(medians_per_host(summary, hosts)), ""]
    lines += ["## Ratios per host", "", RATIOS_READING, "", markdown_table(ratios_per_host(ratios)), ""]
    lines += warnings_lines(summary)
    return "\n".join(lines)
