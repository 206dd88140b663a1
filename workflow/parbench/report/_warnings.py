"""Warnings: the cells summary.csv flags (noisy, short, under load, throttled, uneven shares) and retried containers."""

from __future__ import annotations

import pandas as pd

from .. import runfacts
from ..comparisons import workload_label
from ..names import DEFAULT_WARNINGS, WARNING_KINDS
from ._format import folded
from ._inputs import ReportInputs

# summary column -> (kind, what it means); the kinds are names.WARNING_KINDS, which the merged report uses too.
MEANINGS = {
    "warn_cv": "coefficient of variation above {cv:.0%}: consider more rounds",
    "warn_short": "median timed section below {min_seconds:.3f} s: timer and scheduling noise weigh more",
    "warn_load": "other processes used more than {busy:.0%} of the CPUs just before a container",
    "warn_throttled": "the kernel throttled the container's CPU use (cgroup cpu.stat)",
    "warn_uneven": "the slowest of workers that ran side by side took over {uneven:.2f}× their mean: "
    'the costliest share bounds the speedup (docs/workloads.md, "Shares that cost alike")',
}
WARNINGS = {column: (WARNING_KINDS[column], meaning) for column, meaning in MEANINGS.items()}


def cell_name(cell: pd.Series) -> str:
    mode = f"{cell['mode']} [{cell['variant']}]" if cell["variant"] else cell["mode"]
    workers = f"{cell['workers']} worker{'' if cell['workers'] == 1 else 's'}"
    return f"{cell['runtime']} {workload_label(cell['workload'])} {mode} on CPUs {cell['cpuset']} ({workers})"


def warning_detail(column: str, cell: pd.Series) -> str:
    """The figure behind a warning, where one says more than the flag."""
    if column == "warn_cv":
        return f" (CV {cell['cv']:.1%})"
    if column == "warn_uneven":
        return f" (the slowest worker {cell['worker_spread_median']:.2f}× their mean)"
    if column == "warn_short":
        return f" ({cell.get('total_seconds_median', cell['median']) * 1000:.1f} ms timed section)"
    return ""


def warning_lines(summary: pd.DataFrame, config: dict) -> dict[str, list[str]]:
    """Per kind of warning, one line per cell it concerns."""
    grouped: dict[str, list[str]] = {}
    for _, cell in summary.sort_values(["workload", "runtime", "mode", "cpus"]).iterrows():
        for column, (kind, _) in WARNINGS.items():
            if cell.get(column) is True or cell.get(column) == 1:
                grouped.setdefault(kind, []).append(f"- {cell_name(cell)}{warning_detail(column, cell)}")
    return grouped


def warnings_section(inp: ReportInputs) -> list[str]:
    limits = {**DEFAULT_WARNINGS, **(inp.config.get("warnings") or {})}
    grouped = warning_lines(inp.summary, inp.config)
    retries = runfacts.retry_count(inp.runs)
    lines = ["## Warnings", ""]
    if not grouped and not retries:
        return lines + [
            "None: every cell is steady, long enough, measured without load or throttling, and even in its shares.",
            "",
        ]
    meaning = {kind: text.format(**limits) for kind, text in WARNINGS.values()}
    lines += [f"- **{kind}** ({len(cells)} cells): {meaning[kind]}." for kind, cells in grouped.items()]
    if retries:
        lines.append(f"- **retried** ({retries} containers): a container failed and was run again.")
    lines.append("")
    for kind, cells in grouped.items():
        lines += folded(f"{kind}: the {len(cells)} cells", cells)
    return lines
