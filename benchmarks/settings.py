"""Do cells that share a container measure what cells with a container each measure, and how much sooner?

Runs the same experiment (benchmarks/sharing.yaml by default) in one project
copy, whole sessions one after the other, alternating one cell per container
and `--per-container` cells (1, K, K, 1, ... so neither side always goes
first), and prints for every cell the ratio shared / alone of its per-loop
median with the 95 % interval that inverts the exact Mann-Whitney test, and
whether that test tells the two apart; then each side's session wall time
(`wall_seconds` of its stamps), containers started, and claim verdicts.

    .venv/bin/python benchmarks/sharing.py [--per-container 8] [--pairs 1] [--config benchmarks/sharing.yaml]
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pandas as pd
from before_after import compare

from common import project_copy, timed_snakemake


def session(project: Path, config: Path, per_container: int, label: str) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """One whole session: its runs (told apart by `label`), its stamp, and its claims."""
    shutil.rmtree(project / "results" / "raw", ignore_errors=True)
    shutil.copy(config, project / "sharing.yaml")
    setting = f"cells_per_container={per_container}"
    timed_snakemake(project, "--configfile", "sharing.yaml", "--forcerun", "measure", "--config", setting)
    runs = pd.read_csv(project / "results" / "runs.csv", dtype={"variant": str, "cpuset": str})
    runs["variant"] = runs["variant"].fillna("")
    runs["session"] = label
    stamp = json.loads((project / "results" / "sessions.json").read_text())["sessions"][-1]
    return runs, stamp, pd.read_csv(project / "results" / "claims.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-container", type=int, default=8, help="cells a shared container may run")
    parser.add_argument("--pairs", type=int, default=1, help="pairs of sessions (one of each kind)")
    parser.add_argument("--config", type=Path, default=Path(__file__).with_name("sharing.yaml"))
    args = parser.parse_args()
    project = project_copy()
    timed_snakemake(project, "images", "--configfile", str(args.config.resolve()))
    runs: dict[int, list[pd.DataFrame]] = {1: [], args.per_container: []}
    walls: dict[int, list[float]] = {1: [], args.per_container: []}
    started: dict[int, list[int]] = {1: [], args.per_container: []}
    verdicts: dict[int, list[list[str]]] = {1: [], args.per_container: []}
    for pair in range(args.pairs):
        order = [1, args.per_container] if pair % 2 == 0 else [args.per_container, 1]
        for k in order:
            table, stamp, claims = session(project, args.config.resolve(), k, f"k{k}-{pair}")
            runs[k].append(table)
            walls[k].append(stamp["wall_seconds"])
            started[k].append(stamp.get("containers_started", stamp["containers"]))  # sessionrecords counts them
            verdicts[k].append(claims["verdict"].astype(str).tolist())
    table = compare(pd.concat(runs[1]), pd.concat(runs[args.per_container]))
    table = table.rename(columns={"old median s": "alone median s", "new/old": "shared/alone"})
    pd.set_option("display.width", 200)
    print(table.drop(columns=["new loops"]).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(
        f"\n{len(table)} cells; {int(table['differs'].sum())} differ (exact Mann-Whitney, p <= 0.05); "
        f"median |shared/alone - 1| = {float((table['shared/alone'] - 1).abs().median()):.3f}; "
        f"median cv alone {table['old cv'].median():.3f}, shared {table['new cv'].median():.3f}"
    )
    for k in runs:
        print(
            f"cells_per_container={k}: sessions of {', '.join(f'{w:.0f} s' for w in walls[k])}, "
            f"containers started {', '.join(str(n) for n in started[k])}"
        )
    same = all(v == verdicts[1][0] for vs in verdicts.values() for v in vs)
    print(f"claim verdicts the same in every session: {'yes' if same else 'no'}")
    if not same:
        for k, vs in verdicts.items():
            print(f"  cells_per_container={k}: {vs}")


if __name__ == "__main__":
    main()
