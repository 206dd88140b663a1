"""Adaptive rounds: the stopping rule on quiet and noisy cells, and a session that follows it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from parbench.aggregate import runs_table, summary_table
from parbench.journal import Journal
from parbench.matrix import Cell
from parbench.session import Session
from parbench.stopping import (
    BUDGET,
    PRECISE,
    REPEATS,
    UNFINISHED,
    StopRule,
    budget_spent,
    budget_stopped,
    rounds_taken,
    stop_interval,
    stop_reason,
)

from fixtures import record

QUIET = [1.000, 1.004, 0.998, 1.002, 1.001, 0.999]  # within ±0.5 %
NOISY = [1.00, 1.12, 0.91, 1.05, 0.95, 1.08]  # ±10 %


def test_a_quiet_cell_stops_at_the_fewest_rounds():
    assert [stop_reason(QUIET[:n], 0.02, 4, 6) for n in range(1, 7)] == [None, None, None, PRECISE, PRECISE, REPEATS]
    assert rounds_taken(QUIET, 0.02, 4, 6) == (4, PRECISE)


def test_a_noisy_cell_goes_on_to_repeats():
    assert [stop_reason(NOISY[:n], 0.02, 4, 6) for n in range(1, 6)] == [None] * 5
    assert rounds_taken(NOISY, 0.02, 4, 6) == (6, REPEATS)
    assert rounds_taken(NOISY[:5], 0.02, 4, 6) == (5, UNFINISHED)  # a session that did not end


def test_precision_zero_is_fixed_rounds_and_a_wider_precision_stops_noise_too():
    assert rounds_taken(QUIET, 0.0, 4, 6) == (6, REPEATS)
    assert rounds_taken(NOISY, 0.2, 4, 6) == (4, PRECISE)


def test_one_outlier_among_four_keeps_the_cell_going():
    # The range is the interval below 6 containers: one container 5 % off is enough to go on.
    assert stop_reason([1.0, 1.0, 1.0, 1.05], 0.02, 4, 6) is None


def test_from_six_containers_the_rule_holds_the_95_percent_interval_not_the_range():
    values = [1.0, 1.001, 0.999, 1.0, 1.002, 0.998, 1.0, 1.001, 1.2, 0.8]  # two wild containers among ten
    low, high = stop_interval(values)
    assert (low, high) != (min(values), max(values)) and 0.99 < low <= high < 1.01
    assert stop_reason(values, 0.02, 4, 12) == PRECISE
    assert stop_interval(values[:4]) == (0.999, 1.001)  # below 6: the range


def test_the_rule_from_settings_and_from_settings_before_adaptive_rounds():
    rule = StopRule.of({"repeats": 6, "min_rounds": 4, "precision": 0.02})
    assert (rule.fewest, rule.reason(QUIET[:4])) == (4, PRECISE)
    legacy = StopRule.of({"repeats": 6})  # every cell took all its rounds
    assert (legacy.fewest, legacy.reason(QUIET[:4]), legacy.reason(QUIET)) == (6, None, REPEATS)
    assert StopRule.of({"repeats": 2, "min_rounds": 4, "precision": 0.02}).fewest == 2


class FakeSession(Session):
    """A session whose containers return prepared figures instead of running Docker."""

    def __init__(self, settings, journal, figures):
        super().__init__(settings, {}, "host", journal, 60, 0, lambda line: None, lambda line: None, labels={})
        self.prepared = {cell: list(values) for cell, values in figures.items()}
        self.ran: list[tuple[int, str]] = []

    def measure_one(self, order, round_index, cell):
        self.ran.append((round_index, cell.raw_path))
        seconds = self.prepared[cell].pop(0)
        record = {"warmup": False, "seconds": seconds, "checksum": 1.0}
        return {
            "order": order,
            "round": round_index,
            "cell": cell.raw_path,
            "loops": 1,
            "values": 1,
            "records": [record],
        }


def cells() -> list[Cell]:
    return [Cell("go", "cpu_loop", "goroutines", "0", 1), Cell("go", "alloc", "goroutines", "0", 1)]


def settings(**changes) -> dict:
    return {
        "cells": [c.raw_path for c in cells()],
        "repeats": 6,
        "min_rounds": 4,
        "precision": 0.02,
        "seed": 3,
    } | changes


def test_a_session_skips_the_later_rounds_of_a_settled_cell_and_resumes_the_same_way(tmp_path: Path):
    quiet, noisy = cells()
    journal = Journal(tmp_path / "journal.jsonl", {"session": "s"})
    session = FakeSession(settings(), journal, {quiet: QUIET, noisy: NOISY})
    session.costs = [1.0] * len(session.plan)  # each container's predicted seconds (estimate.py)
    session.run()
    assert sum(session.costs) == 10  # the settled cell's two later rounds no longer count toward time left
    taken = {cell: sum(1 for _, path in session.ran if path == cell.raw_path) for cell in cells()}
    assert taken == {quiet: 4, noisy: 6}
    rounds_of_noisy = [r for r, path in session.ran if path == noisy.raw_path]
    assert rounds_of_noisy == list(range(6))  # interleaving holds for the cells still running
    # Interrupted after the first 5 containers: the resumed session measures exactly the rest.
    first = sorted(journal.entries, key=lambda e: e["order"])[:5]
    again = FakeSession(settings(), Journal(tmp_path / "j2.jsonl", {"session": "s"}, list(first)), {})
    again.prepared = {
        cell: list(values)[sum(1 for e in first if e["cell"] == cell.raw_path) :]
        for cell, values in {quiet: QUIET, noisy: NOISY}.items()
    }
    again.run()
    assert len(first) + len(again.ran) == 10


def frame(figures: dict[str, list[float]]):
    """runs.csv of Go cells, one per mode, one value per container."""
    records = [
        record("go", mode, repeat=k, seconds=v) for mode, values in figures.items() for k, v in enumerate(values)
    ]
    return runs_table(records)


def test_summary_records_each_cells_rounds_and_why_it_stopped():
    summary = summary_table(frame({"goroutines": QUIET[:4], "sequential": NOISY}), rule=StopRule(6, 4, 0.02))
    summary = summary.set_index("mode")
    assert summary.loc["goroutines", ["n", "stopped"]].tolist() == [4, PRECISE]
    assert summary.loc["sequential", ["n", "stopped"]].tolist() == [6, REPEATS]
    assert np.isnan(summary.loc["goroutines", "ci_low"])  # 4 containers: no 95 % interval of the median is printed


@pytest.mark.parametrize("precision", [0.0, 0.5])
def test_summary_of_a_full_cell_says_repeats_whatever_the_precision(precision):
    summary = summary_table(frame({"goroutines": NOISY}), rule=StopRule(6, 4, precision))
    assert summary["stopped"].tolist() == [REPEATS] and summary["n"].tolist() == [6]


def test_summary_names_a_cell_short_of_its_rounds_unfinished():
    summary = summary_table(frame({"goroutines": NOISY[:3]}), rule=StopRule(6, 4, 0.02))
    assert summary["stopped"].tolist() == [UNFINISHED]


def test_the_report_says_how_many_cells_stopped_early():
    from parbench.report._measurement import rounds_sentence

    summary = pd.DataFrame({"stopped": [PRECISE, PRECISE, REPEATS]})
    settings = {"repeats": 6, "min_rounds": 4, "precision": 0.02}
    sentence = rounds_sentence(settings, summary)
    assert "2 of 3 cells stopped after 4 or more rounds" in sentence and "±2%" in sentence and "up to 6" in sentence
    assert rounds_sentence({"repeats": 6}, summary) == ""  # a session of fixed rounds says nothing of it
    assert rounds_sentence({"repeats": 2, "min_rounds": 4, "precision": 0.02}, summary) == ""  # quick.yaml's
    assert rounds_sentence(settings, pd.DataFrame({"median": [1.0]})) == ""  # tables from before the column


def test_the_report_says_what_a_budget_cut():
    from parbench.budgetcut import budget_sentence

    rounds = {"limit": "15m", "asked_repeats": 6, "repeats": 4}
    assert budget_sentence({"repeats": 4, "budget": rounds}) == " The budget of 15m left 4 of the 6 rounds asked."
    sets = {**rounds, "left_out": ["0-3", "0-7"]}
    said = budget_sentence({"repeats": 4, "budget": sets})
    assert said.startswith(" The budget of 15m left 4 of the 6 rounds asked. It left out CPU sets 0-3, 0-7, which no ")
    assert budget_sentence({"repeats": 6, "budget": {**rounds, "repeats": 6}}) == ""  # it cut nothing
    assert budget_sentence({"repeats": 6}) == ""
    spent = pd.DataFrame({"stopped": [BUDGET, BUDGET, REPEATS]})
    said = budget_sentence({"repeats": 6, "min_rounds": 4, "budget": {**rounds, "repeats": 6}}, spent)
    spent_part = " The budget of 15m was spent while measuring, so 2 cells with at least 4 rounds took no more"
    assert said.startswith(spent_part)


def test_the_merged_report_says_what_each_hosts_budget_cut():
    """A budget fits each node's session apart: the merged report names each host's cut, and only where it cut."""
    from parbench.merge import settings_of_hosts
    from parbench.render_merged import budget_lines

    per_host = [  # each host's sessions.json
        [
            {
                "host_label": "big",
                "settings": {"repeats": 6, "budget": {"limit": "1h", "asked_repeats": 6, "repeats": 6}},
            }
        ],
        [
            {"host_label": "small", "settings": {"repeats": 6}},
            {
                "host_label": "small",
                "settings": {"repeats": 3, "budget": {"limit": "1h", "asked_repeats": 6, "repeats": 3}},
            },
        ],
    ]
    settings_of = settings_of_hosts(per_host)
    assert settings_of["small"]["repeats"] == 3  # the latest session's
    summary = pd.DataFrame({"host": ["big", "small"], "stopped": [REPEATS, REPEATS]})
    assert budget_lines(summary, settings_of) == [
        "What each host's time budget cut:",
        "",
        "- small: The budget of 1h left 3 of the 6 rounds asked.",
        "",
    ]
    assert budget_lines(summary, {"big": settings_of["big"]}) == []
    # Cells a spent budget stopped count on their own host only.
    spent = pd.DataFrame({"host": ["big", "small", "small"], "stopped": [BUDGET, REPEATS, REPEATS]})
    lines = budget_lines(spent, {host: {**settings, "min_rounds": 2} for host, settings in settings_of.items()})
    assert lines[2].startswith("- big: The budget of 1h was spent while measuring, so 1 cell with at least 2 rounds")
    assert lines[3] == "- small: The budget of 1h left 3 of the 6 rounds asked."


def test_the_report_header_counts_containers_per_cell_as_a_range_under_adaptive_rounds():
    from parbench.report._header import containers_per_cell

    assert containers_per_cell({"repeats": 6, "min_rounds": 4, "precision": 0.02}) == "4 to 6"
    assert containers_per_cell({"repeats": 6, "min_rounds": 4, "precision": 0}) == "6"
    assert containers_per_cell({"repeats": 2, "min_rounds": 4, "precision": 0.02}) == "2"
    assert containers_per_cell({"repeats": 6, "min_rounds": 4, "precision": 0, "budget": {"limit": "9m"}}) == "4 to 6"
    # What the cells took, where summary.csv says: a range only where they differ.
    adaptive = {"repeats": 6, "min_rounds": 4, "precision": 0.02}
    assert containers_per_cell(adaptive, pd.DataFrame({"n": [6, 6, 6]})) == "6"
    assert containers_per_cell(adaptive, pd.DataFrame({"n": [5, 6, 4]})) == "4 to 6"
    assert containers_per_cell({"repeats": 2, "min_rounds": 4, "precision": 0}, pd.DataFrame({"n": [5]})) == "5"


def test_the_report_names_the_runtimes_it_measured():
    import yaml

    from parbench.report._header import runtimes_phrase

    catalogue = yaml.safe_load((Path(__file__).parents[1] / "config.yaml").read_text())["catalogue"]
    assert runtimes_phrase(catalogue, ["cpython-3.13", "cpython-3.13t", "go"]) == (
        "CPython 3.13 with the GIL, 3.13t (free-threaded) and Go"
    )
    assert runtimes_phrase(catalogue, ["cpython-3.13t", "go"]) == "CPython 3.13t (free-threaded) and Go"
    assert runtimes_phrase(catalogue, ["go"]) == "Go"
    twin = {**catalogue, "go-old": catalogue["go"]}  # two builds that read alike are named
    assert runtimes_phrase(twin, ["go", "go-old"]) == "go and go-old"


def test_the_tables_take_the_rounds_rule_from_the_session_a_budget_cut_not_from_the_config(tmp_path):
    import json

    from parbench.aggregate import session_stamps, stop_rule

    runs = frame({"goroutines": NOISY[:4]})  # session s1: 4 rounds, all a budget of 4 left
    config = {"repeats": 6, "min_rounds": 4, "precision": 0.02}
    assert stop_rule([], config) == StopRule(6, 4, 0.02)  # no stamp: the config
    (tmp_path / "sessions").mkdir()
    stamp = {"session": "s1", "settings": {**config, "repeats": 4, "budget": {"limit": "5m", "repeats": 4}}}
    (tmp_path / "sessions" / "s1.json").write_text(json.dumps(stamp))
    rule = stop_rule(session_stamps(runs, tmp_path), config)
    assert rule == StopRule(4, 4, 0.02, budget=True)
    assert summary_table(runs, rule=rule)["stopped"].tolist() == [REPEATS]  # not "unfinished"


def test_a_cell_a_spent_budget_stopped_at_min_rounds_is_budget_in_the_tables(tmp_path):
    import json

    from parbench.aggregate import session_stamps, stop_rule

    runs = frame({"goroutines": NOISY[:4], "sequential": NOISY[:3]})
    settings = {"repeats": 6, "min_rounds": 4, "precision": 0.02, "budget": {"limit": "1m", "repeats": 6}}
    (tmp_path / "sessions").mkdir()
    for spent in (False, True):
        stamp = {"session": "s1", "settings": settings, "budget_spent": spent}
        (tmp_path / "sessions" / "s1.json").write_text(json.dumps(stamp))
        summary = summary_table(runs, rule=stop_rule(session_stamps(runs, tmp_path), None)).set_index("mode")
        # Three containers are short of min_rounds whatever the budget: that session did not end.
        assert summary["stopped"].to_dict() == {"goroutines": BUDGET if spent else UNFINISHED, "sequential": UNFINISHED}


def test_a_budget_stops_nothing_until_spent_and_then_only_cells_with_min_rounds():
    rule = StopRule.of({"repeats": 6, "min_rounds": 4, "precision": 0.0, "budget": {"limit": "1m"}})
    assert rule.fewest == 4  # a budget may end a cell at min_rounds even under fixed rounds
    assert [rule.reason(NOISY[:n]) for n in (3, 4, 6)] == [None, None, REPEATS]
    spent = StopRule.of({"repeats": 6, "min_rounds": 4, "precision": 0.0, "budget": {"limit": "1m"}}, spent=True)
    assert [spent.reason(NOISY[:n]) for n in (3, 4, 5, 6)] == [None, BUDGET, BUDGET, REPEATS]
    assert StopRule.of({"repeats": 6, "min_rounds": 4, "precision": 0.0}).fewest == 6  # no budget: fixed rounds


def test_a_budget_is_spent_by_the_journals_measuring_time():
    settings = {"budget": {"limit": "1m"}}
    assert not budget_spent(settings, [{"elapsed": 30.0}, {"elapsed": 29.5}])
    assert budget_spent(settings, [{"elapsed": 30.0}, {"elapsed": 30.0}])
    assert not budget_spent({}, [{"elapsed": 1e9}])  # no budget, nothing to spend


def test_a_spent_budget_counts_only_the_cells_it_stopped_not_those_already_precise():
    settings = {"repeats": 6, "min_rounds": 4, "precision": 0.02, "budget": {"limit": "1m"}}
    quiet, noisy = "results/raw/go/a.jsonl", "results/raw/go/b.jsonl"
    figures = {quiet: [1.0, 1.0, 1.0, 1.0], noisy: NOISY[:4]}
    entries = [
        {"order": 2 * index + k, "cell": cell, "records": [{"seconds": values[index]}], "elapsed": 8.0}
        for index in range(4)
        for k, (cell, values) in enumerate(figures.items())
    ]
    assert budget_spent(settings, entries) and budget_stopped(settings, entries) == 1  # 64 s of 60
    assert budget_stopped(settings, entries[:-1]) == 0  # 56 s: not spent


def test_a_session_that_spends_its_budget_stops_every_cell_at_min_rounds_and_resumes_alike(tmp_path, monkeypatch):
    import parbench.session

    clock = [0.0]
    monkeypatch.setattr(parbench.session.time, "monotonic", lambda: clock[0])

    class Timed(FakeSession):
        def measure_one(self, order, round_index, cell):
            clock[0] += 10.0  # every container takes 10 s
            return super().measure_one(order, round_index, cell)

    a, b = cells()
    budgeted = settings(budget={"limit": "30s", "asked_repeats": 6, "repeats": 6})
    journal = Journal(tmp_path / "journal.jsonl", {"session": "s"})
    said: list[str] = []
    session = Timed(budgeted, journal, {a: NOISY, b: NOISY})
    session.say = said.append
    session.run()
    # Spent after the third container; both noisy cells still take their 4 rounds, then no more.
    assert len(session.ran) == 8 and session.rule.spent
    assert [line for line in said if "spent" in line] == [
        "budget 30s spent (30 s of 30 s measuring): cells with at least 4 rounds take no more"
    ]
    assert budget_spent(budgeted, journal.entries) and budget_stopped(budgeted, journal.entries) == 2
    # Interrupted after 5 containers (50 s measured): the resumed session knows it spent the budget.
    first = sorted(journal.entries, key=lambda e: e["order"])[:5]
    again = Timed(budgeted, Journal(tmp_path / "j2.jsonl", {"session": "s"}, list(first)), {a: NOISY[2:], b: NOISY[2:]})
    assert again.rule.spent
    resumed: list[str] = []
    again.say = resumed.append
    again.run()
    assert len(first) + len(again.ran) == 8
    assert (
        resumed[0] == "budget 30s spent before this resume (50 s of 30 s measuring): "
        "cells with at least 4 rounds take no more"
    )
    # Without a budget the same cells take all 6 rounds.
    free = Timed(settings(), Journal(tmp_path / "j3.jsonl", {"session": "s"}), {a: NOISY, b: NOISY})
    free.run()
    assert len(free.ran) == 12
    # A budget of those 12 containers' 120 s is spent by the last one, which cuts no cell short.
    whole = settings(budget={"limit": "120s", "asked_repeats": 6, "repeats": 6})
    assert budget_spent(whole, free.journal.entries) and budget_stopped(whole, free.journal.entries) == 0
