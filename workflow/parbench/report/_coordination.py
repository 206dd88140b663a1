"""Coordination costs: channel latency and what a parked thread or goroutine costs, as summary.csv has them."""

from __future__ import annotations

import pandas as pd

from ..runfacts import plain
from ._format import fmt_seconds, markdown_table
from ._inputs import ReportInputs


def _channels_row(cell: pd.Series) -> dict:
    return {
        "workload": "channels",
        "runtime": cell["runtime"],
        "mode": cell["mode"],
        "workers": cell["workers"],
        "figure": "median s per loop; latency p50 / p99 (µs)",
        "value": f"{fmt_seconds(cell['median'])} s; {cell['latency_p50_us']:.1f} / {cell['latency_p99_us']:.1f}",
    }


def _spawn_row(cell: pd.Series) -> dict:
    return {
        "workload": "spawn",
        "runtime": cell["runtime"],
        "mode": cell["mode"],
        "workers": cell["tasks"],
        "figure": "µs, KB, OS threads per worker",
        "value": f"{cell['spawn_us_per_task']:.1f} µs, {cell['rss_kb_per_task']:.1f} KB, "
        f"{cell['os_threads_per_task']:.2f}",
    }


def coordination_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """Channels latency, spawn cost per worker (figures of summary.csv besides time)."""
    rows = []
    cells = plain(summary)
    cells = cells[cells["cpus"] == cells["cpus"].max()].sort_values(["workload", "runtime", "mode", "workers"])
    for _, cell in cells.iterrows():
        if cell["workload"] == "channels":
            rows.append(_channels_row(cell))
        elif cell["workload"] == "spawn":
            rows.append(_spawn_row(cell))
    return pd.DataFrame(rows)


def coordination_section(inp: ReportInputs) -> list[str]:
    details = coordination_rows(inp.summary)
    if details.empty:
        return []
    return [
        "## Coordination costs",
        "",
        "Channels: W producers and W consumers through one Go channel, queue.Queue (threads) or "
        "multiprocessing.Queue (processes); latency is send to receive. Spawn: creation time, resident memory "
        "and OS threads added per parked thread or goroutine.",
        "",
        markdown_table(details),
        "",
    ]
