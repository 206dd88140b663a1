"""`parbench time`: the sessions behind the tables by default, every one with --all, and what a budget did."""

from __future__ import annotations

import json

import pytest

from parbench.errors import ParbenchError
from parbench.timeuse import load, spent_phrase


def stamp(session: str, **more) -> dict:
    counts = {"containers": 2, "wall_seconds": 2.0, "timed_seconds": 1.5, "warmup_seconds": 0.1}
    return {"session": session, "startup_seconds": 0.2, "settings": {"min_time": 0.1}, **counts, **more}


def project(tmp_path):
    """A results folder whose plan lists one raw file (session new); an older session's file is not listed."""
    results = tmp_path / "results"
    (results / "raw/sessions").mkdir(parents=True)
    (results / "session").mkdir()
    for session, name in (("old", "gone.jsonl"), ("new", "kept.jsonl")):
        (results / "raw/sessions" / f"{session}.json").write_text(json.dumps(stamp(session)))
        (results / "raw" / name).write_text(json.dumps({"session": session, "runtime": "go", "warmup": False}) + "\n")
    (results / "session/cells.txt").write_text("results/raw/kept.jsonl\n")
    return results


def test_the_sessions_behind_the_plans_raw_files_unless_all_are_asked(tmp_path):
    results = project(tmp_path)
    stamps, records = load(results)
    assert [s["session"] for s in stamps] == ["new"] and [r["session"] for r in records] == ["new"]
    stamps, records = load(results, every=True)
    assert [s["session"] for s in stamps] == ["new", "old"] and len(records) == 2
    copy = results.rename(tmp_path / "copy-2024")  # a results folder by another name reads its plan alike
    assert [s["session"] for s in load(copy)[0]] == ["new"]
    results = copy
    (results / "session/cells.txt").unlink()  # a folder without a plan (a bundle's): everything in it
    assert len(load(results)[0]) == 2


def test_no_stamp_behind_the_plan_is_one_line(tmp_path):
    from parbench.timeuse import time_lines

    results = project(tmp_path)
    (results / "raw/sessions/new.json").unlink()
    with pytest.raises(ParbenchError, match="no session stamps in .* for the plan's raw files"):
        time_lines(results)


def test_a_spent_budget_is_named_with_the_cells_it_stopped():
    spent = {"settings": {"budget": {"limit": "15m"}}, "budget_spent": True}
    assert spent_phrase({**spent, "budget_stopped": 3}) == " (budget 15m spent, 3 cells stopped short)"
    assert spent_phrase({**spent, "budget_stopped": 1}) == " (budget 15m spent, 1 cell stopped short)"
    assert spent_phrase(spent) == " (budget 15m spent)"  # a stamp from before the count
    assert spent_phrase({**spent, "budget_spent": False, "budget_stopped": 0}) == ""
