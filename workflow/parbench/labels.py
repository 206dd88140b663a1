"""How figures of the analysis read in text: workload labels and benchstat-style ratios.

Formatting apart from computing: claims.csv and the report print ratios the
same way, so both ask here; nothing in this module computes a statistic.
"""

from __future__ import annotations

import math

from .specs import workload_kind

KIND_LABELS = {
    "interpreter": "interpreter-bound",
    "c_library": "C library, releases the GIL",
    "sleep": "sleep-bound",
    "coordination": "coordination",
    "other": "other",
}


def workload_label(workload: str) -> str:
    """The workload with its kind when that is not interpreter-bound: readers must not mistake hash for Python code."""
    kind = workload_kind(workload)
    return workload if kind == "interpreter" else f"{workload} ({KIND_LABELS[kind]})"


def fmt_ratio_ci(ratio: float, low: float, high: float, significant: bool, testable: bool = True) -> str:
    """benchstat's convention, `~` marking a difference that is not significant, and one word more.

    Where the containers are too few for the test to reach its level the ratio
    says `too few to test`: `~` would read as "no difference", which nobody
    could have found.
    """
    if ratio is None or math.isnan(ratio):
        return "–"
    if not testable:
        return f"{ratio:.2f}× (too few to test)"
    interval = "" if low is None or math.isnan(low) else f" ({low:.2f}–{high:.2f})"
    return f"{'' if significant else '~ '}{ratio:.2f}×{interval}"


def row_testable(row, testable: str = "testable", low: str = "ci_low") -> bool:
    """A row's `testable` column; in a table written before it existed, whether the ratio has an interval.

    Either way a ratio without an interval was too few to test (older tables
    had none only for single containers), so old and new tables read alike.
    """
    value = row.get(testable)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        interval = row.get(low)
        return interval is not None and not (isinstance(interval, float) and math.isnan(interval))
    return bool(value)


def fmt_row(row) -> str:
    """One comparison row as the report prints it: ratio, interval, `~` or `too few to test` where they apply."""
    if row["kind"] == "blog":
        return f"{row['ratio']:.2f}×"
    return fmt_ratio_ci(row["ratio"], row["ci_low"], row["ci_high"], bool(row["significant"]), row_testable(row))


def fmt_others(rows) -> str:
    """`fastest` rows, slowest last, as the report and the claims both print them: "RUNTIME MODE 1.51× (…); …"."""
    return "; ".join(f"{r['a_runtime']} {r['a_mode']} {fmt_row(r)}" for _, r in rows.sort_values("ratio").iterrows())


def fmt_seconds(value: float) -> str:
    """Seconds with three decimals below 10 s, two above; a dash where there is none.

    Below a millisecond (a Go cell of a quick run), two significant digits:
    three decimals would print it as 0.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if 0 < value < 0.001:
        return f"{value:.{1 - math.floor(math.log10(value))}f}"  # fixed point: 0.000050, never 5e-05
    return f"{value:.3f}" if value < 10 else f"{value:.2f}"


def markdown_table(frame) -> str:
    """A table as Markdown, or a note that it is empty."""
    return frame.to_markdown(index=False) if not frame.empty else "_no data_"
