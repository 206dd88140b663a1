"""The blog's figures, quoted: what it measured, how, and its three ratios as comparison rows.

The blog ran its loop once per runtime, 16 threads on 16 cores; these are
its numbers, not ours, kept apart so no measured figure is mistaken for one.
"""

from __future__ import annotations

import math

from .names import FREE_THREADED, GIL, GO, GOROUTINES, THREADS

BLOG = {GIL: 79.27, FREE_THREADED: 16.19, GO: 0.11}  # seconds of one run each
BLOG_WORKERS = 16
BLOG_PARAMS = "iterations=50000000"


def blog_side(prefix: str, flavour: str) -> dict:
    """One side of a quoted comparison, in comparisons.csv's columns."""
    return {
        f"{prefix}_runtime": f"blog {flavour}",
        f"{prefix}_flavour": flavour,
        f"{prefix}_mode": GOROUTINES if flavour == GO else THREADS,
        f"{prefix}_variant": "",
        f"{prefix}_cpuset": "",
        f"{prefix}_cpus": BLOG_WORKERS,
        f"{prefix}_workers": BLOG_WORKERS,
        f"{prefix}_session": "blog",
        f"{prefix}_n": 1,
        f"{prefix}_median": BLOG[flavour],
    }


def blog_rows() -> list[dict]:
    """The blog's three single runs as comparisons in comparisons.csv's directions (quoted, no intervals)."""
    rows = []
    for a, b in ((FREE_THREADED, GIL), (GIL, GO), (FREE_THREADED, GO)):
        rows.append(
            {
                "kind": "blog",
                "statistic": "time_ratio",
                "host": "blog",
                "workload": "cpu_loop",
                "workload_kind": "interpreter",
                "params": BLOG_PARAMS,
                "ratio": BLOG[a] / BLOG[b],
                "ci_low": math.nan,
                "ci_high": math.nan,
                "p_value": math.nan,
                "significant": False,
                "testable": False,  # one run against one: no test can tell
                **blog_side("a", a),
                **blog_side("b", b),
            }
        )
    return rows
