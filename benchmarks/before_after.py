"""Does a change of the measuring code change the answer, or only its precision?

Runs the same small experiment with an older commit of parbench and with this
checkout, one whole session after the other (old, new, old, new by default),
on this machine, and compares each cell's per-loop median: the ratio new/old
with its 95 % interval (the one that inverts the exact Mann-Whitney U test)
and whether that test tells the two apart, plus each side's coefficient of variation. Made for calibration:
cells whose old timed section was already long enough should agree.

    .venv/bin/python benchmarks/before_after.py --old 6e04d45 [--config benchmarks/before_after.yaml] [--pairs 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import venv
from pathlib import Path

import pandas as pd

from parbench.aggregate import per_container
from parbench.stats import differs, ratio_ci

from common import REPO, project_copy, timed_snakemake

CELL = ["runtime", "workload", "mode", "variant", "cpuset", "workers"]


def old_checkout(commit: str) -> Path:
    """The older commit's tree in a temporary folder, sources hard-linked in."""
    dest = Path(tempfile.mkdtemp(prefix="parbench-old-")) / "parbench"
    subprocess.run(["git", "worktree", "add", "--detach", str(dest), commit], cwd=REPO, check=True, capture_output=True)
    (dest / "resources").mkdir(exist_ok=True)
    for item in (REPO / "resources").iterdir():
        if item.is_file():
            (dest / "resources" / item.name).hardlink_to(item)
    return dest


def old_python(dest: Path) -> Path | None:
    """The interpreter that runs the old checkout's own package, or None for this one.

    A checkout with a pyproject.toml is an installed package: this venv's
    editable install points at the current checkout, so the old code gets a
    venv of its own with its pinned requirements. Older checkouts put their
    own package on the path in common.smk, so this venv runs them as they were.
    """
    if not (dest / "pyproject.toml").is_file():
        return None
    venv.create(dest / ".venv", with_pip=True)
    python = dest / ".venv" / "bin" / "python"
    for args in (["-r", str(dest / "requirements.txt")], ["--no-deps", "-e", str(dest)]):
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *args], check=True, capture_output=True)
    return python


def run(project: Path, config: Path, label: str, python: Path | None = None) -> pd.DataFrame:
    """One whole session of the experiment in `project`; its runs table, its containers told apart by `label`."""
    shutil.rmtree(project / "results" / "raw", ignore_errors=True)
    shutil.copy(config, project / "before_after.yaml")
    timed_snakemake(project, "--configfile", "before_after.yaml", "--forcerun", "measure", python=python)
    runs = pd.read_csv(project / "results" / "runs.csv", dtype={"variant": str, "cpuset": str})
    runs["variant"] = runs["variant"].fillna("")
    runs["session"] = label  # older tables have no session column; the orders of two sessions must not mix
    return runs


def compare(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for key, group in new.groupby(CELL):
        # One figure per container on both sides: the newer harness may take several values in one.
        before = per_container(old[(old[CELL] == pd.Series(key, index=CELL)).all(axis=1)])
        after = per_container(group)
        if len(before) == 0:
            continue
        ratio, low, high = ratio_ci(after, before)
        rows.append(
            {
                **dict(zip(CELL, key)),
                "old median s": float(pd.Series(before).median()),
                "new loops": int(group["loops"].max()) if "loops" in group else 1,
                "new/old": ratio,
                "95% CI": f"{low:.3f}-{high:.3f}",
                "differs": differs(after, before),
                "old cv": float(pd.Series(before).std() / pd.Series(before).mean()),
                "new cv": float(pd.Series(after).std() / pd.Series(after).mean()),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="the older commit")
    parser.add_argument("--config", type=Path, default=Path(__file__).with_name("before_after.yaml"))
    parser.add_argument("--pairs", type=int, default=2, help="old/new session pairs, alternating")
    parser.add_argument("--min-time", type=float, default=0.2, help="old cells at least this long should agree")
    args = parser.parse_args()
    old_project, new_project = old_checkout(args.old), project_copy()
    pythons = {old_project: old_python(old_project), new_project: None}
    for project, python in pythons.items():
        timed_snakemake(project, "images", "--configfile", str(args.config.resolve()), python=python)
    olds, news = [], []
    for pair in range(args.pairs):
        olds.append(run(old_project, args.config, f"old{pair}", pythons[old_project]))
        news.append(run(new_project, args.config, f"new{pair}"))
    table = compare(pd.concat(olds), pd.concat(news))
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    long_enough = table[table["old median s"] >= args.min_time]
    print(
        f"\ncells whose old section lasted >= {args.min_time} s: {len(long_enough)}, "
        f"of which {int(long_enough['differs'].sum())} differ significantly (exact Mann-Whitney, p <= 0.05); "
        f"median |new/old - 1| = {float((long_enough['new/old'] - 1).abs().median()):.3f}"
    )
    short = table[table["old median s"] < args.min_time]
    print(
        f"cells whose old section was shorter: {len(short)}; median cv old {short['old cv'].median():.3f}, "
        f"new {short['new cv'].median():.3f}"
    )
    subprocess.run(["git", "worktree", "remove", "--force", str(old_project)], cwd=REPO, capture_output=True)


if __name__ == "__main__":
    main()
