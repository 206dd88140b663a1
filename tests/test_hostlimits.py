"""A cluster node's predicted session, from its CPU count, and the SLURM time limit it asks for."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from test_plan import machine, quick_config

from parbench.errors import ParbenchError
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
    line = big.line()
    assert (
        big.rounds == 2
        and line.startswith("host big (16 CPUs): ")
        and line.endswith(f"SLURM time limit {big.minutes} min")
    )


def test_remeasuring_one_runtime_predicts_each_nodes_cells_of_it_alone(tmp_path):
    nodes = machine(nodes={"small": 2, "big": 16})
    whole = plan(quick_config(**HOSTS), tmp_path, nodes).host_estimates["big"]
    go = plan(quick_config(**HOSTS, remeasure=["go"]), tmp_path, nodes).host_estimates["big"]
    assert 0 < go.estimate.cells < whole.estimate.cells and go.minutes <= whole.minutes
    assert {cost.cell.split("/")[2] for cost in go.estimate.costs} == {"go"}  # results/raw/RUNTIME/...


def test_a_node_slurm_does_not_describe_gets_no_prediction(tmp_path):
    found = plan(quick_config(**HOSTS), tmp_path, machine(nodes={"small": 2}))
    assert set(found.host_estimates) == {"small"}


def test_the_time_limit_is_the_prediction_with_a_wider_margin_where_there_is_no_history():
    guessed = CellCost("raw/c.jsonl", first=30.0, later=10.0, rounds=6, source="default", rounds_known=True)
    seen = CellCost("raw/d.jsonl", first=30.0, later=10.0, rounds=6, source=HISTORY, rounds_known=True)
    host = HostEstimate("n", 4, Estimate((guessed, seen)), 6)
    assert host.estimate.seconds == 160.0
    assert host.minutes == math.ceil((80.0 * GUESS_MARGIN + 80.0 * HISTORY_MARGIN) / 60) + SLACK_MINUTES


def test_a_budget_is_fitted_to_each_node_before_the_jobs_are_submitted(tmp_path):
    whole = plan(quick_config(**HOSTS, repeats=6, min_rounds=4), tmp_path, machine(nodes={"small": 2, "big": 16}))
    small, big = whole.host_estimates["small"], whole.host_estimates["big"]
    budget = f"{int(small.estimate.seconds) + 1}s"  # all of the small node's rounds fit, not the big one's
    assert big.estimate.with_rounds(4).seconds > small.estimate.seconds
    found = plan(
        quick_config(**HOSTS, repeats=6, min_rounds=4, budget=budget), tmp_path, machine(nodes={"small": 2, "big": 16})
    )
    small_cut, big_cut = found.host_estimates["small"], found.host_estimates["big"]
    assert small_cut.rounds == 6 and small_cut.cut == f"budget {budget}: all 6 rounds fit"
    assert big_cut.rounds == 4 and "4 rounds instead of 6; leaves out CPU sets" in big_cut.cut
    assert big_cut.estimate.seconds <= float(budget[:-1]) and big_cut.minutes < big.minutes  # the limit follows
    assert f"; {big_cut.cut}; SLURM time limit" in big_cut.line()
    assert "budget" not in json.loads(found.settings)  # the budget reaches each node on its command line
    # What the budget chooses is each node's measure job's parameter: the small node's is as without a budget.
    assert small_cut.choice == small.choice == "6 rounds" and big.choice == "6 rounds"
    assert big_cut.choice.startswith("4 rounds; ") and big_cut.choice.endswith(" CPUs left out")


def test_a_budget_too_small_for_a_node_is_refused_naming_it(tmp_path):
    config = quick_config(**HOSTS, repeats=6, min_rounds=4, budget="2s")
    with pytest.raises(ParbenchError, match=r"^host big \(16 CPUs\): budget 2s cannot hold 4 rounds"):
        plan(config, tmp_path, machine(nodes={"small": 2, "big": 16}))


def test_a_cluster_runs_settings_leave_the_budget_to_the_nodes_and_a_spent_one_is_measured_again(tmp_path):
    nodes = machine(nodes={"small": 2})
    without = plan(quick_config(**HOSTS), tmp_path, nodes)
    asked = plan(quick_config(**HOSTS, budget="30m"), tmp_path, nodes)
    other = plan(quick_config(**HOSTS, budget="45m"), tmp_path, nodes)
    assert without.settings == asked.settings == other.settings  # a new budget reruns only a changed choice
    assert without.host_estimates["small"].choice == asked.host_estimates["small"].choice == "2 rounds"
    assert asked.host_estimates["small"].respent is None
    # The small node's last session spent a budget of 1h and stopped a cell short.
    cell = asked.host_estimates["small"].estimate.costs[0].cell
    raw = tmp_path / "results/hosts/small/raw"
    (raw / Path(cell).relative_to("results/raw")).parent.mkdir(parents=True)
    (raw / Path(cell).relative_to("results/raw")).write_text(json.dumps({"session": "s1"}) + "\n")
    (raw / "sessions").mkdir()
    stamp = {"session": "s1", "budget_spent": True, "budget_stopped": 1, "settings": {"budget": {"limit": "1h"}}}
    (raw / "sessions/s1.json").write_text(json.dumps(stamp))
    larger = plan(quick_config(**HOSTS, budget="2h"), tmp_path, nodes).host_estimates["small"]
    assert larger.respent.startswith("session s1 spent its budget of 1h while measuring, so 1 cell stopped short")
    assert plan(quick_config(**HOSTS, budget="45m"), tmp_path, nodes).host_estimates["small"].respent is None
    narrowed = plan(quick_config(**HOSTS, budget="2h", remeasure=["go"]), tmp_path, nodes)
    assert narrowed.host_estimates["small"].respent is None  # a narrowed run measures what it is asked


def test_a_nodes_kept_choice_for_the_same_budget_is_its_predicted_choice(tmp_path):
    """The node keeps its choice while the budget stays, under its own names for its CPU sets."""
    nodes = machine(nodes={"small": 2})
    state = tmp_path / "results/hosts/small/session"
    state.mkdir(parents=True)
    kept = {"repeats": 1, "budget": {"limit": "45m", "asked_repeats": 2, "repeats": 1, "left_out": ["0,8"]}}
    (state / "settings.json").write_text(json.dumps(kept))
    assert plan(quick_config(**HOSTS, budget="45m"), tmp_path, nodes).host_estimates["small"].choice == (
        "1 round; 2 CPUs left out"
    )
    assert plan(quick_config(**HOSTS, budget="50m"), tmp_path, nodes).host_estimates["small"].choice == "2 rounds"
    assert plan(quick_config(**HOSTS), tmp_path, nodes).host_estimates["small"].choice == "2 rounds"
