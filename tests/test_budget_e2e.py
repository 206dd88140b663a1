"""A time budget end to end: planned cuts reach the settings, the stamp, the tables and the report.

A small experiment of three CPU sets ("0", "1", "0-1": "1" lies between the
smallest and the largest, so a budget may leave it out) on the built images.
The budget asked is what the planner's own model predicts for min_rounds
rounds without set "1", computed here the way the workflow computes it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake.utils import update_config, validate
from test_plan import machine

from parbench.plan import plan

from conftest import REPO, WITHOUT_ARCHIVES, snakemake

pytestmark = [pytest.mark.docker, pytest.mark.slow]

EXPERIMENT = {
    "runtimes": ["cpython-3.13", "go"],
    "cpusets": ["0", "1", "0-1"],
    "repeats": 6,
    "min_rounds": 4,
    "precision": 0,
    "noise_floor": False,
    "min_time": 0.05,
    "values_time": 0,
    "cells_per_container": 1,  # the budget's cuts and its overrun, as they were shown, with a container per cell
    "timeout_seconds": 120,
    "modes": {"cpython": ["sequential", "threads"], "go": ["sequential", "goroutines"]},
    "workloads": {
        "cpu_loop": {"iterations": 200000},
        **{w: None for w in ("cpu_loop_strong", "alloc", "hash", "io_wait", "contention", "channels", "spawn")},
    },
}


def config_of(path: Path) -> dict:
    """config.yaml with the experiment over it and the schema's defaults, as the Snakefile sees it."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    update_config(config, yaml.safe_load(path.read_text()))
    validate(config, str(REPO / "workflow/schemas/config.schema.yaml"))
    return config


@pytest.fixture(scope="module")
def project(built_project, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("budget") / "parbench"
    shutil.copytree(built_project, folder, symlinks=True, ignore=WITHOUT_ARCHIVES)
    shutil.rmtree(folder / "results/raw", ignore_errors=True)
    (folder / "budget.yaml").write_text(yaml.safe_dump(EXPERIMENT))
    return folder


def whole_plan(project: Path):
    """The experiment's plan without a budget, as the workflow makes it in `project`."""
    return plan(config_of(project / "budget.yaml"), project, machine(engine=False))


def test_a_budget_too_small_for_the_claims_sets_is_one_line_and_measures_nothing(project):
    claimed = sum(c.cpuset != "1" for c in whole_plan(project).cells)
    done = snakemake(project, "--configfile", "budget.yaml", "--config", "budget=1s")
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("parbench:")]
    assert len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith(
        f"parbench: budget 1s cannot hold 4 rounds of the {claimed} cells the claims need (CPU sets 0 and 0-1; "
    )
    assert "raise budget to at least" in lines[0]
    assert not (project / "results/raw").exists()


def test_a_budget_that_leaves_a_cpu_set_out_says_so_everywhere(project):
    whole = whole_plan(project)
    settings = json.loads(whole.settings)
    from parbench.estimate import estimate_session

    predicted = estimate_session(settings, {}).with_rounds(4)
    middle = [c.raw_path for c in whole.cells if c.cpuset == "1"]
    budget = f"{int(predicted.seconds - predicted.only(middle).seconds) + 1}s"
    assert int(budget[:-1]) < predicted.seconds  # all sets at 4 rounds do not fit: set 1 must go

    done = snakemake(project, "--configfile", "budget.yaml", "--config", f"budget={budget}")
    assert done.returncode == 0, done.stderr[-3000:]
    left_out = len(middle)
    assert f"parbench: budget {budget}: 4 rounds instead of 6; leaves out CPU set 1 ({left_out} cells;" in done.stderr

    runs = pd.read_csv(project / "results/runs.csv", dtype={"cpuset": str})
    assert set(runs["cpuset"]) == {"0", "0-1"}
    summary = pd.read_csv(project / "results/summary.csv", dtype={"cpuset": str})
    assert len(summary) == len(whole.cells) - left_out
    assert (summary["n"] == 4).all() and (summary["stopped"] == "repeats").all()
    stamps = list((project / "results/raw/sessions").glob("*.json"))
    assert len(stamps) == 1
    stamp = json.loads(stamps[0].read_text())
    assert stamp["settings"]["budget"] == {"limit": budget, "asked_repeats": 6, "repeats": 4, "left_out": ["1"]}
    assert isinstance(stamp["budget_spent"], bool) and all("cpus-1_" not in cell for cell in stamp["cells"])
    # Every cell took the 4 rounds the budget left: whether or not it was spent, it cut none short.
    assert stamp["budget_stopped"] == (summary["stopped"] == "budget").sum() == 0
    report = (project / "results/report.md").read_text()
    assert (
        f"The budget of {budget} left 4 of the 6 rounds asked. It left out CPU set 1, which no claim's verdict"
        in report
    )
    # Up front too, under the opening paragraph, before the blog's table.
    assert report.index(f"**Time budget:** The budget of {budget} left 4") < report.index("## The blog's table")
