"""Do two sets of settings measure the same answers, and how much sooner does one finish?

Runs the same experiment (benchmarks/settings.yaml by default) in one project
copy, whole sessions one after the other, alternating the `--old` and the
`--new` settings (old, new, new, old, ... so neither side always goes first),
and prints for every cell the ratio new / old of its per-loop median with the
95 % interval that inverts the exact Mann-Whitney test, and whether that test
tells the two apart; then each side's session wall time (`wall_seconds` of
its stamps), cell runs and containers started, timed sections, and claim
verdicts. Settings are `--config` pairs, as snakemake takes them.

    .venv/bin/python benchmarks/settings.py --old cells_per_container=1 --new cells_per_container=8
    .venv/bin/python benchmarks/settings.py --old min_time=0.2 values_time=1.0 \\
        --new min_time=0.1 values_time=0.6 [--pairs 1] [--config benchmarks/settings.yaml]
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pandas as pd
from before_after import compare

from common import project_copy, timed_snakemake

SIDES = ("old", "new")


def session(project: Path, config: Path, settings: list[str], label: str) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """One whole session: its runs (told apart by `label`), its stamp, and its claims."""
    shutil.rmtree(project / "results" / "raw", ignore_errors=True)
    shutil.copy(config, project / "experiment.yaml")
    timed_snakemake(project, "--configfile", "experiment.yaml", "--forcerun", "measure", "--config", *settings)
    runs = pd.read_csv(project / "results" / "runs.csv", dtype={"variant": str, "cpuset": str})
    runs["variant"] = runs["variant"].fillna("")
    runs["session"] = label
    stamp = json.loads((project / "results" / "sessions.json").read_text())["sessions"][-1]
    return runs, stamp, pd.read_csv(project / "results" / "claims.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", nargs="+", required=True, metavar="KEY=VALUE", help="settings of one side")
    parser.add_argument("--new", nargs="+", required=True, metavar="KEY=VALUE", help="settings of the other")
    parser.add_argument("--pairs", type=int, default=1, help="pairs of sessions (one of each side)")
    parser.add_argument("--config", type=Path, default=Path(__file__).with_name("settings.yaml"))
    args = parser.parse_args()
    chosen = {"old": args.old, "new": args.new}
    project = project_copy()
    timed_snakemake(project, "images", "--configfile", str(args.config.resolve()))
    runs: dict[str, list[pd.DataFrame]] = {side: [] for side in SIDES}
    stamps: dict[str, list[dict]] = {side: [] for side in SIDES}
    verdicts: dict[str, list[list[str]]] = {side: [] for side in SIDES}
    for pair in range(args.pairs):
        for side in SIDES if pair % 2 == 0 else SIDES[::-1]:
            table, stamp, claims = session(project, args.config.resolve(), chosen[side], f"{side}-{pair}")
            runs[side].append(table)
            stamps[side].append(stamp)
            verdicts[side].append(claims["verdict"].astype(str).tolist())
    table = compare(pd.concat(runs["old"]), pd.concat(runs["new"]))
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(
        f"\n{len(table)} cells; {int(table['differs'].sum())} differ (exact Mann-Whitney, p <= 0.05); "
        f"median |new/old - 1| = {float((table['new/old'] - 1).abs().median()):.3f}; "
        f"median cv old {table['old cv'].median():.3f}, new {table['new cv'].median():.3f}"
    )
    for side in SIDES:
        print(f"{side} ({' '.join(chosen[side])}):")
        for stamp in stamps[side]:
            started = stamp.get("containers_started", stamp["containers"])  # sessionrecords counts them
            wall, timed = stamp["wall_seconds"], stamp["timed_seconds"]
            print(
                f"  session of {wall:.0f} s: {stamp['containers']} cell runs in {started} containers, "
                f"timed sections {timed:.0f} s (wall / timed {wall / timed:.2f})"
            )
    same = all(v == verdicts["old"][0] for vs in verdicts.values() for v in vs)
    print(f"claim verdicts the same in every session: {'yes' if same else 'no'}")
    if not same:
        for side, vs in verdicts.items():
            print(f"  {side}: {vs}")


if __name__ == "__main__":
    main()
