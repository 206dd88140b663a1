"""The report's opening paragraph: what was compared, how times and intervals are to be read."""

from __future__ import annotations

import pandas as pd

from ..budgetcut import budget_sentence
from ..names import FREE_THREADED, GO, PYTHON_FLAVOURS, catalogue_flavour
from ._format import ci_statement
from ._inputs import ReportInputs
from ._provenance import engine_gap_lines, engines_phrase


def several_values(config: dict) -> str:
    """The clause saying a container's figure is the median of its values, when containers take several."""
    if (config.get("max_values") or 1) < 2 or not config.get("values_time"):
        return ""
    return (
        f" that measures up to {config['max_values']} values (as many as make {config['values_time']:g} s); "
        "a container's figure is the median of its values"
    )


def session_settings(inp: ReportInputs) -> dict:
    """The first session's settings (a budget may have lowered its rounds), else the config."""
    return inp.settings if "repeats" in inp.settings else inp.config


def containers_per_cell(config: dict, summary: pd.DataFrame | None = None) -> str:
    """`6`, or `4 to 6` where cells took different numbers (adaptive rounds, a spent budget: stopping.py).

    summary.csv's `n` says what the cells took; without it, what the settings allow.
    """
    if summary is not None and "n" in summary and summary["n"].notna().any():
        fewest, most = int(summary["n"].min()), int(summary["n"].max())
        return str(most) if fewest == most else f"{fewest} to {most}"
    repeats, fewest = config.get("repeats"), config.get("min_rounds")
    if (config.get("precision") or config.get("budget")) and fewest is not None and fewest < repeats:
        return f"{fewest} to {repeats}"
    return str(repeats)


def runtimes_phrase(catalogue: dict, runtimes: list[str]) -> str:
    """The measured runtimes in words: "CPython 3.13 with the GIL, 3.13t (free-threaded) and Go"."""
    words, cpython = [], False
    for runtime in runtimes:
        entry = catalogue.get(runtime)
        kind = catalogue_flavour(entry) if entry else None  # names.flavour: where the rule lives
        if kind not in PYTHON_FLAVOURS:
            words.append("Go" if kind == GO else runtime)
            continue
        version = ".".join(str(entry.get("version", "")).split(".")[:2]) or runtime
        name = f"{version}t (free-threaded)" if kind == FREE_THREADED else f"{version} with the GIL"
        words.append(name if cpython else f"CPython {name}")
        cpython = True
    if len(set(words)) < len(words):  # two builds read alike (two Go versions, an optimized twin): their names
        words = list(runtimes)
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)


def header_section(inp: ReportInputs) -> list[str]:
    config = inp.config
    measured = set(inp.summary["runtime"]) if "runtime" in inp.summary else set()
    runtimes = [r for r in config.get("runtimes") or [] if r in measured] or sorted(measured) or config["runtimes"]
    return [
        "# parbench report",
        "",
        f"{runtimes_phrase(config.get('catalogue') or {}, runtimes)} on the same workloads, each checksum verified. "
        f"Times are medians of {containers_per_cell(session_settings(inp), inp.summary)} containers per cell, one per "
        "interleaved round "
        f"(seed {config.get('seed')}), each {engines_phrase(inp.stamps)} pinned to a CPU set{several_values(config)}. "
        f"{ci_statement(inp.summary)} "
        "Ratios are of median times with 95 % intervals that invert the exact Mann-Whitney U test, so an "
        "interval excludes 1 exactly when the test finds a difference (p ≤ 0.05); `~` marks no significant "
        "difference, as benchstat does, and `too few to test` a pair whose containers are too few for the test "
        "to reach p ≤ 0.05 at all (3 against 3, say). Every ratio here is a row of comparisons.csv, every "
        "verdict a row of claims.csv.",
        "",
        *[part for line in engine_gap_lines(inp.stamps) for part in (f"**Not enforced:** {line}", "")],
        *budget_lines(inp),
    ]


def budget_lines(inp: ReportInputs) -> list[str]:
    """What a time budget cut, up front: fewer rounds widen every interval, and left-out CPU sets are in no table."""
    said = budget_sentence(inp.settings, inp.summary).strip()  # the stamp's: the config's budget is only asked
    return [f"**Time budget:** {said}", ""] if said else []
