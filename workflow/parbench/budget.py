"""A time budget for a session: `budget: 15m` fits the session into it, first by rounds, then by CPU sets.

The planner lowers `repeats` (the most rounds a cell may take) until the
predicted session fits, never below `min_rounds`. If even that is too long,
it leaves out whole CPU sets between the smallest and the largest, the most
costly first: every claim's verdict reads one worker on the smallest set against the
most CPUs, so the sets in between only draw the scaling curve. A budget that
cannot hold `min_rounds` rounds of the cells on those two sets is refused
before anything is built, with the smallest budget that would do.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass

from .config import parse_duration
from .cpusets import parse_cpuset
from .errors import ParbenchError
from .estimate import Estimate
from .matrix import Cell, by_size
from .stopping import measure_alike


@dataclass(frozen=True)
class Fit:
    """What a budget leaves: the most rounds per cell, and the CPU sets it leaves out (smallest first)."""

    repeats: int
    left_out: tuple[str, ...] = ()

    def keeps(self, cell: Cell) -> bool:
        return cell.cpuset not in self.left_out

    def estimate(self, estimate: Estimate, cells: list[Cell]) -> Estimate:
        """The predicted session of the cells it keeps, at its rounds."""
        return estimate.only(cell.raw_path for cell in cells if self.keeps(cell)).with_rounds(self.repeats)


def format_duration(seconds: float) -> str:
    """A budget as a user writes one, rounded up to the second: 45s, 9m12s, 18m, 1h05m, 1h00m30s.

    Not rounded to minutes: the refusal names the smallest budget that would do, and a minute's
    rounding would name one up to 59 s larger than needed.
    """
    hours, rest = divmod(max(math.ceil(seconds), 1), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    if minutes or (hours and secs):
        parts.append(f"{minutes:02d}m" if hours else f"{minutes}m")
    if secs:
        parts.append(f"{secs:02d}s" if parts else f"{secs}s")
    return "".join(parts)


def claimed_cpusets(cells: list[Cell]) -> tuple[str, ...]:
    """The CPU sets every claim reads: the smallest (one worker) and the largest (the most CPUs)."""
    sets = by_size({cell.cpuset for cell in cells})
    return tuple(dict.fromkeys([sets[0], sets[-1]])) if sets else ()


def fit(estimate: Estimate, cells: list[Cell], budget: str, repeats: int, min_rounds: int) -> Fit:
    """The most rounds, then the fewest CPU sets left out, whose predicted session fits the budget.

    Rounds go first (down to min_rounds), as they cost precision, not
    answers; then the sets between the smallest and the largest, each time
    the one predicted to cost most, so as few as possible go. Raises
    ParbenchError (one line, with the smallest budget that would do) when
    min_rounds rounds of the claims' CPU sets do not fit.
    """
    limit = parse_duration(budget)
    floor = min(min_rounds, repeats)
    for rounds in range(repeats, floor - 1, -1):
        if estimate.with_rounds(rounds).seconds <= limit:
            return Fit(rounds)
    at_floor = estimate.with_rounds(floor)
    cpuset_of = {cell.raw_path: cell.cpuset for cell in cells}
    cost: dict[str, float] = defaultdict(float)
    for spent in at_floor.costs:
        cost[cpuset_of[spent.cell]] += spent.seconds
    claimed = claimed_cpusets(cells)
    left_out: list[str] = []
    for cpuset in sorted((s for s in cost if s not in claimed), key=lambda s: (-cost[s], s)):
        left_out.append(cpuset)
        if sum(cost.values()) - sum(cost[s] for s in left_out) <= limit:
            return Fit(floor, tuple(by_size(set(left_out))))
    need = sum(cost[s] for s in claimed)
    needed = sum(cell.cpuset in claimed for cell in cells)
    where = " and ".join(claimed)
    raise ParbenchError(
        f"budget {budget} cannot hold {floor} rounds of the {needed} cells the claims need "
        f"(CPU set{'s' if len(claimed) > 1 else ''} {where}; {format_duration(need)} predicted): "
        f"raise budget to at least {format_duration(need)}, or drop runtimes or workloads from the config"
    )


def cpusets_phrase(sets) -> str:
    """`CPU set 1` or `CPU sets 0-1, 0-3`, as the run's line and the report name the sets left out."""
    return f"CPU set{'s' if len(sets) > 1 else ''} {', '.join(sets)}"


def cut_text(chosen: Fit, asked: int, cells: list[Cell]) -> str:
    """What the budget cut, in the words the run prints: rounds, and the CPU sets left out with their cells."""
    rounds = f"{chosen.repeats} rounds instead of {asked}" if chosen.repeats < asked else f"all {asked} rounds fit"
    if not chosen.left_out:
        return rounds
    count = sum(not chosen.keeps(cell) for cell in cells)
    return (
        f"{rounds}; leaves out {cpusets_phrase(chosen.left_out)} "
        f"({count} cells; the claims' verdicts read the smallest and the largest)"
    )


def choice_text(settings: dict) -> str:
    """What a budget decides of a session's settings, by CPU set size: `4 rounds`, `4 rounds; 2, 4 CPUs left out`.

    A cluster node is measured again where the submitting machine's prediction
    of it differs from its last session's (due.choice_change), so a new budget
    remeasures only the nodes whose choice it changes; with no budget, or one
    that cuts nothing, it is the same text. Sizes, not names: a node may name its sets
    otherwise than the submitting machine predicts them.
    """
    left_out = ((settings.get("budget") or {}).get("left_out")) or []
    sizes = sorted(len(parse_cpuset(text)) for text in left_out)
    rounds = f"{settings['repeats']} round{'' if settings['repeats'] == 1 else 's'}"
    return f"{rounds}; {', '.join(map(str, sizes))} CPUs left out" if sizes else rounds


def with_budget(settings: dict, cells: list[Cell], chosen: Fit, budget: str) -> dict:
    """The settings with a budget's choice applied: its cells, its rounds, and a record of what it cut."""
    record = {"limit": budget, "asked_repeats": settings["repeats"], "repeats": chosen.repeats}
    if chosen.left_out:  # only then, so a budget's settings from before sets could be left out stay as they were
        record["left_out"] = list(chosen.left_out)
    return {
        **settings,
        "cells": [cell.raw_path for cell in cells if chosen.keeps(cell)],
        "repeats": chosen.repeats,
        "budget": record,
    }


@dataclass(frozen=True)
class Budgeted:
    """A session as a budget leaves it: its settings' text, its cells, its predicted cost, what to say."""

    settings: str
    cells: list[Cell]
    estimate: Estimate
    said: list[str]


def budgeted(settings: dict, cells: list[Cell], estimate: Estimate, budget: str | None, earlier: dict) -> Budgeted:
    """The session a budget allows (fewer rounds, then fewer CPU sets), and what to say of the cut.

    The settings record the budget, the repeats asked, the repeats chosen and
    any CPU sets left out, so the stamp says what the budget cut (a local
    plan then keeps the budget's record apart: budgetplan.apart). The choice
    recorded in `earlier` (the settings, budget joined in, that this session
    was planned with before) is kept while it gives the same settings: the
    records that session then wrote change the prediction, and a new choice
    would measure it all again. A local session and each cluster node
    (hostsession.py) decide it here.
    """
    if budget is None:
        return Budgeted(json.dumps(settings, sort_keys=True, indent=1), cells, estimate, [])
    asked = settings["repeats"]
    chosen = kept_choice(earlier, settings, cells, budget) or fit(
        estimate, cells, budget, asked, settings["min_rounds"]
    )
    return Budgeted(
        json.dumps(with_budget(settings, cells, chosen, budget), sort_keys=True, indent=1),
        [cell for cell in cells if chosen.keeps(cell)],
        chosen.estimate(estimate, cells),
        [f"budget {budget}: {cut_text(chosen, asked, cells)}"],
    )


def kept_choice(earlier: dict, settings: dict, cells: list[Cell], budget: str) -> Fit | None:
    """The choice an earlier plan made for this budget, if it gives exactly the settings it wrote then."""
    chosen = earlier.get("budget")
    if not isinstance(chosen, dict) or chosen.get("limit") != budget or not isinstance(chosen.get("repeats"), int):
        return None
    again = Fit(chosen["repeats"], tuple(chosen.get("left_out") or ()))
    # The settings file may keep rounds settings that measure alike (budgetplan.kept_alike).
    return again if measure_alike(with_budget(settings, cells, again, budget), earlier, True) else None
