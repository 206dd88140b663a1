"""A cluster node that has Apptainer and no Docker daemon of its own to measure with.

On the one-node test cluster, with `host_engines` giving the node
Apptainer: the node's load job asks its Apptainer and makes its sandboxes
from the archives in the shared working directory, and its exclusive SLURM
job measures the faults config with `apptainer exec`. The checksums must be
the ones the parameters imply, and the host's stamp must name the engine.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_slurm_cluster import cancel_jobs_in, cluster  # noqa: F401  (fixture)

from parbench.specs import expected_checksum_of

from conftest import snakemake

pytestmark = [pytest.mark.docker, pytest.mark.slurm, pytest.mark.slow, pytest.mark.engines]


@pytest.fixture(scope="module")
def apptainer_cluster_run(engine_project, cluster):  # noqa: F811
    project, env = engine_project("apptainer")
    node = cluster["node"]
    (project / "apptainer-hosts.yaml").write_text(
        json.dumps(
            {
                "hosts": [node],
                "host_engines": {node: "apptainer"},
                "cluster": {"account": cluster["account"], "partition": cluster["partition"]},
            }
        )
    )
    try:
        done = snakemake(
            project,
            "--profile",
            "profiles/slurm",
            "--configfile",
            "configs/faults.yaml",
            "apptainer-hosts.yaml",
            "--slurm-init-seconds-before-status-checks",
            "2",
            env=env,  # the job inherits PATH, with the wrapper first, as a site's module would set it
            timeout=1800,
        )
    finally:
        cancel_jobs_in(project)
    assert done.returncode == 0, done.stderr[-3000:]
    return project, node


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
    runs = pd.read_csv(host / "runs.csv", dtype={"params": str})
    for (workload, params, workers, units), group in runs.groupby(["workload", "params", "workers", "units"]):
        assert (group["checksum"] == expected_checksum_of(workload, params, int(workers), int(units))).all()
    assert (runs["affinity"].astype(str) == runs["cpuset"].astype(str)).all()
    assert "each an `apptainer exec` pinned to a CPU set" in (host / "report.md").read_text()
