"""A budget kept apart from what is measured (budgetplan.py): only what it chose, or a spent one, measures again."""

import json

import pytest
from test_plan import machine, quick_config, write_intact_raw

from parbench.budget import format_duration
from parbench.budgetplan import BUDGET, SETTINGS, apart, joined, spent_before
from parbench.estimate import estimate_session
from parbench.matrix import Cell
from parbench.plan import plan
from parbench.provenance import stamp_path


def measured_as(root, found, session="s1", budget=None, spent=False, cut=None):
    """The project as a finished session of `found` leaves it: raw files, its stamp, its settings files.

    `cut` None: a stamp from before `budget_stopped` was kept, which says only whether the budget was spent.
    """
    write_intact_raw(root, found.raw_paths, json.loads(found.settings)["repeats"])
    stamp = {"session": session, "settings": joined(json.loads(found.settings), budget)}
    if budget is not None:
        stamp["budget_spent"] = spent
    if cut is not None:
        stamp["budget_stopped"] = cut
    path = stamp_path(root / "results/raw", session)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stamp))
    (root / SETTINGS).parent.mkdir(parents=True, exist_ok=True)
    (root / SETTINGS).write_text(found.settings)
    (root / BUDGET).write_text(found.budget)


def test_the_budget_is_taken_apart_from_the_settings_and_joined_back_as_the_session_runs_with_it():
    settings, budget = apart(json.dumps({"repeats": 4, "budget": {"limit": "1m", "repeats": 4}}))
    assert json.loads(settings) == {"repeats": 4} and json.loads(budget) == {"limit": "1m", "repeats": 4}
    assert apart(json.dumps({"repeats": 6}))[1] == "null"
    assert joined({"repeats": 4}, json.loads(budget)) == {"repeats": 4, "budget": {"limit": "1m", "repeats": 4}}
    assert joined({"repeats": 6}, None) == {"repeats": 6}


@pytest.mark.parametrize("before, after", [(None, "1h"), ("1h", "2h"), ("1h", None)])
def test_a_budget_that_cuts_nothing_leaves_what_is_measured_as_it_was(tmp_path, before, after):
    """Added, raised or dropped over results measured in full: the settings file's text does not change."""
    first = plan(quick_config(repeats=6, budget=before), tmp_path, machine())
    measured_as(tmp_path, first, budget=json.loads(first.budget))
    again = plan(quick_config(repeats=6, budget=after), tmp_path, machine())
    assert again.settings == first.settings and json.loads(again.settings)["repeats"] == 6
    assert (json.loads(again.budget) or {}).get("limit") == after
    assert not again.renew_session and again.repair == {} and again.measured == again.cells


def test_a_budget_that_cuts_rounds_changes_what_is_measured(tmp_path):
    first = plan(quick_config(repeats=6), tmp_path, machine())
    measured_as(tmp_path, first)
    budget = format_duration(estimate_session(json.loads(first.settings), {}).with_rounds(4).seconds)
    cut = plan(quick_config(repeats=6, budget=budget), tmp_path, machine())
    assert json.loads(cut.settings)["repeats"] < 6 and cut.settings != first.settings


@pytest.mark.parametrize(
    "spent, cut, asked, again",
    [
        (True, 3, "2h", True),  # raised: the cells it stopped short take the rounds they need
        (True, 1, None, True),  # dropped
        (True, None, "2h", True),  # an older stamp: spent, but not how many cells it cut
        (True, 3, "1h", False),  # the same budget: the same session
        (True, 3, "30m", False),  # a smaller one would leave them shorter still
        (True, 0, "2h", False),  # spent only once every cell had settled: it cut nothing
        (False, 0, "2h", False),  # it was not spent: every cell stopped for its own reasons
    ],
)
def test_results_a_spent_budget_stopped_short_are_measured_again_under_another(tmp_path, spent, cut, asked, again):
    first = plan(quick_config(repeats=6, budget="1h"), tmp_path, machine())
    measured_as(tmp_path, first, budget=json.loads(first.budget), spent=spent, cut=cut)
    found = plan(quick_config(repeats=6, budget=asked), tmp_path, machine())
    assert found.respent is again and found.renew_session is again
    said = [n for n in found.notices if "spent its budget" in n]
    if again:
        short = {None: "some cells", 1: "1 cell", 3: "3 cells"}[cut]
        assert said == [
            f"session s1 spent its budget of 1h while measuring, so {short} stopped short: with "
            f"{f'budget {asked}' if asked else 'no budget'} this run measures the cells again"
        ]
        assert found.measured == found.cells and found.narrowing == ""
    else:
        assert said == []


def test_a_raw_file_without_a_readable_first_record_or_stamp_says_nothing_was_spent(tmp_path):
    cell = Cell.from_raw_path("results/raw/go/cpu_loop/goroutines/cpus-0-1_w2.jsonl")
    assert spent_before(tmp_path, [cell], "1h") is None  # no file
    (tmp_path / cell.raw_path).parent.mkdir(parents=True)
    (tmp_path / cell.raw_path).write_text("not json\n")
    assert spent_before(tmp_path, [cell], "1h") is None
    (tmp_path / cell.raw_path).write_text('{"session": "gone"}\n')
    assert spent_before(tmp_path, [cell], "1h") is None  # its stamp is missing


def test_a_remeasure_asked_now_wins_over_a_spent_budgets_cells(tmp_path):
    first = plan(quick_config(repeats=6, budget="1h"), tmp_path, machine())
    measured_as(tmp_path, first, budget=json.loads(first.budget), spent=True)
    found = plan(quick_config(repeats=6, budget="2h", remeasure=["go"]), tmp_path, machine())
    assert not found.respent and not any("spent its budget" in n for n in found.notices)
    assert {cell.runtime for cell in found.measured} == {"go"} and found.narrowing == " --runtimes go"


def test_cells_a_spent_budget_stopped_at_min_rounds_are_no_repair_under_fixed_rounds(tmp_path):
    """With precision 0 a cell takes every round unless a budget is spent: then min_rounds are a whole cell."""
    config = quick_config(repeats=6, min_rounds=4, precision=0, budget="1h")
    first = plan(config, tmp_path, machine())
    measured_as(tmp_path, first, budget=json.loads(first.budget), spent=True)
    write_intact_raw(tmp_path, first.raw_paths[1:], 4)  # all but the first stopped at min_rounds
    again = plan(config, tmp_path, machine())
    assert again.repair == {} and not again.renew_session and again.notices == ["budget 1h: all 6 rounds fit"]
    write_intact_raw(tmp_path, first.raw_paths[:1], 3)  # below min_rounds: that one is damaged
    assert list(plan(config, tmp_path, machine()).repair) == first.raw_paths[:1]


def test_the_session_takes_the_budget_from_its_command_line_and_a_wrong_one_is_one_line():
    from parbench.errors import ParbenchError
    from parbench.measure import budget_record

    assert budget_record(None) is None and budget_record("null") is None
    assert budget_record('{"limit": "1h", "repeats": 6}') == {"limit": "1h", "repeats": 6}
    for wrong, why in (('{"limit": ', "is not JSON"), ('"1h"', "is no budget record"), ("{}", "is no budget record")):
        with pytest.raises(ParbenchError, match=f"^--budget .* {why}"):
            budget_record(wrong)


def test_the_plan_gives_the_session_its_budget_on_one_line(tmp_path):
    found = plan(quick_config(repeats=6, budget="1h"), tmp_path, machine())
    assert "\n" not in found.budget_line and json.loads(found.budget_line) == json.loads(found.budget)


@pytest.mark.parametrize(
    "first, then, alike",
    [
        ({"repeats": 2, "min_rounds": 4}, {"precision": 0}, True),  # quick.yaml: 2 fixed rounds either way
        ({"repeats": 2, "min_rounds": 4}, {"min_rounds": 3, "precision": 0.05}, True),
        ({"repeats": 6, "min_rounds": 4, "precision": 0}, {"min_rounds": 5}, True),  # fixed rounds, no budget
        ({"repeats": 6, "min_rounds": 4}, {"precision": 0}, False),  # adaptive rounds become fixed
        ({"repeats": 6, "min_rounds": 4}, {"min_rounds": 5}, False),
        ({"repeats": 2, "min_rounds": 4}, {"repeats": 3, "precision": 0}, False),
        ({"repeats": 6, "min_rounds": 4, "precision": 0, "budget": "1h"}, {"min_rounds": 5}, False),  # where it stops
    ],
)
def test_rounds_settings_that_cannot_change_a_cells_rounds_measure_nothing_again(tmp_path, first, then, alike):
    """The settings file keeps its text, so the session is not due: changing it would measure every cell again."""
    before = plan(quick_config(**first), tmp_path, machine())
    measured_as(tmp_path, before, budget=json.loads(before.budget))
    after = plan(quick_config(**{**first, **then}), tmp_path, machine())
    assert (after.settings == before.settings) is alike
    if not alike:
        assert json.loads(after.settings)["repeats"] == {**first, **then}["repeats"]


def test_a_budgets_choice_is_kept_over_settings_kept_for_rounds_that_measure_alike():
    """The settings file may keep an earlier `precision` (kept_alike): the budget's earlier choice still holds."""
    from parbench.budget import Fit, kept_choice, with_budget

    cells = [Cell.from_raw_path("results/raw/go/cpu_loop/goroutines/cpus-0-1_w2.jsonl")]
    asked = {"repeats": 6, "min_rounds": 4, "precision": 0.02, "seed": 1}
    earlier = with_budget(asked, cells, Fit(4), "1h")  # 4 rounds chosen: at min_rounds, precision cannot matter
    assert kept_choice(earlier, {**asked, "precision": 0}, cells, "1h") == Fit(4)
    assert kept_choice(earlier, {**asked, "seed": 2}, cells, "1h") is None  # a setting that measures otherwise
    five = with_budget(asked, cells, Fit(5), "1h")  # 5 of 6: precision decides where cells stop
    assert kept_choice(five, {**asked, "precision": 0}, cells, "1h") is None


def test_a_budgets_choice_is_said_by_rounds_and_the_sizes_of_the_cpu_sets_left_out():
    from parbench.budget import choice_text

    assert choice_text({"repeats": 6}) == "6 rounds"  # no budget
    assert choice_text({"repeats": 6, "budget": {"limit": "1h", "asked_repeats": 6, "repeats": 6}}) == "6 rounds"
    cut = {"repeats": 4, "budget": {"limit": "5m", "repeats": 4, "left_out": ["0-3", "0,8"]}}
    assert choice_text(cut) == "4 rounds; 2, 4 CPUs left out"  # sizes: nodes may name their sets otherwise
