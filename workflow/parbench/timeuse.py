"""Where a measurement session's time went, and whether its warm-ups earned their cost.

Reads session stamps (results/raw/sessions/*.json) and their raw records:
- session wall time against the sum of measured timed sections, with the
  shares of warm-ups (calibration trials and short warm-ups), container
  start-up (docker run to harness start and exit), and the rest (host
  diagnostics, checks, journal);
- the shortest median timed section of any calibrated cell against min_time
  (from summary.csv);
- the warm-up evidence: for each runtime, the median ratio of a container's
  one-loop warm-up to its measured per-loop time (1.00 means the warm-up saw
  nothing the measured value would not have seen).

`parbench time [--results DIR] [--all]` prints it for the sessions whose
records the plan's raw files hold (results/session/cells.txt), or with
`--all` for every stamp and raw file in the folder; benchmarks/session.py
adds a fresh run.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

import pandas as pd

from .aggregate import read_table
from .errors import ParbenchError
from .progress import containers_phrase


def load(results: Path, every: bool = False) -> tuple[list[dict], list[dict]]:
    """The stamps and raw records to account for: the plan's (cells.txt lists its raw files), or `every` one.

    A raw file of a cell the config no longer names, and the stamp of a
    session whose records were all replaced, are not what the tables show.
    """
    listed, planned = results / "session/cells.txt", planned_only(results, every)
    if planned:  # its lines are the project's paths (results/raw/...): under this folder, whatever its name
        paths = [results / Path(line).relative_to("results") for line in listed.read_text().split()]
    else:
        paths = sorted((results / "raw").rglob("*.jsonl"))
    records = [json.loads(line) for p in paths if p.is_file() for line in p.read_text().splitlines() if line.strip()]
    stamps = [json.loads(p.read_text()) for p in sorted((results / "raw/sessions").glob("*.json"))]
    sessions = {r.get("session") for r in records}
    return [s for s in stamps if not planned or s.get("session") in sessions], records


def planned_only(results: Path, every: bool) -> bool:
    """Whether the account keeps to the plan's raw files: not asked for every one, and a plan is there."""
    return not every and (results / "session/cells.txt").is_file()


def startup_seconds(stamp: dict, records: list[dict]) -> float:
    """The session's container start-up, each container counted once.

    Every record of a container repeats its start-up, and stamps written
    before containers took several values summed it over measured records,
    so it is taken from the raw records where they are here.
    """
    per_container = {
        r["order"]: r["startup_seconds"]
        for r in records
        if r.get("session") == stamp["session"] and r.get("startup_seconds") is not None
    }
    return sum(per_container.values()) if per_container else stamp["startup_seconds"]


def cost_lines(stamp: dict, records: list[dict]) -> list[str]:
    wall, timed = stamp["wall_seconds"], stamp["timed_seconds"]
    warm, start = stamp["warmup_seconds"], startup_seconds(stamp, records)
    rest = wall - timed - warm - start
    return [
        f"session {stamp['session']}: {containers_phrase(stamp)}{spent_phrase(stamp)}, wall {wall:.1f} s, "
        f"timed sections {timed:.1f} s, ratio {wall / timed:.2f}  (target <= 1.5)",
        f"  shares of wall time: timed {timed / wall:.0%}, warm-ups and calibration {warm / wall:.0%}, "
        f"container start-up {start / wall:.0%}, the rest {rest / wall:.0%}",
    ]


def spent_phrase(stamp: dict) -> str:
    """What a spent time budget did to the session, or "" where it had none or did not spend it."""
    if not stamp.get("budget_spent"):
        return ""
    limit = ((stamp.get("settings") or {}).get("budget") or {}).get("limit")
    stopped = stamp.get("budget_stopped")
    cells = "" if stopped is None else f", {stopped} cell{'' if stopped == 1 else 's'} stopped short"
    return f" (budget {limit} spent{cells})"


def shortest_cell(summary: pd.DataFrame, min_time: float) -> str:
    """The calibrated cell with the shortest median timed section (spawn runs one loop by design).

    summary.csv's `total_seconds_median` is that median, one figure per container.
    """
    calibrated = summary[summary["workload"] != "spawn"]
    if calibrated.empty:
        return "no calibrated cells"
    cell = calibrated.loc[calibrated["total_seconds_median"].idxmin()]
    name = "/".join(str(cell[k]) for k in ("runtime", "workload", "mode", "variant", "cpuset", "workers"))
    verdict = "ok" if cell["total_seconds_median"] >= min_time else "SHORTER than min_time"
    seconds = cell["total_seconds_median"]
    return f"shortest median timed section: {seconds:.3f} s ({name}), min_time {min_time:g} s: {verdict}"


def warmup_evidence(records: list[dict]) -> list[str]:
    """Median of (first pass) / (measured per-loop seconds of the same container), by runtime and loops.

    The first pass of a container is its short warm-up (or, in the first
    round, its cold calibration pass). Cells whose calibrated section is one
    pass (loops = 1) are shown apart: a warm-up there would cost a whole
    section, so they run none after the first round, and their evidence is
    the calibration's cold pass against the measured one.
    """
    by_container = defaultdict(list)
    for r in records:
        by_container[(r["runtime"], r.get("session"), r.get("order"))].append(r)
    ratios = defaultdict(list)
    for (runtime, _, _), group in by_container.items():
        warm = [r for r in group if r["warmup"]]
        measured = [r for r in group if not r["warmup"]]
        if warm and measured and measured[0]["workload"] != "spawn":
            kind = "one-pass sections" if measured[0].get("loops", 1) == 1 else "multi-pass sections"
            ratios[(runtime, kind)].append(warm[0]["seconds"] / measured[0]["seconds"])
    return [
        f"  {runtime}, {kind}: first pass / measured per loop, median {statistics.median(v):.3f} "
        f"(quartiles {statistics.quantiles(v, n=4)[0]:.3f}-{statistics.quantiles(v, n=4)[2]:.3f}, {len(v)} cell runs)"
        for (runtime, kind), v in sorted(ratios.items())
        if len(v) >= 2
    ]


def time_lines(results: Path, every: bool = False) -> list[str]:
    """The whole account for the sessions behind the plan's raw files in `results` (`every`: all of them)."""
    stamps, records = load(results, every)
    if not stamps:
        behind = " for the plan's raw files" if planned_only(results, every) else ""
        raise ParbenchError(f"no session stamps in {results}/raw/sessions{behind}: run the pipeline first")
    lines = [line for stamp in stamps for line in cost_lines(stamp, records)]
    summary = results / "summary.csv"
    if not summary.is_file():
        raise ParbenchError(f"{summary} does not exist: run the aggregate step (`.venv/bin/snakemake`) first")
    lines.append(shortest_cell(read_table(summary), stamps[-1]["settings"]["min_time"]))
    lines.append("warm-up evidence (a container's first pass against its measured passes):")
    lines += warmup_evidence(records) or ["  none: no short warm-ups were run"]
    return lines
