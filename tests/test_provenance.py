"""The session stamp names the code, images and machine that measured; host labels tell machines apart."""

from __future__ import annotations

import json

import pytest

from parbench import environment
from parbench.environment import host_label, machine_identity
from parbench.errors import ParbenchError
from parbench.provenance import build_stamp, cpuset_facts, load_stamps, stamp_path, tree_sha256, write_stamp


def test_tree_digest_follows_content_and_names(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    first = tree_sha256(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"junk")
    assert tree_sha256(tmp_path) == first  # bytecode caches are not sources
    (tmp_path / "a.py").write_text("x = 2\n")
    assert tree_sha256(tmp_path) != first


def test_stamp_carries_code_images_machine_settings_and_costs():
    machine = {
        "git_commit": "abc",
        "git_clean": True,
        "docker_server_version": "20.10",
        "kernel": "6.1",
        "cpu_model": "EPYC",
        "topology": {"counts": {"cpus": 2}},
        "cpusets": {"0-1": {"smt_shared": False}},
    }
    stamp = build_stamp(
        session="s1",
        started_at="t0",
        ended_at="t1",
        resumed_at=["t0.5"],
        label="host-1",
        harness={"python": "p", "go": "g"},
        images={"go": "sha256:1"},
        settings={"cells": ["c"], "repeats": 6, "min_time": 0.2, "calibration_margin": 1.5},
        machine=machine,
        counts={"containers": 3, "timed_seconds": 1.5},
    )
    assert stamp["session"] == "s1" and stamp["git_commit"] == "abc" and stamp["git_clean"] is True
    assert stamp["harness_sha256"] == {"python": "p", "go": "g"} and stamp["images"] == {"go": "sha256:1"}
    assert stamp["settings"] == {"repeats": 6, "min_time": 0.2, "calibration_margin": 1.5} and stamp["cells"] == ["c"]
    assert stamp["topology"] == {"counts": {"cpus": 2}} and stamp["cpusets"]["0-1"] == {"smt_shared": False}
    assert stamp["containers"] == 3 and stamp["resumed_at"] == ["t0.5"]


def test_cpuset_facts_rename_the_topology_description():
    described = {
        "cpuset": "0,8",
        "cpus": [0, 8],
        "cores": ["p0c0"],
        "nodes": [0],
        "smt_shared": True,
        "spans_numa": False,
        "mixed_speed": False,
    }
    assert cpuset_facts(described) == {
        "cpus": [0, 8],
        "physical_cores": ["p0c0"],
        "numa_nodes": [0],
        "smt_shared": True,
        "spans_numa": False,
        "mixed_speed": False,
    }


def test_stamps_are_loaded_by_session_and_a_missing_one_is_named(tmp_path):
    write_stamp(stamp_path(tmp_path, "s2"), {"session": "s2"})
    write_stamp(stamp_path(tmp_path, "s1"), {"session": "s1"})
    assert [s["session"] for s in load_stamps(tmp_path, ["s2", "s1", "s2"])] == ["s1", "s2"]
    with pytest.raises(ParbenchError, match="session s3 but .*s3.json is missing"):
        load_stamps(tmp_path, ["s3"])
    assert json.loads(stamp_path(tmp_path, "s1").read_text()) == {"session": "s1"}


def test_two_machines_with_one_host_name_get_different_labels(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_text("1111\n")
    second.write_text("2222\n")
    assert machine_identity("vm", (str(first),)) != machine_identity("vm", (str(second),))
    assert machine_identity("vm", (str(tmp_path / "none"),)) == "vm"
    import parbench.environment as environment

    labels = set()
    for path in (first, second):
        monkeypatch.setattr(environment, "MACHINE_ID_FILES", (str(path),))
        monkeypatch.setattr(environment.socket, "gethostname", lambda: "vm")
        labels.add(host_label(None, False))
    assert len(labels) == 2 and all(label.startswith("host-") for label in labels)
    assert host_label("lab-1", False) == "lab-1" and host_label(None, True) == "vm"


@pytest.mark.parametrize("engine", ["podman", "apptainer"])
def test_a_session_of_another_engine_does_not_ask_docker(monkeypatch, engine):
    asked = []
    monkeypatch.setattr(environment, "_output", lambda command: asked.append(command[0]) or "27.5.1")
    facts = environment.collect("host-1", engine)
    assert "docker" not in asked and asked  # git is still asked
    assert "docker_server_version" not in facts and "docker_client_version" not in facts
    assert build_stamp(**stamp_parts(facts))["docker_server_version"] is None


def test_a_docker_session_records_dockers_versions(monkeypatch):
    monkeypatch.setattr(environment, "_output", lambda command: "27.5.1" if command[0] == "docker" else None)
    facts = environment.collect("host-1", "docker")
    assert facts["docker_server_version"] == facts["docker_client_version"] == "27.5.1"
    assert build_stamp(**stamp_parts(facts))["docker_server_version"] == "27.5.1"


def stamp_parts(machine: dict) -> dict:
    return dict(
        session="s1",
        started_at="t0",
        ended_at="t1",
        resumed_at=[],
        label="host-1",
        harness={},
        images={},
        settings={"cells": []},
        machine=machine,
        counts={},
    )
