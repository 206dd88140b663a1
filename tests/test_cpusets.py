import pytest

from parbench.cpusets import format_cpuset, parse_cpuset
from parbench.topology import CpuInfo, auto_cpusets, auto_sizes, flat_topology


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


@pytest.mark.parametrize(
    "cpus, text", [([0], "0"), ([0, 1, 2, 3], "0-3"), ([2, 0], "0,2"), ([0, 1, 3, 4, 7], "0-1,3-4,7")]
)
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
def test_auto_cpusets_without_topology_take_cpus_by_number(available, sets):
    assert auto_cpusets(available) == sets
    assert auto_cpusets(flat_topology(available)) == sets


@pytest.mark.parametrize("count, sizes", [(0, []), (1, [1]), (2, [1, 2]), (6, [1, 2, 4, 6]), (8, [1, 2, 4, 8])])
def test_auto_sizes_are_powers_of_two_plus_all(count, sizes):
    assert auto_sizes(count) == sizes


def test_auto_cpusets_follow_the_topology_not_the_numbers():
    # CPUs 0 and 1 are two threads of one core: the 2-CPU set takes a second core
    topology = [
        CpuInfo(cpu, (cpu - cpu % 2, cpu - cpu % 2 + 1), cpu // 2, 0, 0, None, None, None, None) for cpu in range(4)
    ]
    assert auto_cpusets(topology) == ["0", "0,2", "0-3"]
