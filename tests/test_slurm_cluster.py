"""The SLURM profile on a real one-node cluster (scripts/slurm-test-cluster.sh).

A throwaway two-rule workflow runs through profiles/slurm: the rule named
`measure` asks for its node as parbench's measure rule does
(slurm.node_options, --exclusive --nodelist=NODE) and must get it alone, the
other must not, and both must complete in SLURM's
accounting. parbench.slurm's checks must name an unknown node and an account
the cluster refuses. The cluster is left running (the script is idempotent),
so a second run finds it up in about a second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import slurm_jobs

from parbench import slurm

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "slurm-test-cluster.sh"

SNAKEFILE = """
rule all:
    input: "measure.txt", "other.txt"

# Each job records the SLURM job it ran in and the CPUs it could use.
rule measure:
    output: "measure.txt"
    resources: slurm_extra="NODE_OPTIONS"
    shell: "echo $SLURM_JOB_ID $(nproc) > {output}"

rule other:
    output: "other.txt"
    shell: "echo $SLURM_JOB_ID $(nproc) > {output}"
"""


@pytest.fixture(scope="module")
def cluster() -> dict[str, str]:
    """Set up or check the test cluster; {'node':..., 'account':..., 'partition':...}."""
    done = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        message = f"the SLURM test cluster is not available: {(done.stderr.strip().splitlines() or ['?'])[-1]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    last = done.stdout.strip().splitlines()[-1]
    return dict(part.split("=", 1) for part in last.split())


def cancel_jobs_in(workdir: Path) -> None:
    """Cancel jobs left queued from `workdir` (only those), so a failed run leaves nothing behind."""
    listed = subprocess.run(["squeue", "-h", "-o", "%i|%Z"], capture_output=True, text=True, timeout=20)
    ids = [line.split("|")[0] for line in listed.stdout.splitlines() if line.split("|")[-1] == str(workdir)]
    if ids:
        subprocess.run(["scancel", *ids], timeout=20)


def cluster_snakemake(
    project: Path, cluster: dict[str, str], *configfiles: str, env: dict | None = None, **hosts
) -> subprocess.CompletedProcess:
    """The workflow in `project` on the test cluster's node: its config files, then hosts.yaml made here.

    `hosts` adds to that file (host_engines, ...), which later commands in
    the project can name too; jobs left queued are cancelled whatever
    happens, and the run must succeed (its output is returned).
    """
    from conftest import snakemake

    node = cluster["node"]
    cluster_file = project / "hosts.yaml"
    cluster_file.write_text(
        json.dumps(
            {"hosts": [node], "cluster": {"account": cluster["account"], "partition": cluster["partition"]}, **hosts}
        )
    )
    try:
        done = snakemake(
            project,
            "--profile",
            "profiles/slurm",
            "--configfile",
            *configfiles,
            cluster_file.name,
            "--slurm-init-seconds-before-status-checks",
            "2",
            env=env,
            timeout=1800,
        )
    finally:
        cancel_jobs_in(project)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_profile_runs_measure_exclusive_and_others_shared(cluster, tmp_path):
    workdir = tmp_path / "wf"
    workdir.mkdir()
    options = slurm.node_options(cluster["node"], exclusive=True)
    (workdir / "Snakefile").write_text(SNAKEFILE.replace("NODE_OPTIONS", options))
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--profile",
        str(REPO / "profiles" / "slurm"),
        # The command line replaces the profile's whole default-resources list.
        "--default-resources",
        f"slurm_account={cluster['account']}",
        f"slurm_partition={cluster['partition']}",
        "runtime=10",
        "mem_mb=500",
        "--slurm-init-seconds-before-status-checks",
        "3",
    ]
    try:
        done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=300)
    finally:
        cancel_jobs_in(workdir)
    assert done.returncode == 0, done.stderr[-3000:]

    nodes = slurm.cluster_nodes()
    node_cpus = nodes[cluster["node"]].cpus
    jobs = {}
    for rule in ("measure", "other"):
        job_id, visible = (workdir / f"{rule}.txt").read_text().split()
        record = slurm_jobs.job_record(job_id)
        assert record.state == "COMPLETED", (rule, record)
        assert record.nodes == cluster["node"]
        jobs[rule] = (record, slurm_jobs.job_fields(job_id), int(visible))

    record, fields, _ = jobs["measure"]
    assert slurm_jobs.job_exclusive(record, node_cpus), record
    assert slurm_jobs.job_exclusive(scontrol=fields), fields.get("OverSubscribe")
    assert record.alloc_cpus == node_cpus

    record, fields, visible = jobs["other"]
    assert not slurm_jobs.job_exclusive(scontrol=fields), fields.get("OverSubscribe")
    if node_cpus > 1:
        assert not slurm_jobs.job_exclusive(record, node_cpus), record
    assert visible == 1  # a job sees its --cpus-per-task (threads), not the node


def test_problems_name_unknown_node_and_refused_account(cluster):
    node, account = cluster["node"], cluster["account"]
    assert slurm.slurm_problem([node], account) is None

    line = slurm.slurm_problem(["no-such-node"], account)
    assert "'no-such-node' is not in this cluster" in line and node in line and "\n" not in line

    line = slurm.slurm_problem([node], "no-such-account")
    assert "refuses account 'no-such-account'" in line and "\n" not in line
    # The check agrees with the cluster: sbatch refuses that account too.
    refused = subprocess.run(
        ["sbatch", "-A", "no-such-account", "-p", cluster["partition"], "--wrap", "true"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert refused.returncode != 0 and "account" in refused.stderr.lower()
    # A partition sbatch would refuse, said before anything is submitted; the cluster's own partition passes.
    assert slurm.slurm_problem([node], account, partition=cluster["partition"]) is None
    line = slurm.slurm_problem([node], account, partition="no-such-partition")
    assert "partition 'no-such-partition' does not exist" in line and cluster["partition"] in line
    refused = subprocess.run(
        ["sbatch", "-A", account, "-p", "no-such-partition", "--wrap", "true"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert refused.returncode != 0 and "partition" in refused.stderr.lower()
