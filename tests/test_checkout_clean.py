"""A user's run writes nothing that git tracks: every output is ignored, the reference results are not."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import REPO

WRITTEN_BY_A_RUN = [
    "results/runs.csv",
    "results/summary.csv",
    "results/comparisons.csv",
    "results/claims.csv",
    "results/report.md",
    "results/environment.json",
    "results/sessions.json",
    "results/config.json",
    "results/figures/cpu_loop_scaling.png",
    "results/pyperf/go.json",
    "results/benchfmt.txt",
    "results/raw/go/cpu_loop/goroutines/cpus-0-1_w2.jsonl",
    "results/raw/sessions/s1.json",
    "results/session/journal.jsonl",
    "results/session/settings.json",
    "results/session/budget.json",
    "results/hosts/settings.json",
    "results/images/go.iid",
    "results/publish/parbench-host-1-20261126-abc.tar.gz",
    "logs/measure.log",
    ".snakemake/log/x.log",
    "resources/Python-3.13.5.tar.xz",
]


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="needs the git checkout")
def test_everything_a_run_writes_is_ignored_and_the_reference_is_tracked():
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *WRITTEN_BY_A_RUN], cwd=REPO, capture_output=True, text=True
    )
    assert sorted(done.stdout.split()) == sorted(WRITTEN_BY_A_RUN)
    tracked = subprocess.run(["git", "ls-files", "results"], cwd=REPO, capture_output=True, text=True).stdout.split()
    assert tracked and all(path.startswith("results/reference/") for path in tracked)
