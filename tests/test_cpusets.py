import pytest

from parbench.cpusets import auto_cpusets, format_cpuset, parse_cpuset


@pytest.mark.parametrize(
    "text, cpus",
    [("0", [0]), ("1", [1]), ("0-3", [0, 1, 2, 3]), ("0,2", [0, 2]), ("3,0-1", [0, 1, 3]), (" 2 ", [2])],
)
def test_parse_cpuset(text, cpus):
    assert parse_cpuset(text) == cpus


@pytest.mark.parametrize("text", ["", "a", "1-", "3-1", "1,,2", "-1", "0.5"])
def test_parse_cpuset_rejects(text):
    with pytest.raises(ValueError, match="CPU set|descending"):
        parse_cpuset(text)


@pytest.mark.parametrize("cpus, text", [([0], "0"), ([0, 1, 2, 3], "0-3"), ([2, 0], "0,2"), ([0, 1, 3, 4, 7], "0-1,3-4,7")])
def test_format_cpuset(cpus, text):
    assert format_cpuset(cpus) == text
    assert parse_cpuset(text) == sorted(cpus)


@pytest.mark.parametrize(
    "available, sets",
    [
        ([0], ["0"]),
        ([0, 1], ["0", "0-1"]),
        ([0, 1, 2], ["0", "0-1", "0-2"]),
        (list(range(16)), ["0", "0-1", "0-3", "0-7", "0-15"]),
        ([2, 5, 6], ["2", "2,5", "2,5-6"]),
    ],
)
def test_auto_cpusets_powers_of_two_plus_all(available, sets):
    assert auto_cpusets(available) == sets
