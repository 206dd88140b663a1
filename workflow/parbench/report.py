"""results/report.md and results/figures/: what a reader needs, computed from the tables.

Every number in the report comes from runs.csv/summary.csv or from the blog
post the project starts from (its figures are quoted as such, never mixed
with ours).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from . import environment  # noqa: E402
from .aggregate import read_table  # noqa: E402
from .claims import all_claims, average_time_per_thread  # noqa: E402
from .config import workload_params  # noqa: E402
from .specs import WORKLOADS, params_label, parse_params_label  # noqa: E402
from .atomic import atomic_path, write_text_atomic  # noqa: E402
from .errors import main_guard  # noqa: E402
from .stats import differs, ratio_ci  # noqa: E402

# The blog's single runs: CPU loop of 50,000,000 iterations, 16 threads on 16 cores.
BLOG = {"gil": 79.27, "free-threaded": 16.19, "go": 0.11}
BLOG_WORKERS = 16
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


def fmt_ratio(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.2f}×"


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
        rows.append({
            "runtime": runtime,
            "flavour": flavour(entry),
            "workers": int(best["workers"]),
            "seconds": best["median"],
            "ci": fmt_ci(best),
            "blog_seconds": BLOG[flavour(entry)],
        })
    return pd.DataFrame(rows)


RATIOS = [("gil", "free-threaded"), ("free-threaded", "go"), ("gil", "go")]


def ratio_name(numerator: str, denominator: str) -> str:
    return f"{numerator}_over_{denominator}".replace("-", "_")


def cell_seconds(runs: pd.DataFrame, cell: pd.Series, variant: str | None = None) -> list[float]:
    """The measured seconds of one cell (of `variant` if given, else of the cell's own)."""
    keys = ["host", "runtime", "workload", "params", "mode", "cpuset", "workers"]
    mask = (runs[keys] == cell[keys].values).all(axis=1)
    mask &= runs["variant"] == (cell["variant"] if variant is None else variant)
    return runs.loc[mask, "seconds"].tolist()


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
                row.update({name: ratio, f"{name}_low": low, f"{name}_high": high, f"{name}_significant": differs(a, b)})
            else:
                row.update({name: math.nan, f"{name}_low": math.nan, f"{name}_high": math.nan, f"{name}_significant": False})
        rows.append(row)
    return pd.DataFrame(rows)


def fmt_ratio_ci(ratio: float, low: float, high: float, significant: bool) -> str:
    """benchstat's convention: `~` marks a difference that is not significant."""
    if ratio is None or math.isnan(ratio):
        return "–"
    interval = "" if math.isnan(low) else f" ({low:.2f}–{high:.2f})"
    return f"{'' if significant else '~ '}{ratio:.2f}×{interval}"


def variant_effects(summary: pd.DataFrame, runs: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Each variant cell against the same cell without its switch: the effect it isolates."""
    variants = config.get("variants") or {}
    rows = []
    for _, cell in summary[summary["variant"].isin(list(variants))].iterrows():
        switched, default = cell_seconds(runs, cell), cell_seconds(runs, cell, variant="")
        if not switched or not default:
            continue
        ratio, low, high = ratio_ci(switched, default)
        env = " ".join(f"{k}={v}" for k, v in variants[cell["variant"]]["env"].items())
        rows.append({
            "runtime": cell["runtime"], "workload": cell["workload"], "mode": cell["mode"],
            "CPUs": cell["cpuset"], "workers": cell["workers"], "switch": env,
            "time with switch / without (95 % CI)": fmt_ratio_ci(ratio, low, high, differs(switched, default)),
        })
    return pd.DataFrame(rows)


def warning_lines(summary: pd.DataFrame, config: dict) -> list[str]:
    limits = config.get("warnings", {"cv": 0.05, "min_seconds": 0.1})
    lines = []
    for _, cell in summary.sort_values(["workload", "runtime", "mode", "cpus"]).iterrows():
        workers = f"{cell['workers']} worker{'' if cell['workers'] == 1 else 's'}"
        mode = f"{cell['mode']} [{cell['variant']}]" if cell["variant"] else cell["mode"]
        where = f"{cell['runtime']} {cell['workload']} {mode} on CPUs {cell['cpuset']} ({workers})"
        if cell.get("warn_cv"):
            lines.append(f"- {where}: coefficient of variation {cell['cv']:.1%} exceeds {limits['cv']:.0%}; "
                         "the machine was noisy, consider more repeats.")
        if cell.get("warn_short"):
            lines.append(f"- {where}: median {cell['median'] * 1000:.1f} ms is shorter than "
                         f"{limits['min_seconds'] * 1000:.0f} ms; timer and scheduling noise weigh more, "
                         "raise the workload's parameters for a firmer figure.")
        if cell.get("warn_first_repeat"):
            lines.append(f"- {where}: the first repeat is an outlier; the warm-up may be too short.")
        if cell.get("warn_load"):
            lines.append(f"- {where}: other processes used more than {limits.get('busy', 0.1):.0%} of the CPUs "
                         "just before a repeat; it ran under load.")
        if cell.get("warn_throttled"):
            lines.append(f"- {where}: the kernel throttled the container's CPU use (cgroup cpu.stat).")
    return lines


def noise_floor(runs: pd.DataFrame) -> dict | None:
    """The A/A run: the same cell measured twice in one session, and how far apart the twins are."""
    if not (runs["variant"] == "aa").any():
        return None
    twin = runs[runs["variant"] == "aa"]
    keys = ["host", "runtime", "workload", "params", "mode", "cpuset", "workers"]
    first = twin.iloc[0]
    original = runs[(runs["variant"] == "") & (runs[keys] == first[keys].values).all(axis=1)]
    ratio, low, high = ratio_ci(original["seconds"], twin["seconds"])
    return {
        "cell": f"{first['runtime']} {first['workload']} {first['mode']} on CPUs {first['cpuset']}",
        "ratio": ratio, "low": low, "high": high,
        "significant": differs(original["seconds"], twin["seconds"]),
        "resolution": max(abs(high - 1), abs(1 - low)) if not math.isnan(low) else math.nan,
    }


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
        rows.append({"workload": name, "what it does": WORKLOADS[name].about,
                     "parameters": params_label(workload_params(entry)).replace(",", ", "),
                     "scaling": WORKLOADS[name].scaling})
    return pd.DataFrame(rows)


def coordination_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """Channels throughput and latency, spawn cost per worker: the figures besides time."""
    rows = []
    cells = plain(summary)
    cells = cells[cells["cpus"] == cells["cpus"].max()].sort_values(["workload", "runtime", "mode", "workers"])
    for _, cell in cells.iterrows():
        if cell["workload"] == "channels":
            messages = parse_params_label(cell["params"])["messages"] * cell["workers"]
            rows.append({"workload": "channels", "runtime": cell["runtime"], "mode": cell["mode"],
                         "workers": cell["workers"], "figure": "messages/s",
                         "value": f"{messages / cell['median']:,.0f}",
                         "latency p50 / p99 (µs)": f"{cell['latency_p50_us']:.1f} / {cell['latency_p99_us']:.1f}"})
        elif cell["workload"] == "spawn":
            rows.append({"workload": "spawn", "runtime": cell["runtime"], "mode": cell["mode"],
                         "workers": cell["tasks"], "figure": "µs, KB, OS threads per worker",
                         "value": f"{cell['spawn_us_per_task']:.1f} µs, {cell['rss_kb_per_task']:.1f} KB, "
                                  f"{cell['os_threads_per_task']:.2f}",
                         "latency p50 / p99 (µs)": "–"})
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
        ax_time.set(xlabel="workers (= CPUs pinned)", ylabel="median wall time (s), log scale", yscale="log",
                    title=f"{workload}: time")
        ax_speed.set(xlabel="workers (= CPUs pinned)", ylabel="speedup over 1 worker",
                     title=f"{workload}: speedup ({data['scaling'].iloc[0]} scaling)")
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


def render(summary: pd.DataFrame, runs: pd.DataFrame, config: dict, identities: list[dict], env: dict,
           figures: list[Path], report_dir: Path) -> str:
    catalogue = config["catalogue"]
    lines = ["# parbench report", ""]
    lines += [
        "CPython 3.13 with the GIL, CPython 3.13 free-threaded and Go running the same workloads, "
        "each written in Python and in Go with the same checksum (verified for every run). Times are medians of "
        f"{config['repeats']} repeats taken in interleaved rounds (round r of every cell before "
        f"round r+1, order shuffled from seed {config.get('seed')}); each repeat is its own `docker run` "
        f"pinned to a CPU set, after {config['warmup']} warm-up(s) in the same container. Intervals "
        "are 95 % confidence intervals of the median (order statistics; none below 6 repeats).",
        "",
        markdown_table(workload_rows(config)),
        "",
        "## The blog's table, on this machine",
        "",
        f"The blog ran each runtime once with {BLOG_WORKERS} workers on {BLOG_WORKERS} cores. "
        "Absolute times depend on the machine; the ratios below are what can be compared.",
        "",
    ]
    head = headline_rows(summary, catalogue)
    if not head.empty:
        shown = pd.DataFrame({
            "runtime": head["runtime"],
            "workers (here)": head["workers"],
            "time here (s)": head["seconds"].map(fmt_seconds),
            "95 % CI (s)": head["ci"],
            f"blog, {BLOG_WORKERS} workers (s)": head["blog_seconds"].map(fmt_seconds),
        })
        lines += [markdown_table(shown), ""]
    ratios = flavour_ratios(summary, runs, catalogue)
    if not ratios.empty:
        lines += [
            "### Ratios of median times (larger means the second is faster)", "",
            "In brackets: 95 % bootstrap confidence interval. `~` marks a difference a Mann-Whitney U "
            "test does not find significant (p ≥ 0.05), as benchstat does.", "",
        ]
        shown = pd.DataFrame({"workload": ratios["workload"], "CPUs": ratios["cpus"]})
        for (numerator, denominator), title in zip(RATIOS, ("GIL / free-threaded", "free-threaded / Go", "GIL / Go")):
            name = ratio_name(numerator, denominator)
            shown[title] = [
                fmt_ratio_ci(r[name], r[f"{name}_low"], r[f"{name}_high"], r[f"{name}_significant"])
                for _, r in ratios.iterrows()
            ]
        blog = pd.DataFrame([{
            "workload": "blog (cpu_loop)", "CPUs": BLOG_WORKERS,
            "GIL / free-threaded": fmt_ratio(BLOG["gil"] / BLOG["free-threaded"]),
            "free-threaded / Go": fmt_ratio(BLOG["free-threaded"] / BLOG["go"]),
            "GIL / Go": fmt_ratio(BLOG["gil"] / BLOG["go"]),
        }])
        lines += [markdown_table(pd.concat([shown, blog], ignore_index=True)), ""]

    summary_f = with_flavours(summary, catalogue)
    lines += [
        "## Claims of the blog, tested", "",
        "Each verdict is computed from this run's tables by the rules in `workflow/parbench/claims.py` "
        "(for example: a mode scales if its speedup reaches 70 % of the CPUs, and gains nothing below 1.25×). "
        "Another machine may reach another verdict; the figures say by how much.", "",
    ]
    claims = all_claims(summary_f, runs)
    figure_links = {path.stem.removesuffix("_scaling"): path for path in figures}
    lines += [markdown_table(pd.DataFrame(
        [(c.claim, c.test, c.evidence or "–", shown_in(c.shown_in, figure_links, report_dir), c.verdict)
         for c in claims],
        columns=["the blog says", "tested by", "this run", "shown in", "verdict"],
    )), ""]
    explained = average_time_per_thread(summary_f)
    if explained:
        lines += ["### What \"Average Time per Thread\" measures", "", explained, ""]
    details = coordination_rows(summary)
    if not details.empty:
        lines += [
            "## Coordination costs", "",
            "Channels: messages per second through the queue or channel and the latency from send to "
            "receive (median over repeats of each run's 50th and 99th percentile). Spawn: creation time, "
            "resident memory and OS threads added per parked thread or goroutine.", "",
            markdown_table(details), "",
        ]

    lines += ["## Every cell", ""]
    cells = summary.sort_values(["workload", "runtime", "mode", "variant", "cpus", "workers"])
    shown = pd.DataFrame({
        "workload": cells["workload"], "runtime": cells["runtime"], "mode": cells["mode"],
        "variant": cells["variant"],
        "CPUs": cells["cpuset"], "workers": cells["workers"], "n": cells["n"],
        "median (s)": cells["median"].map(fmt_seconds),
        "95 % CI (s)": cells.apply(fmt_ci, axis=1),
        "CV": cells["cv"].map(lambda v: "–" if math.isnan(v) else f"{v:.1%}"),
        "speedup (95 % CI)": [
            fmt_ratio_ci(r["speedup"], r["speedup_ci_low"], r["speedup_ci_high"], r["speedup_significant"])
            if r["workers"] > 1 else fmt_ratio(r["speedup"])
            for _, r in cells.iterrows()
        ],
        "efficiency": cells["efficiency"].map(lambda v: "–" if math.isnan(v) else f"{v:.0%}"),
        "× fastest (95 % CI)": [
            fmt_ratio(r["ratio_to_fastest"]) if r["ratio_to_fastest"] == 1
            else fmt_ratio_ci(r["ratio_to_fastest"], r["ratio_to_fastest_ci_low"], r["ratio_to_fastest_ci_high"], True)
            for _, r in cells.iterrows()
        ],
    })
    lines += [markdown_table(shown), ""]
    lines += [
        "Speedup is throughput relative to one worker of the same runtime and mode: "
        "W × T1 / TW where every worker does the full work (weak scaling), T1 / TW where the work is "
        "split (cpu_loop_strong), none for spawn, whose timed section only releases and joins the "
        "parked workers; efficiency divides it by the "
        "CPUs the workers could use; × fastest compares with the fastest runtime and mode on "
        "the same CPU set and worker count. `~` marks a speedup not significantly different from "
        "none (Mann-Whitney U on W × T1 against TW).",
        "",
        f"Median coefficient of variation over these cells: {summary['cv'].median():.1%}.",
        "",
    ]
    effects = variant_effects(summary, runs, config)
    if not effects.empty:
        lines += [
            "## Variants: one effect at a time", "",
            "The same image, mode and CPU set, run with and without one environment switch. "
            "A ratio above 1 means the switch made it slower; `~` marks no significant difference.", "",
            markdown_table(effects), "",
        ]
    floor = noise_floor(runs)
    if floor:
        verdict = ("the twins differ significantly: this run's noise exceeds its confidence intervals"
                   if floor["significant"] else "the twins are indistinguishable, as they should be")
        lines += [
            "## Noise floor (A/A run)", "",
            f"{floor['cell']} was measured twice in the same interleaved session. The ratio of the twins' "
            f"medians is {fmt_ratio_ci(floor['ratio'], floor['low'], floor['high'], floor['significant'])}: "
            f"{verdict}. Differences smaller than about ±{floor['resolution']:.1%} are below what this run "
            "can resolve.", "",
        ]
    startup = runs.dropna(subset=["startup_seconds"]) if "startup_seconds" in runs else runs.iloc[0:0]
    if not startup.empty:
        per_runtime = startup.groupby("runtime")["startup_seconds"].median()
        lines += [
            "Container start-up (outside wall time minus in-process time, median): "
            + ", ".join(f"{runtime} {seconds:.2f} s" for runtime, seconds in per_runtime.items()) + ".", "",
        ]
    warnings = warning_lines(summary, config)
    lines += ["## Warnings", ""] + (warnings or ["None: every cell is steady, long enough, and warmed up."]) + [""]
    if figures:
        lines += ["## Figures", ""]
        for path in figures:
            rel = path.relative_to(report_dir) if path.is_relative_to(report_dir) else path
            lines += [f"![{path.stem}]({rel.as_posix()})", ""]

    lines += ["## Environment", ""]
    env_rows = [(k, "–" if v is None else str(v)) for k, v in env.items() if k != "cpu_flags"]
    lines += [markdown_table(pd.DataFrame(env_rows, columns=["fact", "value"])), ""]
    lines += ["### Images", ""]
    image_rows = []
    for record in identities:
        ident = record["identity"]
        if record["config"]["kind"] == "cpython":
            what = (f"Python {ident['version']}, Py_GIL_DISABLED={int(ident['gil_build_disabled'])}, "
                    f"GIL enabled={ident['gil_enabled']}, {ident['compiler']}, "
                    f"configure: {ident['configure_args'] or '(none)'}")
        else:
            what = f"{ident['GOVERSION']} {ident['GOOS']}/{ident['GOARCH']}"
        image_rows.append((record["runtime"], record["image_id"], what))
    lines += [markdown_table(pd.DataFrame(image_rows, columns=["runtime", "image ID", "verified identity"])), ""]
    lines += ["### Configuration used", "", "```yaml", yaml.safe_dump(config, sort_keys=False).rstrip(), "```", ""]
    return "\n".join(lines)


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", required=True, type=Path)
    parser.add_argument("--summary", required=True, type=Path)
    parser.add_argument("--config-json", required=True)
    parser.add_argument("--report", required=True, type=Path)
    parser.add_argument("--environment", required=True, type=Path)
    parser.add_argument("--figures", required=True, type=Path)
    parser.add_argument("--host-label", required=True)
    parser.add_argument("identities", nargs="*", type=Path)
    args = parser.parse_args(argv)
    summary = read_table(args.summary)
    runs = read_table(args.runs)
    config = json.loads(args.config_json)
    identities = [json.loads(p.read_text()) for p in args.identities]
    env = environment.collect(args.host_label)
    figures = plot_figures(summary, args.figures)
    write_text_atomic(args.environment, json.dumps(env, indent=2) + "\n")
    write_text_atomic(args.report, render(summary, runs, config, identities, env, figures, args.report.parent))
    print(f"wrote {args.report} and {len(figures)} figure(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
