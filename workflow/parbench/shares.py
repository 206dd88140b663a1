"""Whether the workers' shares cost alike: the slowest worker's time against their mean.

Strong-scaling work runs in parallel only as fast as its costliest share, so
a split into shares that hold as many items but cost differently (a prime
count's numbers dealt out one at a time: worker 0 of 2 gets only even ones)
caps the speedup whatever the runtime. A worker's time tells its share's cost
only where the workers ran side by side: in processes, in threads without a
GIL, in goroutines with a GOMAXPROCS of at least the workers, and never more
workers than CPUs (otherwise they take turns, and their times say when each
got its turn). `parbench check-workload` and summary.csv's `warn_uneven` both
read it here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import pandas as pd

from .names import DEFAULT_WARNINGS

# The slowest worker over this many times the workers' mean is worth a warning (config: warnings.uneven).
UNEVEN = DEFAULT_WARNINGS["uneven"]


def spread(times: Sequence[float]) -> float:
    """The slowest worker's time over the workers' mean (1 for even shares); NaN for fewer than 2 workers."""
    times = [float(t) for t in times]
    if len(times) < 2 or sum(times) <= 0:
        return math.nan
    return max(times) / (sum(times) / len(times))


def side_by_side(
    mode: str, workers: int, cpus: int, gil_enabled: object = True, gomaxprocs: object = None, tasks: int | None = None
) -> bool:
    """Whether `workers` workers ran at once, each on a CPU of its own, so their times are their shares' costs.

    Only where each worker had one share (`tasks`, the times listed, is the
    workers): spawn's parked tasks and channels' producers and consumers are
    no shares of one job.
    """
    if workers < 2 or workers > cpus or (tasks is not None and tasks != workers):
        return False
    if mode == "processes":
        return True
    if mode == "threads":
        return gil_enabled is False or gil_enabled == 0
    if mode == "goroutines":
        return gomaxprocs is None or (isinstance(gomaxprocs, float) and math.isnan(gomaxprocs)) or gomaxprocs >= workers
    return False


def worker_spreads(values: pd.DataFrame) -> pd.Series:
    """Each value's spread (runs.csv's `worker_spread`); for rows of before that column, from their lists."""
    given = pd.to_numeric(values.get("worker_spread", pd.Series(math.nan, index=values.index)), errors="coerce")
    # A merge may join a host's table of before the column with newer ones: only those rows read their lists.
    older = given.isna() & values["worker_seconds"].map(lambda times: isinstance(times, str))
    return given.where(~older, values.loc[older, "worker_seconds"].map(lambda times: spread(json.loads(times))))
