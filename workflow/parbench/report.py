"""results/report.md, results/claims.csv and results/figures/: what a reader needs, top-down.

The report opens with a summary that fits on one screen (the blog's table on
this machine, one line per claim, links to the figures), then the figures, then
details, with the per-cell table, configuration and environment folded in an
appendix. Every ratio it prints is a row of comparisons.csv, every claim a row
of claims.csv, every cell figure a row of summary.csv; provenance comes from
the session stamps (sessions.json) written while measuring. The blog's own
figures are quoted as such, never mixed with ours.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from . import environment  # noqa: E402
from .aggregate import container_keys, one_row_per_container, per_container, read_table  # noqa: E402
from .atomic import atomic_path, write_text_atomic  # noqa: E402
from .claims import CHECK, Claim, all_claims, average_time_per_thread, claims_table  # noqa: E402
from .comparisons import (
    BLOG,
    BLOG_WORKERS,
    comparisons_table,
    fmt_row,  # noqa: E402
    read_comparisons,
    workload_kind,
    workload_label,
)
from .config import workload_params  # noqa: E402
from .errors import ParbenchError, main_guard  # noqa: E402
from .specs import TIMED_SECTION, WORKLOADS, params_label  # noqa: E402
from .stats import MIN_SAMPLES_FOR_CI, differs, ratio_ci  # noqa: E402

PARALLEL_MODE = {"cpython": "threads", "go": "goroutines"}


def flavour(entry: dict) -> str:
    """Which of the blog's three rows a catalogue entry corresponds to."""
    if entry["kind"] == "go":
        return "go"
    return "free-threaded" if entry["free_threading"] else "gil"


def fmt_seconds(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.3f}" if value < 10 else f"{value:.2f}"


def fmt_ci(row) -> str:
    if math.isnan(row["ci_low"]):
        return f"n={row['n']} too few"
    return f"{fmt_seconds(row['ci_low'])} – {fmt_seconds(row['ci_high'])}"


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows measured without a variant's switch (and not the A/A twin)."""
    return frame[frame["variant"] == ""]


def with_flavours(summary: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """summary with the blog's row name (gil, free-threaded, go) of each runtime."""
    return summary.assign(flavour=summary["runtime"].map(lambda runtime: flavour(catalogue[runtime])))


def headline_rows(summary: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """The blog's table on this machine: each runtime's parallel mode on all CPUs it had, the seed's loop."""
    summary = plain(summary)
    summary = summary[summary["workload"] == "cpu_loop"]
    rows = []
    for runtime, group in summary.groupby("runtime", sort=False):
        entry = catalogue[runtime]
        cells = group[(group["mode"] == PARALLEL_MODE[entry["kind"]]) & (group["workers"] == group["cpus"])]
        if cells.empty:
            continue
        best = cells[cells["cpus"] == cells["cpus"].max()].iloc[0]
        rows.append(
            {
                "runtime": runtime,
                "flavour": flavour(entry),
                "workers": int(best["workers"]),
                "seconds": best["median"],
                "ci": fmt_ci(best),
                "blog_seconds": BLOG[flavour(entry)],
            }
        )
    return pd.DataFrame(rows)


RATIOS = [("gil", "free-threaded"), ("free-threaded", "go"), ("gil", "go")]


def ratio_name(numerator: str, denominator: str) -> str:
    return f"{numerator}_over_{denominator}".replace("-", "_")


def cell_seconds(runs: pd.DataFrame, cell: pd.Series, variant: str | None = None) -> list[float]:
    """The measured seconds of one cell, one per container (of `variant` if given, else of the cell's own)."""
    keys = ["host", "runtime", "workload", "params", "mode", "cpuset", "workers"]
    mask = (runs[keys] == cell[keys].values).all(axis=1)
    mask &= runs["variant"] == (cell["variant"] if variant is None else variant)
    return per_container(runs.loc[mask]).tolist()


def flavour_ratios(summary: pd.DataFrame, runs: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """GIL / free-threaded, free-threaded / Go and GIL / Go per CPU count, in each parallel mode.

    Each ratio of medians comes with a 95 % bootstrap interval and whether a
    Mann-Whitney U test tells the two samples apart (benchstat's `~` if not).
    """
    summary = plain(summary)
    summary = summary[summary["scaling"] != "none"]  # spawn's timed section is teardown, not work
    parallel = summary[
        summary.apply(lambda r: r["mode"] == PARALLEL_MODE[catalogue[r["runtime"]]["kind"]], axis=1)
        & (summary["workers"] == summary["cpus"])
    ]
    parallel = with_flavours(parallel, catalogue)
    rows = []
    for (workload, cpus), group in parallel.groupby(["workload", "cpus"]):
        fastest = group.sort_values("median").drop_duplicates("flavour").set_index("flavour")
        row = {"workload": workload, "cpus": int(cpus)}
        for numerator, denominator in RATIOS:
            name = ratio_name(numerator, denominator)
            if numerator in fastest.index and denominator in fastest.index:
                a = cell_seconds(runs, fastest.loc[numerator])
                b = cell_seconds(runs, fastest.loc[denominator])
                ratio, low, high = ratio_ci(a, b)
                row.update(
                    {name: ratio, f"{name}_low": low, f"{name}_high": high, f"{name}_significant": differs(a, b)}
                )
            else:
                row.update(
                    {name: math.nan, f"{name}_low": math.nan, f"{name}_high": math.nan, f"{name}_significant": False}
                )
        rows.append(row)
    return pd.DataFrame(rows)


def shown_in(references: tuple[str, ...], figures: dict[str, Path], report_dir: Path) -> str:
    """A claim's references as links to its figures and names of report sections."""
    parts = []
    for reference in references:
        kind, _, name = reference.partition(":")
        if kind == "figure" and name in figures:
            path = figures[name]
            rel = path.relative_to(report_dir) if path.is_relative_to(report_dir) else path
            parts.append(f"[{name} figure]({rel.as_posix()})")
        elif kind == "table":
            parts.append(f"§ {name}")
    return ", ".join(parts) or "–"


def workload_rows(config: dict) -> pd.DataFrame:
    """What each configured workload does, with its parameters: the experiment at a glance."""
    rows = []
    for name, entry in (config.get("workloads") or {}).items():
        if entry is None:
            continue
        rows.append(
            {
                "workload": name,
                "what it does": WORKLOADS[name].about,
                "parameters": params_label(workload_params(entry)).replace(",", ", "),
                "scaling": WORKLOADS[name].scaling,
            }
        )
    return pd.DataFrame(rows)


def markdown_table(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False) if not frame.empty else "_no data_"


def plot_figures(summary: pd.DataFrame, folder: Path) -> list[Path]:
    """Time and speedup against workers, one line per runtime and mode, per workload."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for workload, data in summary[summary["scaling"] != "none"].groupby("workload"):
        # Sequential cells are one point each (the no-pool baseline); the tables show them.
        scaling = data[(data["workers"] == data["cpus"]) & (data["mode"] != "sequential")]
        fig, (ax_time, ax_speed) = plt.subplots(1, 2, figsize=(11, 4.2))
        for (runtime, mode, variant), line in scaling.groupby(["runtime", "mode", "variant"]):
            line = line.sort_values("workers")
            label = f"{runtime} {mode}" + (f" [{variant}]" if variant else "")
            errors = [
                (line["median"] - line["ci_low"]).fillna(0).clip(lower=0),
                (line["ci_high"] - line["median"]).fillna(0).clip(lower=0),
            ]
            ax_time.errorbar(line["workers"], line["median"], yerr=errors, marker="o", capsize=3, label=label)
            ax_speed.plot(line["workers"], line["speedup"], marker="o", label=label)
        top = int(scaling["workers"].max()) if not scaling.empty else 1
        ax_speed.plot([1, top], [1, top], linestyle="--", color="grey", label="ideal")
        ax_time.set(
            xlabel="workers (= CPUs pinned)",
            ylabel="median wall time (s), log scale",
            yscale="log",
            title=f"{workload}: time",
        )
        ax_speed.set(
            xlabel="workers (= CPUs pinned)",
            ylabel="speedup over 1 worker",
            title=f"{workload}: speedup ({data['scaling'].iloc[0]} scaling)",
        )
        for ax in (ax_time, ax_speed):
            ax.set_xticks(sorted(scaling["workers"].unique()))
            ax.grid(alpha=0.3)
        ax_speed.legend(fontsize=7, loc="upper left")
        fig.tight_layout()
        path = folder / f"{workload}_scaling.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
        plt.close(fig)
        written.append(path)
    return written


# ---- inputs -----------------------------------------------------------------------------------------------------


@dataclass
class ReportInputs:
    """Everything the report is rendered from; sections read it and never compute figures of their own."""

    summary: pd.DataFrame
    runs: pd.DataFrame
    comparisons: pd.DataFrame
    claims: list[Claim]
    config: dict
    identities: list[dict] = field(default_factory=list)
    env: dict = field(default_factory=dict)
    stamps: list[dict] | None = None  # None: no sessions.json
    figures: list[Path] = field(default_factory=list)
    report_dir: Path = Path(".")


def read_stamps(path: Path | None) -> list[dict] | None:
    """The session stamps of sessions.json; None when there is no such file (older tables)."""
    if path is None or not path.is_file():
        return None
    try:
        return list(json.loads(path.read_text())["sessions"])
    except (json.JSONDecodeError, KeyError, TypeError):
        raise ParbenchError(f'{path} is not a sessions file (a "sessions" list); rerun the aggregate step') from None


def relative(path: Path, report_dir: Path) -> str:
    return (path.relative_to(report_dir) if path.is_relative_to(report_dir) else path).as_posix()


def folded(summary: str, body: list[str]) -> list[str]:
    """A <details> block: the reader sees one line and opens the rest if they want it."""
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def ci_statement(summary: pd.DataFrame) -> str:
    """What the interval of a median is with this run's repeats, said once."""
    counts = sorted(summary["n"].unique()) if not summary.empty else []
    if counts == [MIN_SAMPLES_FOR_CI]:
        return (
            f"With {MIN_SAMPLES_FOR_CI} repeats the 95 % confidence interval of a median is the min–max range "
            "(order statistics; it covers 97 %)."
        )
    return "Intervals of medians are order-statistic 95 % confidence intervals (none below 6 repeats)."


# ---- summary: one screen ---------------------------------------------------------------------------------------


def several_values(config: dict) -> str:
    """The clause saying a repeat is a container's median, when containers take several values."""
    if (config.get("max_values") or 1) < 2 or not config.get("values_time"):
        return ""
    return (
        f" that measures up to {config['max_values']} values (as many as make {config['values_time']:g} s); "
        "a repeat is that container's median"
    )


def header_section(inp: ReportInputs) -> list[str]:
    config = inp.config
    return [
        "# parbench report",
        "",
        "CPython 3.13 with the GIL, 3.13t (free-threaded) and Go on the same workloads, each checksum verified. "
        f"Times are medians of {config.get('repeats')} repeats in interleaved rounds (seed {config.get('seed')}), "
        f"each a `docker run` pinned to a CPU set{several_values(config)}. {ci_statement(inp.summary)} "
        "Ratios are of median times with "
        "95 % bootstrap intervals; `~` marks no significant difference (Mann-Whitney U, p ≥ 0.05), as benchstat "
        "does. Every ratio here is a row of comparisons.csv, every verdict a row of claims.csv.",
        "",
    ]


def times_go(comparisons: pd.DataFrame, flavour: str, cpus: int) -> str:
    """A runtime's cpu_loop time over Go's on `cpus` CPUs (one worker each), as comparisons.csv has it."""
    if flavour == "go":
        return "1"
    rows = comparisons[
        (comparisons["kind"] == "runtime")
        & (comparisons["workload"] == "cpu_loop")
        & (comparisons["a_flavour"] == flavour)
        & (comparisons["a_mode"] == "threads")
        & (comparisons["a_variant"] == "")
        & (comparisons["b_cpus"] == cpus)
        & (comparisons["b_workers"] == cpus)
    ]
    return fmt_row(rows.iloc[0]) if not rows.empty else "–"


def blog_times_go(comparisons: pd.DataFrame, flavour: str) -> str:
    rows = comparisons[
        (comparisons["kind"] == "blog") & (comparisons["a_flavour"] == flavour) & (comparisons["b_flavour"] == "go")
    ]
    return "1" if flavour == "go" else fmt_row(rows.iloc[0]) if not rows.empty else "–"


def blog_table_section(inp: ReportInputs) -> list[str]:
    head = headline_rows(inp.summary, inp.config["catalogue"])
    lines = ["## The blog's table, on this machine", ""]
    if head.empty:
        return lines + ["_no cpu_loop cell in the parallel modes_", ""]
    cpus = int(head["workers"].max())
    shown = pd.DataFrame(
        {
            "runtime": head["runtime"],
            "workers here": head["workers"],
            "time here (s)": head["seconds"].map(fmt_seconds),
            "95 % CI (s)": head["ci"],
            "× Go here": [times_go(inp.comparisons, f, cpus) for f in head["flavour"]],
            f"blog, {BLOG_WORKERS} workers (s)": head["blog_seconds"].map(fmt_seconds),
            "× Go in the blog": [blog_times_go(inp.comparisons, f) for f in head["flavour"]],
        }
    )
    return lines + [
        f"cpu_loop, threads or goroutines, one worker per CPU; the blog ran {BLOG_WORKERS} on "
        f"{BLOG_WORKERS} cores, this run {cpus} on {cpus}.",
        "",
        markdown_table(shown),
        "",
    ]


def claim_links(claim: Claim, inp: ReportInputs) -> str:
    figures = {path.stem.removesuffix("_scaling"): path for path in inp.figures}
    return shown_in(claim.shown_in, figures, inp.report_dir)


def claims_summary_section(inp: ReportInputs) -> list[str]:
    rows = [
        (n, c.claim, f"check {c.verdict}" if c.kind == CHECK else c.verdict, c.key_figure or "–", claim_links(c, inp))
        for n, c in enumerate(inp.claims, 1)
    ]
    table = pd.DataFrame(rows, columns=["#", "the blog says", "verdict", "key figure", "see"])
    return [
        "## Claims of the blog, tested",
        "",
        markdown_table(table),
        "",
        "Scope, rule and every deciding figure of each claim: § Claims in detail.",
        "",
    ]


# ---- figures and details -----------------------------------------------------------------------------------------


def figures_section(inp: ReportInputs) -> list[str]:
    lines = ["## Figures", ""]
    for path in inp.figures:
        workload = path.stem.removesuffix("_scaling")
        lines += [
            f"![{path.stem}]({relative(path, inp.report_dir)})",
            "",
            f"{workload_label(workload)}: median time (left) and speedup over one worker (right).",
            "",
        ]
    return lines if inp.figures else []


def claim_detail(number: int, claim: Claim, inp: ReportInputs) -> list[str]:
    label = "Check" if claim.kind == CHECK else "Verdict"
    lines = [f"### {number}. {claim.claim}", "", f"- **{label}:** {claim.verdict}"]
    for name, value in (
        ("Scope", claim.scope),
        ("Test", claim.test),
        ("Rule", claim.rule),
        ("Evidence", claim.evidence),
        ("Context, not deciding", claim.context),
    ):
        if value:
            lines.append(f"- **{name}:** {value}")
    return lines + [f"- **Shown in:** {claim_links(claim, inp)}", ""]


def claims_detail_section(inp: ReportInputs) -> list[str]:
    lines = [
        "## Claims in detail",
        "",
        "Workloads by kind: interpreter-bound ("
        + ", ".join(w for w in sorted(WORKLOADS) if workload_kind(w) == "interpreter")
        + ") decide claims about the "
        "interpreter; hash (C library code that releases the GIL), io_wait (sleep-bound) and the coordination "
        "workloads (channels, spawn) are context.",
        "",
    ]
    for number, claim in enumerate(inp.claims, 1):
        lines += claim_detail(number, claim, inp)
    explained = average_time_per_thread(with_flavours(inp.summary, inp.config["catalogue"]))
    if explained:
        lines += ['### What "Average Time per Thread" measures', "", explained, ""]
    return lines


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
    c = c[
        c["kind"].isin(["build", "runtime", "blog"])
        & (c["b_workers"] == c["b_cpus"])
        & (c["a_mode"] == "threads")
        & (c["a_variant"] == "")
    ]
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
            "efficiency (95 % CI)": [
                f"{r['efficiency']:.0%} ({r['efficiency_low']:.0%}–{r['efficiency_high']:.0%})"
                if not pd.isna(r["efficiency_low"])
                else f"{r['efficiency']:.0%}"
                for _, r in rows.iterrows()
            ],
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
        "Amdahl's law fitted to every repeat's speedup (scipy curve_fit; interval from its covariance):",
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
        "significantly different from no speedup.",
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


def coordination_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """Channels latency, spawn cost per worker (figures of summary.csv besides time)."""
    rows = []
    cells = plain(summary)
    cells = cells[cells["cpus"] == cells["cpus"].max()].sort_values(["workload", "runtime", "mode", "workers"])
    for _, cell in cells.iterrows():
        if cell["workload"] == "channels":
            rows.append(
                {
                    "workload": "channels",
                    "runtime": cell["runtime"],
                    "mode": cell["mode"],
                    "workers": cell["workers"],
                    "figure": "median s per loop; latency p50 / p99 (µs)",
                    "value": f"{fmt_seconds(cell['median'])} s; "
                    f"{cell['latency_p50_us']:.1f} / {cell['latency_p99_us']:.1f}",
                }
            )
        elif cell["workload"] == "spawn":
            rows.append(
                {
                    "workload": "spawn",
                    "runtime": cell["runtime"],
                    "mode": cell["mode"],
                    "workers": cell["tasks"],
                    "figure": "µs, KB, OS threads per worker",
                    "value": f"{cell['spawn_us_per_task']:.1f} µs, {cell['rss_kb_per_task']:.1f} KB, "
                    f"{cell['os_threads_per_task']:.2f}",
                }
            )
    return pd.DataFrame(rows)


def coordination_section(inp: ReportInputs) -> list[str]:
    details = coordination_rows(inp.summary)
    if details.empty:
        return []
    return [
        "## Coordination costs",
        "",
        "Channels: W producers and W consumers through one Go channel, queue.Queue (threads) or "
        "multiprocessing.Queue (processes); latency is send to receive. Spawn: creation time, resident memory "
        "and OS threads added per parked thread or goroutine.",
        "",
        markdown_table(details),
        "",
    ]


# ---- how it was measured, and by what -----------------------------------------------------------------------------


def span(low: int, high: int) -> str:
    return f"{low}" if low == high else f"{low}–{high}"


def values_per_container(runs: pd.DataFrame) -> pd.Series:
    """The range of measured values one container took, per workload (1 for tables without containers)."""
    keys = container_keys(runs)
    if keys is None:
        return runs.groupby("workload")["seconds"].agg(lambda _: "1")
    counts = runs.groupby(["workload", *keys]).size().groupby(level="workload")
    return counts.agg(lambda c: span(int(c.min()), int(c.max())))


def loops_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """Loops per timed section and values per container, per workload: ranges over its cells."""
    loops = runs["loops"].fillna(1) if "loops" in runs else pd.Series(1, index=runs.index)
    frame = runs.assign(loops=loops.astype(int)).groupby("workload")["loops"].agg(["min", "max"]).reset_index()
    values = values_per_container(runs)
    return pd.DataFrame(
        {
            "workload": frame["workload"].map(workload_label),
            "one loop of the timed section holds": frame["workload"].map(TIMED_SECTION).fillna("–"),
            "loops per timed section": [span(lo, hi) for lo, hi in zip(frame["min"], frame["max"])],
            "values per container": frame["workload"].map(values).fillna("1").tolist(),
        }
    )


def stamp_totals(stamps: list[dict] | None, runs: pd.DataFrame) -> str:
    """Warm-up cost against timed seconds: from the stamps, else from runs.csv's columns, else unknown."""
    if stamps:
        warm = sum(float(s.get("warmup_seconds") or 0) for s in stamps)
        timed = sum(float(s.get("timed_seconds") or 0) for s in stamps)
        where = "the session stamps"
    elif {"warmup_seconds", "total_seconds"} <= set(runs.columns):
        # A container's warm-up is copied onto each of its values; its timed sections are one per value.
        warm = float(one_row_per_container(runs)["warmup_seconds"].sum())
        timed, where = float(runs["total_seconds"].sum()), "runs.csv"
    else:
        return "What the warm-ups cost is unknown: these tables predate the record of it."
    return f"Warm-ups and calibration cost {warm:.1f} s against {timed:.1f} s of timed sections ({where})."


def timing_differences(stamps: list[dict] | None) -> str:
    """A sentence naming each session's timing settings when the sessions behind the tables differ in them."""
    keys = ("min_time", "calibration_margin", "warmup", "values_time", "max_values")
    seen = {s.get("session"): tuple((s.get("settings") or {}).get(k) for k in keys) for s in stamps or []}
    if len(set(seen.values())) <= 1:
        return ""
    return (
        " The sessions behind these tables timed differently ("
        + "; ".join(
            f"{session}: " + ", ".join(f"{k} {v}" for k, v in zip(keys, values)) for session, values in seen.items()
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


def timed_section_lines(inp: ReportInputs) -> list[str]:
    settings = (inp.stamps[0].get("settings") or {}) if inp.stamps else {}
    min_time = settings.get("min_time", inp.config.get("min_time"))
    warmup = settings.get("warmup", inp.config.get("warmup"))
    margin = settings.get("calibration_margin")
    target = (
        f"{margin:g} × min_time = {margin * min_time:g} s, with room for noise"
        if margin
        else f"min_time = {min_time} s (this stamp predates the recorded margin)"
    )
    rule = (
        f"a calibration predicts the loops from a cold pass, as testing.B does, until a section lasts at least {target}"
        if min_time
        else "no calibration: one loop per section"
    )
    return [
        "### What a timed section holds",
        "",
        f"A measured value is the task set run `loops` times back to back ({rule}); "
        f"`seconds` is per loop (total_seconds / loops). A cell's first container calibrates, and its "
        f"calibration trials are its warm-up. Later containers of cells with more than one loop run "
        f"{warmup} unmeasured warm-up(s) of one loop first, as does spawn (not calibrated); a calibrated "
        "one-loop section lasts the minimum by itself and runs none. "
        + values_sentence(settings)
        + stamp_totals(inp.stamps, inp.runs)
        + timing_differences(inp.stamps),
        "",
        markdown_table(loops_rows(inp.runs)),
        "",
    ]


def cpuset_rows(stamps: list[dict]) -> pd.DataFrame:
    """Each CPU set's physical cores and NUMA nodes, flagged where workers shared a core or crossed nodes."""
    rows = {}
    for stamp in stamps:
        for cpuset, about in (stamp.get("cpusets") or {}).items():
            flags = [
                name
                for key, name in (
                    ("smt_shared", "two CPUs share a physical core (SMT)"),
                    ("spans_numa", "spans NUMA nodes"),
                    ("mixed_speed", "mixed core speeds"),
                )
                if about.get(key)
            ]
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


def short(value, width: int = 12) -> str:
    return "–" if value in (None, "") else str(value)[:width]


def commit_text(stamp: dict) -> str:
    """The measuring commit and its state; a copy without git history says so rather than look dirty."""
    if not stamp.get("git_commit"):
        return "not a git checkout"
    return f"{short(stamp['git_commit'])} ({'clean' if stamp.get('git_clean') else 'uncommitted changes'})"


def stamp_rows(stamps: list[dict]) -> pd.DataFrame:
    rows = []
    for s in stamps:
        harness = s.get("harness_sha256") or {}
        images = s.get("images") or {}
        rows.append(
            {
                "session": s.get("session"),
                "measured": f"{s.get('started_at')} – {s.get('ended_at')}",
                "commit": commit_text(s),
                "harness sha256": ", ".join(f"{k} {short(v)}" for k, v in sorted(harness.items())) or "–",
                "images": ", ".join(f"{k} {short(str(v).removeprefix('sha256:'))}" for k, v in sorted(images.items()))
                or "–",
                "Docker": s.get("docker_server_version") or "–",
                "kernel": s.get("kernel") or "–",
                "CPU": s.get("cpu_model") or "–",
            }
        )
    return pd.DataFrame(rows)


def session_cells(runs: pd.DataFrame) -> pd.DataFrame:
    """Which cells came from which session (runtimes and workloads, and the containers measured)."""
    frame = one_row_per_container(runs).assign(session=lambda f: f["session"].fillna("unknown").astype(str))
    grouped = frame.groupby("session")
    return pd.DataFrame(
        {
            "session": list(grouped.groups),
            "runtimes": [", ".join(sorted(g["runtime"].unique())) for _, g in grouped],
            "workloads": [", ".join(sorted(g["workload"].unique())) for _, g in grouped],
            "containers": [len(g) for _, g in grouped],
        }
    )


def provenance_section(inp: ReportInputs) -> list[str]:
    lines = ["### Provenance", ""]
    if not inp.stamps:
        lines += [
            "No session stamp (no sessions.json): the commit, harness, images and machine that measured are "
            "not recorded with these tables. The environment in the appendix is the report's, taken when "
            "the report was rendered.",
            "",
        ]
    else:
        lines += [
            "From the session stamps written while measuring (not from the checkout at report time):",
            "",
            markdown_table(stamp_rows(inp.stamps)),
            "",
        ]
    if "session" in inp.runs and inp.runs["session"].nunique() > 1:
        crossing = inp.comparisons[
            (inp.comparisons["kind"] != "blog") & (inp.comparisons["a_session"] != inp.comparisons["b_session"])
        ]
        lines += [
            f"runs.csv holds {inp.runs['session'].nunique()} sessions. Cells of different sessions were not "
            f"interleaved with each other, so {len(crossing)} comparisons (a_session ≠ b_session in "
            "comparisons.csv) also compare two moments of the machine.",
            "",
            markdown_table(session_cells(inp.runs)),
            "",
        ]
    return lines


def measurement_section(inp: ReportInputs) -> list[str]:
    return [
        "## How it was measured",
        "",
        *timed_section_lines(inp),
        *cpuset_lines(inp),
        *provenance_section(inp),
        *startup_lines(inp.runs),
    ]


def startup_lines(runs: pd.DataFrame) -> list[str]:
    containers = one_row_per_container(runs)  # one start-up per container, whatever values it measured
    startup = containers.dropna(subset=["startup_seconds"]) if "startup_seconds" in runs else runs.iloc[0:0]
    if startup.empty:
        return []
    per_runtime = startup.groupby("runtime")["startup_seconds"].median()
    return [
        "Container start-up, outside every timed section (outside wall time minus in-process time, median): "
        + ", ".join(f"{runtime} {seconds:.2f} s" for runtime, seconds in per_runtime.items())
        + ".",
        "",
    ]


# ---- warnings ---------------------------------------------------------------------------------------------------

# summary column -> (kind, what it means); the first repeat is no warning: each container is its own first run
WARNINGS = {
    "warn_cv": ("noisy", "coefficient of variation above {cv:.0%}: consider more repeats"),
    "warn_short": ("short", "median timed section below {min_seconds:.3f} s: timer and scheduling noise weigh more"),
    "warn_load": ("under load", "other processes used more than {busy:.0%} of the CPUs just before a repeat"),
    "warn_throttled": ("throttled", "the kernel throttled the container's CPU use (cgroup cpu.stat)"),
}


def cell_name(cell: pd.Series) -> str:
    mode = f"{cell['mode']} [{cell['variant']}]" if cell["variant"] else cell["mode"]
    workers = f"{cell['workers']} worker{'' if cell['workers'] == 1 else 's'}"
    return f"{cell['runtime']} {workload_label(cell['workload'])} {mode} on CPUs {cell['cpuset']} ({workers})"


def warning_lines(summary: pd.DataFrame, config: dict) -> dict[str, list[str]]:
    """Per kind of warning, one line per cell it concerns."""
    grouped: dict[str, list[str]] = {}
    for _, cell in summary.sort_values(["workload", "runtime", "mode", "cpus"]).iterrows():
        for column, (kind, _) in WARNINGS.items():
            if cell.get(column) is True or cell.get(column) == 1:
                detail = (
                    f" (CV {cell['cv']:.1%})"
                    if column == "warn_cv"
                    else (
                        f" ({cell.get('total_seconds_median', cell['median']) * 1000:.1f} ms timed section)"
                        if column == "warn_short"
                        else ""
                    )
                )
                grouped.setdefault(kind, []).append(f"- {cell_name(cell)}{detail}")
    return grouped


def warnings_section(inp: ReportInputs) -> list[str]:
    limits = {"cv": 0.05, "min_seconds": 0.1, "busy": 0.1, **(inp.config.get("warnings") or {})}
    grouped = warning_lines(inp.summary, inp.config)
    containers = one_row_per_container(inp.runs)  # a container's retries are copied onto each of its values
    retries = int(pd.to_numeric(containers.get("retries", pd.Series(dtype=float)), errors="coerce").fillna(0).sum())
    lines = ["## Warnings", ""]
    if not grouped and not retries:
        return lines + ["None: every cell is steady, long enough and measured without load or throttling.", ""]
    meaning = {kind: text.format(**limits) for kind, text in WARNINGS.values()}
    lines += [f"- **{kind}** ({len(cells)} cells): {meaning[kind]}." for kind, cells in grouped.items()]
    if retries:
        lines.append(f"- **retried** ({retries} repeats): a container failed and its repeat was run again.")
    lines.append("")
    for kind, cells in grouped.items():
        lines += folded(f"{kind}: the {len(cells)} cells", cells)
    return lines


# ---- appendix ----------------------------------------------------------------------------------------------------


def every_cell_table(summary: pd.DataFrame) -> pd.DataFrame:
    cells = summary.sort_values(["workload", "runtime", "mode", "variant", "cpus", "workers"])
    return pd.DataFrame(
        {
            "workload": cells["workload"].map(workload_label),
            "runtime": cells["runtime"],
            "mode": cells["mode"],
            "variant": cells["variant"],
            "CPUs": cells["cpuset"],
            "workers": cells["workers"],
            "n": cells["n"],
            "median (s)": cells["median"].map(fmt_seconds),
            "95 % CI (s)": cells.apply(fmt_ci, axis=1),
            "CV": cells["cv"].map(lambda v: "–" if math.isnan(v) else f"{v:.1%}"),
        }
    )


def image_rows(identities: list[dict]) -> pd.DataFrame:
    rows = []
    for record in identities:
        ident = record["identity"]
        if record["config"]["kind"] == "cpython":
            what = (
                f"Python {ident['version']}, Py_GIL_DISABLED={int(ident['gil_build_disabled'])}, "
                f"GIL enabled={ident['gil_enabled']}, {ident['compiler']}, "
                f"configure: {ident['configure_args'] or '(none)'}"
            )
        else:
            what = f"{ident['GOVERSION']} {ident['GOOS']}/{ident['GOARCH']}"
        rows.append((record["runtime"], record["image_id"], what))
    return pd.DataFrame(rows, columns=["runtime", "image ID", "verified identity"])


def appendix_section(inp: ReportInputs) -> list[str]:
    env_rows = [(k, "–" if v is None else str(v)) for k, v in inp.env.items() if k != "cpu_flags"]
    return [
        "## Appendix",
        "",
        *folded(
            f"Every cell ({len(inp.summary)}): median, interval, CV (summary.csv has the rest)",
            [markdown_table(every_cell_table(inp.summary))],
        ),
        *folded("Workloads and their parameters", [markdown_table(workload_rows(inp.config))]),
        *folded("Images (at report time)", [markdown_table(image_rows(inp.identities))]),
        *folded(
            "Environment at report time (the measuring machine's is in § Provenance)",
            [markdown_table(pd.DataFrame(env_rows, columns=["fact", "value"]))],
        ),
        *folded("Configuration used", ["```yaml", yaml.safe_dump(inp.config, sort_keys=False).rstrip(), "```"]),
    ]


SECTIONS = [
    header_section,
    blog_table_section,
    claims_summary_section,
    figures_section,
    claims_detail_section,
    ratios_section,
    scaling_section,
    variants_section,
    noise_section,
    coordination_section,
    measurement_section,
    warnings_section,
    appendix_section,
]


def render(inp: ReportInputs) -> str:
    """The report, top-down: summary on one screen, figures, details, folded appendix."""
    return "\n".join(line for section in SECTIONS for line in section(inp))


def prepare(
    summary: pd.DataFrame, runs: pd.DataFrame, comparisons: pd.DataFrame | None, config: dict, **rest
) -> ReportInputs:
    """Inputs with comparisons (made here if not given) and the claims they decide."""
    comparisons = comparisons_table(runs, summary) if comparisons is None else comparisons
    claims = all_claims(comparisons, with_flavours(summary, config["catalogue"]), runs)
    return ReportInputs(summary, runs, comparisons, claims, config, **rest)


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, type=Path)
    parser.add_argument("--summary", required=True, type=Path)
    parser.add_argument("--comparisons", type=Path, help="comparisons.csv (made from runs and summary if omitted)")
    parser.add_argument("--sessions", type=Path, help="sessions.json; a missing file is reported as no stamp")
    parser.add_argument("--claims", type=Path, help="where to write claims.csv")
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--config-json", help="the experiment's config as JSON text")
    given.add_argument("--config-file", type=Path, help="the experiment's config as a JSON file")
    parser.add_argument("--report", required=True, type=Path)
    parser.add_argument("--environment", required=True, type=Path)
    parser.add_argument("--figures", required=True, type=Path)
    parser.add_argument("--host-label", required=True)
    parser.add_argument("identities", nargs="*", type=Path)
    args = parser.parse_args(argv)
    for path in (args.runs, args.summary, args.comparisons):
        if path is not None and not path.is_file():
            raise ParbenchError(f"{path} does not exist; run the steps before the report first")
    summary, runs = read_table(args.summary), read_table(args.runs)
    comparisons = read_comparisons(args.comparisons) if args.comparisons else None
    env = environment.collect(args.host_label)
    figures = plot_figures(summary, args.figures)
    inputs = prepare(
        summary,
        runs,
        comparisons,
        json.loads(args.config_json or args.config_file.read_text()),
        identities=[json.loads(p.read_text()) for p in args.identities],
        env=env,
        stamps=read_stamps(args.sessions),
        figures=figures,
        report_dir=args.report.parent,
    )
    write_text_atomic(args.environment, json.dumps(env, indent=2) + "\n")
    if args.claims:
        with atomic_path(args.claims) as tmp:
            claims_table(inputs.claims).to_csv(tmp, index=False)
    write_text_atomic(args.report, render(inputs))
    print(f"wrote {args.report} and {len(figures)} figure(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
