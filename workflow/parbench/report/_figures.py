"""results/figures/: time and speedup against workers per workload (matplotlib), and the section showing them."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ..atomic import atomic_path  # noqa: E402
from ..comparisons import workload_label  # noqa: E402
from ._format import relative  # noqa: E402
from ._inputs import ReportInputs  # noqa: E402


def _plot_lines(scaling: pd.DataFrame, ax_time, ax_speed) -> None:
    """One line per runtime, mode and variant: median time with its interval, and speedup."""
    for (runtime, mode, variant), line in scaling.groupby(["runtime", "mode", "variant"]):
        line = line.sort_values("workers")
        label = f"{runtime} {mode}" + (f" [{variant}]" if variant else "")
        errors = [
            (line["median"] - line["ci_low"]).fillna(0).clip(lower=0),
            (line["ci_high"] - line["median"]).fillna(0).clip(lower=0),
        ]
        ax_time.errorbar(line["workers"], line["median"], yerr=errors, marker="o", capsize=3, label=label)
        ax_speed.plot(line["workers"], line["speedup"], marker="o", label=label)


def _workload_figure(workload: str, data: pd.DataFrame, path: Path) -> None:
    # Sequential cells are one point each (the no-pool baseline); the tables show them.
    scaling = data[(data["workers"] == data["cpus"]) & (data["mode"] != "sequential")]
    fig, (ax_time, ax_speed) = plt.subplots(1, 2, figsize=(11, 4.2))
    _plot_lines(scaling, ax_time, ax_speed)
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
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def plot_figures(summary: pd.DataFrame, folder: Path) -> list[Path]:
    """Time and speedup against workers, one line per runtime and mode, per workload."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for workload, data in summary[summary["scaling"] != "none"].groupby("workload"):
        path = folder / f"{workload}_scaling.png"
        _workload_figure(workload, data, path)
        written.append(path)
    return written


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
