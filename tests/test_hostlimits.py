"""A cluster node's predicted session, from its CPU count, and the SLURM time limit it asks for."""

from __future__ import annotations

import math

from test_plan import machine, quick_config

from parbench.estimate import HISTORY, CellCost, Estimate
from parbench.hostlimits import GUESS_MARGIN, HISTORY_MARGIN, SLACK_MINUTES, HostEstimate
from parbench.plan import plan

HOSTS = {"hosts": ["small", "big"], "cluster": {"account": "parbench"}, "cpusets": "auto"}


def test_each_listed_node_is_predicted_from_its_own_cpus(tmp_path):
    found = plan(quick_config(**HOSTS), tmp_path, machine(nodes={"small": 2, "big": 16, "unlisted": 64}))
    assert set(found.host_estimates) == {"small", "big"}  # only the nodes the config names
    small, big = found.host_estimates["small"], found.host_estimates["big"]
    assert (small.cpus, big.cpus) == (2, 16)
    # 16 CPUs plan sets of 1, 2, 4, 8 and 16 CPUs: more cells and a longer session than 2 CPUs.
    assert big.estimate.cells > small.estimate.cells and big.estimate.seconds > small.estimate.seconds
    assert big.minutes >= small.minutes >= SLACK_MINUTES + 1
    assert found.estimate == ""  # no local session on a cluster run
    line = big.line(2)
    assert line.startswith("host big (16 CPUs): ") and line.endswith(f"SLURM time limit {big.minutes} min")


def test_a_node_slurm_does_not_describe_gets_no_prediction(tmp_path):
    found = plan(quick_config(**HOSTS), tmp_path, machine(nodes={"small": 2}))
    assert set(found.host_estimates) == {"small"}


def test_the_time_limit_is_the_prediction_with_a_wider_margin_where_there_is_no_history():
    guessed = CellCost("raw/c.jsonl", first=30.0, later=10.0, rounds=6, source="default", rounds_known=True)
    seen = CellCost("raw/d.jsonl", first=30.0, later=10.0, rounds=6, source=HISTORY, rounds_known=True)
    host = HostEstimate("n", 4, Estimate((guessed, seen)))
    assert host.estimate.seconds == 160.0
    assert host.minutes == math.ceil((80.0 * GUESS_MARGIN + 80.0 * HISTORY_MARGIN) / 60) + SLACK_MINUTES
