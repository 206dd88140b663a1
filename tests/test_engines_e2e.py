"""The quick config measured with Podman and with Apptainer gives what Docker gives.

Each engine measures a private copy of the project that already ran the
quick config with Docker (fixture quick_run): same images (the copy keeps
their IDs, so nothing is rebuilt), same settings but the engine. Every
checksum must be the one the parameters imply and the one Docker's run
found; the claims must be the same rows, the checks the same verdicts; the
stamp and the report must name the engine, and Apptainer's what it could not
enforce.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from parbench.specs import expected_checksum_of

from conftest import QUICK, snakemake

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.engines]

VERBS = {"podman": "a `podman run`", "apptainer": "an `apptainer exec`"}


@pytest.fixture(scope="module", params=["podman", "apptainer"])
def engine_run(request, quick_run, engine_project):
    name = request.param
    project, env = engine_project(name)
    done = snakemake(project, *QUICK, "--config", f"engine={name}", env=env, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return name, project, quick_run


def test_checksums_are_those_of_the_parameters_and_of_docker(engine_run):
    name, project, docker_project = engine_run
    runs = pd.read_csv(project / "results/runs.csv", dtype={"params": str})
    docker = pd.read_csv(docker_project / "results/runs.csv", dtype={"params": str})
    for (workload, params, workers, units), group in runs.groupby(["workload", "params", "workers", "units"]):
        assert (group["checksum"] == expected_checksum_of(workload, params, int(workers), int(units))).all(), workload
    key = ["runtime", "workload", "params", "mode", "variant", "cpuset", "workers", "units", "checksum"]
    assert set(map(tuple, runs[key].values)) == set(map(tuple, docker[key].values))
    # Every cell pinned where it was asked, as the harness saw it from inside.
    assert (runs["affinity"].astype(str) == runs["cpuset"].astype(str)).all(), name
    for runtime, ids in runs.groupby("runtime")["image_id"].unique().items():
        assert list(ids) == [(project / "results/images" / f"{runtime}.iid").read_text().strip()]


def test_claims_are_the_same_rows_as_dockers(engine_run):
    _, project, docker_project = engine_run
    here = pd.read_csv(project / "results/claims.csv")
    docker = pd.read_csv(docker_project / "results/claims.csv")
    assert list(here["claim"]) == list(docker["claim"]) and list(here["kind"]) == list(docker["kind"])
    checks = here["kind"] == "check"
    # A check cannot come out otherwise on correct data; verdicts on a quick run's 30 ms sections may differ by noise.
    assert list(here.loc[checks, "verdict"]) == list(docker.loc[checks, "verdict"])


def test_the_stamp_and_the_report_name_the_engine(engine_run):
    name, project, _ = engine_run
    stamp = json.loads((project / "results/sessions.json").read_text())["sessions"][-1]
    facts = stamp["settings"]["engine_facts"]
    assert facts["name"] == name and facts["version"] not in ("", "unknown")
    loaded = json.loads((project / f"results/images/loaded-{name}.json").read_text())
    assert facts["references"] == {runtime: held["reference"] for runtime, held in loaded["images"].items()}
    report = (project / "results/report.md").read_text()
    assert f"each {VERBS[name]} pinned to a CPU set" in report
    assert f"| {name} {facts['version']} |" in report  # the Provenance table's engine column
    if name == "apptainer":
        assert "**Not enforced:** apptainer did not enforce memory and process limits" in report
        for held in loaded["images"].values():
            assert held["digest"].startswith("sha256:") and (project / held["reference"]).is_dir()
    else:
        assert "Not enforced" not in report


def test_an_engine_that_is_not_there_is_one_line_before_anything_is_built(quick_run):
    # PATH without any folder that holds an apptainer: a machine that never installed it.
    folders = [f for f in os.environ["PATH"].split(":") if f and not (Path(f) / "apptainer").exists()]
    done = snakemake(quick_run, *QUICK, "--config", "engine=apptainer", env={"PATH": ":".join(folders)}, timeout=300)
    assert done.returncode != 0
    last = [line for line in done.stderr.splitlines() if line.strip()][-1]
    assert last.startswith("parbench: engine apptainer: the apptainer command is not installed: install Apptainer")
    assert "Traceback" not in done.stderr and "rule engine_images" not in done.stderr + done.stdout
