import math

import pytest

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


from parbench.stats import differs, ratio_ci  # noqa: E402


def test_ratio_ci_brackets_the_ratio_and_is_reproducible():
    slow = [4.5, 4.6, 4.4, 4.55, 4.52, 4.48]
    fast = [3.6, 3.7, 3.65, 3.62, 3.68, 3.66]
    ratio, low, high = ratio_ci(slow, fast)
    assert ratio == pytest.approx(4.51 / 3.655)
    assert low < ratio < high and low > 1.15 and high < 1.3
    assert ratio_ci(slow, fast) == (ratio, low, high)  # same seed, same interval


def test_ratio_ci_of_identical_constant_samples_is_a_point():
    assert ratio_ci([2.0] * 6, [2.0] * 6) == (1.0, 1.0, 1.0)


def test_ratio_ci_missing_for_single_samples():
    ratio, low, high = ratio_ci([2.0], [1.0])
    assert ratio == 2.0 and math.isnan(low) and math.isnan(high)


def test_differs_like_benchstat():
    assert differs([4.5, 4.6, 4.4, 4.55, 4.52, 4.48], [3.6, 3.7, 3.65, 3.62, 3.68, 3.66])
    assert not differs([1.0, 1.1, 0.9, 1.05], [1.02, 0.95, 1.08, 1.0])  # overlapping: ~
    assert not differs([2.0] * 6, [2.0] * 6)
    assert not differs([1.0], [5.0])  # too few to tell
