import math

import numpy as np
import pytest
from scipy import stats

from parbench.stats import median_ci, summarize


def test_summary_of_known_sample():
    s = summarize([1.0, 2.0, 3.0, 4.0, 100.0, 5.0])
    assert s["n"] == 6
    assert s["median"] == 3.5
    assert s["min"] == 1.0
    assert s["mean"] == pytest.approx(115 / 6)
    assert s["stdev"] == pytest.approx(39.6253286, rel=1e-8)  # statistics.stdev of the sample
    assert s["cv"] == pytest.approx(s["stdev"] / s["mean"])


def test_median_ci_is_order_statistics():
    # For n = 10 the 95 % interval of the median spans the 2nd to 9th order statistics.
    assert median_ci(list(range(1, 11))) == (2.0, 9.0)
    # n = 6 is the smallest sample with a 95 % interval: min to max.
    assert median_ci([5, 1, 4, 2, 6, 3]) == (1.0, 6.0)


@pytest.mark.parametrize("sample", [[1.0], [1.0, 2.0], [1, 2, 3, 4, 5], []])
def test_median_ci_missing_for_tiny_samples(sample):
    low, high = median_ci(sample)
    assert math.isnan(low) and math.isnan(high)


def test_all_equal_samples():
    s = summarize([2.0] * 6)
    assert (s["median"], s["ci_low"], s["ci_high"], s["stdev"], s["cv"]) == (2.0, 2.0, 2.0, 0.0, 0.0)


def test_single_sample_has_no_spread():
    s = summarize([3.0])
    assert s["n"] == 1 and s["median"] == 3.0 and math.isnan(s["stdev"]) and math.isnan(s["cv"])


from parbench.speedup import marks  # noqa: E402
from parbench.stats import (  # noqa: E402
    ALPHA,
    NOT_SIGNIFICANT,
    SIGNIFICANT,
    TOO_FEW,
    differs,
    mann_whitney_p,
    ratio_ci,
    shift_rank,
    u_counts,
    verdict,
)

SLOW = [4.5, 4.6, 4.4, 4.55, 4.52, 4.48]
FAST = [3.6, 3.7, 3.65, 3.62, 3.68, 3.66]


def test_ratio_ci_brackets_the_ratio_and_is_reproducible():
    ratio, low, high = ratio_ci(SLOW, FAST)
    assert ratio == pytest.approx(4.51 / 3.655)
    assert low < ratio < high and low > 1.15 and high < 1.3
    assert ratio_ci(SLOW, FAST) == (ratio, low, high)  # no resampling: the same data, the same interval


def test_ratio_ci_of_identical_constant_samples_is_a_point():
    assert ratio_ci([2.0] * 6, [2.0] * 6) == (1.0, 1.0, 1.0)


def test_ratio_ci_missing_for_single_samples():
    ratio, low, high = ratio_ci([2.0], [1.0])
    assert ratio == 2.0 and math.isnan(low) and math.isnan(high)


def test_differs_like_benchstat():
    assert differs(SLOW, FAST)
    assert not differs([1.0, 1.1, 0.9, 1.05], [1.02, 0.95, 1.08, 1.0])  # overlapping: ~
    assert not differs([2.0] * 6, [2.0] * 6)
    assert not differs([1.0], [5.0])  # too few to tell


# ---- the interval that inverts the exact Mann-Whitney test ----


@pytest.mark.parametrize(("n", "m"), [(1, 1), (1, 4), (2, 3), (3, 3), (3, 4), (4, 2)])
def test_u_counts_are_the_orderings_counted_one_by_one(n, m):
    from itertools import combinations

    counts = [0] * (n * m + 1)
    for places in combinations(range(n + m), n):  # the ranks the a's take; U counts the b's below each a
        counts[sum(place - i for i, place in enumerate(places))] += 1
    assert list(u_counts(n, m)) == counts and sum(counts) == math.comb(n + m, n)


def test_too_few_to_test_is_where_even_the_extreme_ordering_misses_the_level():
    for n in range(1, 13):
        for m in range(1, 13):
            assert (shift_rank(n, m) > 0) == (2 / math.comb(n + m, n) <= ALPHA), (n, m)
    smallest = {n: min(m for m in range(1, 60) if (shift_rank(n, m) > 0)) for n in range(1, 6)}
    assert smallest == {1: 39, 2: 8, 3: 5, 4: 4, 5: 3}  # as docs/method.md lists them


def test_three_against_three_is_too_few_to_test_even_at_74x():
    go = [0.064, 0.0645, 0.0638]
    free = [4.75, 4.70, 4.80]
    ratio, low, high = ratio_ci(free, go)
    assert ratio > 70 and math.isnan(low) and math.isnan(high)
    assert verdict(low, high) == TOO_FEW and marks(low, high) == (False, False)
    assert mann_whitney_p(free, go) == pytest.approx(0.1)  # the smallest p 3 against 3 can reach


def test_four_against_four_apart_is_significant_and_spans_the_extreme_ratios():
    slow, fast = [4.5, 4.6, 4.4, 4.55], [3.6, 3.7, 3.65, 3.62]
    assert shift_rank(4, 4) == 1  # P(U <= 0) = 1/70 <= 0.025 < P(U <= 1) = 2/70
    ratio, low, high = ratio_ci(slow, fast)
    assert (low, high) == (pytest.approx(min(slow) / max(fast)), pytest.approx(max(slow) / min(fast)))
    assert low < ratio < high and verdict(low, high) == SIGNIFICANT and marks(low, high) == (True, True)
    assert mann_whitney_p(slow, fast) == pytest.approx(2 / 70)


def samples(rng, n: int, m: int, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Two samples of times, b a random factor away from a, with a spread that makes every verdict occur."""
    a = np.exp(rng.normal(0.0, 0.05, n))
    b = np.exp(rng.normal(rng.choice([0.0, 0.03, 0.08, 0.3]), 0.05, m))
    return (np.round(a, 2), np.round(b, 2)) if ties else (a, b)


def test_the_interval_excludes_1_exactly_when_the_exact_test_rejects():
    """On tie-free samples of every size from 1 to 9 a side: interval outside 1 <=> scipy's exact p <= ALPHA."""
    rng = np.random.default_rng(20)
    seen = set()
    for _ in range(1500):
        n, m = (int(v) for v in rng.integers(1, 10, 2))
        a, b = samples(rng, n, m)
        _, low, high = ratio_ci(a, b)
        p = stats.mannwhitneyu(a, b, alternative="two-sided", method="exact").pvalue
        word = verdict(low, high)
        seen.add(word)
        assert (word == TOO_FEW) == (not (shift_rank(n, m) > 0)), (n, m)
        if word != TOO_FEW:
            assert (word == SIGNIFICANT) == (p <= ALPHA), (list(a), list(b), low, high, p)
        assert mann_whitney_p(a, b) == pytest.approx(p)
    assert seen == {SIGNIFICANT, NOT_SIGNIFICANT, TOO_FEW}  # the draws reached all three verdicts


def test_never_not_significant_while_the_interval_excludes_1():
    """Also with ties (times rounded to 10 ms): the mark follows the interval, and a significant mark has p <= ALPHA."""
    rng = np.random.default_rng(21)
    for _ in range(800):
        n, m = (int(v) for v in rng.integers(2, 9, 2))
        a, b = samples(rng, n, m, ties=bool(rng.integers(0, 2)))
        _, low, high = ratio_ci(a, b)
        significant, tested = marks(low, high)
        if tested and (low > 1 or high < 1):
            assert significant and mann_whitney_p(a, b) <= ALPHA
        if significant:
            assert tested and (low > 1 or high < 1)


@pytest.mark.parametrize(
    ("a", "b"),
    [(SLOW, FAST), (FAST, SLOW), ([1.0, 1.1, 0.9, 1.05], [1.02, 0.95, 1.08, 1.0]), ([2.0, 2.1, 1.9, 2.05, 2.2], FAST)],
)
def test_the_ratio_of_medians_lies_inside_its_interval(a, b):
    """The interval is for the ratio of locations (Hodges-Lehmann); the tables' median ratio falls inside it."""
    ratio, low, high = ratio_ci(a, b)
    assert low <= ratio <= high


def test_ratio_ci_refuses_values_that_are_not_times():
    with pytest.raises(ValueError, match="above 0"):
        ratio_ci([1.0, 0.0], [1.0, 2.0])
