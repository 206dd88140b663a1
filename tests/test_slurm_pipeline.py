"""The quick experiment on a real one-node SLURM cluster, through profiles/slurm and config `hosts`.

The same built project that ran the quick config locally (fixture quick_run)
runs it again as a cluster run, on one of its two CPU sets: the host is
probed, loads the image archives, measures in one exclusive SLURM job, and is
aggregated, reported and merged. Checksums must be the ones the parameters
imply (as in the local run's cells of that CPU set), the claims the same
rows, and SLURM's own record must show the session had the node alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import pandas as pd
import pytest
import slurm_jobs
import yaml
from test_slurm_cluster import cancel_jobs_in, cluster, cluster_snakemake  # noqa: F401  (fixture)

from parbench import hostfiles, slurm
from parbench.specs import expected_checksum_of

from conftest import QUICK, REPO, job_counts, snakemake

pytestmark = [pytest.mark.docker, pytest.mark.slurm, pytest.mark.slow]

# One CPU set is enough for what SLURM does, and it keeps the measure job short
# of the plugin's fourth status poll. The plugin polls at growing intervals
# (2 s, then 10 s longer after each poll that finds nothing finished: at 2, 14,
# 36, 68, 110 and 162 s), so the whole quick config's job of about 110 s was
# noticed at 110 s or at 162 s, as it ended just before the fifth poll or after it.
CPUSET = "0-1"


@pytest.fixture(scope="module")
def cluster_run(quick_run, cluster):  # noqa: F811
    done = cluster_snakemake(quick_run, cluster, *QUICK[1:], cpusets=[CPUSET])
    SAID[cluster["node"]] = done.stderr
    return quick_run, cluster["node"]


SAID: dict[str, str] = {}  # what the cluster run printed, by node


def test_per_host_results_and_the_merge(cluster_run):
    project, node = cluster_run
    host = project / "results/hosts" / node
    for name in ("runs.csv", "summary.csv", "sessions.json", "comparisons.csv", "claims.csv", "report.md"):
        assert (host / name).stat().st_size > 0, name
    merged = pd.read_csv(project / "results/merged/runs.csv")
    assert set(merged["host"]) == {node}
    assert "Hosts: " + node in (project / "results/merged/report.md").read_text()
    runs = pd.read_csv(host / "runs.csv", dtype={"params": str})
    for (workload, params, workers, units), group in runs.groupby(["workload", "params", "workers", "units"]):
        assert (group["checksum"] == expected_checksum_of(workload, params, int(workers), int(units))).all(), workload
    assert set(runs["cpuset"].astype(str)) == {CPUSET}
    local = pd.read_csv(project / "results/runs.csv", dtype={"params": str})
    key = ["workload", "params", "mode", "workers", "checksum"]
    # Every answer the host found, the local run found too; every workload and mode ran on the host.
    assert set(map(tuple, runs[key].values)) <= set(map(tuple, local[key].values))
    assert set(map(tuple, runs[key[:3]].values)) == set(map(tuple, local[key[:3]].values))
    # One image per runtime: the host loaded the archives of the images built here.
    for runtime, ids in runs.groupby("runtime")["image_id"].unique().items():
        assert list(ids) == [(project / "results/images" / f"{runtime}.iid").read_text().strip()]


def test_claims_are_the_same_rows_as_the_local_run(cluster_run):
    project, node = cluster_run
    here = pd.read_csv(project / "results/hosts" / node / "claims.csv")
    local = pd.read_csv(project / "results/claims.csv")
    assert list(here["claim"]) == list(local["claim"]) and list(here["kind"]) == list(local["kind"])
    checks = here["kind"] == "check"
    # A check cannot come out otherwise on correct data; verdicts on a 50 ms quick run may differ by noise.
    assert list(here.loc[checks, "verdict"]) == list(local.loc[checks, "verdict"])


def test_the_session_had_its_node_alone(cluster_run):
    project, node = cluster_run
    stamp = json.loads((project / "results/hosts" / node / "sessions.json").read_text())["sessions"][-1]
    job = stamp["machine"].get("slurm_job_id")
    assert job, "the stamp names the SLURM job that measured"
    record = slurm_jobs.job_record(job)
    node_cpus = slurm.cluster_nodes()[node].cpus
    assert slurm_jobs.job_exclusive(record, node_cpus) and record.state == "COMPLETED"
    assert stamp["topology"]["counts"]["cpus"] == node_cpus  # the session saw every CPU of the node


def test_the_node_was_predicted_before_submitting_and_its_job_got_that_time_limit(cluster_run):
    project, node = cluster_run
    lines = SAID[node].splitlines()
    said = [index for index, line in enumerate(lines) if line.startswith(f"parbench: host {node} (")]
    submitted = [index for index, line in enumerate(lines) if "has been submitted with SLURM jobid" in line]
    assert len(said) == 1 and " predicted (" in lines[said[0]], SAID[node][-3000:]
    assert submitted and said[0] < submitted[0], "the prediction came after a job was submitted"
    found = re.fullmatch(r".*; SLURM time limit (\d+) min", lines[said[0]])
    assert found, lines[said[0]]
    minutes = int(found[1])
    profile = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())["default-resources"]
    assert profile["runtime"] != minutes, "the test cannot tell the node's limit from the profile's"
    stamp = json.loads((project / "results/hosts" / node / "sessions.json").read_text())["sessions"][-1]
    assert slurm_jobs.job_time_limit(stamp["machine"]["slurm_job_id"]) == minutes


def test_a_failed_node_job_loses_nothing(cluster_run):
    # Before the remeasure below, on the first cluster run's results. A node job that fails loses the node's
    # records (images.json, raw.json): Snakemake removes a failed job's outputs, and records its params as
    # theirs; the run had also written new settings. It puts them back, so going back to the config of the
    # results loads and measures nothing.
    project, node = cluster_run
    host = project / "results/hosts" / node
    files = [host / name for name in hostfiles.NODE_FILES] + [project / "results/hosts/settings.json"]
    records = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files}
    on_cluster = ("--profile", "profiles/slurm", *QUICK, "hosts.yaml")
    before = snakemake(project, "-n", *on_cluster, timeout=300)
    assert before.returncode == 0 and "Nothing to be done" in before.stdout + before.stderr, before.stdout[-3000:]
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if "apptainer" not in p)
    assert shutil.which("apptainer", path=path) is None, "the node's load job must fail: no apptainer there"
    try:
        failed = snakemake(
            project,
            *on_cluster,
            "--config",
            f"host_engines={{{node}: apptainer}}",
            "repeats=3",  # new settings too, which no node measured with
            "--slurm-init-seconds-before-status-checks",
            "2",
            env={"PATH": path},
            timeout=900,
        )
    finally:
        cancel_jobs_in(project)
    assert failed.returncode != 0, failed.stderr[-3000:]
    said = failed.stderr.split("put back as they were, so the nodes' results stand: ")[1].splitlines()[0]
    assert f"results/hosts/{node}/images.json" in said and "results/hosts/settings.json" in said, said
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files} == records
    back = snakemake(project, "-n", *on_cluster, timeout=300)
    assert back.returncode == 0, back.stderr[-3000:]
    planned = job_counts(back.stdout) if "Job stats:" in back.stdout else {}
    assert "measure" not in planned and "load_images" not in planned, back.stdout[-3000:]


def test_remeasuring_one_runtime_on_a_host_is_the_local_command(cluster_run):
    # Last: it remeasures go on the host, so the tests above see the first cluster run.
    project, node = cluster_run
    raw = project / "results/hosts" / node / "raw"

    def raw_files() -> dict:
        return {p: (p.stat().st_mtime, p.read_text()) for p in sorted(raw.rglob("*.jsonl"))}

    before = raw_files()
    runs = project / "results/hosts" / node / "runs.csv"
    runs_mtime = runs.stat().st_mtime
    on_cluster = ("--profile", "profiles/slurm", *QUICK, "hosts.yaml")
    try:
        done = snakemake(
            project,
            *on_cluster,
            "--forcerun",
            "measure",
            "--config",
            "remeasure=[go]",
            "--slurm-init-seconds-before-status-checks",
            "2",
            timeout=1800,
        )
    finally:
        cancel_jobs_in(project)
    assert done.returncode == 0, done.stderr[-3000:]
    after = raw_files()
    assert after.keys() == before.keys()
    go = [p for p in after if p.relative_to(raw).parts[0] == "go"]
    assert go and len(go) < len(after)
    for path in after:
        if path in go:
            assert after[path][0] > before[path][0] and after[path][1] != before[path][1], path
        else:
            assert after[path] == before[path], f"{path} was remeasured, but only go was asked for"
    assert runs.stat().st_mtime > runs_mtime
    remeasured = pd.read_csv(runs, dtype={"params": str})
    assert remeasured.groupby("runtime")["session"].nunique().max() == 1
    assert (
        remeasured.loc[remeasured["runtime"] == "go", "session"].iloc[0]
        != (remeasured.loc[remeasured["runtime"] != "go", "session"].iloc[0])
    )
    # The plain command finds nothing left to do, here as locally.
    plain = snakemake(project, "-n", *on_cluster, timeout=300)
    assert plain.returncode == 0 and "Nothing to be done" in plain.stdout + plain.stderr, plain.stderr[-3000:]
    # A warning threshold is the reports' alone: the node's session is not rerun for it, and its own
    # reasons to run (here --forcerun) are not hidden by the experiment having changed (masked, as with
    # an input from results/config.json, which every setting changes).
    warned = ("--config", "warnings={cv: 0.2}")
    report_only = snakemake(project, "-n", *on_cluster, *warned, timeout=300)
    assert report_only.returncode == 0, report_only.stderr[-3000:]
    assert "measure" not in job_counts(report_only.stdout) and job_counts(report_only.stdout)["report"] == 1
    forced = snakemake(project, "-n", *on_cluster, *warned, "--forcerun", "measure", timeout=300)
    assert forced.returncode == 0 and job_counts(forced.stdout)["measure"] == 1, forced.stdout[-3000:]
    # A budget reaches each node on its command line, and its choice there is the job's parameter: one
    # that cuts nothing (all of quick's rounds fit in an hour) measures nothing again.
    budgeted = snakemake(project, "-n", *on_cluster, "--config", "budget=1h", timeout=300)
    assert budgeted.returncode == 0 and "measure" not in job_counts(budgeted.stdout), budgeted.stdout[-3000:]
    # A host added later is probed, loaded and measured alone: no image is built again, no node remeasured.
    (project / "more.yaml").write_text(json.dumps({"hosts": [node, "later"]}))
    added = snakemake(project, "-n", *on_cluster, "more.yaml", timeout=300)
    counts = job_counts(added.stdout)
    assert counts["measure"] == counts["load_images"] == 1 and "base_image" not in counts, added.stdout[-3000:]
    node_jobs = re.findall(
        r"^(?:local)?rule (probe_host|load_images|measure):\n(?:.*\n)*?\s+wildcards: host=(\w+)", added.stdout, re.M
    )
    assert {host for _, host in node_jobs} == {"later"}, node_jobs  # the analysis of node's results may rerun
    # A run narrowed to go that had also written new settings leaves the other runtimes' raw files older
    # than them (dated so here, as that run leaves them): the plain run measures the node again and says why.
    settings = project / "results/hosts/settings.json"
    others = [p for p in after if p not in go]
    between = (max(p.stat().st_mtime for p in others) + min(p.stat().st_mtime for p in go)) / 2
    os.utime(settings, (between, between))
    stale = snakemake(project, "-n", *on_cluster, timeout=300)
    assert stale.returncode == 0 and job_counts(stale.stdout)["measure"] == 1, stale.stdout[-3000:]
    assert f"{len(others)} of host {node}'s raw files are older than the settings" in stale.stderr, stale.stderr[-3000:]
