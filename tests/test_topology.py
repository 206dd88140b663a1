"""Topology-aware auto CPU sets, on fake sysfs trees (tests/data/sysfs/<name>/devices/system)."""

import json
from pathlib import Path

import pytest

from parbench.cpusets import parse_cpuset
from parbench.matrix import cpusets_for
from parbench.topology import (
    auto_cpusets,
    describe_cpuset,
    flat_topology,
    main,
    preferred_order,
    read_topology,
    topology_summary,
)

SYSFS = Path(__file__).parent / "data" / "sysfs"


def root(name: str) -> Path:
    """The fixture directory standing for /sys/devices/system."""
    return SYSFS / name / "devices" / "system"


def topology(name: str, available: list[int]) -> list:
    return read_topology(available, root(name))


def flags(description: dict) -> tuple[bool, bool, bool]:
    return description["smt_shared"], description["spans_numa"], description["mixed_speed"]


# --- this machine: 2 CPUs, no SMT, one node, no cpufreq ---------------------


def test_vm_without_smt_keeps_the_plain_sets():
    topo = topology("vm2", [0, 1])
    assert [(i.cpu, i.siblings, i.core, i.node, i.max_freq_khz, i.capacity) for i in topo] == [
        (0, (0,), "p0c0", 0, None, 1024),
        (1, (1,), "p0c1", 0, None, 1024),
    ]
    assert auto_cpusets(topo) == ["0", "0-1"]
    assert describe_cpuset("0-1", topo) == {
        "cpuset": "0-1",
        "cpus": [0, 1],
        "cores": ["p0c0", "p0c1"],
        "nodes": [0],
        "smt_shared": False,
        "spans_numa": False,
        "mixed_speed": False,
    }


def test_summary_is_json_and_counts_cores_smt_and_nodes():
    summary = topology_summary(topology("vm2", [0, 1]))
    assert json.loads(json.dumps(summary)) == summary
    assert summary["counts"] == {"cpus": 2, "cores": 2, "smt_cores": 0, "packages": 1, "nodes": 1}
    assert summary["smt"] is False and summary["mixed_speed"] is False
    assert summary["cpus"][1] == {
        "cpu": 1,
        "core": "p0c1",
        "siblings": [1],
        "package": 0,
        "node": 0,
        "max_freq_khz": None,
        "capacity": 1024,
        "highest_perf": None,
        "core_type": None,
    }


# --- 8 cores x 2 SMT threads, siblings i and i+8 ----------------------------


def test_smt_siblings_come_last_and_small_sets_use_whole_cores():
    topo = topology("smt8x2", list(range(16)))
    assert topo[3].siblings == (3, 11)  # read from thread_siblings_list: no core_cpus_list here
    assert preferred_order(topo) == list(range(16))
    sets = auto_cpusets(topo)
    assert sets == ["0", "0-1", "0-3", "0-7", "0-15"]
    assert [flags(describe_cpuset(s, topo)) for s in sets] == [(False, False, False)] * 4 + [(True, False, False)]
    assert describe_cpuset("0-15", topo)["cores"] == [f"p0c{i}" for i in range(8)]


def test_smt_numbered_adjacently_would_have_been_wrong_by_number():
    # naive "first two by number" on the hybrid fixture is two threads of one core
    topo = topology("hybrid", list(range(12)))
    assert describe_cpuset("0-1", topo)["smt_shared"] is True
    assert auto_cpusets(topo)[1] == "0,2"


def test_only_siblings_available_still_gives_every_cpu():
    topo = topology("smt8x2", [0, 8])
    assert auto_cpusets(topo) == ["0", "0,8"]
    assert describe_cpuset([8, 0], topo)["smt_shared"] is True
    assert topology_summary(topo)["counts"]["smt_cores"] == 1


# --- 2 NUMA nodes, CPUs interleaved -----------------------------------------


def test_numa_fills_one_node_before_the_next():
    topo = topology("numa2", list(range(8)))
    assert [i.node for i in topo] == [0, 1] * 4
    assert preferred_order(topo) == [0, 2, 4, 6, 1, 3, 5, 7]
    sets = auto_cpusets(topo)
    assert sets == ["0", "0,2", "0,2,4,6", "0-7"]
    assert [describe_cpuset(s, topo)["nodes"] for s in sets] == [[0], [0], [0], [0, 1]]
    assert [flags(describe_cpuset(s, topo)) for s in sets][-1] == (False, True, False)
    # core_id repeats across packages: cores are told apart by package
    assert describe_cpuset("0-1", topo)["cores"] == ["p0c0", "p1c0"]
    assert topology_summary(topo)["counts"] == {"cpus": 8, "cores": 8, "smt_cores": 0, "packages": 2, "nodes": 2}


def test_numa_starts_on_the_node_with_most_available_cores():
    topo = topology("numa2", [0, 1, 3, 5, 7])
    assert preferred_order(topo) == [1, 3, 5, 7, 0]
    assert auto_cpusets(topo) == ["1", "1,3", "1,3,5,7", "0-1,3,5,7"]


# --- hybrid: SMT P-cores, E-cores without SMT --------------------------------


def test_hybrid_takes_fast_cores_first_then_slow_cores_then_siblings():
    topo = topology("hybrid", list(range(12)))
    assert [i.core_type for i in topo] == ["performance"] * 8 + ["efficiency"] * 4
    # the favoured P-core (CPPC highest_perf 70) leads, the rest by number
    assert preferred_order(topo) == [2, 0, 4, 6, 8, 9, 10, 11, 3, 1, 5, 7]
    sets = auto_cpusets(topo)
    assert sets == ["2", "0,2", "0,2,4,6", "0,2,4,6,8-11", "0-11"]
    assert [flags(describe_cpuset(s, topo)) for s in sets] == [
        (False, False, False),
        (False, False, False),
        (False, False, False),
        (False, False, True),
        (True, False, True),
    ]
    assert describe_cpuset("0,2,4,6,8-11", topo)["cores"] == [
        "p0c0",
        "p0c4",
        "p0c8",
        "p0c12",
        "p0c16",
        "p0c17",
        "p0c18",
        "p0c19",
    ]
    summary = topology_summary(topo)
    assert summary["mixed_speed"] is True and summary["smt"] is True
    assert summary["counts"] == {"cpus": 12, "cores": 8, "smt_cores": 4, "packages": 1, "nodes": 1}


# --- properties and degraded input -------------------------------------------


@pytest.mark.parametrize("name, count", [("vm2", 2), ("smt8x2", 16), ("numa2", 8), ("hybrid", 12)])
def test_auto_sets_nest_and_end_with_every_cpu(name, count):
    sets = [set(parse_cpuset(s)) for s in auto_cpusets(topology(name, list(range(count))))]
    assert all(small < large for small, large in zip(sets, sets[1:]))
    assert sets[-1] == set(range(count))


def test_missing_sysfs_degrades_to_one_node_equal_speed_own_cores(tmp_path):
    topo = read_topology([2, 0, 1], tmp_path)
    assert topo == flat_topology([0, 1, 2])
    assert auto_cpusets(topo) == ["0", "0-1", "0-2"]
    assert topology_summary(topo)["counts"] == {"cpus": 3, "cores": 3, "smt_cores": 0, "packages": 1, "nodes": 1}


def test_cpus_the_tree_does_not_know_are_their_own_cores():
    topo = topology("vm2", [0, 1, 2, 3])
    assert [i.core for i in topo] == ["p0c0", "p0c1", "p0c2", "p0c3"]
    assert auto_cpusets(topo) == ["0", "0-1", "0-3"]


def test_describe_rejects_cpus_outside_the_topology():
    with pytest.raises(ValueError, match="CPU.*5.*not in the topology"):
        describe_cpuset("0,5", topology("vm2", [0, 1]))


def test_cpusets_for_uses_the_given_topology_for_auto_only():
    topo = topology("hybrid", list(range(12)))
    assert cpusets_for({"cpusets": "auto"}, list(range(12)), topo)[:2] == ["2", "0,2"]
    assert cpusets_for({"cpusets": ["1,0"]}, list(range(12)), topo) == ["0-1"]  # explicit: as given


# --- the CLI -----------------------------------------------------------------


def test_cli_prints_summary_and_described_auto_sets(capsys):
    assert main(["--sysfs", str(root("numa2"))]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["topology"]["preferred_order"] == [0, 2, 4, 6, 1, 3, 5, 7]
    assert [d["cpuset"] for d in output["auto_cpusets"]] == ["0", "0,2", "0,2,4,6", "0-7"]
    assert output["auto_cpusets"][-1]["spans_numa"] is True


def test_cli_takes_a_cpu_list(capsys):
    assert main(["--sysfs", str(root("smt8x2")), "--cpus", "0,8"]) == 0
    assert [d["cpuset"] for d in json.loads(capsys.readouterr().out)["auto_cpusets"]] == ["0", "0,8"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sysfs", "/nonexistent"], "has no cpu/ directory"),
        (["--sysfs", str(root("vm2")), "--cpus", "0-"], "not a CPU set"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
