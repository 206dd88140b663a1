"""Summary statistics of timings, one figure per container, benchstat-style.

The centre is the median and its 95 % confidence interval is the
distribution-free one from order statistics (scipy's quantile_test), so no
normality is assumed. With fewer than 6 samples no such interval reaches
95 %, and it is reported as missing rather than invented.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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


BOOTSTRAP_RESAMPLES = 2000
ALPHA = 0.05


def _median_ratio(x, y, axis=-1):
    return np.median(x, axis=axis) / np.median(y, axis=axis)


def ratio_ci(
    a: Sequence[float], b: Sequence[float], seed: int = 0, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """median(a) / median(b) with a percentile-bootstrap confidence interval.

    The two samples are resampled independently; a fixed seed makes the
    interval reproducible from the same data.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ratio = float(_median_ratio(x, y))
    if x.size < 2 or y.size < 2:
        return (ratio, math.nan, math.nan)
    result = stats.bootstrap(
        (x, y),
        _median_ratio,
        vectorized=True,
        paired=False,
        method="percentile",
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=confidence,
        rng=np.random.default_rng(seed),
    )
    return (ratio, float(result.confidence_interval.low), float(result.confidence_interval.high))


def differs(a: Sequence[float], b: Sequence[float], alpha: float = ALPHA) -> bool:
    """True when a Mann-Whitney U test tells the samples apart at level alpha.

    Like benchstat, a difference that is not significant is shown as `~`.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size < 2 or y.size < 2:
        return False
    return bool(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue < alpha)


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value; nan when either sample has fewer than 2 values.

    The comparisons table stores the p-value itself so a reader can apply
    another threshold than benchstat's 0.05.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size < 2 or y.size < 2:
        return math.nan
    return float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)


MIN_AMDAHL_COUNTS = 3  # two CPU counts always fit exactly: a fit needs a third to be tested


def amdahl_speedup(cpus, serial: float):
    """Amdahl's law: the speedup on `cpus` CPUs of work whose fraction `serial` cannot run in parallel."""
    return 1.0 / (serial + (1.0 - serial) / np.asarray(cpus, dtype=float))


def amdahl_fit(
    cpus: Sequence[float], speedups: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Serial fraction fitted to (CPU count, speedup) points, with an interval from curve_fit's covariance.

    Points are individual containers' figures, not medians, so the covariance reflects the
    spread of the measurements. Returns (nan, nan, nan) with fewer than three
    distinct CPU counts, where any serial fraction fits two points exactly.
    """
    from scipy.optimize import curve_fit

    x, y = np.asarray(cpus, dtype=float), np.asarray(speedups, dtype=float)
    if len(np.unique(x)) < MIN_AMDAHL_COUNTS:
        return (math.nan, math.nan, math.nan)
    (serial,), covariance = curve_fit(amdahl_speedup, x, y, p0=[0.1], bounds=([0.0], [1.0]))
    spread = math.sqrt(covariance[0][0]) * stats.norm.ppf(0.5 + confidence / 2)
    return (float(serial), max(0.0, float(serial - spread)), min(1.0, float(serial + spread)))
