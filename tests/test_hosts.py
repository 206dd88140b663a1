"""A cluster run planned on paper, and the pieces each host runs: archives, cells, merge."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from parbench.aggregate import runs_table, write_csv
from parbench.engineimages import checked_digest, read_loaded
from parbench.errors import ParbenchError
from parbench.hostsession import host_cells, host_settings
from parbench.merge import merged_tables

from conftest import REPO, copy_repo, job_counts, snakemake, workflow_rules
from fixtures import scaling_records


@pytest.fixture(scope="module")
def paper_project(tmp_path_factory):
    return copy_repo(tmp_path_factory.mktemp("hosts") / "parbench")


def plan(project, hosts: list[str], *args: str) -> str:
    (project / "hosts.yaml").write_text(json.dumps({"hosts": hosts, "cluster": {"account": "parbench"}}))
    done = snakemake(project, "-n", "--configfile", "configs/quick.yaml", "hosts.yaml", *args, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


@pytest.mark.slow
def test_three_hosts_plan_three_loads_three_exclusive_sessions_and_one_merge(paper_project):
    out = plan(paper_project, ["n1", "n2", "n3"])
    counts = job_counts(out)
    # The same rules as on one machine, once per host: no per-host twins.
    assert counts["probe_host"] == counts["load_images"] == counts["measure"] == 3
    assert counts["aggregate"] == counts["comparisons"] == counts["claims"] == counts["report"] == 3
    assert counts["merge_hosts"] == 1 and counts["save_image"] == 3 and "measure_host" not in counts
    assert counts["base_image"] == 1 and counts["cpython_image"] == 2  # images are built once
    for host in ("n1", "n2", "n3"):
        assert f"slurm_extra=--exclusive --nodelist={host}" in out
    # Rules that exist only without hosts (export, publish) are local by their own `localrule: True`.
    assert "localrules directive specifies rules that are not present" not in out
    two = plan(paper_project, ["n1", "n2"])
    assert job_counts(two)["measure"] == 2 and "host=n3" not in two and "host=n1" in two


NODE_RULES = {"probe_host", "load_images", "measure"}  # what a host's own node runs


def test_on_a_cluster_only_a_nodes_own_rules_are_submitted():
    """Every other rule is a localrule: a table or a report sent to SLURM waits for a node and the status polls.

    claims was not one, and its job took 14 s of a cluster run for a second of work.
    """
    text = "\n".join(path.read_text() for path in sorted((REPO / "workflow/rules").glob("*.smk")))
    rules = {name.split(":")[1] for name in workflow_rules() if not name.startswith("Snakefile:")}
    local = set(re.findall(r"^    (\w+),$", text.split("\nlocalrules:\n")[1].split("\n\n")[0], re.M))
    local |= {name.split(":")[1] for name, body in workflow_rules().items() if "localrule: True" in body}
    assert local - rules == {"all"}  # the Snakefile's; no name that is not a rule
    assert rules - local - {"measurements"} == NODE_RULES  # measurements only gathers, it runs no job


@pytest.mark.slow
def test_remeasuring_one_runtime_is_the_local_command_on_every_host(paper_project):
    out = plan(paper_project, ["n1", "n2"], "-p", "--forcerun", "measure", "--config", "remeasure=[go]")
    commands = [line for line in out.splitlines() if "parbench.hostsession measure" in line]
    assert len(commands) == 2 and all(line.rstrip().endswith("--runtimes go") for line in commands), commands
    assert {"--host n1", "--host n2"} == {
        word for line in commands for word in ("--host n1", "--host n2") if word in line
    }


@pytest.mark.slow
def test_hosts_without_an_account_stop_in_one_line(paper_project):
    (paper_project / "noaccount.yaml").write_text(json.dumps({"hosts": ["n1"]}))
    done = snakemake(paper_project, "-n", "--configfile", "configs/quick.yaml", "noaccount.yaml", timeout=300)
    errors = [line for line in done.stderr.splitlines() if line.startswith("parbench:")]
    assert done.returncode != 0 and len(errors) == 1 and "cluster.account" in errors[0]


@pytest.mark.slow
def test_hosts_without_slurms_executor_stop_before_anything_is_built(paper_project):
    # Without the profile every node's session would run on this machine and be filed as the node's.
    (paper_project / "hosts.yaml").write_text(json.dumps({"hosts": ["n1"], "cluster": {"account": "parbench"}}))
    done = snakemake(paper_project, "--configfile", "configs/quick.yaml", "hosts.yaml", timeout=300)
    assert done.returncode != 0
    last = [line for line in done.stderr.splitlines() if line.strip()][-1]
    assert last.startswith("parbench: config hosts (n1) are measured on those SLURM nodes"), done.stderr[-2000:]
    assert "--profile profiles/slurm" in last
    assert not list((paper_project / "results").glob("images/*.iid")) and not (paper_project / "results/hosts").exists()


def test_a_node_plans_the_same_session_from_its_experiment_as_from_the_whole_config(tmp_path, monkeypatch):
    """results/hosts/experiment.json leaves out what a node never reads: the session it plans is the same."""
    from test_plan import quick_config

    from parbench import hostsession
    from parbench.matrix import all_cells
    from parbench.nodeexperiment import NOT_FOR_NODES, node_experiment
    from parbench.plan import experiment, session_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(hostsession, "available_cpus", lambda: [0, 1])
    told = {"hosts": ["n1"], "cluster": {"account": "a"}, "host_engines": {"n1": "podman"}, "host_label": "lab"}
    told |= {"record_hostname": True, "retries": 2, "timeout_seconds": 60, "warnings": {"cv": 0.2}}
    for budget in (None, "1h", "2m"):  # none, one that cuts nothing, one that cuts rounds
        config = quick_config(**told, repeats=4, min_rounds=2, **({"budget": budget} if budget else {}))
        whole = experiment(config)
        settings = json.loads(session_settings(config, all_cells(config, [0, 1])))
        folders = (tmp_path / "raw", tmp_path / "state")
        node = hostsession.host_settings(settings, node_experiment(whole), "n1", folders, budget)
        assert node == hostsession.host_settings(settings, whole, "n1", folders, budget) and node[0]["cells"]
        assert (node[0].get("budget") or {}).get("limit") == budget
        assert (node[0]["repeats"] < 4) is (budget == "2m")
        assert set(whole) - set(node_experiment(whole)) == set(NOT_FOR_NODES)


def test_an_archive_is_checked_against_its_sha256(tmp_path):
    archive = tmp_path / "go.tar"
    with pytest.raises(ParbenchError, match="missing"):
        checked_digest(archive)
    archive.write_bytes(b"image bytes")
    import hashlib

    hexdigest = hashlib.sha256(b"image bytes").hexdigest()
    (tmp_path / "go.tar.sha256").write_text(f"{hexdigest}  {archive}\n")
    assert checked_digest(archive) == f"sha256:{hexdigest}"
    archive.write_bytes(b"other bytes")
    with pytest.raises(ParbenchError, match="sha256 mismatch"):
        checked_digest(archive)
    (tmp_path / "go.tar.sha256").write_text("")
    with pytest.raises(ParbenchError, match="sha256 mismatch"):
        checked_digest(archive)


def test_each_archive_is_hashed_once_and_its_engine_given_the_digest(monkeypatch, tmp_path):
    from parbench import engineimages
    from parbench.engines import Loaded

    hashed, given = [], {}

    class Engine:
        def problem(self):
            return None

        def load(self, archive, image_id, dest, *, digest):
            given[archive.name] = digest
            return Loaded(image_id, str(dest), digest)

    for runtime in ("go", "cpython-3.13"):
        (tmp_path / f"{runtime}.tar").write_bytes(runtime.encode())
        (tmp_path / f"{runtime}.tar.sha256").write_text(f"{runtime}-hex  {runtime}.tar\n")
        (tmp_path / f"{runtime}.iid").write_text(f"sha256:{runtime}\n")
    monkeypatch.setattr(engineimages, "engine_named", lambda name: Engine())
    monkeypatch.setattr(engineimages, "sha256_of", lambda path: hashed.append(path.name) or f"{path.stem}-hex")
    loaded = engineimages.load_images("apptainer", "n1", tmp_path, ["go", "cpython-3.13"], tmp_path / "sandboxes")
    assert hashed == ["go.tar", "cpython-3.13.tar"]
    assert given == {"go.tar": "sha256:go-hex", "cpython-3.13.tar": "sha256:cpython-3.13-hex"}
    assert loaded["go"]["digest"] == "sha256:go-hex"


def test_loaded_images_are_read_for_the_engine_they_were_loaded_into_only(tmp_path):
    path = tmp_path / "images.json"
    with pytest.raises(ParbenchError, match=r"^host n1: .*images.json is missing: run the workflow again"):
        read_loaded(path, "apptainer", "n1")
    path.write_text("{")
    with pytest.raises(ParbenchError, match=r"^host n1: .*images.json is not valid JSON: delete .*images.json so"):
        read_loaded(path, "apptainer", "n1")
    images = {"go": {"image_id": "sha256:aa", "reference": "sha256:aa", "digest": "sha256:aa"}}
    path.write_text(json.dumps({"host": "n1", "engine": "podman", "images": images}))
    assert read_loaded(path, "podman", "n1") == images
    with pytest.raises(ParbenchError) as stopped:
        read_loaded(path, "apptainer", "n1")
    assert str(stopped.value) == (
        f"host n1: its images were loaded into podman, but it measures with apptainer: "
        f"delete {path} so the images are loaded again"
    )
    path.write_text(json.dumps({"host": "n1", "images": images}))  # from before engines: Docker loaded them
    assert read_loaded(path, "docker", "n1") == images


def test_a_host_measures_the_cells_its_own_cpus_give(monkeypatch):
    import parbench.hostsession as hostsession

    config = json.loads(
        json.dumps(
            {
                "runtimes": ["go"],
                "cpusets": "auto",
                "workers": ["cpus"],
                "noise_floor": False,
                "variants": {},
                "modes": {"go": ["sequential", "goroutines"]},
                "catalogue": {"go": {"kind": "go", "version": "1.24"}},
                "workloads": {"cpu_loop": {"iterations": 10}},
            }
        )
    )
    monkeypatch.setattr(hostsession, "available_cpus", lambda: [0, 1, 2, 3])
    settings, said = host_settings({"repeats": 3, "cells": ["from the submitting machine"]}, config)
    assert said == [] and settings["repeats"] == 3 and "from the submitting machine" not in settings["cells"]
    assert any("cpus-0-3_w4" in path for path in settings["cells"])


def test_a_node_fits_the_budget_to_its_own_cells_and_keeps_its_choice(monkeypatch, tmp_path):
    from test_plan import quick_config

    import parbench.hostsession as hostsession
    from parbench.budgetplan import host_budgeted
    from parbench.plan import session_settings

    monkeypatch.chdir(tmp_path)  # the node's project: no images or records of earlier sessions
    monkeypatch.setattr(hostsession, "available_cpus", lambda: [0, 1, 2, 3])
    config = quick_config(cpusets="auto", repeats=6, min_rounds=4)
    cells = hostsession.all_cells(config, [0, 1, 2, 3])
    base = json.loads(session_settings(config, cells))
    raw, state = tmp_path / "results/hosts/n1/raw", tmp_path / "results/hosts/n1/session"
    whole = host_budgeted(base, cells, config, tmp_path, (raw, state), None).estimate  # no budget: all 6 rounds
    budget = f"{int(whole.with_rounds(5).seconds) + 1}s"  # 5 rounds fit, 6 do not
    settings, said = host_settings(base, config, "n1", (raw, state), budget)  # the budget: the node's command line
    assert settings["repeats"] == 5 and settings["budget"] == {"limit": budget, "asked_repeats": 6, "repeats": 5}
    assert settings["cells"] == [cell.raw_path for cell in cells]  # the node's CPU sets 0, 0-1, 0-3
    assert said == [f"budget {budget}: 5 rounds instead of 6"]
    assert json.loads((state / "settings.json").read_text()) == settings  # kept for a resumed session
    again, _ = host_settings(base, config, "n1", (raw, state), budget)
    assert again == settings
    with pytest.raises(ParbenchError, match=r"^host n1: budget 1s cannot hold 4 rounds of the \d+ cells"):
        host_settings(base, config, "n1", (raw, tmp_path / "other"), "1s")


def test_merge_takes_each_hosts_rounds_rule(tmp_path):
    from parbench.stopping import StopRule

    paths = []
    for host in ("a", "b"):
        path = tmp_path / f"{host}.csv"
        write_csv(runs_table([dict(r, host=host) for r in scaling_records()]), path)
        paths.append(path)
    spent = StopRule(repeats=8, min_rounds=6, precision=0.0, budget=True, spent=True)  # a's budget ran out
    plain = StopRule(repeats=8, min_rounds=6, precision=0.0)
    _, summary = merged_tables(paths, rules=[spent, plain])
    assert set(summary[summary["host"] == "a"]["stopped"]) == {"budget"}
    assert set(summary[summary["host"] == "b"]["stopped"]) == {"unfinished"}


def test_merge_keeps_hosts_apart_and_refuses_disagreement(tmp_path):
    paths = []
    for host in ("a", "b"):
        runs = runs_table([dict(r, host=host) for r in scaling_records()])
        path = tmp_path / f"{host}.csv"
        write_csv(runs, path)
        paths.append(path)
    runs, summary = merged_tables(paths)
    assert set(runs["host"]) == {"a", "b"} and len(summary) == 12
    with pytest.raises(ParbenchError, match="both hold host 'a'"):
        merged_tables([paths[0], paths[0]])
    wrong = pd.read_csv(paths[1])
    wrong["checksum"] = 1.0
    wrong["checksum_hex"] = (1.0).hex()
    wrong.to_csv(paths[1], index=False)
    with pytest.raises(ParbenchError, match="hosts disagree"):
        merged_tables(paths)


def test_a_host_remeasures_only_the_runtimes_named():
    cells = [
        "results/raw/go/cpu_loop/sequential/cpus-0_w1.jsonl",
        "results/raw/cpython-3.13/cpu_loop/threads/cpus-0-1_w2.jsonl",
        "results/raw/cpython-3.13/cpu_loop/threads/cpus-0-1_w2.aa.jsonl",
    ]
    assert host_cells({"cells": cells}, None) == cells
    assert host_cells({"cells": cells}, "go") == cells[:1]
    assert host_cells({"cells": cells}, "cpython-3.13,go") == cells
