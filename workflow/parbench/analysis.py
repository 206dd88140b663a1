"""The analysis layer's one entry for its readers: comparisons and the claims they decide.

The report renders what this returns and computes nothing of its own; a
caller without comparisons.csv (tests, a hand-run report) gets it made here
from runs and summary, the same way the comparisons rule makes it.
"""

from __future__ import annotations

import pandas as pd

from .claims import Claim, all_claims
from .comparisons import comparisons_table
from .flavours import with_flavours


def analysed(
    summary: pd.DataFrame, runs: pd.DataFrame, catalogue: dict, comparisons: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, list[Claim]]:
    """(comparisons, claims): comparisons as given or made from runs and summary, and every claim's verdict."""
    comparisons = comparisons_table(runs, summary) if comparisons is None else comparisons
    return comparisons, all_claims(comparisons, with_flavours(summary, catalogue), runs)
