"""The session journal: finished containers survive any interruption; a changed plan starts afresh."""

from __future__ import annotations

import json

import pytest

from parbench.errors import ParbenchError
from parbench.journal import open_journal, plan_key, resumed_at


def key(**changes) -> str:
    settings = {"cells": ["a", "b"], "repeats": 3, "seed": 1, **changes}
    return plan_key(settings, {"go": "sha256:1"}, {"python": "p", "go": "g"})


def test_plan_key_changes_with_anything_that_changes_what_is_measured():
    assert key() == key()
    assert len({key(), key(seed=2), key(repeats=4), key(cells=["a"])}) == 4
    assert plan_key({}, {"go": "sha256:1"}, {}) != plan_key({}, {"go": "sha256:2"}, {})


def test_a_budget_asked_anew_takes_an_unfinished_session_up_again():
    """What a budget chose is in the settings (repeats, cells); the budget itself only says when to stop."""
    assert key(budget={"limit": "1h", "repeats": 3}) == key() == key(budget={"limit": "2h", "repeats": 3})


def test_a_rerun_with_the_same_plan_resumes(tmp_path):
    said = []
    path = tmp_path / "journal.jsonl"
    first = open_journal(path, key(), "s1", said.append)
    first.append({"order": 0, "cell": "a", "records": []})
    first.append({"order": 1, "cell": "b", "records": []})
    again = open_journal(path, key(), "s2", said.append)
    assert again.session == "s1" and again.done() == {0, 1}
    assert said == ["resuming session s1: 2 cell run(s) already measured"]
    assert len(resumed_at(again)) == 1  # resumed, as the stamp will say


def test_a_changed_plan_keeps_the_old_journal_aside(tmp_path):
    said = []
    path = tmp_path / "journal.jsonl"
    open_journal(path, key(), "s1", said.append).append({"order": 0, "cell": "a", "records": []})
    fresh = open_journal(path, key(seed=9), "s2", said.append)
    assert fresh.session == "s2" and fresh.done() == set() and resumed_at(fresh) == []
    aside = tmp_path / "journal.s1.superseded.jsonl"
    assert aside.exists() and json.loads(aside.read_text().splitlines()[1])["order"] == 0
    assert "plan changed" in said[0]


def test_a_torn_last_line_is_dropped_a_damaged_middle_is_named(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = open_journal(path, key(), "s1", lambda line: None)
    journal.append({"order": 0, "cell": "a", "records": []})
    with open(path, "a") as f:
        f.write('{"order": 1, "cell"')
    assert open_journal(path, key(), "s2", lambda line: None).done() == {0}
    path.write_text(path.read_text().replace('"order": 0', '"order: 0', 1) + "\n")
    with pytest.raises(ParbenchError, match="is damaged"):
        open_journal(path, key(), "s3", lambda line: None)


def test_session_counts_take_each_containers_start_up_once():
    from types import SimpleNamespace

    from parbench.sessionrecords import session_counts

    def rec(warmup, total, startup=0.3, retries=1):
        return {"warmup": warmup, "total_seconds": total, "startup_seconds": startup, "retries": retries}

    three_values = [rec(True, 0.1), rec(False, 0.4), rec(False, 0.4), rec(False, 0.4)]
    one_value = [rec(False, 2.0, startup=0.5, retries=0)]
    journal = SimpleNamespace(
        entries=[{"records": three_values, "elapsed": 2.0}, {"records": one_value, "elapsed": 2.6}]
    )
    counts = session_counts(journal)
    assert counts["containers"] == 2 and counts["retries"] == 1
    assert counts["startup_seconds"] == pytest.approx(0.8)  # 0.3 once for three values, then 0.5
    assert counts["timed_seconds"] == pytest.approx(3.2) and counts["warmup_seconds"] == pytest.approx(0.1)
    assert counts["wall_seconds"] == pytest.approx(4.6)
    assert "containers_started" not in counts  # one cell a container: the stamp stays as it was


def test_session_counts_say_how_many_containers_cells_shared():
    from types import SimpleNamespace

    from parbench.progress import containers_phrase
    from parbench.sessionrecords import session_counts

    def entry(order, first=None, cells=None):
        record = {"order": order, "warmup": False, "total_seconds": 0.2, "startup_seconds": 0.1, "retries": 0}
        if cells:
            record.update(container_order=first, container_cells=cells)
        return {"records": [record], "elapsed": 0.5}

    # Positions 0-2 shared one container, 3-4 another, and 5 had one alone (its group's last cell).
    entries = [entry(0, 0, 3), entry(1, 0, 3), entry(2, 0, 3), entry(3, 3, 2), entry(4, 3, 2), entry(5)]
    counts = session_counts(SimpleNamespace(entries=entries))
    assert (counts["containers"], counts["containers_started"]) == (6, 3)
    assert containers_phrase(counts) == "6 cell runs in 3 containers"
    assert containers_phrase({"containers": 6}) == "6 containers"
