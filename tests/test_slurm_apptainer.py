"""A cluster node that has Apptainer and no Docker daemon of its own to measure with.

On the one-node test cluster, with `host_engines` giving the node
Apptainer: the node's load job asks its Apptainer and checks the archives in
the shared working directory (its sandboxes start as those the local
Apptainer tests made from the same archives, so it builds only what is
missing), and its exclusive SLURM job measures the faults config with
`apptainer exec`. The checksums must be
the ones the parameters imply, and the host's stamp must name the engine.
The run carries a budget that all rounds fit, so the node's own fit of it
and the merge's reading of each node's rounds rule run for real too.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from test_slurm_cluster import cluster, cluster_snakemake  # noqa: F401  (fixture)

from parbench.specs import expected_checksum_of

pytestmark = [pytest.mark.docker, pytest.mark.slurm, pytest.mark.slow, pytest.mark.engines]


@pytest.fixture(scope="module")
def apptainer_cluster_run(engine_project, cluster):  # noqa: F811
    project, env = engine_project("apptainer")
    node = cluster["node"]
    reuse_sandboxes(project, node)
    # The job inherits PATH, with the wrapper first, as a site's module would set it.
    cluster_snakemake(project, cluster, "configs/faults.yaml", env=env, host_engines={node: "apptainer"}, budget="1h")
    return project, node


def reuse_sandboxes(project: Path, node: str) -> None:
    """Give the node the sandboxes this project's local Apptainer runs made from the same archives, if any.

    Making one takes most of a minute; engineimages keeps a sandbox whose
    recorded digest is its archive's, after checking the archive and the
    image ID in it, so the node's load job still checks everything and
    builds only what is missing. The build itself is tested by the local
    engine tests (tests/test_engines_e2e.py, tests/test_apptainer_env.py).
    """
    made, dest = project / "results/images/apptainer", project / "results/hosts" / node / "images"
    for sandbox in sorted(made.glob("*/.parbench-digest")) if made.is_dir() else []:
        target = dest / sandbox.parent.name
        if not target.exists():
            dest.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cp", "-al", str(sandbox.parent), str(target)], check=True, timeout=300)


def test_the_node_measured_with_apptainer(apptainer_cluster_run):
    project, node = apptainer_cluster_run
    host = project / "results/hosts" / node
    # The node's load job asked its Apptainer (the probe runs only before images are built: they were).
    assert "apptainer holds 2 image(s)" in (project / "logs/hosts" / node / "load.log").read_text()
    loaded = json.loads((host / "images.json").read_text())
    assert loaded["engine"] == "apptainer"
    for runtime, held in loaded["images"].items():
        assert held["image_id"] == (project / "results/images" / f"{runtime}.iid").read_text().strip()
        assert held["reference"].startswith(str(host / "images")) and held["digest"].startswith("sha256:")
    stamp = json.loads((host / "sessions.json").read_text())["sessions"][-1]
    assert stamp["settings"]["engine_facts"]["name"] == "apptainer"
    assert stamp["machine"].get("slurm_job_id"), "the session ran as a SLURM job"
    # The node fitted the budget to its own cells: all 3 rounds fit, and the choice is kept for a resume.
    assert stamp["settings"]["budget"] == {"limit": "1h", "asked_repeats": 3, "repeats": 3}
    kept = json.loads((host / "session/settings.json").read_text())
    assert kept["budget"] == stamp["settings"]["budget"] and kept["repeats"] == 3
    merged = pd.read_csv(project / "results/merged/summary.csv")
    assert set(merged["stopped"]) == {"repeats"}, "each cell took the 3 rounds the node's rule allowed"
    runs = pd.read_csv(host / "runs.csv", dtype={"params": str})
    for (workload, params, workers, units), group in runs.groupby(["workload", "params", "workers", "units"]):
        assert (group["checksum"] == expected_checksum_of(workload, params, int(workers), int(units))).all()
    assert (runs["affinity"].astype(str) == runs["cpuset"].astype(str)).all()
    assert "each an `apptainer exec` pinned to a CPU set" in (host / "report.md").read_text()
