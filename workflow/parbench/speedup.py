"""Speedup over one worker, computed once for summary.csv and comparisons.csv alike.

A cell's speedup compares its throughput with the one-worker cell of the same
host, runtime, workload, parameters, mode and variant on the fewest CPUs (its
*baseline*). Where every worker does the full work (weak scaling, the seed's
protocol) W workers did W times the baseline's work, so the baseline's times
are multiplied by W; where the work is split (strong scaling) they are not;
spawn's timed section does no work and has no speedup. The ideal is one per
CPU, or one per worker where the workers only sleep (they need no CPU).

Both tables ask here, so summary.csv's speedup and efficiency and the scaling
rows of comparisons.csv are the same figures by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .names import BASELINE_KEYS, CELL_KEYS
from .specs import scaling, workload_kind
from .stats import SIGNIFICANT, TOO_FEW, mann_whitney_p, ratio_ci, verdict

_BASE = len(BASELINE_KEYS)  # a cell key's first fields name its baseline group
_CPUS, _WORKERS = CELL_KEYS.index("cpus"), CELL_KEYS.index("workers")


def time_ratio(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float, float]:
    """median(a) / median(b), the interval that inverts the exact Mann-Whitney test, and its p-value.

    Every ratio of two samples in every table comes from here, so one interval
    and one test mark them all (`stats.ratio_ci`).
    """
    ratio, low, high = ratio_ci(a, b)
    return ratio, low, high, mann_whitney_p(a, b)


def marks(low: float, high: float) -> tuple[bool, bool]:
    """(significant, testable) of a ratio's interval: the two columns every table writes beside it.

    significant is False when the containers are too few to test (testable
    False), so a boolean column never claims a difference nobody could test.
    """
    word = verdict(low, high)
    return word == SIGNIFICANT, word != TOO_FEW


def has_speedup(workload: str) -> bool:
    """False for spawn, whose timed section only releases and joins parked workers: its seconds compare nothing."""
    return scaling(workload) != "none"


def work_factor(workload: str, workers: int) -> int:
    """How many baselines' worth of work W workers did: W under weak scaling, 1 under strong."""
    return int(workers) if scaling(workload) == "weak" else 1


def ideal_speedup(workload: str, workers: int, cpus: int) -> int:
    """What perfect scaling reaches: one per CPU, or one per worker where workers only sleep.

    So oversubscribed sleeping workers (io_wait, 16 on 2 CPUs) are judged
    against 16, not 2, and no efficiency exceeds 100 % by construction.
    """
    if workload_kind(workload) == "sleep":
        return int(workers)
    return int(min(workers, cpus))


def baselines(keys: Iterable[tuple]) -> dict[tuple, tuple]:
    """Each cell key (CELL_KEYS order) -> its baseline's key, for the cells that have one.

    The baseline is the one-worker cell of the same group on the fewest CPUs;
    among equals, the first in the order given.
    """
    keys = list(keys)
    best: dict[tuple, tuple] = {}
    for key in keys:
        group = key[:_BASE]
        if key[_WORKERS] == 1 and (group not in best or key[_CPUS] < best[group][_CPUS]):
            best[group] = key
    return {key: best[key[:_BASE]] for key in keys if key[:_BASE] in best}


def scaled_baseline(base_seconds: Sequence[float], workload: str, workers: int) -> np.ndarray:
    """The baseline's times as the W-worker cell's reference: W x T1 under weak scaling, T1 under strong."""
    return work_factor(workload, workers) * np.asarray(base_seconds, dtype=float)


def speedup(
    base_seconds: Sequence[float], seconds: Sequence[float], workload: str, workers: int
) -> tuple[float, float, float, float]:
    """(speedup, interval low, high, p-value) of a cell's times against its baseline's."""
    return time_ratio(scaled_baseline(base_seconds, workload, workers), seconds)


def speedup_points(
    base_seconds: Sequence[float], cells: Iterable[tuple[str, int, int, Sequence[float]]]
) -> tuple[list[float], list[float]]:
    """(CPUs, speedup) per container for an Amdahl fit: the baseline's at 1 CPU, each cell's at its CPUs.

    `cells` are (workload, workers, cpus, seconds); each container's speedup is
    against the baseline's median, so the points keep the containers' spread.
    """
    base = np.asarray(base_seconds, dtype=float)
    t1 = float(np.median(base))
    xs, ys = [1.0] * len(base), list(t1 / base)
    for workload, workers, cpus, seconds in cells:
        values = np.asarray(seconds, dtype=float)
        xs += [float(cpus)] * len(values)
        ys += list(work_factor(workload, workers) * t1 / values)
    return xs, ys
