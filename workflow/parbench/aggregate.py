"""Raw JSON-lines records -> results/runs.csv and results/summary.csv (tidy).

runs.csv has one row per measured value: a cell run (one per cell and round) may take
several, numbered by `value` (warm-ups are kept in the raw files only).
summary.csv has one row per cell with its statistics, its warnings and its
speedup over one worker of the same runtime and mode (computed in `speedup`,
which comparisons.csv's scaling rows share).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_path, write_text_atomic
from .errors import ParbenchError, main_guard
from .names import AA, CELL_KEYS, DEFAULT_WARNINGS, PLAIN, warning_limits
from .provenance import load_stamps
from .shares import side_by_side, spread, worker_spreads
from .specs import params_label, scaling, use_experiment
from .speedup import baselines, has_speedup, ideal_speedup, marks, speedup
from .stats import summarize
from .stopping import UNFINISHED, StopRule

RUN_COLUMNS = [
    "runtime",
    "workload",
    "params",
    "mode",
    "variant",
    "cpuset",
    "cpus",
    "workers",
    "tasks",
    "repeat",
    "value",
    "round",
    "order",
    "container_order",
    "container_cells",
    "seconds",
    "loops",
    "units",
    "total_seconds",
    "cpu_seconds",
    "max_rss_kb",
    "checksum",
    "checksum_hex",
    "gil_enabled",
    "gil_build_disabled",
    "gomaxprocs",
    "numcpu",
    "affinity",
    "runtime_version",
    "start_method",
    "setup_seconds",
    "spawn_seconds",
    "container_seconds",
    "startup_seconds",
    "worker_seconds",
    "worker_seconds_median",
    "worker_spread",
    "rss_before_kb",
    "rss_parked_kb",
    "os_threads_before",
    "os_threads_parked",
    "latency_p50_us",
    "latency_p99_us",
    "load_1m_before",
    "host_busy_before",
    "governor",
    "turbo",
    "throttled_periods",
    "warmup_seconds",
    "retries",
    "image_id",
    "engine",
    "host",
    "session",
    "started_at",
    "seed",
]
MAX_LISTED_WORKERS = 64


def read_table(source) -> pd.DataFrame:
    """Read runs.csv or summary.csv back as the tables were written.

    CSV cannot tell an empty string from a missing value, nor "0" from 0: the
    plain variant ("") and CPU sets ("0", "0-1") are restored here, once, so no
    consumer has to patch them.
    """
    table = pd.read_csv(source, dtype={"variant": str, "cpuset": str, "affinity": str, "params": str})
    table["variant"] = table["variant"].fillna(PLAIN)
    if "checksum" in table and "units" not in table:  # a runs table from before units ran whole loops
        table["units"] = 1
    if "checksum" in table and "engine" not in table:  # and from before engines, Docker's
        table["engine"] = "docker"
    return table


def load_records(paths: list[Path]) -> list[dict]:
    records = []
    for path in paths:
        for number, line in enumerate(Path(path).read_text().splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    raise ParbenchError(f"{path}:{number} is not a JSON record; remeasure that cell") from None
    return records


def upgraded(records: list[dict]) -> list[dict]:
    """The records with every field the tables need, the one place older records are brought up to date.

    Records from before calibration ran the task set once per container
    (loops 1, the section is the loop), before units whole loops (units
    1), and before engines Docker's containers; records from before the session's
    journal name no container, so each is its own: its round is its repeat and
    it gets an order after every real one. Nothing downstream checks for them.
    """
    start = 1 + max((int(r["order"]) for r in records if r.get("order") is not None), default=-1)
    out = []
    for number, r in enumerate(records):
        r = dict(r)
        r["variant"] = r.get("variant") or PLAIN
        r["loops"] = r.get("loops") or 1
        r["units"] = r.get("units") or 1
        r["engine"] = r.get("engine") or "docker"
        r["total_seconds"] = r.get("total_seconds", r["seconds"])
        r["retries"] = r.get("retries") or 0
        if r.get("order") is None:
            r["order"], r["round"] = start + number, r.get("repeat")
        out.append(r)
    return out


def runs_table(records: list[dict]) -> pd.DataFrame:
    """One tidy row per measured (non-warm-up) value."""
    rows = []
    for r in upgraded([r for r in records if not r.get("warmup")]):
        row = {column: r.get(column) for column in RUN_COLUMNS}
        row["params"] = params_label(r.get("params") or {})
        row["checksum_hex"] = float(r["checksum"]).hex()
        each = r.get("worker_seconds") or []
        # Thousands of parked spawn tasks would swamp the table; the raw files keep them all.
        row["worker_seconds"] = json.dumps(each) if len(each) <= MAX_LISTED_WORKERS else None
        row["worker_seconds_median"] = float(pd.Series(each, dtype=float).median()) if each else math.nan
        row["worker_spread"] = spread(each)
        rows.append(row)
    table = pd.DataFrame(rows, columns=RUN_COLUMNS)
    # Empty where a cell had its container alone: nullable integers, so the CSV says 7, not 7.0.
    table = table.astype({"container_order": "Int64", "container_cells": "Int64"})
    return table.sort_values(CELL_KEYS + ["repeat"], kind="stable").reset_index(drop=True)


def checksum_problem(runs: pd.DataFrame) -> str | None:
    """One line if any two records of the same workload, parameters, worker count and units disagree.

    The worker count is part of the key because split work (cpu_loop_strong)
    adds partial sums, and coordination workloads count every worker's share;
    the units because a record's checksum is one unit's.
    """
    for (workload, params, workers, _), group in runs.groupby(["workload", "params", "workers", "units"]):
        distinct = group.groupby("checksum_hex")["runtime"].unique()
        if len(distinct) > 1:
            detail = "; ".join(f"{', '.join(sorted(rts))} gave {value}" for value, rts in distinct.items())
            return f"checksums disagree for {workload} ({params}) with {workers} worker(s): {detail}"
    return None


def per_task(group: pd.DataFrame, after: str, before: str) -> float:
    """Median over containers' values of (after - before) / tasks: the cost of one parked worker."""
    if group[after].isna().all():
        return math.nan
    values = (pd.to_numeric(group[after]) - pd.to_numeric(group[before])) / pd.to_numeric(group["tasks"])
    return float(values.median())


def container_keys(frame: pd.DataFrame) -> list[str]:
    """The columns that name a container: its session and its place in the session's order."""
    return ["session", "order"]


def one_row_per_container(frame: pd.DataFrame) -> pd.DataFrame:
    """The first record of each container: for what a container has once (start-up, warm-up, retries)."""
    return frame.drop_duplicates(container_keys(frame))


def per_container(group: pd.DataFrame, column: str = "seconds") -> np.ndarray:
    """One figure per container, the median of its measured values, in round order.

    A container may measure several values (pyperf's values per process);
    they share one process, so they are not independent samples. The
    containers are: every statistic of a cell, its CI and its comparisons
    take one figure per container.
    """
    ordered = group.sort_values(["round", "order"], kind="stable")
    return ordered.groupby(container_keys(group), sort=False, dropna=False)[column].median().to_numpy(dtype=float)


def median_of(group: pd.DataFrame, column: str) -> float:
    return float(pd.to_numeric(group[column], errors="coerce").median())


def cell_row(key: tuple, group: pd.DataFrame, seconds: np.ndarray, limits: dict[str, float]) -> dict:
    """One summary row: the cell's statistics over its containers, its per-task costs and its warnings."""
    row = dict(zip(CELL_KEYS, key))
    row.update(summarize(seconds))
    row["values"] = len(group)
    row["cpu_seconds_median"] = float(group["cpu_seconds"].median())
    row["max_rss_kb_max"] = int(group["max_rss_kb"].max())
    row["tasks"] = int(group["tasks"].max()) if group["tasks"].notna().any() else row["workers"]
    row["spawn_seconds_median"] = median_of(group, "spawn_seconds")
    row["spawn_us_per_task"] = row["spawn_seconds_median"] / row["tasks"] * 1e6
    row["rss_kb_per_task"] = per_task(group, "rss_parked_kb", "rss_before_kb")
    row["os_threads_per_task"] = per_task(group, "os_threads_parked", "os_threads_before")
    row["latency_p50_us"] = median_of(group, "latency_p50_us")
    row["latency_p99_us"] = median_of(group, "latency_p99_us")
    row["worker_seconds_median"] = median_of(group, "worker_seconds_median")
    row["worker_spread_median"] = float(worker_spreads(group).median())
    row["warn_cv"] = bool(row["cv"] > limits["cv_limit"])
    # The timed section (all its loops) is what must be long enough to time, not one loop;
    # spawn's timed section only releases parked workers, its figures are per-worker costs.
    row["total_seconds_median"] = float(np.median(per_container(group, "total_seconds")))
    row["warn_short"] = bool(row["total_seconds_median"] < limits["min_seconds"]) and has_speedup(row["workload"])
    busy = pd.to_numeric(group["host_busy_before"], errors="coerce")
    throttled = pd.to_numeric(group["throttled_periods"], errors="coerce")
    row["warn_load"] = bool((busy > limits["busy_limit"]).any())
    row["warn_throttled"] = bool((throttled > 0).any())
    gil = pd.to_numeric(group["gil_enabled"], errors="coerce").max()  # NaN: Go, which has none
    together = side_by_side(row["mode"], row["workers"], row["cpus"], gil, median_of(group, "gomaxprocs"), row["tasks"])
    uneven = has_speedup(row["workload"]) and bool(row["worker_spread_median"] > limits["uneven_limit"])
    row["warn_uneven"] = together and uneven
    return row


def rounds_columns(seconds: np.ndarray, rule: StopRule | None) -> dict:
    """Why the cell took no more rounds than its `n` (stopping.py), as the session decided it."""
    return {"stopped": (rule.reason(seconds) or UNFINISHED) if rule else ""}


SPEEDUP_COLUMNS = ["speedup", "speedup_ci_low", "speedup_ci_high", "speedup_significant", "speedup_testable"]


def speedup_columns(samples: dict[tuple, np.ndarray]) -> pd.DataFrame:
    """speedup, its interval, significance and testability, and efficiency against ideal, one row per cell."""
    base_of = baselines(samples)
    rows = []
    for key, seconds in samples.items():
        cell = dict(zip(CELL_KEYS, key))
        if key not in base_of or not has_speedup(cell["workload"]):
            rows.append((math.nan, math.nan, math.nan, False, False, math.nan))
            continue
        ratio, low, high, _ = speedup(samples[base_of[key]], seconds, cell["workload"], cell["workers"])
        ideal = ideal_speedup(cell["workload"], cell["workers"], cell["cpus"])
        rows.append((ratio, low, high, *marks(low, high), ratio / ideal))
    return pd.DataFrame(rows, columns=[*SPEEDUP_COLUMNS, "efficiency"])


def summary_table(
    runs: pd.DataFrame,
    cv_limit: float = DEFAULT_WARNINGS["cv"],
    min_seconds: float = DEFAULT_WARNINGS["min_seconds"],
    busy_limit: float = DEFAULT_WARNINGS["busy"],
    uneven_limit: float = DEFAULT_WARNINGS["uneven"],
    rule: StopRule | Mapping[str, StopRule] | None = None,
) -> pd.DataFrame:
    """Statistics per cell, speedup with its interval and efficiency, warnings.

    `rule` (the rounds rule, for `stopped`) may be one per host label, as a
    merge of cluster nodes gives it.
    Speedup compares throughput with one worker of the same runtime, mode and
    variant (see `speedup`). `speedup_significant` is False, shown as `~`, when
    the two samples cannot be told apart; `speedup_testable` is False, shown as
    "too few to test", when the containers are too few for the test at all.
    """
    limits = {"cv_limit": cv_limit, "min_seconds": min_seconds, "busy_limit": busy_limit, "uneven_limit": uneven_limit}
    rows, samples = [], {}
    main = runs[runs["variant"] != AA]  # the A/A twin only feeds the noise floor
    for key, group in main.sort_values("repeat").groupby(CELL_KEYS, sort=True):
        samples[key] = per_container(group)
        cell_rule = rule.get(key[0]) if isinstance(rule, Mapping) else rule
        rows.append(cell_row(key, group, samples[key], limits) | rounds_columns(samples[key], cell_rule))
    summary = pd.DataFrame(rows)
    if summary.empty:
        return summary
    summary["scaling"] = summary["workload"].map(scaling)
    speedups = speedup_columns(samples).set_index(summary.index)
    return pd.concat([summary, speedups[SPEEDUP_COLUMNS]], axis=1).assign(efficiency=speedups["efficiency"])


def write_csv(table: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)  # shortest round-trip floats: checksums stay exact


def listed_raw_files(listing: Path) -> list[Path]:
    """The raw files a list names: one per line, or the `raw` list of a host session's manifest.

    A host's CPU sets are decided on the host, so its manifest, written by the
    session, says which files belong to its plan (older files of another plan
    may lie beside them).
    """
    text = listing.read_text()
    if text.lstrip().startswith("{"):
        return [Path(path) for path in json.loads(text)["raw"]]
    return [Path(line) for line in text.split()]


def session_stamps(runs: pd.DataFrame, raw_dir: Path) -> list[dict]:
    """The stamps of every session whose records are in the tables, oldest first (a missing one is named)."""
    return load_stamps(raw_dir, sorted(str(s) for s in runs["session"].dropna().unique()))


def stop_rule(stamps: list[dict], config: dict | None) -> StopRule | None:
    """The rounds rule the cells were measured under: the latest session's stamp, else the config.

    A budget lowers `repeats` in the session's settings, not in the config,
    so a cell that took all the rounds the budget left is `repeats`, not
    `unfinished`; and a cell it stopped at min_rounds once spent (in any of
    the sessions, as its stamp says) is `budget`.
    """
    spent = any(stamp.get("budget_spent") for stamp in stamps)
    settings = latest_settings(stamps)
    if settings:
        return StopRule.of(settings, spent=spent)
    return StopRule.of(config) if config else None


def latest_settings(stamps: list[dict]) -> dict:
    """The settings of the latest session that recorded its rounds ({} if none did): what it measured under."""
    for stamp in reversed(stamps):
        settings = stamp.get("settings") or {}
        if "repeats" in settings:
            return settings
    return {}


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", required=True, type=Path)
    parser.add_argument("--summary", required=True, type=Path)
    parser.add_argument(
        "--sessions", type=Path, default=None, help="write the stamps of the sessions the records came from here (JSON)"
    )
    parser.add_argument("--raw-dir", type=Path, default=Path("results/raw"), help="where session stamps are kept")
    parser.add_argument(
        "--raw-list",
        type=Path,
        default=None,
        help="a file naming the raw files, one per line, or a host session's manifest (JSON)",
    )
    parser.add_argument("raw", nargs="*", type=Path)
    parser.add_argument(
        "--config-file",
        type=Path,
        default=None,
        help="the experiment's config (JSON): its user workloads and its `warnings` limits (defaults without it)",
    )
    args = parser.parse_args(argv)
    experiment = json.loads(args.config_file.read_text()) if args.config_file else None
    if experiment:
        use_experiment(experiment)
    raw = args.raw + (listed_raw_files(args.raw_list) if args.raw_list else [])
    if not raw:
        raise ParbenchError("no raw files given: name them, or a --raw-list file naming them")
    runs = runs_table(load_records(raw))
    problem = checksum_problem(runs)
    if problem:
        raise ParbenchError(problem)
    # The stamps are read once: for the rounds rule and for sessions.json, the report's provenance.
    stamps = session_stamps(runs, args.raw_dir) if args.sessions else []
    rule = stop_rule(stamps, experiment)
    # The limits come from the experiment the report reads too, so the two never disagree.
    summary = summary_table(runs, **warning_limits((experiment or {}).get("warnings")), rule=rule)
    write_csv(runs, args.runs)
    write_csv(summary, args.summary)
    if args.sessions:
        write_text_atomic(args.sessions, json.dumps({"sessions": stamps}, indent=2, sort_keys=True) + "\n")
    print(f"{len(runs)} runs in {len(summary)} cells", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
