"""Summary statistics of repeated timings, benchstat-style.

The centre is the median and its 95 % confidence interval is the
distribution-free one from order statistics (scipy's quantile_test), so no
normality is assumed. With fewer than 6 samples no such interval reaches
95 %, and it is reported as missing rather than invented.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
MIN_SAMPLES_FOR_CI = 6


def median_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Order-statistic confidence interval of the median; (nan, nan) if too few samples."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return (math.nan, math.nan)
    interval = stats.quantile_test(data, q=float(np.median(data)), p=0.5).confidence_interval(confidence)
    return (float(interval.low), float(interval.high))


def summarize(values: Sequence[float]) -> dict[str, float]:
    """n, median, min, mean, sample stdev, coefficient of variation and median CI."""
    data = np.asarray(values, dtype=float)
    n = int(data.size)
    mean = float(data.mean()) if n else math.nan
    stdev = float(data.std(ddof=1)) if n > 1 else math.nan
    low, high = median_ci(data)
    return {
        "n": n,
        "median": float(np.median(data)) if n else math.nan,
        "min": float(data.min()) if n else math.nan,
        "mean": mean,
        "stdev": stdev,
        "cv": stdev / mean if n > 1 and mean > 0 else math.nan,
        "ci_low": low,
        "ci_high": high,
    }
