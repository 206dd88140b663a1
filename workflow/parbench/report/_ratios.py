"""The rows of comparisons.csv as tables: ratios between runtimes, scaling, variants and the noise floor."""

from __future__ import annotations

import pandas as pd

from ..comparisons import fmt_row, workload_label
from ..labels import fmt_others, fmt_seconds
from ._format import folded, markdown_table
from ._inputs import ReportInputs

RATIO_COLUMNS = [
    ("free-threaded", "gil", "3.13t / 3.13"),
    ("gil", "go", "3.13 / Go"),
    ("free-threaded", "go", "3.13t / Go"),
]


def ratio_cell(group: pd.DataFrame, a_flavour: str, b_flavour: str) -> str:
    rows = group[(group["a_flavour"] == a_flavour) & (group["b_flavour"] == b_flavour)]
    return fmt_row(rows.iloc[0]) if not rows.empty else "–"


def ratios_section(inp: ReportInputs) -> list[str]:
    """Build and runtime ratios per workload and CPU count: threads against threads or goroutines."""
    c = inp.comparisons
    kinds = ["build", "runtime", "blog"] if inp.builtins_measured else ["build", "runtime"]  # the blog's is cpu_loop
    c = c[c["kind"].isin(kinds) & (c["b_workers"] == c["b_cpus"]) & (c["a_mode"] == "threads") & (c["a_variant"] == "")]
    if c.empty:
        return []
    rows = []
    for (host, workload, cpus), group in c.groupby(["host", "workload", "b_cpus"], sort=True):
        name = "blog (cpu_loop)" if host == "blog" else workload_label(workload)
        rows.append(
            {"workload": name, "CPUs": int(cpus), **{title: ratio_cell(group, a, b) for a, b, title in RATIO_COLUMNS}}
        )
    return [
        "## Ratios of median times",
        "",
        "Time of the first over time of the second, in threads mode (Go: goroutines), one worker per CPU; "
        "above 1 the second is faster. spawn is left out: its timed section releases and joins parked "
        "workers and compares nothing.",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
    ]


def way(row: pd.Series, side: str) -> str:
    return f"{row[f'{side}_runtime']} {row[f'{side}_mode']}"


def fastest_groups(comparisons: pd.DataFrame) -> list[tuple[tuple, pd.DataFrame]]:
    """The `fastest` rows of each workload and CPU set (all against the same fastest way), as fastest_rows made them."""
    rows = comparisons[comparisons["kind"] == "fastest"]
    return list(rows.groupby(["host", "workload", "b_cpuset"], sort=True))


def fastest_line(comparisons: pd.DataFrame, workload: str) -> str:
    """One workload's answer on the most CPUs: the fastest Python way, and each other's time over its time."""
    groups = [(key, group) for key, group in fastest_groups(comparisons) if key[1] == workload]
    if not groups:
        return ""
    _, group = max(groups, key=lambda pair: int(pair[1]["b_cpus"].iloc[0]))  # the first of the largest sets
    best = group.iloc[0]
    others = fmt_others(group)
    return (
        f"Fastest in Python with one worker per CPU ({int(best['b_cpus'])} CPUs, set {best['b_cpuset']}): "
        f"{way(best, 'b')}, "
        f"{fmt_seconds(best['b_median'])} s a loop; the others take, over its time: {others}."
    )


def fastest_section(inp: ReportInputs) -> list[str]:
    """Every Python way to run each workload with one worker per CPU, against the fastest of them."""
    groups = fastest_groups(inp.comparisons)
    if not groups:
        return []
    rows = []
    for (_, workload, cpuset), group in groups:
        best = group.iloc[0]
        row = {"workload": workload_label(workload), "CPU set": cpuset, "fastest": way(best, "b")}
        row.update({way(r, "a"): fmt_row(r) for _, r in group.iterrows()})
        rows.append(row | {way(best, "b"): "1"})
    table = pd.DataFrame(rows)
    table = table[[*table.columns[:3], *sorted(table.columns[3:])]].fillna("–")
    return [
        "## The fastest way in Python",
        "",
        "For each workload, every Python build and mode with one worker per CPU against the fastest of them on "
        "that CPU set: its time over the fastest's, above 1 slower. The same work runs in every mode, so this "
        "is the choice between threads and processes, and between the builds, for that code on this machine. "
        "`~`: not significantly slower than the fastest, so either will do.",
        "",
        markdown_table(table),
        "",
    ]


def efficiency_text(row: pd.Series) -> str:
    if pd.isna(row["efficiency_low"]):
        return f"{row['efficiency']:.0%}"
    return f"{row['efficiency']:.0%} ({row['efficiency_low']:.0%}–{row['efficiency_high']:.0%})"


def scaling_table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "workload": rows["workload"].map(workload_label),
            "runtime": rows["a_runtime"],
            "mode": rows["a_mode"],
            "variant": rows["a_variant"],
            "workers": rows["b_workers"],
            "CPUs": rows["b_cpus"],
            "speedup (95 % CI)": [fmt_row(r) for _, r in rows.iterrows()],
            "ideal": rows["ideal"].astype(int),
            "efficiency (95 % CI)": [efficiency_text(r) for _, r in rows.iterrows()],
        }
    )


def amdahl_lines(comparisons: pd.DataFrame) -> list[str]:
    fits = comparisons[comparisons["kind"] == "amdahl"]
    if fits.empty:
        counts = sorted({1, *comparisons.loc[comparisons["kind"] == "scaling", "b_cpus"].astype(int)})
        return [
            f"An Amdahl fit (serial fraction) needs speedups at three or more CPU counts; this run has "
            f"{', '.join(map(str, counts))}.",
            "",
        ]
    shown = pd.DataFrame(
        {
            "workload": fits["workload"].map(workload_label),
            "runtime": fits["a_runtime"],
            "mode": fits["a_mode"],
            "variant": fits["a_variant"],
            "serial fraction (95 % CI)": [
                f"{r['ratio']:.1%} ({r['ci_low']:.1%}–{r['ci_high']:.1%})" for _, r in fits.iterrows()
            ],
        }
    )
    return [
        "Amdahl's law fitted to every container's speedup (scipy curve_fit; interval from its covariance):",
        "",
        markdown_table(shown),
        "",
    ]


def scaling_section(inp: ReportInputs) -> list[str]:
    rows = inp.comparisons[inp.comparisons["kind"] == "scaling"]
    if rows.empty:
        return []
    return [
        "## Scaling",
        "",
        "Speedup is throughput over one worker of the same runtime and mode (W × T1 / TW where every worker "
        "does the full work, T1 / TW where it is split). Ideal is one per CPU, or one per worker for io_wait, "
        "whose workers sleep and need no CPU (so 16 sleeping workers on 2 CPUs can reach 16). `~`: not "
        "significantly different from no speedup; `too few to test`: too few containers for the test to tell.",
        "",
        *amdahl_lines(inp.comparisons),
        *folded(
            f"Speedup and efficiency of all {len(rows)} multi-worker cells",
            [markdown_table(scaling_table(rows.sort_values(["workload", "a_runtime", "a_mode", "b_cpus"])))],
        ),
    ]


def switch_name(variant: str, config: dict) -> str:
    env = ((config.get("variants") or {}).get(variant) or {}).get("env") or {}
    return " ".join(f"{k}={v}" for k, v in env.items()) or variant


def variants_section(inp: ReportInputs) -> list[str]:
    rows = inp.comparisons[inp.comparisons["kind"].isin(["gil", "variant"])]
    if rows.empty:
        return []
    shown = pd.DataFrame(
        {
            "workload": rows["workload"].map(workload_label),
            "runtime": rows["a_runtime"],
            "mode": rows["a_mode"],
            "switch": rows["a_variant"].map(lambda v: switch_name(v, inp.config)),
            "CPUs": rows["b_cpuset"],
            "workers": rows["b_workers"],
            "time with / without (95 % CI)": [fmt_row(r) for _, r in rows.iterrows()],
        }
    )
    return [
        "## Variants: one effect at a time",
        "",
        "The same image, mode and CPU set with and without one environment switch; above 1 the switch made "
        "it slower. PYTHON_GIL=1 on 3.13t isolates the GIL from the build.",
        "",
        markdown_table(shown),
        "",
    ]


def noise_section(inp: ReportInputs) -> list[str]:
    rows = inp.comparisons[inp.comparisons["kind"] == "noise_floor"]
    lines = []
    for _, r in rows.iterrows():
        cell = (
            f"{r['a_runtime']} {r['workload']} {r['a_mode']} on CPUs {r['a_cpuset']} ({int(r['a_workers'])} worker(s))"
        )
        lines += [
            f"{cell} was measured twice in the same session (an A/A run): twin ratio {fmt_row(r)}. "
            "This is that one cell's resolution, not the whole run's: every other cell's own interval "
            "says its precision.",
            "",
        ]
    return ["## Noise floor (A/A run)", "", *lines] if lines else []
