"""results/comparisons.csv: every comparison the report shows, as data.

One tidy row per comparison of two cells, a against b: the ratio of their
median seconds (or a speedup, or a fitted serial fraction), its 95 % interval
(the one that inverts the exact Mann-Whitney U test), that test's p-value,
whether the difference is significant (`~` when not) and whether the
containers were enough to test it at all (`testable`; "too few to test" when
not). The report renders these rows and the claims decide on them, so no
figure the report prints is arithmetic of its own.

Kinds, and what a ratio above 1 means:
  build        3.13t time / 3.13 time, same mode, CPU set and workers: the free-threaded build costs
  gil          3.13t with its GIL switched back on / 3.13t as built: the GIL alone costs
  variant      a cell with another environment switch (GOMAXPROCS=1) / the same cell without it
  runtime      Python time / Go time (threads and processes against goroutines, sequential against sequential)
  scaling      speedup over one worker of the same runtime and mode (a: the 1-worker cell, b: W workers)
  fastest      each Python way to run a workload with one worker per CPU / the fastest such way (runtime and
               mode) on that CPU set: what a user choosing threads or processes, and a build, wants to know
  amdahl       serial fraction of Amdahl's law fitted to the speedups at three or more CPU counts
  noise_floor  a cell / its A/A twin measured in the same session (ideally ~1.00)
  blog         the blog's single runs, quoted (not measured here)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .aggregate import per_container, read_table, write_csv
from .blog import BLOG, BLOG_PARAMS, BLOG_WORKERS, blog_rows
from .errors import ParbenchError, main_guard
from .flavours import runtime_flavours, with_flavours
from .labels import KIND_LABELS, fmt_ratio_ci, fmt_row, workload_label
from .names import AA, BASELINE_KEYS, CELL_KEYS, FREE_THREADED, GIL, GO, GO_PARTNER_MODE, PLAIN, PYTHON_FLAVOURS
from .specs import use_experiment, workload_kind
from .speedup import (
    baselines,
    has_speedup,
    ideal_speedup,
    marks,
    scaled_baseline,
    speedup,
    speedup_points,
    time_ratio,
)
from .stats import amdahl_fit

# Names other modules and the report have imported from here; they live where they are computed or spelled.
__all__ = [
    "BLOG",
    "BLOG_PARAMS",
    "BLOG_WORKERS",
    "COLUMNS",
    "KIND_LABELS",
    "comparisons_table",
    "fmt_ratio_ci",
    "fmt_row",
    "read_comparisons",
    "runtime_flavours",
    "with_flavours",
    "workload_kind",
    "workload_label",
]

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
        "testable",
        "ideal",
        "efficiency",
        "efficiency_low",
        "efficiency_high",
    ]
)
REQUIRED_RUN_COLUMNS = CELL_KEYS + ["seconds", "gil_enabled", "gil_build_disabled", "runtime_version"]


def checked_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """runs.csv as aggregation wrote it, or one line naming the columns it lacks."""
    missing = [c for c in REQUIRED_RUN_COLUMNS if c not in runs]
    if missing:
        raise ParbenchError(f"runs table lacks column(s) {', '.join(missing)}; regenerate it with parbench.aggregate")
    return runs


def cell_table(runs: pd.DataFrame) -> dict[tuple, dict]:
    """Each cell's samples (seconds per loop, one per container), sessions and GIL state, keyed by CELL_KEYS."""
    cells = {}
    for key, group in runs.groupby(CELL_KEYS, sort=True):
        gil_on = {str(v).lower() for v in group["gil_enabled"].dropna()}
        cells[key] = {
            "seconds": per_container(group),
            "session": "+".join(sorted(group["session"].fillna("unknown").astype(str).unique())),
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


def row_of(kind: str, a_key: tuple, b_key: tuple, cells: dict, flavours: dict, figures: tuple, a_seconds=None) -> dict:
    """One comparison row: both sides and the figures (ratio, low, high, p-value) that compare them."""
    ratio, low, high, p = figures
    cell = dict(zip(CELL_KEYS, b_key))
    significant, testable = marks(low, high)
    return {
        "kind": kind,
        "statistic": "time_ratio",
        "host": cell["host"],
        "workload": cell["workload"],
        "workload_kind": workload_kind(cell["workload"]),
        "params": cell["params"],
        **side("a", a_key, cells, flavours, a_seconds),
        **side("b", b_key, cells, flavours),
        "ratio": ratio,
        "ci_low": low,
        "ci_high": high,
        "p_value": p,
        "significant": significant,
        "testable": testable,
    }


def compare(kind: str, a_key: tuple, b_key: tuple, cells: dict, flavours: dict) -> dict:
    """median(a) / median(b) with its interval, p-value and marks."""
    figures = time_ratio(cells[a_key]["seconds"], cells[b_key]["seconds"])
    return row_of(kind, a_key, b_key, cells, flavours, figures)


def cell_dicts(keys: list[tuple]) -> list[tuple[tuple, dict]]:
    """Each key beside its cell as a dict of CELL_KEYS."""
    return [(key, dict(zip(CELL_KEYS, key))) for key in keys]


def replaced(key: tuple, **changes) -> tuple:
    cell = dict(zip(CELL_KEYS, key))
    cell.update(changes)
    return tuple(cell[k] for k in CELL_KEYS)


def timed_work(key: tuple) -> bool:
    """False for spawn, whose timed section only releases and joins parked workers: its seconds compare nothing."""
    return has_speedup(dict(zip(CELL_KEYS, key))["workload"])


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
    return partner_rows("build", cells, flavours, (FREE_THREADED,), GIL)


def switch_rows(cells: dict, flavours: dict) -> list[dict]:
    """Each variant against the same cell without its switch; the GIL switched on in a free-threaded build is `gil`."""
    rows = []
    for key in cells:
        cell = dict(zip(CELL_KEYS, key))
        if cell["variant"] in (PLAIN, AA) or not timed_work(key):
            continue
        plain = replaced(key, variant=PLAIN)
        if plain not in cells:
            continue
        gil_back = flavours.get(cell["runtime"]) == FREE_THREADED and cells[key]["gil_on"]
        rows.append(compare("gil" if gil_back else "variant", key, plain, cells, flavours))
    return rows


def runtime_rows(cells: dict, flavours: dict) -> list[dict]:
    """Python against Go on the same CPU set and worker count: threads and processes against goroutines."""
    return partner_rows("runtime", cells, flavours, PYTHON_FLAVOURS, GO, lambda mode: GO_PARTNER_MODE.get(mode, ""))


def fastest_rows(cells: dict, flavours: dict) -> list[dict]:
    """Every Python runtime and mode with one worker per CPU (more than one) against the fastest of them.

    The same workload, parameters, CPU set and workers do the same work in
    every mode (weak scaling: each worker the whole job; strong: one job
    split), so their times compare directly: the choice a user makes.
    """
    groups: dict[tuple, list[tuple]] = {}
    for key, cell in cell_dicts(list(cells)):
        python = flavours.get(cell["runtime"]) in PYTHON_FLAVOURS
        if python and cell["variant"] == PLAIN and 1 < cell["workers"] == cell["cpus"] and timed_work(key):
            groups.setdefault(replaced(key, runtime="", mode=""), []).append(key)
    rows = []
    for keys in groups.values():
        best = min(keys, key=lambda k: float(np.median(cells[k]["seconds"])))
        rows += [compare("fastest", key, best, cells, flavours) for key in keys if key != best]
    return rows


def noise_rows(cells: dict, flavours: dict) -> list[dict]:
    """Each A/A twin against its original: the spread the session shows when nothing differs."""
    rows = []
    for key in cells:
        if dict(zip(CELL_KEYS, key))["variant"] == AA and replaced(key, variant=PLAIN) in cells:
            rows.append(compare("noise_floor", replaced(key, variant=PLAIN), key, cells, flavours))
    return rows


def scaling_rows(cells: dict, flavours: dict) -> list[dict]:
    """Speedup and efficiency against ideal, each with its interval, for every cell with more than one worker."""
    rows = []
    base_of = baselines(cells)
    for key in cells:
        cell = dict(zip(CELL_KEYS, key))
        if cell["workers"] < 2 or cell["variant"] == AA or not timed_work(key) or key not in base_of:
            continue
        base = base_of[key]
        figures = speedup(cells[base]["seconds"], cells[key]["seconds"], cell["workload"], cell["workers"])
        scaled = scaled_baseline(cells[base]["seconds"], cell["workload"], cell["workers"])  # side a as compared
        row = row_of("scaling", base, key, cells, flavours, figures, scaled)
        ideal = ideal_speedup(cell["workload"], cell["workers"], cell["cpus"])
        row.update(
            statistic="speedup",
            ideal=ideal,
            efficiency=row["ratio"] / ideal,
            efficiency_low=row["ci_low"] / ideal,
            efficiency_high=row["ci_high"] / ideal,
        )
        rows.append(row)
    return rows


def amdahl_rows(cells: dict, flavours: dict) -> list[dict]:
    """Amdahl's serial fraction per runtime, mode and workload, where speedups exist at three or more CPU counts."""
    lines: dict[tuple, list[tuple]] = {}
    for key in cells:
        cell = dict(zip(CELL_KEYS, key))
        if 1 < cell["workers"] == cell["cpus"] and cell["variant"] != AA and timed_work(key):
            lines.setdefault(key[: len(BASELINE_KEYS)], []).append(key)
    rows = []
    base_of = baselines(cells)
    for line in lines.values():
        if line[0] not in base_of:
            continue
        base = base_of[line[0]]
        points = [(c["workload"], c["workers"], c["cpus"], cells[k]["seconds"]) for k, c in cell_dicts(line)]
        serial, low, high = amdahl_fit(*speedup_points(cells[base]["seconds"], points))
        if math.isnan(serial):
            continue
        widest = max(line, key=lambda k: dict(zip(CELL_KEYS, k))["cpus"])
        row = row_of("amdahl", base, widest, cells, flavours, (serial, low, high, math.nan))
        row.update(statistic="serial_fraction", significant=bool(low > 0), testable=not math.isnan(low))
        rows.append(row)
    return rows


def check_matches(runs: pd.DataFrame, summary: pd.DataFrame | None) -> None:
    """Stop in one line when summary.csv was not made from this runs.csv."""
    if summary is None or summary.empty:
        return
    ran = {tuple(k) for k in runs.loc[runs["variant"] != AA, CELL_KEYS].drop_duplicates().itertuples(index=False)}
    summed = {tuple(k) for k in summary[CELL_KEYS].itertuples(index=False)}
    if ran != summed:
        raise ParbenchError(
            f"summary and runs tables describe different cells ({len(summed)} vs {len(ran)}); rerun parbench.aggregate"
        )


def comparisons_table(runs: pd.DataFrame, summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every comparison, tidy, in a stable order."""
    runs = checked_runs(runs)
    check_matches(runs, summary)
    cells, flavours = cell_table(runs), runtime_flavours(runs)
    rows = []
    for make in (build_rows, switch_rows, runtime_rows, scaling_rows, amdahl_rows, fastest_rows, noise_rows):
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
    parser.add_argument(
        "--config-file", type=Path, default=None, help="the experiment's config (JSON): names its user workloads"
    )
    args = parser.parse_args(argv)
    if args.config_file:
        use_experiment(json.loads(args.config_file.read_text()))
    for path in (args.runs, args.summary):
        if not path.is_file():
            raise ParbenchError(f"{path} does not exist; run the aggregate step first")
    table = comparisons_table(read_table(args.runs), read_table(args.summary))
    write_csv(table, args.out)
    print(f"{len(table)} comparisons in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
