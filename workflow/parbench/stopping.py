"""When a cell has taken enough rounds: adaptive rounds, one rule for the session and the tables.

A cell takes at least `min_rounds` containers and at most `repeats`. In
between it stops as soon as an interval of its median lies within
±`precision` of the median: a quiet cell is settled after a few containers,
a noisy one goes on to `repeats`. The interval is the distribution-free one
from order statistics (stats.median_ci) once there are enough containers for
it to reach 95 %; below that (4 or 5 containers) it is the containers' whole
range, the widest order-statistic interval there is, whose confidence is
1 - 2**(1 - n): 87.5 % at 4, 93.8 % at 5. At 6 and more the 95 % interval
lies inside the range, so the rule asks at least as much as the interval the
tables print; a cell that stopped at 4 or 5 has no 95 % interval of its
median to print (its ratios to other cells have theirs).

The default of 4 is the fewest containers at which a comparison of two cells
can be tested at all: with 4 against 4, the exact Mann-Whitney test's
smallest two-sided p-value is 2/70 = 0.029 < 0.05; 3 against 3 gives 0.10.

A time budget (budget.py) plans fewer rounds to fit; if the session still
spends its budget, measuring time summed over the journal (so a resumed
session decides alike), every cell that has `min_rounds` containers takes no
more: rounds past the minimum are the ones a budget may cut. Cells short of
it go on to `min_rounds`, so a session overruns its budget by at most those.

Stopping on a narrow interval is optional stopping: cells that happened to
look quiet stop, so intervals computed afterwards are a little too narrow.
`benchmarks/stopping.py` measures what that does to coverage, by simulation
and on the reference run's recorded rounds.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .config import parse_duration
from .stats import MIN_SAMPLES_FOR_CI, median_ci

PRECISE = "precise"  # stopped early: the interval lies within ±precision of the median
REPEATS = "repeats"  # reached the most rounds a cell may take
UNFINISHED = "unfinished"  # fewer containers than the rule asks for: the session did not end
BUDGET = "budget"  # had min_rounds when the session's time budget was spent


@dataclass(frozen=True)
class StopRule:
    """How many rounds a cell takes: at least `min_rounds`, at most `repeats`, ending once precise.

    Settings from before adaptive rounds name only `repeats`: every cell took
    them all, so the rule falls back to fixed rounds. With a budget in the
    settings a cell may also stop at `min_rounds` once the budget is `spent`.
    """

    repeats: int
    min_rounds: int
    precision: float
    budget: bool = False  # the settings hold a time budget
    spent: bool = False  # and the session spent it

    @classmethod
    def of(cls, settings: Mapping, spent: bool = False) -> StopRule:
        repeats = int(settings["repeats"])
        return cls(
            repeats,
            int(settings.get("min_rounds", repeats)),
            float(settings.get("precision", 0.0)),
            budget=bool(settings.get("budget")) or spent,  # a spent budget was one, in whichever session
            spent=spent,
        )

    @property
    def fewest(self) -> int:
        """The fewest containers a finished cell holds."""
        return min(self.min_rounds, self.repeats) if self.precision > 0 or self.budget else self.repeats

    def reason(self, values: Sequence[float]) -> str | None:
        why = stop_reason(values, self.precision, self.min_rounds, self.repeats)
        if why is None and self.budget and self.spent and len(values) >= self.fewest:
            return BUDGET
        return why


def rounds_rule(settings: Mapping, budget: bool) -> tuple:
    """What decides each cell's rounds: `repeats`, `min_rounds` and `precision`, less those that cannot matter.

    With `min_rounds` at or above `repeats` every cell takes `repeats`, however
    precise; with `precision` 0 and no budget (which stops cells at
    `min_rounds` once spent) every cell takes them too. Settings whose rules
    agree here measure alike (budgetplan.kept_alike).
    """
    rule = replace(StopRule.of(settings), budget=budget)  # the rule's own `fewest` says it
    return (rule.repeats,) if rule.fewest >= rule.repeats else (rule.repeats, rule.min_rounds, rule.precision)


def measure_alike(a: Mapping, b: Mapping, budget: bool) -> bool:
    """Whether two sessions' settings measure alike: the same but for rounds settings whose rules agree."""

    def besides_rounds(settings: Mapping) -> dict:
        return {key: value for key, value in settings.items() if key not in ("min_rounds", "precision")}

    same_rest = "repeats" in a and "repeats" in b and besides_rounds(a) == besides_rounds(b)
    return same_rest and rounds_rule(a, budget) == rounds_rule(b, budget)


def budget_seconds(settings: Mapping) -> float | None:
    """The session's time budget in seconds, or None for none."""
    budget = settings.get("budget")
    return parse_duration(budget["limit"]) if isinstance(budget, Mapping) and budget.get("limit") else None


def measuring_seconds(entries: Iterable[Mapping]) -> float:
    """The time a session's journal entries took to measure (each container and the checks around it)."""
    return sum(float(entry.get("elapsed") or 0.0) for entry in entries)


def budget_spent(settings: Mapping, entries: Iterable[Mapping]) -> bool:
    """Whether the journal's measuring time reached the settings' budget: a function of the journal alone."""
    limit = budget_seconds(settings)
    return limit is not None and measuring_seconds(entries) >= limit


def container_figure(entry: Mapping) -> float:
    """A journal entry's figure for the rule: the median of its container's measured (not warm-up) values."""
    measured = [record["seconds"] for record in entry["records"] if not record.get("warmup")]
    return statistics.median(measured) if measured else 0.0


def budget_stopped(settings: Mapping, entries: Sequence[Mapping]) -> int:
    """How many cells a spent budget stopped short: 0 where it was not spent, or only once every cell had settled.

    The stamp keeps it, so raising the budget later measures again only what
    this one cut (budgetplan.spent_before).
    """
    if not budget_spent(settings, entries):
        return 0
    figures: dict[str, list[float]] = {}
    for entry in sorted(entries, key=lambda e: e["order"]):
        figures.setdefault(entry["cell"], []).append(container_figure(entry))
    rule = StopRule.of(settings, spent=True)
    return sum(rule.reason(values) == BUDGET for values in figures.values())


def stopped_short(stamp: Mapping) -> bool:
    """Whether a session's stamp says its spent budget stopped cells short.

    Where it did, its cells' rounds say where the budget left them, not what
    they need. A stamp from before the count (`budget_stopped`) says only that
    the budget was spent, which is taken to mean it did.
    """
    return bool(stamp.get("budget_stopped", stamp.get("budget_spent")))


def stop_interval(values: Sequence[float]) -> tuple[float, float]:
    """The interval the rule holds to ±precision: the 95 % one from 6 containers on, else the range."""
    data = np.asarray(values, dtype=float)
    if data.size >= MIN_SAMPLES_FOR_CI:
        return median_ci(data)
    return (float(data.min()), float(data.max())) if data.size else (math.nan, math.nan)


def precise(values: Sequence[float], precision: float) -> bool:
    """Whether the interval of the median lies within ±precision (a fraction) of it."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return False
    centre = float(np.median(data))
    low, high = stop_interval(data)
    return bool(centre > 0 and low >= centre * (1 - precision) and high <= centre * (1 + precision))


def stop_reason(values: Sequence[float], precision: float, min_rounds: int, repeats: int) -> str | None:
    """Why a cell with these container figures (in round order) takes no more rounds, or None to go on."""
    if len(values) >= repeats:
        return REPEATS
    if precision > 0 and len(values) >= min_rounds and precise(values, precision):
        return PRECISE
    return None


def rounds_taken(values: Sequence[float], precision: float, min_rounds: int, repeats: int) -> tuple[int, str]:
    """How many of these containers (a fixed-rounds run's, in round order) the rule would have kept, and why.

    The rule applied to recorded rounds: what an adaptive session would have
    measured, for comparing it with the fixed one (benchmarks/stopping.py).
    """
    for n in range(1, len(values) + 1):
        reason = stop_reason(values[:n], precision, min_rounds, repeats)
        if reason:
            return n, reason
    return len(values), REPEATS if len(values) >= repeats else UNFINISHED
