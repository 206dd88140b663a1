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
