"""How it was measured: what a timed section holds, the CPU sets, provenance and container start-up."""

from __future__ import annotations

import pandas as pd

from .. import runfacts
from ..budgetcut import budget_sentence
from ..comparisons import workload_label
from ..progress import cells_per_container
from ..specs import timed_section, undivided
from ..stopping import PRECISE
from ._format import markdown_table
from ._inputs import ReportInputs
from ._provenance import provenance_section

TIMING_KEYS = ("min_time", "calibration_margin", "warmup", "values_time", "max_values")


def loops_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """Passes per timed section, units per loop and values per container, per workload: ranges over its cells."""
    ranges = runfacts.loop_ranges(runs)
    return pd.DataFrame(
        {
            "workload": ranges["workload"].map(workload_label),
            "one loop of the timed section holds": ranges["workload"].map(lambda w: timed_section(w) or "–"),
            "units per loop": [units_cell(w, u) for w, u in zip(ranges["workload"], ranges["units"])],
            "passes per timed section": ranges["loops"],
            "values per container": ranges["values"],
        }
    )


def units_cell(workload: str, units: str) -> str:
    """The units a workload's loop was divided into, or why it is not divided."""
    why = undivided(workload)
    return f"1 ({why})" if units == "1" and why else units


def stamp_totals(stamps: list[dict] | None, runs: pd.DataFrame) -> str:
    """Warm-up cost against timed seconds: from the stamps, else from runs.csv's columns, else unknown."""
    cost = runfacts.warmup_cost(stamps, runs)
    if cost is None:
        return "What the warm-ups cost is unknown: these tables predate the record of it."
    warm, timed, where = cost
    return f"Warm-ups and calibration cost {warm:.1f} s against {timed:.1f} s of timed sections ({where})."


def timing_differences(stamps: list[dict] | None) -> str:
    """A sentence naming each session's timing settings when the sessions behind the tables differ in them."""
    seen = {s.get("session"): tuple((s.get("settings") or {}).get(k) for k in TIMING_KEYS) for s in stamps or []}
    if len(set(seen.values())) <= 1:
        return ""
    return (
        " The sessions behind these tables timed differently ("
        + "; ".join(
            f"{session}: " + ", ".join(f"{k} {v}" for k, v in zip(TIMING_KEYS, values))
            for session, values in seen.items()
        )
        + "); the sentence above is the first session's."
    )


def values_sentence(settings: dict) -> str:
    """How many values a container measures, and why a cell's statistics still count containers."""
    values_time, max_values = settings.get("values_time"), settings.get("max_values")
    if not values_time or not max_values or max_values < 2:
        return "Each container measures one value. "
    return (
        f"A container measures as many values as make {values_time:g} s (at most {max_values}), as pyperf takes "
        "several values per process, so a short section does not pay a container start-up each; a cell's "
        "statistics take each container's median, so its n counts containers, the independent repeats. "
    )


def rounds_sentence(settings: dict, summary: pd.DataFrame) -> str:
    """How many rounds the cells took, when the session stopped quiet cells early (adaptive rounds)."""
    counts = runfacts.rounds_counts(summary)
    precision, fewest = settings.get("precision"), settings.get("min_rounds")
    # With min_rounds at or above repeats (quick.yaml) no cell could stop early: nothing to say.
    if not counts or not precision or fewest is None or fewest >= settings.get("repeats", fewest):
        return ""
    early, total = counts.get(PRECISE, 0), sum(counts.values())
    return (
        f" {early} of {total} cells stopped after {fewest} or more rounds, once the interval of their median lay "
        f"within ±{precision:.0%} of it; the others took up to {settings.get('repeats')} (summary.csv's `n` "
        "and `stopped`)."
    )


def sharing_sentence(settings: dict) -> str:
    """Where cells shared containers: how many at most, and what that leaves independent."""
    most = cells_per_container(settings)
    if most <= 1:
        return ""
    return (
        f" Up to {most} cells of one round that share an image and a CPU set ran in one container, each a fresh "
        "process of its own, one after the other (the A/A twin never beside its original); a cell's run is its "
        "repeat, and its container time is its own seconds inside plus an equal share of the container's start."
    )


def calibration_rule(settings: dict, config: dict) -> str:
    """How long a timed section lasts at least, as the first session's stamp (or the config) says."""
    min_time = settings.get("min_time", config.get("min_time"))
    margin = settings.get("calibration_margin")
    if not min_time:
        return "no calibration: one pass per section"
    target = (
        f"{margin:g} × min_time = {margin * min_time:g} s, with room for noise"
        if margin
        else f"min_time = {min_time} s (this stamp predates the recorded margin)"
    )
    return (
        f"a calibration predicts the loops from a cold pass, as testing.B does, until a section lasts at least {target}"
    )


def timed_section_lines(inp: ReportInputs) -> list[str]:
    settings = inp.settings
    warmup = settings.get("warmup", inp.config.get("warmup"))
    return [
        "### What a timed section holds",
        "",
        "A measured value is the task set run `loops` passes back to back, a pass being one loop or, where a "
        "workload's loop divides into units, one unit of it "
        f"({calibration_rule(settings, inp.config)}); "
        "`seconds` is per configured loop (total_seconds / loops × units). A cell's first container calibrates, "
        "and its calibration trials are its warm-up. Later containers of cells with more than one pass run "
        f"{warmup} unmeasured warm-up(s) of one pass first, as does spawn (not calibrated); a calibrated "
        "one-pass section lasts the minimum by itself and runs none. "
        + values_sentence(settings)
        + stamp_totals(inp.stamps, inp.runs)
        + timing_differences(inp.stamps)
        + rounds_sentence(settings, inp.summary)
        + budget_sentence(settings, inp.summary)
        + sharing_sentence(settings),
        "",
        markdown_table(loops_rows(inp.runs)),
        "",
    ]


CPUSET_FLAGS = (
    ("smt_shared", "two CPUs share a physical core (SMT)"),
    ("spans_numa", "spans NUMA nodes"),
    ("mixed_speed", "mixed core speeds"),
)


def cpuset_rows(stamps: list[dict]) -> pd.DataFrame:
    """Each CPU set's physical cores and NUMA nodes, flagged where workers shared a core or crossed nodes."""
    rows = {}
    for stamp in stamps:
        for cpuset, about in (stamp.get("cpusets") or {}).items():
            flags = [name for key, name in CPUSET_FLAGS if about.get(key)]
            cores = about.get("physical_cores", about.get("cores", []))
            nodes = about.get("numa_nodes", about.get("nodes", []))
            rows[cpuset] = {
                "CPU set": cpuset,
                "physical cores": ", ".join(map(str, cores)) or "–",
                "NUMA nodes": ", ".join(map(str, nodes)) or "–",
                "flags": "; ".join(flags) or "none",
            }
    return pd.DataFrame(list(rows.values()))


def cpuset_lines(inp: ReportInputs) -> list[str]:
    lines = ["### CPU sets", ""]
    if not inp.stamps:
        return lines + ["No session stamp: which physical cores each CPU set used is unknown.", ""]
    return lines + [markdown_table(cpuset_rows(inp.stamps)), ""]


def startup_lines(runs: pd.DataFrame) -> list[str]:
    per_runtime = runfacts.startup_medians(runs)
    if per_runtime.empty:
        return []
    return [
        "Container start-up, outside every timed section (outside wall time minus in-process time, median): "
        + ", ".join(f"{runtime} {seconds:.2f} s" for runtime, seconds in per_runtime.items())
        + ".",
        "",
    ]


def measurement_section(inp: ReportInputs) -> list[str]:
    return [
        "## How it was measured",
        "",
        *timed_section_lines(inp),
        *cpuset_lines(inp),
        *provenance_section(inp),
        *startup_lines(inp.runs),
    ]
