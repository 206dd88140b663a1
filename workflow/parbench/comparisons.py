"""results/comparisons.csv: every comparison the report shows, as data.

One tidy row per comparison of two cells, a against b: the ratio of their
median seconds (or a speedup, or a fitted serial fraction), its 95 % bootstrap
interval, the Mann-Whitney U p-value and whether the difference is significant
(benchstat's `~` when not). The report renders these rows and the claims decide
on them, so no figure the report prints is arithmetic of its own.

Kinds, and what a ratio above 1 means:
  build        3.13t time / 3.13 time, same mode, CPU set and workers: the free-threaded build costs
  gil          3.13t with its GIL switched back on / 3.13t as built: the GIL alone costs
  variant      a cell with another environment switch (GOMAXPROCS=1) / the same cell without it
  runtime      Python time / Go time (threads and processes against goroutines, sequential against sequential)
  scaling      speedup over one worker of the same runtime and mode (a: the 1-worker cell, b: W workers)
  amdahl       serial fraction of Amdahl's law fitted to the speedups at three or more CPU counts
  noise_floor  a cell / its A/A twin measured in the same session (ideally ~1.00)
  blog         the blog's single runs, quoted (not measured here)
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .aggregate import CELL_KEYS, per_container, read_table, write_csv
from .errors import ParbenchError, main_guard
from .specs import scaling, workload_kind
from .stats import ALPHA, amdahl_fit, mann_whitney_p, ratio_ci

# How the blog ran its loop, and what it measured: one run each, 16 threads on 16 cores.
BLOG = {"gil": 79.27, "free-threaded": 16.19, "go": 0.11}
BLOG_WORKERS = 16
BLOG_PARAMS = "iterations=50000000"

KIND_LABELS = {
    "interpreter": "interpreter-bound",
    "c_library": "C library, releases the GIL",
    "sleep": "sleep-bound",
    "coordination": "coordination",
    "other": "other",
}
SIDE = ["runtime", "flavour", "mode", "variant", "cpuset", "cpus", "workers", "session", "n", "median"]
COLUMNS = (
    ["kind", "statistic", "host", "workload", "workload_kind", "params"]
    + [f"a_{c}" for c in SIDE]
    + [f"b_{c}" for c in SIDE]
    + [
        "ratio",
        "ci_low",
        "ci_high",
        "p_value",
        "significant",
        "ideal",
        "efficiency",
        "efficiency_low",
        "efficiency_high",
    ]
)
REQUIRED_RUN_COLUMNS = CELL_KEYS + ["seconds", "gil_enabled", "gil_build_disabled", "runtime_version"]
PARALLEL_PARTNER = {"threads": "goroutines", "processes": "goroutines", "sequential": "sequential"}
TWIN = "aa"


def workload_label(workload: str) -> str:
    """The workload with its kind when that is not interpreter-bound: readers must not mistake hash for Python code."""
    kind = workload_kind(workload)
    return workload if kind == "interpreter" else f"{workload} ({KIND_LABELS[kind]})"


def fmt_ratio_ci(ratio: float, low: float, high: float, significant: bool) -> str:
    """benchstat's convention: `~` marks a difference that is not significant."""
    if ratio is None or math.isnan(ratio):
        return "–"
    interval = "" if low is None or math.isnan(low) else f" ({low:.2f}–{high:.2f})"
    return f"{'' if significant else '~ '}{ratio:.2f}×{interval}"


def fmt_row(row) -> str:
    """One comparison row as the report prints it: ratio, interval, `~` when not significant."""
    if row["kind"] == "blog":
        return f"{row['ratio']:.2f}×"
    return fmt_ratio_ci(row["ratio"], row["ci_low"], row["ci_high"], bool(row["significant"]))


def normalise_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """runs.csv with the columns older tables lack filled in: one loop, the whole section, unknown session."""
    missing = [c for c in REQUIRED_RUN_COLUMNS if c not in runs]
    if missing:
        raise ParbenchError(f"runs table lacks column(s) {', '.join(missing)}; regenerate it with parbench.aggregate")
    runs = runs.copy()
    if "loops" not in runs:
        runs["loops"] = 1
    if "total_seconds" not in runs:
        runs["total_seconds"] = runs["seconds"]
    runs["session"] = runs["session"].fillna("unknown").astype(str) if "session" in runs else "unknown"
    runs["variant"] = runs["variant"].fillna("")
    return runs


def runtime_flavours(runs: pd.DataFrame) -> dict[str, str]:
    """Each runtime as one of the blog's rows (gil, free-threaded, go), from what its records say about themselves."""
    flavours = {}
    for runtime, group in runs.groupby("runtime"):
        if group["runtime_version"].astype(str).str.startswith("go").any():
            flavours[runtime] = "go"
        else:
            built_free = {str(v).lower() for v in group["gil_build_disabled"].dropna()}
            flavours[runtime] = "free-threaded" if "true" in built_free else "gil"
    return flavours


def cell_table(runs: pd.DataFrame) -> dict[tuple, dict]:
    """Each cell's samples (seconds per loop, one per container), sessions and GIL state, keyed by CELL_KEYS."""
    cells = {}
    for key, group in runs.groupby(CELL_KEYS, sort=True):
        gil_on = {str(v).lower() for v in group["gil_enabled"].dropna()}
        cells[key] = {
            "seconds": per_container(group),
            "session": "+".join(sorted(group["session"].unique())),
            "gil_on": "true" in gil_on,
        }
    return cells


def side(prefix: str, key: tuple, cells: dict, flavours: dict, seconds=None) -> dict:
    """One side of a comparison, identified by its cell's columns."""
    cell = dict(zip(CELL_KEYS, key))
    values = cells[key]["seconds"] if seconds is None else seconds
    return {
        f"{prefix}_runtime": cell["runtime"],
        f"{prefix}_flavour": flavours.get(cell["runtime"], "other"),
        f"{prefix}_mode": cell["mode"],
        f"{prefix}_variant": cell["variant"],
        f"{prefix}_cpuset": cell["cpuset"],
        f"{prefix}_cpus": int(cell["cpus"]),
        f"{prefix}_workers": int(cell["workers"]),
        f"{prefix}_session": cells[key]["session"],
        f"{prefix}_n": len(values),
        f"{prefix}_median": float(np.median(values)),
    }


def compare(kind: str, a_key: tuple, b_key: tuple, cells: dict, flavours: dict, a_seconds=None) -> dict:
    """median(a) / median(b) with its bootstrap interval, p-value and significance."""
    a = cells[a_key]["seconds"] if a_seconds is None else a_seconds
    b = cells[b_key]["seconds"]
    ratio, low, high = ratio_ci(a, b)
    p = mann_whitney_p(a, b)
    cell = dict(zip(CELL_KEYS, b_key))
    return {
        "kind": kind,
        "statistic": "time_ratio",
        "host": cell["host"],
        "workload": cell["workload"],
        "workload_kind": workload_kind(cell["workload"]),
        "params": cell["params"],
        **side("a", a_key, cells, flavours, a),
        **side("b", b_key, cells, flavours),
        "ratio": ratio,
        "ci_low": low,
        "ci_high": high,
        "p_value": p,
        "significant": bool(not math.isnan(p) and p < ALPHA),
    }


def replaced(key: tuple, **changes) -> tuple:
    cell = dict(zip(CELL_KEYS, key))
    cell.update(changes)
    return tuple(cell[k] for k in CELL_KEYS)


def timed_work(key: tuple) -> bool:
    """False for spawn, whose timed section only releases and joins parked workers: its seconds compare nothing."""
    return scaling(dict(zip(CELL_KEYS, key))["workload"]) != "none"


def partner_rows(
    kind: str, cells: dict, flavours: dict, own: tuple[str, ...], partner: str, partner_mode=lambda mode: mode
) -> list[dict]:
    """Each plain cell of a runtime of flavour `own` against the same cell of every `partner`-flavour runtime."""
    partners = [r for r, f in flavours.items() if f == partner]
    rows = []
    for key in cells:
        cell = dict(zip(CELL_KEYS, key))
        if flavours.get(cell["runtime"]) not in own or cell["variant"] or not timed_work(key):
            continue
        for runtime in partners:
            other = replaced(key, runtime=runtime, mode=partner_mode(cell["mode"]))
            if other in cells:
                rows.append(compare(kind, key, other, cells, flavours))
    return rows


def build_rows(cells: dict, flavours: dict) -> list[dict]:
    """3.13t against 3.13 in every cell both measured without a switch."""
    return partner_rows("build", cells, flavours, ("free-threaded",), "gil")


def switch_rows(cells: dict, flavours: dict) -> list[dict]:
    """Each variant against the same cell without its switch; the GIL switched on in a free-threaded build is `gil`."""
    rows = []
    for key in cells:
        cell = dict(zip(CELL_KEYS, key))
        if cell["variant"] in ("", TWIN) or not timed_work(key):
            continue
        plain = replaced(key, variant="")
        if plain not in cells:
            continue
        gil_back = flavours.get(cell["runtime"]) == "free-threaded" and cells[key]["gil_on"]
        rows.append(compare("gil" if gil_back else "variant", key, plain, cells, flavours))
    return rows


def runtime_rows(cells: dict, flavours: dict) -> list[dict]:
    """Python against Go on the same CPU set and worker count: threads and processes against goroutines."""
    return partner_rows(
        "runtime", cells, flavours, ("gil", "free-threaded"), "go", lambda mode: PARALLEL_PARTNER.get(mode, "")
    )


def noise_rows(cells: dict, flavours: dict) -> list[dict]:
    """Each A/A twin against its original: the spread the session shows when nothing differs."""
    rows = []
    for key in cells:
        if dict(zip(CELL_KEYS, key))["variant"] == TWIN and replaced(key, variant="") in cells:
            rows.append(compare("noise_floor", replaced(key, variant=""), key, cells, flavours))
    return rows


def baseline_key(key: tuple, cells: dict) -> tuple | None:
    """The one-worker cell of the same runtime, mode and variant on the fewest CPUs (as aggregate's speedup uses)."""
    same = [k for k in cells if k[:6] == key[:6] and dict(zip(CELL_KEYS, k))["workers"] == 1]
    return min(same, key=lambda k: dict(zip(CELL_KEYS, k))["cpus"]) if same else None


def ideal_speedup(cell: dict) -> int:
    """What perfect scaling reaches: one per CPU, or one per worker where workers only sleep (they need no CPU)."""
    if workload_kind(cell["workload"]) == "sleep":
        return int(cell["workers"])
    return int(min(cell["workers"], cell["cpus"]))


def scaled_baseline(key: tuple, base: tuple, cells: dict) -> np.ndarray:
    """One worker's samples as the W-worker cell's reference: W x T1 when every worker does the full work."""
    cell = dict(zip(CELL_KEYS, key))
    factor = cell["workers"] if scaling(cell["workload"]) == "weak" else 1
    return factor * cells[base]["seconds"]


def scaling_rows(cells: dict, flavours: dict) -> list[dict]:
    """Speedup and efficiency against ideal, each with its interval, for every cell with more than one worker."""
    rows = []
    for key in cells:
        cell = dict(zip(CELL_KEYS, key))
        base = baseline_key(key, cells)
        if cell["workers"] < 2 or cell["variant"] == TWIN or not timed_work(key) or base is None:
            continue
        row = compare("scaling", base, key, cells, flavours, scaled_baseline(key, base, cells))
        ideal = ideal_speedup(cell)
        row.update(
            statistic="speedup",
            ideal=ideal,
            efficiency=row["ratio"] / ideal,
            efficiency_low=row["ci_low"] / ideal,
            efficiency_high=row["ci_high"] / ideal,
        )
        rows.append(row)
    return rows


def amdahl_points(line: list[tuple], base: tuple, cells: dict) -> tuple[list[float], list[float]]:
    """(CPUs, speedup) per repeat: the baseline's repeats at 1 CPU, every W-worker cell's at W."""
    t1 = float(np.median(cells[base]["seconds"]))
    xs, ys = [1.0] * len(cells[base]["seconds"]), list(t1 / cells[base]["seconds"])
    for key in line:
        cell = dict(zip(CELL_KEYS, key))
        factor = cell["workers"] if scaling(cell["workload"]) == "weak" else 1
        xs += [float(cell["cpus"])] * len(cells[key]["seconds"])
        ys += list(factor * t1 / cells[key]["seconds"])
    return xs, ys


def amdahl_rows(cells: dict, flavours: dict) -> list[dict]:
    """Amdahl's serial fraction per runtime, mode and workload, where speedups exist at three or more CPU counts."""
    lines: dict[tuple, list[tuple]] = {}
    for key in cells:
        cell = dict(zip(CELL_KEYS, key))
        if 1 < cell["workers"] == cell["cpus"] and cell["variant"] != TWIN and timed_work(key):
            lines.setdefault(key[:6], []).append(key)
    rows = []
    for line in lines.values():
        base = baseline_key(line[0], cells)
        if base is None:
            continue
        serial, low, high = amdahl_fit(*amdahl_points(line, base, cells))
        if math.isnan(serial):
            continue
        widest = max(line, key=lambda k: dict(zip(CELL_KEYS, k))["cpus"])
        row = compare("amdahl", base, widest, cells, flavours)
        row.update(
            statistic="serial_fraction",
            ratio=serial,
            ci_low=low,
            ci_high=high,
            p_value=math.nan,
            significant=bool(low > 0),
        )
        rows.append(row)
    return rows


def blog_rows() -> list[dict]:
    """The blog's three single runs as comparisons in this table's directions (quoted, no intervals)."""
    rows = []
    for a, b in (("free-threaded", "gil"), ("gil", "go"), ("free-threaded", "go")):
        row = {
            "kind": "blog",
            "statistic": "time_ratio",
            "host": "blog",
            "workload": "cpu_loop",
            "workload_kind": "interpreter",
            "params": BLOG_PARAMS,
            "ratio": BLOG[a] / BLOG[b],
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value": math.nan,
            "significant": False,
        }
        for prefix, flavour in (("a", a), ("b", b)):
            row.update(
                {
                    f"{prefix}_runtime": f"blog {flavour}",
                    f"{prefix}_flavour": flavour,
                    f"{prefix}_mode": "goroutines" if flavour == "go" else "threads",
                    f"{prefix}_variant": "",
                    f"{prefix}_cpuset": "",
                    f"{prefix}_cpus": BLOG_WORKERS,
                    f"{prefix}_workers": BLOG_WORKERS,
                    f"{prefix}_session": "blog",
                    f"{prefix}_n": 1,
                    f"{prefix}_median": BLOG[flavour],
                }
            )
        rows.append(row)
    return rows


def check_matches(runs: pd.DataFrame, summary: pd.DataFrame | None) -> None:
    """Stop in one line when summary.csv was not made from this runs.csv."""
    if summary is None or summary.empty:
        return
    ran = {tuple(k) for k in runs.loc[runs["variant"] != TWIN, CELL_KEYS].drop_duplicates().itertuples(index=False)}
    summed = {
        tuple(k) for k in summary[CELL_KEYS].assign(variant=summary["variant"].fillna("")).itertuples(index=False)
    }
    if ran != summed:
        raise ParbenchError(
            f"summary and runs tables describe different cells ({len(summed)} vs {len(ran)}); rerun parbench.aggregate"
        )


def comparisons_table(runs: pd.DataFrame, summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every comparison, tidy, in a stable order."""
    runs = normalise_runs(runs)
    check_matches(runs, summary)
    cells, flavours = cell_table(runs), runtime_flavours(runs)
    rows = []
    for make in (build_rows, switch_rows, runtime_rows, scaling_rows, amdahl_rows, noise_rows):
        rows += make(cells, flavours)
    rows += blog_rows()
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    order = ["kind", "host", "workload", "a_runtime", "a_mode", "a_variant", "b_cpus", "b_workers", "b_runtime"]
    return table.sort_values(order, kind="stable").reset_index(drop=True)


def read_comparisons(path: Path) -> pd.DataFrame:
    """comparisons.csv as written: empty variants and CPU sets restored as strings."""
    text = {f"{p}_{c}": str for p in "ab" for c in ("variant", "cpuset", "session")}
    table = pd.read_csv(path, dtype={**text, "params": str})
    for column in text:
        table[column] = table[column].fillna("")
    return table


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, type=Path)
    parser.add_argument("--summary", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    for path in (args.runs, args.summary):
        if not path.is_file():
            raise ParbenchError(f"{path} does not exist; run the aggregate step first")
    table = comparisons_table(read_table(args.runs), read_table(args.summary))
    write_csv(table, args.out)
    print(f"{len(table)} comparisons in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
