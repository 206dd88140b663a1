"""A time budget for a session: `budget: 15m` fits the session into it by taking fewer rounds.

The planner lowers `repeats` (the most rounds a cell may take) until the
predicted session fits, never below `min_rounds`; a budget too small for
min_rounds rounds of every cell is refused before anything is built, with the
smallest budget that would do. Leaving cells out to fit is not done yet: the
user drops them from the config instead.
"""

from __future__ import annotations

import math

from .config import parse_duration
from .errors import ParbenchError
from .estimate import Estimate


def format_duration(seconds: float) -> str:
    """A budget as a user writes one, rounded up: 45s, 18m, 1h05m."""
    if seconds < 60:
        return f"{max(math.ceil(seconds), 1)}s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes % 60 else f"{minutes // 60}h"


def fit_rounds(estimate: Estimate, budget: str, repeats: int, min_rounds: int) -> int:
    """The most rounds, from `repeats` down to `min_rounds`, whose predicted session fits the budget.

    Raises ParbenchError (one line, with the smallest budget that would do)
    when even min_rounds rounds of every cell do not fit.
    """
    limit = parse_duration(budget)
    floor = min(min_rounds, repeats)
    for rounds in range(repeats, floor - 1, -1):
        if estimate.with_rounds(rounds).seconds <= limit:
            return rounds
    need = estimate.with_rounds(floor).seconds
    raise ParbenchError(
        f"budget {budget} cannot hold {floor} rounds of {estimate.cells} cells "
        f"(about {format_duration(need)} predicted): raise budget to at least {format_duration(need)}, "
        "or drop cells from the config"
    )
