"""The session's estimate before measuring, the progress line's time left, and the time budget."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import yaml
from test_plan import machine, quick_config, write_intact_raw

from parbench.budget import Fit, claimed_cpusets, fit, format_duration
from parbench.config import check_config, parse_duration
from parbench.errors import ParbenchError
from parbench.estimate import (
    DEFAULT,
    DEFAULT_STARTUP,
    HISTORY,
    OVERHEAD,
    OVERSHOOT,
    SCALED,
    CellCost,
    Estimate,
    container_costs,
    estimate_line,
    estimate_session,
    seen_cells,
)
from parbench.history import earlier_records, read_records
from parbench.matrix import Cell
from parbench.plan import Machine, plan
from parbench.progress import cells_per_container, progress_line
from parbench.sessionplan import session_plan
from parbench.specs import CALIBRATION_MARGIN
from parbench.topology import auto_cpusets, read_topology, topology_summary

from conftest import REPO

GIL = Cell("cpython-3.13", "cpu_loop", "threads", "0", 1)
GIL2 = Cell("cpython-3.13", "cpu_loop", "threads", "0-1", 2)
FREE = Cell("cpython-3.13t", "cpu_loop", "threads", "0", 1)
FREE2 = Cell("cpython-3.13t", "cpu_loop", "threads", "0-1", 2)
IMAGES = {"cpython-3.13": "sha256:gil", "cpython-3.13t": "sha256:free"}
PARAMS = {"iterations": 1000}


def settings(cells: list[Cell], **changes) -> dict:
    base = {
        "cells": [c.raw_path for c in cells],
        "repeats": 6,
        "warmup": 1,
        "min_time": 0.2,
        "values_time": 1.0,
        "max_values": 3,
        "seed": 1,
        "params": {"cpu_loop": PARAMS},
        "env": {},
    }
    return {**base, **changes}


def records(cell: Cell, containers: list[float], per_loop: float, *, image: str | None = None, session="s1") -> list:
    """One measured record per container (round index = position), as a session annotates them."""
    return [
        {
            "runtime": cell.runtime,
            "workload": cell.workload,
            "mode": cell.mode,
            "cpuset": cell.cpuset,
            "workers": cell.workers,
            "variant": cell.variant,
            "params": PARAMS,
            "warmup": False,
            "seconds": per_loop,
            "round": index,
            "session": session,
            "image_id": image or IMAGES[cell.runtime],
            "container_seconds": seconds,
            "startup_seconds": 0.25,
        }
        for index, seconds in enumerate(containers)
    ]


# --- the model --------------------------------------------------------------------------------------------------


def test_without_history_a_container_is_its_calibrated_sections_and_a_default_start_up():
    plan_settings = settings([GIL])
    found = estimate_session(plan_settings, {})
    (cost,) = found.costs
    section = OVERSHOOT * CALIBRATION_MARGIN * plan_settings["min_time"]
    values = min(plan_settings["max_values"], math.ceil(plan_settings["values_time"] / section))
    assert cost.source == DEFAULT and cost.rounds == plan_settings["repeats"]
    assert cost.later == pytest.approx(DEFAULT_STARTUP + OVERHEAD + values * section)
    assert cost.first > cost.later  # the first container also calibrates
    assert found.containers == plan_settings["repeats"] and found.from_history == 0
    assert found.seconds == pytest.approx(cost.first + (plan_settings["repeats"] - 1) * cost.later)


def test_a_cell_seen_with_the_same_image_costs_what_its_containers_took():
    seen = seen_cells(records(GIL, [3.0, 2.0, 2.2, 1.8], 0.01), IMAGES, settings([GIL]))
    (cost,) = estimate_session(settings([GIL]), seen).costs
    assert cost.source == HISTORY
    assert cost.first == pytest.approx(3.0 + OVERHEAD) and cost.later == pytest.approx(2.0 + OVERHEAD)


def test_records_of_another_image_or_other_parameters_are_no_history():
    other_image = records(GIL, [3.0, 2.0], 0.01, image="sha256:old")
    other_params = [{**r, "params": {"iterations": 5}} for r in records(GIL, [3.0, 2.0], 0.01)]
    assert seen_cells(other_image + other_params, IMAGES, settings([GIL])) == {}


def test_the_latest_session_of_a_cell_is_the_one_that_counts():
    old = records(GIL, [9.0, 9.0], 0.01, session="20260101T000000Z-a")
    new = records(GIL, [3.0, 2.0], 0.01, session="20261201T000000Z-b")
    seen = seen_cells(old + new, IMAGES, settings([GIL]))
    assert seen[GIL.raw_path].later == 2.0


def test_another_worker_count_is_scaled_by_whether_the_mode_runs_in_parallel():
    # One loop lasts longer than the section's target, so the section is one loop and follows the worker count.
    long_loop = 2.0
    history = records(GIL, [5.0, 4.0], long_loop) + records(FREE, [5.0, 4.0], long_loop)
    plan_settings = settings([GIL2, FREE2], max_values=1)
    found = estimate_session(plan_settings, seen_cells(history, IMAGES, plan_settings), ["cpython-3.13t"])
    gil, free = found.costs
    assert gil.source == free.source == SCALED
    # Weak scaling: two workers do twice the work; under the GIL they take turns, free-threaded they share 2 CPUs.
    assert gil.later - free.later == pytest.approx(long_loop)
    assert free.later == pytest.approx(0.25 + OVERHEAD + long_loop)


def test_a_sleeping_workload_overlaps_even_under_the_gil():
    sleepy = Cell("cpython-3.13", "io_wait", "threads", "0", 1)
    many = Cell("cpython-3.13", "io_wait", "threads", "0", 16)
    history = [{**r, "workload": "io_wait", "params": {"tasks": 1}} for r in records(sleepy, [5.0, 4.0], 2.0)]
    plan_settings = settings([many], params={"io_wait": {"tasks": 1}}, max_values=1)
    (cost,) = estimate_session(plan_settings, seen_cells(history, IMAGES, plan_settings)).costs
    assert cost.source == SCALED and cost.later == pytest.approx(0.25 + OVERHEAD + 2.0)


def test_adaptive_rounds_take_what_the_cell_took_last_time_else_the_most_and_say_so():
    plan_settings = settings([GIL, FREE], precision=0.02, min_rounds=4)
    seen = seen_cells(records(GIL, [3.0, 2.0, 2.0, 2.0], 0.01), IMAGES, plan_settings)
    found = estimate_session(plan_settings, seen)
    took, unknown = found.costs
    assert (took.rounds, took.rounds_known) == (4, True)
    assert (unknown.rounds, unknown.rounds_known) == (6, False)
    line = estimate_line(found, 6)
    assert line.endswith(
        "(cell costs: 1 from earlier sessions, 1 from the timing settings; "
        "1 cell at the most rounds (6), an upper bound)"
    )


def test_an_unfinished_journal_gives_costs_but_not_rounds(tmp_path):
    journal = tmp_path / "journal.jsonl"
    lines = [{"session": "s2"}, {"order": 0, "records": records(GIL, [3.0, 2.0], 0.01, session="s2")}]
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines))
    plan_settings = settings([GIL], precision=0.02, min_rounds=4)
    seen = seen_cells(read_records(tmp_path / "no-raw", journal), IMAGES, plan_settings)
    assert seen[GIL.raw_path].rounds is None
    (cost,) = estimate_session(plan_settings, seen).costs
    assert cost.source == HISTORY and cost.rounds == 6 and not cost.rounds_known


@pytest.mark.parametrize(
    "stamp, took, known",
    [
        ({"repeats": 6}, 4, True),  # stopped by its own interval before the most
        ({"repeats": 4, "budget": {"limit": "1m", "asked_repeats": 6, "repeats": 4}}, 3, True),  # below the cut
        ({"repeats": 4, "budget": {"limit": "1m", "asked_repeats": 6, "repeats": 4}}, 4, False),  # at the cut
        ({"repeats": 4}, 4, False),  # at a smaller `repeats`: it might have needed more
        ({"repeats": 6, "budget_spent": True}, 4, False),  # stopped where a spent budget left it (an older stamp)
        ({"repeats": 6, "budget_spent": True, "budget_stopped": 2}, 4, False),  # the budget stopped cells short
        ({"repeats": 6, "budget_spent": True, "budget_stopped": 0}, 4, True),  # spent once every cell had settled
    ],
)
def test_rounds_a_budget_or_a_smaller_cap_decided_are_not_the_cells_own(tmp_path, stamp, took, known):
    plan_settings = settings([GIL], precision=0.02, min_rounds=2)
    stamps = tmp_path / "raw/sessions"
    stamps.mkdir(parents=True)
    spent = {key: stamp.pop(key) for key in ("budget_spent", "budget_stopped") if key in stamp}
    timing = {key: plan_settings[key] for key in ("min_time", "values_time", "max_values", "warmup")}
    (stamps / "s1.json").write_text(json.dumps({"session": "s1", "settings": {**timing, **stamp}, **spent}))
    raw = tmp_path / "raw/cpython-3.13/x.jsonl"
    raw.parent.mkdir()
    raw.write_text("".join(json.dumps(r) + "\n" for r in records(GIL, [3.0] + [2.0] * (took - 1), 0.01)))
    seen = seen_cells(earlier_records(tmp_path / "raw", None, plan_settings), IMAGES, plan_settings)
    (cost,) = estimate_session(plan_settings, seen).costs
    assert (cost.rounds, cost.rounds_known) == ((took, True) if known else (6, False))
    assert cost.source == HISTORY  # its containers' seconds still count


def test_raw_files_are_read_and_damaged_lines_skipped(tmp_path):
    raw = tmp_path / "raw" / "cpython-3.13" / "x.jsonl"
    raw.parent.mkdir(parents=True)
    raw.write_text(json.dumps(records(GIL, [1.0], 0.01)[0]) + "\n{not json\n")
    assert len(read_records(tmp_path / "raw")) == 1


def test_the_printed_line_names_cells_containers_minutes_and_sources():
    plan_settings = settings([GIL, FREE])
    seen = seen_cells(records(GIL, [30.0] * 6, 0.01), IMAGES, plan_settings)
    found = estimate_session(plan_settings, seen)
    line = estimate_line(found, 6)
    minutes = round(found.seconds / 60)
    assert line.startswith(
        f"2 cells, 12 containers, about {minutes} min predicted (cell costs: 1 from earlier sessions"
    )
    assert "1 from the timing settings" in line


def test_a_resumed_session_is_predicted_for_what_its_journal_leaves(tmp_path):
    from parbench.journal import cell_runs_done

    plan_settings = settings([GIL, FREE], cells_per_container=8)
    found = estimate_session(plan_settings, {})
    gil, free = found.costs
    journal = tmp_path / "journal.jsonl"
    entries = [{"session": "s", "plan": "k"}, {"order": 0, "round": 0, "cell": GIL.raw_path}]
    entries += [{"resumed_at": "t"}, {"order": 2, "round": 1, "cell": GIL.raw_path}]
    journal.write_text("".join(json.dumps(e) + "\n" for e in entries) + '{"order": 3, "ro')  # a torn last line
    done = cell_runs_done(journal)
    assert done == {GIL.raw_path: 2} and cell_runs_done(tmp_path / "none.jsonl") == {}
    left = found.after(done)
    assert left.containers == 10 and left.before == 2 and left.cells == 2
    # GIL calibrated in its first run: its four left cost a later run each; FREE has all six ahead.
    assert left.seconds == pytest.approx(gil.later * 4 + free.seconds)
    assert estimate_line(left, 6).startswith("2 cells, 10 of 12 cell runs still to measure after a resume, about ")
    assert found.after({}) == found and not estimate_line(found, 6).count("before")
    assert found.after({GIL.raw_path: 9}).containers == 6  # never fewer than none left


def test_where_cells_share_containers_the_lines_count_cell_runs():
    plan_settings = settings([GIL, FREE], cells_per_container=8)
    found = estimate_session(plan_settings, {})
    assert estimate_line(found, 6).startswith("2 cells, 12 cell runs, about")
    assert estimate_line(found.only([GIL.raw_path]), 6).startswith("1 cell, 6 cell runs, about")
    assert progress_line(3, 12, 0, 6, 5.0, 0, per_container=8).startswith("measuring: 3/12 cell runs done, round 1/6")
    assert progress_line(3, 12, 0, 6, 5.0, 0).startswith("measuring: 3/12 containers done")


def test_settings_without_the_sharing_key_are_one_cell_per_container():
    """plan.py leaves the key out at 1, so old stamps and new ones of one cell each read alike."""
    assert cells_per_container({}) == 1
    assert cells_per_container({"cells_per_container": 8}) == 8
    assert estimate_session(settings([GIL, FREE]), {}).per_container == 1


def test_container_costs_follow_the_plan_order():
    plan_settings = settings([GIL, FREE])
    found = estimate_session(plan_settings, seen_cells(records(GIL, [3.0, 2.0], 0.01), IMAGES, plan_settings))
    order = session_plan([GIL, FREE], 2, 1)
    costs = container_costs(order, found)
    by_cell = {c.cell: c for c in found.costs}
    assert costs == [by_cell[c.raw_path].first if r == 0 else by_cell[c.raw_path].later for r, c in order]


# --- the progress line ------------------------------------------------------------------------------------------


def test_time_left_is_the_prediction_corrected_by_how_the_done_containers_compared():
    costs = [1.0, 1.0, 4.0, 4.0]
    # The first two took 4 s against 2 s predicted: the 8 s left are predicted to take 16 s.
    assert progress_line(2, 4, 0, 2, 4.0, 0, costs).endswith("about 16s left")
    # Before any container here, the prediction stands as it is.
    assert progress_line(0, 4, 0, 2, 0.0, 0, costs).endswith("about 10s left")
    # Containers this invocation does not run (an earlier one measured them) are 0 in the costs.
    assert progress_line(3, 4, 1, 2, 8.0, 2, [0.0, 0.0, 4.0, 4.0]).endswith("about 8s left")
    # A resumed invocation that has measured nothing yet: the prediction stands, not "0s left".
    assert progress_line(2, 4, 1, 2, 0.0, 2, [0.0, 0.0, 4.0, 4.0]).endswith("about 8s left")


# --- durations and the budget -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400), (" 2m5s", 125)])
def test_durations_parse(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["5x", "", "15", 90, "0m", "m", "1.5h", None])
def test_bad_durations_name_the_key_and_the_forms(bad):
    with pytest.raises(ParbenchError, match=r"config key 'budget': .* \(accepted: .*90s, 15m, 1h or 1h30m"):
        parse_duration(bad)


def test_a_budget_that_holds_every_round_keeps_them_and_a_smaller_one_cuts_rounds():
    cells = [GIL, FREE]
    found = estimate_session(settings(cells), {})
    assert fit(found, cells, format_duration(found.seconds), 6, 4) == Fit(6)
    five = found.with_rounds(5).seconds
    assert fit(found, cells, format_duration(five + 1), 6, 4) == Fit(5)


def test_a_budget_below_the_fewest_rounds_is_refused_with_the_smallest_that_would_do():
    cells = [GIL, FREE]
    found = estimate_session(settings(cells), {})
    with pytest.raises(ParbenchError) as refused:
        fit(found, cells, "1s", 6, 4)
    message = str(refused.value)
    assert message.startswith("budget 1s cannot hold 4 rounds of the 2 cells the claims need (CPU set 0; ")
    smallest = message.split("raise budget to at least ")[1].split(",")[0]
    assert f"; {smallest} predicted)" in message  # the same figure twice, not "about 1 min" beside 1m01s
    assert parse_duration(smallest) >= found.with_rounds(4).seconds
    assert fit(found, cells, smallest, 6, 4).repeats >= 4


def sets_of_eight(workload_cells: list[Cell]) -> list[Cell]:
    """The same cells on 1, 2, 4 and 8 CPUs, one worker per CPU."""
    sizes = {"0": 1, "0-1": 2, "0-3": 4, "0-7": 8}
    return [Cell(c.runtime, c.workload, c.mode, cpuset, n) for cpuset, n in sizes.items() for c in workload_cells]


def test_the_claims_read_the_smallest_and_the_largest_cpu_set():
    assert claimed_cpusets(sets_of_eight([GIL, FREE])) == ("0", "0-7")
    assert claimed_cpusets([GIL, FREE]) == ("0",)
    assert claimed_cpusets([]) == ()


def test_below_the_fewest_rounds_a_budget_leaves_out_the_costliest_sets_between_the_ends():
    cells = sets_of_eight([GIL, FREE])
    # A container costs a second per worker, as GIL threads taking turns do.
    found = Estimate(tuple(CellCost(c.raw_path, c.workers, c.workers, 6, DEFAULT, False) for c in cells))
    at_four = found.with_rounds(4)
    cost = {s: at_four.only(c.raw_path for c in cells if c.cpuset == s).seconds for s in ("0", "0-1", "0-3", "0-7")}
    assert cost == {"0": 8, "0-1": 16, "0-3": 32, "0-7": 64}
    assert fit(found, cells, "120s", 6, 4) == Fit(4)
    assert fit(found, cells, "119s", 6, 4) == Fit(4, ("0-3",))  # the costliest between the ends goes first
    assert fit(found, cells, "88s", 6, 4) == Fit(4, ("0-3",))
    assert fit(found, cells, "87s", 6, 4) == Fit(4, ("0-1", "0-3"))
    assert fit(found, cells, "72s", 6, 4) == Fit(4, ("0-1", "0-3"))
    # 72s holds them (above), so the refusal names 72 s, not a whole minute more.
    claims_need = r"of the 4 cells the claims need \(CPU sets 0 and 0-7; 1m12s predicted\): "
    with pytest.raises(ParbenchError, match=claims_need + r"raise budget to at least 1m12s,"):
        fit(found, cells, "71s", 6, 4)


def test_a_plan_on_eight_cpus_leaves_sets_out_names_them_and_keeps_the_choice(tmp_path):
    config = quick_config(repeats=6, cpusets=["0", "0-1", "0-3", "0-7"])
    eight = Machine(**{**machine().__dict__, "cpus": list(range(8))})
    whole = plan(config, tmp_path, eight)
    every = estimate_session(json.loads(whole.settings), {}).with_rounds(config["min_rounds"])
    middle = {c.raw_path for c in whole.cells if c.cpuset in ("0-1", "0-3")}
    budget = format_duration(every.seconds - every.only(middle).seconds)
    cut = plan({**config, "budget": budget}, tmp_path, eight)
    chosen = json.loads(cut.settings)
    left_out = json.loads(cut.budget)["left_out"]
    assert chosen["repeats"] == config["min_rounds"] and left_out and set(left_out) <= {"0-1", "0-3"}
    assert {c.cpuset for c in cut.cells} == {"0", "0-7"} | ({"0-1", "0-3"} - set(left_out))
    assert chosen["cells"] == [c.raw_path for c in cut.cells] and set(cut.measured) <= set(cut.cells)
    gone = sum(c.cpuset in left_out for c in whole.cells)
    assert "leaves out CPU set" in next(n for n in cut.notices if n.startswith(f"budget {budget}: "))
    assert f"({gone} cells; the claims' verdicts read the smallest and the largest)" in " ".join(cut.notices)
    assert cut.estimate.startswith(f"{len(cut.cells)} cells")
    (tmp_path / "results/session").mkdir(parents=True)
    (tmp_path / "results/session/settings.json").write_text(cut.settings)
    (tmp_path / "results/session/budget.json").write_text(cut.budget)
    again = plan({**config, "budget": budget}, tmp_path, eight)
    assert (again.settings, again.budget) == (cut.settings, cut.budget)


def test_the_plan_records_the_budget_and_the_rounds_it_chose(tmp_path):
    config = quick_config(repeats=6)
    free = plan(config, tmp_path, machine())
    assert "budget" not in json.loads(free.settings) and free.budget == "null" and "predicted" in free.estimate
    needed = format_duration(estimate_session(json.loads(free.settings), {}).with_rounds(config["repeats"] - 1).seconds)
    cut = plan({**config, "budget": needed}, tmp_path, machine())
    chosen = json.loads(cut.settings)  # what is measured: the rounds the budget chose, not the budget
    assert "budget" not in chosen
    assert json.loads(cut.budget) == {"limit": needed, "asked_repeats": config["repeats"], "repeats": chosen["repeats"]}
    assert chosen["repeats"] < config["repeats"]
    assert any(n.startswith(f"budget {needed}: ") for n in cut.notices)


def test_a_budget_choice_is_kept_for_the_same_settings(tmp_path):
    config = {**quick_config(repeats=6), "budget": "1h"}
    first = plan(config, tmp_path, machine())
    chosen, record = json.loads(first.settings), json.loads(first.budget)
    record["repeats"] = chosen["repeats"] = chosen["repeats"] - 1  # as if history had said so then
    (tmp_path / "results/session").mkdir(parents=True)
    (tmp_path / "results/session/settings.json").write_text(json.dumps(chosen))
    (tmp_path / "results/session/budget.json").write_text(json.dumps(record))
    again = json.loads(plan(config, tmp_path, machine()).settings)
    assert again["repeats"] == chosen["repeats"]
    other = json.loads(plan({**config, "budget": "2h"}, tmp_path, machine()).settings)
    assert other["repeats"] == config["repeats"]


def test_a_budget_too_small_is_refused_by_the_plan(tmp_path):
    with pytest.raises(
        ParbenchError, match=r"^budget 1s cannot hold \d+ rounds of the \d+ cells the claims need .*at least \d+"
    ):
        plan({**quick_config(), "budget": "1s"}, tmp_path, machine())


# --- the fixtures the benchmark plans for -----------------------------------------------------------------------


@pytest.mark.parametrize("name, cpus, cores, nodes", [("smt32x2", 64, 32, 1), ("numa2smt32x2", 128, 64, 2)])
def test_the_large_fixtures_are_machines_of_64_and_128_cpus(name, cpus, cores, nodes):
    topo = read_topology(list(range(cpus)), Path(__file__).parent / "data/sysfs" / name / "devices/system")
    counts = topology_summary(topo)["counts"]
    assert (counts["cpus"], counts["cores"], counts["smt_cores"], counts["nodes"]) == (cpus, cores, cores, nodes)
    sets = auto_cpusets(topo)
    assert sets[-1] == f"0-{cpus - 1}" and len(sets) == cpus.bit_length()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"budget": "5x"}, "config key 'budget': '5x' is not a duration"),
        ({"budget": 90}, "config key 'budget': 90 is not a duration"),
        ({"budget": "0s"}, "config key 'budget': '0s' is no time at all"),
    ],
)
def test_a_bad_budget_is_one_line_naming_the_key(changes, message):
    config = {**yaml.safe_load((REPO / "config.yaml").read_text()), **changes}
    with pytest.raises(ParbenchError, match=re.escape(message)):
        check_config(config, yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text()), [0, 1])


def test_the_plan_reads_earlier_sessions_of_the_same_images(tmp_path):
    config = quick_config()
    cells = plan(config, tmp_path, machine()).cells
    (tmp_path / "results/images").mkdir(parents=True)
    (tmp_path / "results/images/cpython-3.13.iid").write_text(IMAGES["cpython-3.13"] + "\n")
    params = {"iterations": config["workloads"]["cpu_loop"]["iterations"]}
    measured = [c for c in cells if c.runtime == "cpython-3.13" and c.workload == "cpu_loop"]
    for cell in measured:
        target = tmp_path / cell.raw_path
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = [{**r, "params": params} for r in records(cell, [1.0] * config["repeats"], 0.01)]
        target.write_text("".join(json.dumps(r) + "\n" for r in lines))
    stamps = tmp_path / "results/raw/sessions"
    stamps.mkdir(parents=True)
    settings = json.loads(plan(config, tmp_path, machine()).settings)
    (stamps / "s1.json").write_text(json.dumps({"session": "s1", "settings": settings}))
    found = plan(config, tmp_path, machine())
    assert f"(cell costs: {len(measured)} from earlier sessions" in found.estimate
    # A session that timed its cells otherwise (another min_time) paid other costs: it is not history.
    (stamps / "s1.json").write_text(json.dumps({"session": "s1", "settings": {**settings, "min_time": 1.0}}))
    assert "earlier sessions" not in plan(config, tmp_path, machine()).estimate


def test_a_narrowed_invocation_predicts_only_the_cells_it_measures(tmp_path):
    config = quick_config(remeasure=["go"])
    others = [c.raw_path for c in plan(quick_config(), tmp_path, machine()).cells if c.runtime != "go"]
    write_intact_raw(tmp_path, others, config["repeats"])  # what remeasure leaves alone was measured
    found = plan(config, tmp_path, machine())
    go = [c for c in found.cells if c.runtime == "go"]
    assert found.estimate.startswith(
        f"{len(go)} cells, {len(go) * config['repeats']} cell runs, "
    )  # quick: 8 a container


def test_a_record_without_the_fields_of_a_cost_is_left_out_not_a_crash():
    from parbench.estimate import seen_cells

    settings = {"params": {"cpu_loop": {"iterations": 1}}}
    old = {"runtime": "go", "workload": "cpu_loop", "image_id": "sha256:x", "params": {"iterations": 1}}
    assert seen_cells([old], {"go": "sha256:x"}, settings) == {}


def test_the_model_aims_past_the_target_as_the_harness_does():
    from harness import PREDICTION_OVERSHOOT

    assert OVERSHOOT == PREDICTION_OVERSHOOT


def test_a_divided_loop_is_calibrated_in_units_so_a_long_loop_no_longer_sets_the_container():
    long_loop = 2.0
    history = records(GIL, [5.0, 4.0], long_loop)
    whole = settings([GIL2], max_values=1)
    divided = settings([GIL2], max_values=1, units={"cpu_loop": 100})
    (as_loops,) = estimate_session(whole, seen_cells(history, IMAGES, whole)).costs
    (as_units,) = estimate_session(divided, seen_cells(history, IMAGES, divided)).costs
    target = CALIBRATION_MARGIN * whole["min_time"]
    # Two GIL workers make a 4 s loop: whole loops time it as it is; 100 units of 40 ms are calibrated to the target.
    assert as_loops.later == pytest.approx(0.25 + OVERHEAD + 2 * long_loop)
    passes = OVERSHOOT * target
    assert as_units.later == pytest.approx(0.25 + OVERHEAD + whole["warmup"] * 2 * long_loop / 100 + passes)


def test_records_of_other_units_give_a_loops_time_but_not_their_containers_seconds():
    divided = settings([GIL], units={"cpu_loop": 10})
    seen = seen_cells(records(GIL, [3.0, 2.0], 0.01), IMAGES, divided)
    assert seen[GIL.raw_path].per_loop == 0.01 and seen[GIL.raw_path].later is None
    same = [{**r, "units": 10} for r in records(GIL, [3.0, 2.0], 0.01)]
    assert seen_cells(same, IMAGES, divided)[GIL.raw_path].later == 2.0


def test_a_session_that_measured_fewer_cell_runs_than_planned_says_why():
    from parbench.progress import unneeded_phrase

    assert unneeded_phrase(108, 102) == "; 6 of the 108 planned not run: their cells stopped early"
    assert unneeded_phrase(108, 108) == "" and unneeded_phrase(12, 14) == ""  # all planned, or more: nothing to say
