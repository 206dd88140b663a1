"""What a time budget cut, in the words the report and the merged report both print.

A budget fits each session (on a cluster, each node's) apart, so the
single-host report says it once and the merged report once per host; the
words are made here, once, from the session's settings (what the plan cut)
and summary.csv's `stopped` (what running out cut).
"""

from __future__ import annotations

import pandas as pd

from . import runfacts
from .budget import cpusets_phrase
from .stopping import BUDGET


def budget_sentence(settings: dict, summary: pd.DataFrame | None = None) -> str:
    """What a time budget cut: rounds and whole CPU sets as planned (the settings), cells it stopped (summary)."""
    budget = settings.get("budget") if isinstance(settings.get("budget"), dict) else {}  # "15m": asked, not fitted
    stopped = runfacts.rounds_counts(summary).get(BUDGET, 0) if summary is not None else 0
    cuts = []
    if budget.get("repeats") is not None and budget.get("repeats") != budget.get("asked_repeats"):
        cuts.append(f"left {budget['repeats']} of the {budget['asked_repeats']} rounds asked")
    if budget.get("left_out"):
        sets = budget["left_out"]
        cuts.append(
            f"left out {cpusets_phrase(sets)}, which no claim's verdict reads "
            "(verdicts read one worker on the smallest set and the most CPUs on the largest; the scaling "
            "figures and the Amdahl fit have fewer points), so their cells are in no table"
        )
    if stopped:
        cuts.append(
            f"was spent while measuring, so {stopped} cell{'s' if stopped > 1 else ''} with "
            f"at least {settings.get('min_rounds')} rounds took no more (`stopped` is `budget`)"
        )
    subjects = [f"The budget of {budget.get('limit')}"] + ["It"] * len(cuts)
    return "".join(f" {subject} {cut}." for subject, cut in zip(subjects, cuts))
