"""The workflow's plan, decided from a config, the files on disk and a machine given as fixtures."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config, validate

from parbench.errors import ParbenchError
from parbench.layout import Layout, logged
from parbench.plan import Machine, fingerprint, plan, write_if_changed

from conftest import REPO, copy_repo, snakemake

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"


def quick_config(**changes) -> dict:
    """config.yaml with configs/quick.yaml over it and the schema's defaults, as the Snakefile sees it."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "configs/quick.yaml").read_text()))
    update_config(config, changes)
    validate(config, str(SCHEMA))
    return config


def machine(images: dict[str, str] | None = None, nodes=None, engine: bool = True) -> Machine:
    """Two CPUs; an engine holding `images` (ID -> ID); SLURM answering `nodes` (or not, when an exception)."""
    held = images or {}

    def node_cpus():
        if isinstance(nodes, Exception):
            raise nodes
        return nodes or {}

    return Machine(
        cpus=[0, 1],
        find_image=(lambda image: held.get(image)) if engine else None,
        node_cpus=node_cpus,
        commit=lambda: "abc1234",
        label=lambda configured, record_hostname: configured or "host-fixture",
        today="20261201",
    )


def tree(root: Path) -> dict[str, tuple[float, bytes]]:
    return {str(p): (p.stat().st_mtime, p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def write_intact_raw(root: Path, paths: list[str], repeats: int) -> None:
    for path in paths:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        records = [{"seconds": 0.1, "session": "s1", "order": order} for order in range(repeats)]
        target.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_a_fresh_project_measures_every_cell_and_says_nothing(tmp_path):
    config = quick_config()
    found = plan(config, tmp_path, machine())
    assert found.cells and found.measured == found.cells
    assert found.narrowing == "" and not found.renew_session and found.notices == []
    assert found.cpus == [0, 1] and found.host_label == "host-fixture"
    assert found.bundle_stem == "parbench-host-fixture-20261201-abc1234"
    assert "remeasure" not in found.experiment and json.loads(found.settings)["repeats"] == config["repeats"]


def test_remeasure_narrows_to_one_runtime(tmp_path):
    others = [c.raw_path for c in plan(quick_config(), tmp_path, machine()).cells if c.runtime != "go"]
    write_intact_raw(tmp_path, others, 3)
    found = plan(quick_config(remeasure=["go"]), tmp_path, machine())
    assert found.measured and {cell.runtime for cell in found.measured} == {"go"}
    assert len(found.measured) < len(found.cells) and found.narrowing == " --runtimes go"
    # What is measured is the same plan: `remeasure` is no setting of the session.
    assert found.settings == plan(quick_config(), tmp_path, machine()).settings


def test_remeasure_before_the_other_runtimes_have_results_is_one_line(tmp_path):
    """Else Snakemake stops on the tables' missing inputs and lists every raw file (99 in the default config)."""
    with pytest.raises(ParbenchError) as refused:
        plan(quick_config(remeasure=["go"]), tmp_path, machine())
    message = str(refused.value)
    assert message.startswith("config key 'remeasure': ") and message.endswith("run once without remeasure first")
    others = [c for c in plan(quick_config(), tmp_path, machine()).cells if c.runtime != "go"]
    assert f" {len(others)} cells " in message and "results/raw/cpython-3.13" in message


def test_an_unfinished_session_is_taken_up_again(tmp_path):
    journal = tmp_path / "results/session/journal.jsonl"
    journal.parent.mkdir(parents=True)
    journal.write_text(json.dumps({"session": "20261201-x"}) + "\n")
    found = plan(quick_config(), tmp_path, machine())
    assert found.resuming == "20261201-x" and found.renew_session and not found.repair
    assert found.notices == [
        "session 20261201-x did not finish: this run takes it up again, unless its images or harness changed"
    ]


def test_an_unfinished_session_of_other_settings_is_not_taken_up_and_renews_nothing(tmp_path):
    journal = tmp_path / "results/session/journal.jsonl"
    journal.parent.mkdir(parents=True)
    journal.write_text(json.dumps({"session": "20261201-x", "planned": "sha256-of-other-settings"}) + "\n")
    found = plan(quick_config(), tmp_path, machine())
    assert found.notices == [
        "session 20261201-x did not finish, and was planned from other settings: it is not taken up again, "
        "and the results measured before it stand"
    ]
    # It wrote no raw file: the results measured before it are not measured again for it.
    assert found.resuming is None and not found.renew_session
    from parbench.journal import settings_digest

    journal.write_text(json.dumps({"session": "20261201-x", "planned": settings_digest(found.settings)}) + "\n")
    assert plan(quick_config(), tmp_path, machine()).notices == [
        "session 20261201-x did not finish: this run takes it up again, unless its images or harness changed"
    ]


def test_an_unfinished_narrowed_session_is_taken_up_again_as_that_part_not_the_whole_plan(tmp_path):
    from parbench.journal import settings_digest

    config = quick_config()
    first = plan(config, tmp_path, machine())
    go = [c.raw_path for c in first.cells if c.runtime == "go"]
    planned = settings_digest(first.settings)
    journal = tmp_path / "results/session/journal.jsonl"
    journal.parent.mkdir(parents=True)

    def stopped(cells: list[str], digest: str = planned) -> None:
        journal.write_text(json.dumps({"session": "20261201-x", "cells": cells, "planned": digest}) + "\n")

    stopped(go)
    found = plan(config, tmp_path, machine())  # a plain command after `remeasure=[go]` stopped
    assert [c.raw_path for c in found.measured] == go and found.narrowing == " --resume"
    assert found.renew_session and found.estimate.startswith(f"{len(go)} cells")
    write_intact_raw(tmp_path, [c.raw_path for c in first.cells if c.runtime != "cpython-3.13"], 3)
    asked = plan({**config, "remeasure": ["cpython-3.13"]}, tmp_path, machine())  # what the user asks now wins
    assert {c.runtime for c in asked.measured} == {"cpython-3.13"} and asked.narrowing == " --runtimes cpython-3.13"
    stopped(go, settings_digest(plan({**config, "seed": 7}, tmp_path, machine()).settings))
    changed = plan(config, tmp_path, machine())  # planned from other settings: the whole plan as it now is
    assert changed.measured == first.cells and changed.narrowing == ""
    stopped([c.raw_path for c in first.cells])
    whole = plan(config, tmp_path, machine())
    assert whole.measured == first.cells and whole.narrowing == ""  # the whole plan: nothing to narrow
    stopped(go + ["results/raw/go/x/y/cpus-0_w1.jsonl"])
    other = plan(config, tmp_path, machine())
    assert other.measured == first.cells and other.narrowing == ""  # a cell the plan no longer has


def test_damaged_raw_files_of_the_last_plan_are_repaired_alone(tmp_path):
    config = quick_config()
    first = plan(config, tmp_path, machine())
    settings = tmp_path / "results/session/settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(first.settings)
    write_intact_raw(tmp_path, first.raw_paths, config["repeats"])
    broken, lost = first.raw_paths[0], first.raw_paths[-1]
    (tmp_path / broken).write_text("not json\n")
    (tmp_path / lost).unlink()
    before = tree(tmp_path)
    found = plan(config, tmp_path, machine())
    assert tree(tmp_path) == before, "planning changed a file"
    assert found.repair == {broken: "line 1 is not JSON", lost: "missing"}
    assert [cell.raw_path for cell in found.measured] == [broken, lost]
    assert found.narrowing == " --repair" and found.renew_session
    assert len(found.notices) == 1 and found.notices[0].startswith("2 raw file(s) missing or damaged")
    # A changed plan is a new session, not a repair.
    assert plan(quick_config(repeats=3), tmp_path, machine()).repair == {}


def test_images_the_engine_lost_are_rebuilt_and_no_engine_calls_none_lost(tmp_path):
    images = tmp_path / "results/images"
    images.mkdir(parents=True)
    (images / "go.iid").write_text("sha256:0123456789abcdef0123\n")
    (images / "base.iid").write_text("sha256:kept\n")
    found = plan(quick_config(), tmp_path, machine({"sha256:kept": "sha256:kept"}))
    assert found.gone_images == ["go"]
    assert found.notices == [
        "image sha256:0123456789ab of results/images/go.iid is gone from the engine; it will be rebuilt"
    ]

    def no_engine(image):
        raise ParbenchError("cannot reach the Docker daemon")

    silent = plan(quick_config(), tmp_path, machine())
    assert silent.gone_images == ["base", "go"]
    unreachable = dataclasses.replace(machine(), find_image=no_engine)
    assert plan(quick_config(), tmp_path, unreachable).gone_images == []
    assert plan(quick_config(), tmp_path, machine(engine=False)).gone_images == []


def test_a_cluster_plan_asks_slurm_for_cpus_and_leaves_sessions_to_the_nodes(tmp_path):
    journal = tmp_path / "results/session/journal.jsonl"
    journal.parent.mkdir(parents=True)
    journal.write_text(json.dumps({"session": "local"}) + "\n")
    hosts = {"hosts": ["n1"], "cluster": {"account": "parbench"}}
    found = plan(quick_config(**hosts, remeasure=["go"]), tmp_path, machine(nodes={"n1": 4, "n2": 8}))
    assert found.hosts == ["n1"] and found.host_cpus == {"n1": 4, "n2": 8}
    assert found.resuming is None and found.repair == {} and found.notices == []
    assert found.narrowing == " --runtimes go"
    on_paper = plan(quick_config(**hosts), tmp_path, machine(nodes=ParbenchError("SLURM is not reachable")))
    assert on_paper.host_cpus == {} and on_paper.notices == []


def test_a_host_slurm_does_not_list_is_named_by_a_dry_run(tmp_path):
    """A run stops on it before submitting (control.start_problem, in onstart), which a dry run never reaches;
    so common.smk prints these lines on a dry run only, and a real run says it once."""
    config = quick_config(hosts=["n1", "n9"], cluster={"account": "parbench"})
    found = plan(config, tmp_path, machine(nodes={"n1": 4, "n2": 8}))
    unknown = (
        "host n9: SLURM node 'n9' is not in this cluster (its nodes: n1, n2); "
        "fix the config's hosts (config.yaml or --config)"
    )
    assert found.unknown_hosts == [unknown] and found.notices == []
    assert set(found.host_estimates) == {"n1"}


def test_fingerprint_is_one_short_line_per_setting():
    config = quick_config()
    lines = fingerprint(config)
    assert "repeats=2" in lines and 'cpusets=["0", "0-1"]' in lines
    assert "workloads.hash.megabytes=2" in lines
    assert all(len(line) < 120 for line in lines)
    changed = copy.deepcopy(config)
    changed["workloads"]["hash"]["megabytes"] = 3
    assert set(fingerprint(changed)) ^ set(lines) == {"workloads.hash.megabytes=2", "workloads.hash.megabytes=3"}
    digest = fingerprint({"cells": [f"results/raw/cell-{i}.jsonl" for i in range(20)]})
    assert len(digest) == 1 and re.fullmatch(r"cells=sha256:[0-9a-f]{12}", digest[0])


def test_write_if_changed_keeps_the_date_of_an_unchanged_file(tmp_path):
    target = tmp_path / "deep/settings.json"
    write_if_changed(target, "one")
    os.utime(target, (1_000_000, 1_000_000))
    write_if_changed(target, "one")
    assert target.stat().st_mtime == 1_000_000
    write_if_changed(target, "two")
    assert target.read_text() == "two" and target.stat().st_mtime > 1_000_000


def test_layout_puts_a_cluster_run_under_each_host():
    assert Layout(cluster=False).result("runs.csv") == "results/runs.csv"
    assert Layout(cluster=True).result("runs.csv") == "results/hosts/{host}/runs.csv"
    assert Layout(cluster=False).log("aggregate") == "logs/aggregate.log"
    assert Layout(cluster=True).log("aggregate") == "logs/hosts/{host}/aggregate.log"
    assert logged("run {input}") == "run {input} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


@pytest.mark.slow
def test_a_dry_run_of_images_alone_predicts_no_session(tmp_path):
    project = copy_repo(tmp_path / "parbench")
    said = {}
    for name, targets in {"all": [], "images": ["images"]}.items():
        dry = snakemake(project, *targets, "-n", "--configfile", "configs/quick.yaml", timeout=300)
        assert dry.returncode == 0, dry.stderr[-2000:]
        lines = dry.stderr.splitlines()
        said[name] = [line for line in lines if line.startswith("parbench: ") and " predicted (" in line]
    assert len(said["all"]) == 1 and said["images"] == [], said


def test_the_rules_keep_their_logs_and_share_one_log_suffix():
    rules = "".join(p.read_text() for p in sorted((REPO / "workflow/rules").glob("*.smk")))
    assert "tail -n1" not in rules, "a rule writes the log-and-tail suffix itself instead of logged()"
    blocks = re.split(r"^\s*rule ", rules, flags=re.M)[1:]
    for block in blocks:
        name = block.split(":")[0]
        if name not in ("all", "images", "measurements"):  # targets only: they run nothing
            assert "\n        log:" in block or "\n    log:" in block, f"rule {name} has no log"


@pytest.mark.docker
@pytest.mark.slow
def test_a_changed_setting_is_a_short_reason_and_a_dry_run_changes_nothing(tmp_path):
    project = copy_repo(tmp_path / "parbench")
    quick = ("--configfile", "configs/quick.yaml")
    done = snakemake(project, "results/config.json", "results/session/settings.json", *quick, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    before = {**tree(project / "results"), **tree(project / "logs")}
    dry = snakemake(project, "-n", *quick, "--config", "repeats=3", timeout=300)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert {**tree(project / "results"), **tree(project / "logs")} == before, "the dry run changed a file"
    out = dry.stdout + dry.stderr
    reasons = [line for line in out.splitlines() if "Params have changed" in line]
    assert len(reasons) == 2, out[-3000:]  # experiment_files and session_settings
    for line in reasons:
        assert "repeats=2'" in line and "repeats=3'" in line and len(line) < 400, line
    assert '"catalogue"' not in out and "{\n" not in out, "the reason printed the config"
