"""Summary statistics of timings, one figure per container, benchstat-style.

The centre is the median and its 95 % confidence interval is the
distribution-free one from order statistics (scipy's quantile_test), so no
normality is assumed. With fewer than 6 samples no such interval reaches
95 %, and it is reported as missing rather than invented.

A ratio of two cells is marked by the exact Mann-Whitney U test, and its
interval is the one that inverts that test (ratio_ci), so the interval
excludes 1 exactly when the mark says significant; where the containers are
too few for the test to reach its level at all, the mark says so instead of
calling the difference not significant.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from fractions import Fraction

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


ALPHA = 0.05
SIGNIFICANT, NOT_SIGNIFICANT, TOO_FEW = "significant", "not significant", "too few to test"


@functools.cache
def u_counts(n: int, m: int) -> tuple[int, ...]:
    """How many of the C(n+m, n) equally likely orderings of n a's and m b's give each U = 0 .. n*m.

    U counts the pairs (a_i, b_j) with a_i > b_j. The largest of all n+m values
    is an a (beating all m b's, leaving n-1 a's against m) or a b (beating
    nothing, leaving n against m-1): that is the whole programme. Exact
    integers, so no p-value is rounded before it is compared.
    """
    if n == 0 or m == 0:
        return (1,)
    shifted = (0,) * m + u_counts(n - 1, m)
    rest = u_counts(n, m - 1)
    return tuple(s + (rest[u] if u < len(rest) else 0) for u, s in enumerate(shifted))


def shift_rank(n: int, m: int, alpha: float = ALPHA) -> int:
    """The largest k with P(U <= k-1) <= alpha/2 under the exact null, or 0 when none exists.

    0 means too few to test: even the most extreme ordering has a two-sided
    p-value of 2 / C(n+m, n) > alpha (3 against 3: 2/20 = 0.10).
    """
    counts = u_counts(n, m)
    total, level, below, k = sum(counts), Fraction(alpha) / 2, 0, 0
    for count in counts:  # below = #orderings with U <= k-1 after k steps
        if Fraction(below + count, total) > level:
            break
        below, k = below + count, k + 1
    return k


def ratio_ci(a: Sequence[float], b: Sequence[float], alpha: float = ALPHA) -> tuple[float, float, float]:
    """median(a) / median(b) with the interval that inverts the exact Mann-Whitney test.

    In log space (a_i = log x_i, b_j = log y_j) the n*m differences a_i - b_j are
    sorted, and with k = shift_rank(n, m) the interval is exp(d_(k)) to
    exp(d_(n*m+1-k)): the distribution-free interval for a shift (Hollander &
    Wolfe; Bauer 1972), here of log time, so it is an interval for the ratio of
    the two samples' locations, whose point estimate would be the Hodges-Lehmann
    exp(median(d)). The point returned stays median(a) / median(b), what the
    tables have always meant; it is not forced inside the interval, but on
    samples of one location each it falls there (the tests check the fixtures).

    Why it agrees with the test: with no ties, d_(k) > 0 exactly when at most k-1
    differences are negative (U_b <= k-1), and d_(n*m+1-k) < 0 exactly when at
    most k-1 are positive (U_a <= k-1); the exact two-sided p-value is
    2 P(U <= min(U_a, U_b)), which is <= alpha exactly when min(U_a, U_b) <= k-1
    by the choice of k. So the interval excludes 1 if and only if p <= alpha.
    (With ties the interval is the more cautious of the two: it excludes 1 only
    where p <= alpha.) When no k exists the pair is too few to test: (nan, nan).
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size == 0 or y.size == 0:
        return (math.nan, math.nan, math.nan)
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("ratio_ci compares times: every value must be above 0")
    ratio = float(np.median(x) / np.median(y))
    k = shift_rank(x.size, y.size, alpha)
    if k == 0:
        return (ratio, math.nan, math.nan)
    d = np.sort(np.subtract.outer(np.log(x), np.log(y)).ravel())
    return (ratio, float(np.exp(d[k - 1])), float(np.exp(d[d.size - k])))


def verdict(low: float, high: float) -> str:
    """significant / not significant / too few to test, read off a ratio's interval.

    The interval of `ratio_ci` excludes 1 exactly when the exact Mann-Whitney
    test rejects at ALPHA, so the mark and the interval cannot disagree; a
    missing interval means the samples were too few for the test to reach ALPHA.
    """
    if math.isnan(low) or math.isnan(high):
        return TOO_FEW
    return SIGNIFICANT if low > 1 or high < 1 else NOT_SIGNIFICANT


def differs(a: Sequence[float], b: Sequence[float], alpha: float = ALPHA) -> bool:
    """True when the exact Mann-Whitney test tells the samples apart at level alpha (the interval excludes 1)."""
    _, low, high = ratio_ci(a, b, alpha)
    return verdict(low, high) == SIGNIFICANT


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value, exact; nan when either sample is empty.

    The comparisons table stores the p-value itself so a reader can apply
    another threshold than 0.05. The exact null distribution is cheap at the
    sizes of a session's cells (tens of containers), so it is used at every
    size; it assumes no ties, and with ties it errs towards larger p-values.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size == 0 or y.size == 0:
        return math.nan
    return float(stats.mannwhitneyu(x, y, alternative="two-sided", method="exact").pvalue)


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
