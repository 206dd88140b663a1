"""What adaptive rounds save, and what they move: the stopping rule applied to a fixed-rounds run.

A run measured with fixed rounds holds every round of every cell, so the rule
can be replayed on it: each cell keeps the containers an adaptive session
would have measured (stopping.rounds_taken), and the comparisons and claims
are computed again from what is kept. Printed:

- containers and timed-section seconds kept, cells stopped early;
- every ratio whose interval moved so that it no longer holds the full run's
  ratio, and every significance mark or claim verdict that changed;
- by simulation, the coverage of the ratio interval when both cells stop by
  the rule, beside fixed rounds: optional stopping makes intervals narrower
  than their level, and this says by how much.

    .venv/bin/python benchmarks/stopping.py [--runs results/reference/runs.csv] [--precision 0.02] [--min-rounds 4]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from parbench.aggregate import CELL_KEYS, per_container, read_table, summary_table
from parbench.analysis import analysed
from parbench.speedup import time_ratio
from parbench.stats import shift_rank, u_counts
from parbench.stopping import PRECISE, StopRule, rounds_taken

REPO = Path(__file__).resolve().parent.parent


def kept_rounds(runs: pd.DataFrame, rule: StopRule) -> pd.DataFrame:
    """The rows an adaptive session would have measured: each cell's first rounds, as many as the rule keeps."""
    keep = []
    for _, group in runs.groupby(CELL_KEYS, sort=False, dropna=False):
        figures = per_container(group)
        taken, _ = rounds_taken(list(figures), rule.precision, rule.min_rounds, rule.repeats)
        rounds = sorted(group["round"].unique())[:taken]
        keep.append(group[group["round"].isin(rounds)])
    return pd.concat(keep).sort_index()


def analyse(runs: pd.DataFrame, rule: StopRule, catalogue: dict):
    summary = summary_table(runs, rule=rule)
    comparisons, claims = analysed(summary, runs, catalogue)
    return summary, comparisons, {claim.claim: claim.verdict for claim in claims}


def moved_comparisons(full: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """Rows whose kept interval misses the full run's ratio, or whose mark changed."""
    key = [c for c in full.columns if c.startswith(("a_", "b_")) or c in ("kind", "host", "workload", "statistic")]
    key = [c for c in key if c not in ("a_session", "b_session") and not c.endswith(("_n", "_median"))]
    both = full.merge(kept, on=key, suffixes=("_full", "_kept"))
    misses = ~((both["ci_low_kept"] <= both["ratio_full"]) & (both["ratio_full"] <= both["ci_high_kept"]))
    misses &= both["ci_low_kept"].notna()
    marks = both["significant_full"] != both["significant_kept"]
    both["misses"], both["mark_changed"] = misses, marks
    return both


def replay(runs_path: Path, rule: StopRule, catalogue: dict) -> None:
    runs = read_table(runs_path)
    kept = kept_rounds(runs, rule)
    fixed = StopRule(rule.repeats, rule.repeats, 0.0)
    summary_full, full, verdicts_full = analyse(runs, fixed, catalogue)
    summary_kept, part, verdicts_kept = analyse(kept, rule, catalogue)
    containers = lambda frame: frame.drop_duplicates(["session", "order"]).shape[0]  # noqa: E731
    timed = lambda frame: frame["total_seconds"].sum()  # noqa: E731
    early = int((summary_kept["stopped"] == PRECISE).sum())
    print(f"replayed {runs_path} with precision {rule.precision}, rounds {rule.min_rounds}..{rule.repeats}")
    print(f"  containers kept: {containers(kept)} of {containers(runs)} ({containers(kept) / containers(runs):.0%})")
    print(f"  timed seconds kept: {timed(kept):.0f} of {timed(runs):.0f} ({timed(kept) / timed(runs):.0%})")
    print(f"  cells stopped early: {early} of {len(summary_kept)}")
    both = moved_comparisons(full, part)
    print(f"  comparisons: {len(both)}; kept interval misses the full run's ratio: {int(both['misses'].sum())}")
    print(f"  significance marks changed: {int(both['mark_changed'].sum())}")
    for _, row in both[both["misses"] | both["mark_changed"]].iterrows():
        print(
            f"    {row['kind']} {row['workload']} {row['a_runtime']}/{row['b_runtime']} w{row['b_workers']}: "
            f"full {row['ratio_full']:.3f} [{row['ci_low_full']:.3f}, {row['ci_high_full']:.3f}] "
            f"{row['significant_full']}, kept {row['ratio_kept']:.3f} [{row['ci_low_kept']:.3f}, "
            f"{row['ci_high_kept']:.3f}] {row['significant_kept']}"
        )
    changed = {
        c: (verdicts_full[c], verdicts_kept.get(c)) for c in verdicts_full if verdicts_full[c] != verdicts_kept.get(c)
    }
    print(f"  claim verdicts: {len(verdicts_full)}, changed: {len(changed)}")
    for claim, (before, after) in changed.items():
        print(f"    {claim}: {before} -> {after}")


def coverage(rule: StopRule, cv: float, trials: int, seed: int) -> tuple[float, float, float]:
    """Share of trials whose ratio interval holds the true ratio (1.0): fixed rounds, adaptive; mean rounds taken.

    Container figures are log-normal with this coefficient of variation, as
    timings are (right-skewed, positive); both cells of a pair stop by the rule.
    """
    rng = np.random.default_rng(seed)
    held_fixed = held_adaptive = rounds = 0
    for _ in range(trials):
        a, b = (np.exp(rng.normal(0.0, cv, rule.repeats)) for _ in range(2))
        na = rounds_taken(list(a), rule.precision, rule.min_rounds, rule.repeats)[0]
        nb = rounds_taken(list(b), rule.precision, rule.min_rounds, rule.repeats)[0]
        _, low, high, _ = time_ratio(a, b)
        held_fixed += bool(low <= 1.0 <= high)
        _, low, high, _ = time_ratio(a[:na], b[:nb])
        held_adaptive += bool(low <= 1.0 <= high)  # a pair too few to test has no interval: counted as missing
        rounds += na + nb
    return held_fixed / trials, held_adaptive / trials, rounds / (2 * trials)


def exact_level(n: int, m: int) -> float:
    """The confidence the Mann-Whitney interval of n against m containers actually has (it is discrete)."""
    k = shift_rank(n, m)
    counts = u_counts(n, m)
    return 1 - 2 * sum(counts[:k]) / sum(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=REPO / "results" / "reference" / "runs.csv")
    parser.add_argument("--precision", type=float, default=0.02)
    parser.add_argument("--min-rounds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--trials", type=int, default=4000)
    args = parser.parse_args()
    rule = StopRule(args.repeats, args.min_rounds, args.precision)
    catalogue = yaml.safe_load((REPO / "config.yaml").read_text())["catalogue"]
    replay(args.runs, rule, catalogue)
    error = math.sqrt(0.95 * 0.05 / args.trials)
    print(f"coverage of the 95 % ratio interval, true ratio 1, {args.trials} simulated pairs per row")
    print(f"(standard error of each share about {error:.1%}; 6 against 6 is exact at {exact_level(6, 6):.1%}):")
    print("  cv      fixed  adaptive  mean rounds")
    for number, cv in enumerate((0.003, 0.01, 0.02, 0.05)):
        fixed, adaptive, mean_rounds = coverage(rule, cv, args.trials, seed=number)
        print(f"  {cv:<6.3f}  {fixed:5.1%}  {adaptive:8.1%}  {mean_rounds:11.2f}")


if __name__ == "__main__":
    main()
