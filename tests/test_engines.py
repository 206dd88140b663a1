"""Each engine's command line, checked flag by flag without the engine, and its one-line problems."""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from parbench.engines import ENGINES, Loaded, engine_named
from parbench.engines._apptainer import archive_image_id, label_variable, tagged, userns_problem, value_of
from parbench.engines._base import version_tuple
from parbench.engines._oci import rootless_problem
from parbench.errors import ParbenchError

LABELS = {"parbench.session": "s1", "parbench.state": "/work/results/session"}


def run(name: str, **options) -> list[str]:
    defaults = dict(name="parbench-go-x", cpuset="0-1", env={"GOMAXPROCS": "1"}, labels=LABELS)
    return engine_named(name).run_command("REF", ["parbench-go", "-workers", "2"], **{**defaults, **options})


def after(command: list[str], flag: str) -> list[str]:
    return [command[i + 1] for i, part in enumerate(command) if part == flag]


@pytest.mark.parametrize("name", ["docker", "podman"])
def test_oci_engines_pin_isolate_name_and_label(name):
    command = run(name)
    assert command[:3] == [name, "run", "--rm"]
    assert after(command, "--network") == ["none"]
    assert after(command, "--cpuset-cpus") == ["0-1"]
    assert after(command, "--name") == ["parbench-go-x"]
    assert after(command, "--label") == ["parbench.session=s1", "parbench.state=/work/results/session"]
    assert after(command, "--user") == ["65534:65534"] and after(command, "--cap-drop") == ["ALL"]
    assert "--read-only" in command and after(command, "--security-opt") == ["no-new-privileges"]
    assert after(command, "--tmpfs") == ["/tmp:rw,nosuid,nodev,size=512m"]
    assert after(command, "--env") == ["GOMAXPROCS=1"]
    assert command[-4:] == ["REF", "parbench-go", "-workers", "2"]


def test_podman_alone_gets_limits_the_container_may_raise_to():
    assert after(run("podman"), "--ulimit") == ["nofile=1024:1024", "nproc=16384:16384"]
    assert after(run("podman", limits={"pids": 512}), "--ulimit") == ["nofile=1024:1024", "nproc=512:512"]
    assert "--ulimit" not in run("docker")


@pytest.mark.parametrize("name", ["docker", "podman"])
def test_oci_limits_and_read_only_mounts(name):
    command = run(name, limits={"memory": "2g", "pids": 512}, mounts={"/home/u/wordfreq": "/workload"})
    assert after(command, "--memory") == ["2g"] and after(command, "--pids-limit") == ["512"]
    assert after(command, "--mount") == ["type=bind,source=/home/u/wordfreq,target=/workload,readonly"]
    assert "--privileged" not in command


def test_apptainer_runs_unprivileged_networkless_clean_and_pins_with_taskset():
    command = run("apptainer", mounts={"/home/u/wordfreq": "/workload"})
    assert command[:2] == ["apptainer", "exec"]
    head = command[: command.index("REF")]
    for flag in ("--userns", "--containall", "--cleanenv"):
        assert flag in head
    assert head[head.index("--no-mount") + 1] == "devpts"
    assert "--net" in head and after(head, "--network") == ["none"]
    assert after(head, "--bind") == ["/home/u/wordfreq:/workload:ro"]
    assert "--writable" not in head and "--writable-tmpfs" not in head  # the image's root stays read-only
    # The pin comes first inside, so the harness and every thread it starts inherit it.
    assert command[command.index("REF") + 1 :] == ["taskset", "--cpu-list", "0-1", "parbench-go", "-workers", "2"]


def test_apptainer_carries_name_and_labels_as_environment():
    env = after(run("apptainer"), "--env")
    assert env == [
        "GOMAXPROCS=1",
        "PARBENCH_CONTAINER=parbench-go-x",
        "PARBENCH_SESSION=s1",
        "PARBENCH_STATE=/work/results/session",
    ]
    assert label_variable("parbench.state") == "PARBENCH_STATE"


def test_apptainer_without_a_cpuset_runs_the_command_as_given():
    command = engine_named("apptainer").run_command("REF", ["true"])
    assert command[-2:] == ["REF", "true"]


def test_stray_processes_are_found_by_their_environment_only():
    environ = b"PATH=/usr/bin\0PARBENCH_STATE=/a/results/session\0PARBENCH_CONTAINER=parbench-x\0"
    assert tagged(environ, "PARBENCH_STATE", "/a/results/session")
    assert not tagged(environ, "PARBENCH_STATE", "/a/results")  # another folder's session is not ours
    assert not tagged(b"X=PARBENCH_STATE=/a/results/session\0", "PARBENCH_STATE", "/a/results/session")
    assert value_of(environ, "PARBENCH_CONTAINER") == "parbench-x"
    assert value_of(environ, "PARBENCH_SESSION") is None


def test_only_apptainer_names_what_it_cannot_enforce():
    assert ENGINES["docker"].gaps() == [] and ENGINES["podman"].gaps() == []
    assert any("limits.memory" in gap for gap in ENGINES["apptainer"].gaps())


def test_version_words_are_read_as_numbers():
    assert version_tuple("4.3.1") == (4, 3, 1)
    assert version_tuple("apptainer version 1.4.5-1") == (1, 4, 5)
    assert version_tuple("20.10.24+dfsg1") == (20, 10, 24)
    assert version_tuple("podman version 4.3") == (4, 3)
    assert version_tuple("unknown") == ()


def test_rootless_podman_that_cannot_pin_is_refused_with_the_fix():
    line = rootless_problem("podman", True, "v1")
    assert "cannot pin containers to CPUs" in line and "cgroups v2" in line
    assert rootless_problem("podman", False, "v1") is None
    undelegated = rootless_problem("podman", True, "v2", "[memory pids]")
    assert "without the cpuset cgroup controller (it has: memory pids)" in undelegated
    assert "Delegate=cpuset" in undelegated
    assert rootless_problem("podman", True, "v2", "[cpuset cpu io memory pids]") is None


def test_user_namespaces_off_is_one_line_with_the_fix():
    assert "sysctl -w user.max_user_namespaces" in userns_problem("0\n")
    assert userns_problem("15000\n") is None and userns_problem(None) is None


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_a_missing_engine_is_one_line_naming_it(monkeypatch, name):
    monkeypatch.setattr("shutil.which", lambda program: None)
    problem = engine_named(name).problem()
    assert problem.startswith(f"the {name} command is not installed: ")
    assert "\n" not in problem


def fresh(name: str):
    """An engine object of its own, so the `info` answer a test fakes is not kept by the shared one."""
    return dataclasses.replace(engine_named(name))


def test_podman_too_old_is_refused(monkeypatch):
    from parbench.engines import _oci

    podman = fresh("podman")
    monkeypatch.setattr(_oci, "installed", lambda program: True)
    monkeypatch.setattr(_oci, "answer", lambda command, timeout: (0, "3.4.4 false v2 [cpuset]\n", ""))
    assert "podman 3.4.4 is too old (parbench needs 4.0 or newer)" in podman.problem()
    monkeypatch.setattr(_oci, "answer", lambda command, timeout: (0, "4.3.1 true v1 []\n", ""))
    assert "rootless on cgroups v1" in podman.problem()
    monkeypatch.setattr(_oci, "answer", lambda command, timeout: (0, "4.9.3 true v2 [cpu memory pids]\n", ""))
    assert "without the cpuset cgroup controller (it has: cpu memory pids)" in podman.problem()
    monkeypatch.setattr(_oci, "answer", lambda command, timeout: (0, "4.3.1 false v1 [cpuset cpu memory pids]\n", ""))
    assert podman.problem() is None  # rootful: cgroups v1 pins
    monkeypatch.setattr(_oci, "answer", lambda command, timeout: (125, "", "Error: cannot connect\n"))
    assert podman.problem().startswith("cannot reach Podman (Error: cannot connect): ")


@pytest.mark.parametrize(
    "name, said, version", [("docker", "27.5.1", "27.5.1"), ("podman", "4.9.3 false v2 [cpuset memory]", "4.9.3")]
)
def test_one_info_answers_both_the_problem_and_the_version(monkeypatch, name, said, version):
    from parbench.engines import _oci

    engine, asked = fresh(name), []

    def info(command, timeout):
        asked.append(command)
        return 0, said + "\n", ""

    monkeypatch.setattr(_oci, "installed", lambda program: True)
    monkeypatch.setattr(_oci, "answer", info)
    assert engine.problem() is None and engine.version() == version
    assert [command[:2] for command in asked] == [[name, "info"]]
    engine.problem()  # asked again: a session asks it to tell a lost daemon from one bad container
    assert len(asked) == 2


def test_a_version_asked_first_asks_once_and_unknown_when_there_is_no_answer(monkeypatch):
    from parbench.engines import _oci

    docker = fresh("docker")
    monkeypatch.setattr(_oci, "answer", lambda command, timeout: (1, "", "Cannot connect to the Docker daemon\n"))
    assert docker.version() == "unknown"
    monkeypatch.setattr(_oci, "answer", lambda command, timeout: (0, "27.5.1\n", ""))
    assert docker.version() == "27.5.1"  # a failed answer is not kept


def archive(tmp_path, manifest) -> object:
    path = tmp_path / "image.tar"
    with tarfile.open(path, "w") as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_a_docker_archive_says_which_image_it_holds(tmp_path):
    held = archive(tmp_path, [{"Config": "94525dec10ae.json", "RepoTags": None, "Layers": []}])
    assert archive_image_id(held) == "sha256:94525dec10ae"
    both = archive(tmp_path, [{"Config": "a.json"}, {"Config": "b.json"}])
    assert archive_image_id(both) is None  # one archive, one image
    (tmp_path / "junk.tar").write_bytes(b"not a tar")
    assert archive_image_id(tmp_path / "junk.tar") is None


def test_apptainer_refuses_an_archive_of_another_image(tmp_path):
    held = archive(tmp_path, [{"Config": "aaaa.json"}])
    with pytest.raises(ParbenchError, match="holds image sha256:aaaa, expected sha256:bbbb: save the image again"):
        engine_named("apptainer").load(held, "sha256:bbbb", tmp_path / "sandbox", digest="sha256:cc")


def test_apptainer_names_its_sandbox_by_the_digest_it_is_given_and_builds_it_once(monkeypatch, tmp_path):
    import subprocess

    from parbench.engines import _apptainer

    held = archive(tmp_path, [{"Config": "aaaa.json"}])
    builds = []

    def build(command, **options):
        builds.append(command)
        Path(command[4]).mkdir(exist_ok=True)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(_apptainer.subprocess, "run", build)
    apptainer, sandbox = engine_named("apptainer"), tmp_path / "sandbox"
    # Not the archive's own sha256: the digest the caller checked is used as given, not hashed again.
    loaded = apptainer.load(held, "sha256:aaaa", sandbox, digest="sha256:checked")
    assert loaded == Loaded("sha256:aaaa", str(sandbox.resolve()), "sha256:checked")
    assert (sandbox / ".parbench-digest").read_text() == "sha256:checked\n"
    assert builds[0][:4] == ["apptainer", "build", "--force", "--sandbox"]
    apptainer.load(held, "sha256:aaaa", sandbox, digest="sha256:checked")
    assert len(builds) == 1  # the sandbox of that digest is there already
    apptainer.load(held, "sha256:aaaa", sandbox, digest="sha256:other")
    assert len(builds) == 2


def stamp_of(name: str | None, gaps=(), version="1.4.5") -> dict:
    if name is None:  # a stamp from before engines
        return {"docker_server_version": "20.10.24", "settings": {}}
    return {"settings": {"engine_facts": {"name": name, "version": version, "gaps": list(gaps), "references": {}}}}


def test_the_report_names_each_sessions_engine():
    from parbench.report._provenance import engine_gap_lines, engines_phrase, stamp_engine

    assert stamp_engine(stamp_of(None)) == {"name": "docker", "version": "20.10.24", "gaps": []}
    assert engines_phrase([stamp_of(None)]) == "a `docker run`"
    assert engines_phrase(None) == "a `docker run`"  # no stamp: the engine of every run before engines
    assert engines_phrase([stamp_of("apptainer")]) == "an `apptainer exec`"
    mixed = engines_phrase([stamp_of("podman"), stamp_of(None)])
    assert mixed == "a container of its session's engine (docker, podman: see Provenance)"
    gaps = ["memory and process limits (limits.memory, limits.pids): an unprivileged user has no cgroups here"]
    assert engine_gap_lines([stamp_of("apptainer", gaps), stamp_of("podman")]) == [
        f"apptainer did not enforce {gaps[0]}."
    ]
    assert engine_gap_lines([stamp_of("podman")]) == []


def test_a_merged_report_says_when_hosts_measured_with_different_engines():
    import pandas as pd

    from parbench.render_merged import engines_lines

    same = pd.DataFrame({"host": ["a", "b"], "engine": ["apptainer", "apptainer"]})
    assert engines_lines(same) == ["Engine: apptainer.", ""]
    mixed = pd.DataFrame({"host": ["a", "b", "b"], "engine": ["apptainer", "docker", "docker"]})
    line = engines_lines(mixed)[0]
    assert line.startswith("Engines differ between hosts (a apptainer; b docker).")
    assert "Ratios within a host compare containers of one engine" in line


def test_a_merged_report_keeps_a_variant_cell_apart_from_its_default_one():
    import pandas as pd

    from parbench.render_merged import medians_per_host

    cell = {"workload": "cpu_loop", "runtime": "cpython-3.13t", "mode": "threads", "cpus": 2, "workers": 2}
    summary = pd.DataFrame(
        [
            {**cell, "host": "a", "variant": None, "median": 0.0177},  # None: the default cell, read back as NaN
            {**cell, "host": "a", "variant": "gil1", "median": 0.0333},
            {**cell, "host": "b", "variant": "gil1", "median": 0.0401},
        ]
    )
    wide = medians_per_host(summary, ["a", "b"])
    assert list(wide["variant"]) == ["", "gil1"]
    assert list(wide["a"]) == ["0.018", "0.033"] and list(wide["b"])[1] == "0.040"


def test_a_merged_report_keeps_two_cpu_sets_of_one_size_apart_and_lines_up_the_rest_by_size():
    import pandas as pd

    from parbench.render_merged import medians_per_host

    cell = {"workload": "cpu_loop", "runtime": "go", "mode": "goroutines", "variant": None, "workers": 1}
    rows = [
        {**cell, "host": "a", "cpus": 1, "cpuset": "0", "median": 0.010},
        {**cell, "host": "a", "cpus": 1, "cpuset": "1", "median": 0.020},
        {**cell, "host": "a", "cpus": 2, "cpuset": "0-1", "median": 0.030},
        {**cell, "host": "b", "cpus": 2, "cpuset": "0,8", "median": 0.040},  # the same size, named otherwise
    ]
    wide = medians_per_host(pd.DataFrame(rows), ["a", "b"])
    assert list(wide["CPU set"]) == ["0", "1", ""]
    assert list(wide["a"]) == ["0.010", "0.020", "0.030"] and list(wide["b"])[2] == "0.040"
    # Another host's set of that size lines up with the same set of the first.
    other = {**cell, "host": "b", "cpus": 1, "cpuset": "0", "median": 0.050}
    wide = medians_per_host(pd.DataFrame([*rows, other]), ["a", "b"])
    assert list(wide["CPU set"]) == ["0", "1", ""] and list(wide["b"]) == ["0.050", "–", "0.040"]
    single = medians_per_host(pd.DataFrame(rows[2:]), ["a", "b"])
    assert "CPU set" not in single and len(single) == 1


def test_a_merged_report_counts_each_hosts_warnings_by_kind():
    import pandas as pd

    from parbench.render_merged import warnings_lines

    summary = pd.DataFrame(
        {
            "host": ["a", "a", "b", "b"],
            "warn_cv": [True, True, False, False],
            "warn_uneven": [False, True, False, None],  # None: a table of before the column, read back
        }
    )
    assert warnings_lines(summary) == ["## Warnings", "", "- a: noisy (2 cells), uneven shares (1 cells)", ""]
    assert warnings_lines(summary.assign(warn_cv=False, warn_uneven=False))[2] == "None on any host."


@pytest.mark.parametrize("name", ["docker", "podman"])
def test_oci_cleanup_command_lines(name):
    engine = engine_named(name)
    label = "label=parbench.state=/s"
    assert engine.listed_command(label) == [name, "ps", "-aq", "--filter", label]
    assert engine.remove_command("parbench-go-x") == [name, "rm", "--force", "parbench-go-x"]


# What `rm --force` and `ps -aq --filter name=` print, in the order the engine is asked.
REMOVED = (0, "parbench-go-x\n", "")
DOCKER_NONE = (0, "", "Error response from daemon: No such container: parbench-go-x\n")
NONE_FAILED = (1, "", 'Error: no container with name or ID "parbench-go-x" found: no such container\n')
PODMAN_NONE = (0, "", "")
LISTED = (0, "9013c46f8533\n", "")
UNLISTED = (0, "", "")
DOWN = (1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock\n")


def no_sleep(monkeypatch, _oci) -> list[float]:
    """The module's sleeps return at once; the list they return holds what each asked for."""
    slept: list[float] = []
    monkeypatch.setattr(_oci, "time", SimpleNamespace(sleep=slept.append))
    return slept


@pytest.mark.parametrize("name", ["docker", "podman"])
@pytest.mark.parametrize(
    "answers, asked",
    [
        ([REMOVED], ["rm"]),  # found and removed: nothing to wait for
        ([DOWN], ["rm"]),  # the engine cannot answer: nothing to wait for
        ([DOCKER_NONE, UNLISTED, LISTED, REMOVED], ["rm", "ps", "ps", "rm"]),  # created after rm looked
        ([PODMAN_NONE, LISTED, REMOVED], ["rm", "ps", "rm"]),  # nothing said of a missing name
        ([NONE_FAILED, LISTED, REMOVED], ["rm", "ps", "rm"]),  # a missing name as a failure
        ([DOCKER_NONE, UNLISTED, DOWN], ["rm", "ps", "ps"]),  # the engine went away while waiting
    ],
)
def test_oci_stop_removes_a_container_its_engine_finishes_creating_late(monkeypatch, name, answers, asked):
    from parbench.engines import _oci

    calls = []

    def fake_answer(command, timeout):
        calls.append(command)
        return answers[len(calls) - 1]

    monkeypatch.setattr(_oci, "answer", fake_answer)
    no_sleep(monkeypatch, _oci)
    engine_named(name).stop("parbench-go-x")
    assert [command[1] for command in calls] == asked
    assert all(command[0] == name for command in calls)
    assert all(command[-1] in ("parbench-go-x", "name=parbench-go-x") for command in calls)


def test_oci_stop_gives_up_after_its_grace(monkeypatch):
    from parbench.engines import _oci

    calls, waits = [], []
    monkeypatch.setattr(
        _oci,
        "answer",
        lambda command, timeout: (
            calls.append(command) or waits.append(timeout) or (UNLISTED if command[1] == "ps" else PODMAN_NONE)
        ),
    )
    slept = no_sleep(monkeypatch, _oci)
    engine_named("podman").stop("parbench-go-x")
    # Looked for every quarter second for 3 s; never found, never removed again.
    assert _oci.CREATE_POLL * _oci.CREATE_POLLS == 3.0
    assert [command[1] for command in calls] == ["rm"] + ["ps"] * _oci.CREATE_POLLS
    assert slept == [_oci.CREATE_POLL] * _oci.CREATE_POLLS
    # An engine slow to list is not waited for as long as one asked to remove.
    assert waits[1:] == [_oci.POLL_TIMEOUT] * _oci.CREATE_POLLS and _oci.POLL_TIMEOUT < waits[0]


def test_an_oci_load_that_fails_or_changes_the_image_is_one_line(monkeypatch, tmp_path):
    import subprocess

    from parbench.engines import _oci

    podman = engine_named("podman")
    held = {"id": None}
    monkeypatch.setattr(_oci.OciEngine, "find_image", lambda self, reference, timeout=30: held["id"])
    failed = subprocess.CompletedProcess([], 125, "", "Error: payload does not match\n")
    monkeypatch.setattr(_oci.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(ParbenchError, match=r"^podman load of .*go.tar failed: Error: payload does not match$"):
        podman.load(tmp_path / "go.tar", "sha256:aa", tmp_path, digest="sha256:cc")
    monkeypatch.setattr(_oci.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess([], 0, "", ""))
    held["id"] = "sha256:bb"
    with pytest.raises(ParbenchError, match="holds the image of .* as sha256:bb, expected sha256:aa"):
        podman.load(tmp_path / "go.tar", "sha256:aa", tmp_path, digest="sha256:cc")
    held["id"] = "sha256:aa"
    assert podman.load(tmp_path / "go.tar", "sha256:aa", tmp_path, digest="sha256:cc").as_dict() == {
        "image_id": "sha256:aa",
        "reference": "sha256:aa",
        "digest": "sha256:aa",
    }


def test_an_engine_that_cannot_answer_about_an_image_is_an_error_not_an_absent_image(monkeypatch):
    from parbench.engines import _oci

    monkeypatch.setattr(_oci, "answer", lambda command, timeout: (125, "", "Error: no such image: x\n"))
    assert engine_named("docker").find_image("x") is None
    monkeypatch.setattr(_oci, "answer", lambda command, timeout: (0, "94525dec\n", ""))
    assert engine_named("podman").find_image("x") == "sha256:94525dec"  # Podman leaves the algorithm out
    monkeypatch.setattr(_oci, "answer", lambda command, timeout: (1, "", "Cannot connect to the Docker daemon\n"))
    with pytest.raises(ParbenchError, match="^cannot ask the Docker daemon about x: Cannot connect"):
        engine_named("docker").find_image("x")


def test_a_sandbox_is_held_while_its_digest_stamp_is_there(tmp_path):
    apptainer = engine_named("apptainer")
    assert not apptainer.holds(str(tmp_path / "gone"))
    (tmp_path / "go").mkdir()
    (tmp_path / "go" / ".parbench-digest").write_text("sha256:ab\n")
    assert apptainer.holds(str(tmp_path / "go"))


def test_a_session_whose_engine_lost_an_image_stops_before_measuring():
    from parbench.sessionstart import Runtime, check_held

    class Forgetful:
        name = "podman"

        def holds(self, reference):
            return reference != "sha256:gone"

    runtimes = {"go": Runtime("sha256:gone", {}, "go", "sha256:gone")}
    with pytest.raises(ParbenchError, match="^podman no longer holds the image of go .*loaded-podman.json"):
        check_held(Forgetful(), runtimes, loaded=True)
    check_held(Forgetful(), runtimes, loaded=False)  # Docker's own images: the plan rebuilds them


def test_host_engines_must_name_measured_hosts():
    from parbench.config import cluster_problems

    config = {"hosts": ["n1"], "cluster": {"account": "a"}, "host_engines": {"n2": "apptainer"}}
    assert cluster_problems(config) == [
        "config key 'host_engines': 'n2' is not one of 'hosts' (n1); name a node of hosts, or remove it"
    ]
    assert cluster_problems(dict(config, host_engines={"n1": "apptainer"})) == []


def test_the_start_asks_docker_then_the_engine(monkeypatch):
    from parbench import control

    monkeypatch.setattr(control.docker, "daemon_problem", lambda: None)
    monkeypatch.setattr(type(engine_named("apptainer")), "problem", lambda self, timeout=20: "not installed")
    assert control.start_problem({"engine": "apptainer"}, []) == "engine apptainer: not installed"
    assert control.start_problem({"engine": "docker"}, []) is None
    monkeypatch.setattr(control.docker, "daemon_problem", lambda: "cannot reach the Docker daemon")
    assert control.start_problem({"engine": "apptainer"}, []) == (
        "cannot reach the Docker daemon (Docker builds the images here, whatever engine measures them)"
    )
    assert control.start_problem({"engine": "docker"}, []) == "cannot reach the Docker daemon"


def test_a_dry_run_says_the_line_a_run_would_stop_with(monkeypatch):
    from parbench import control

    monkeypatch.setattr(control.docker, "daemon_problem", lambda: None)
    monkeypatch.setattr(type(engine_named("apptainer")), "problem", lambda self, timeout=20: "not installed")
    assert control.dry_run_notices({"engine": "apptainer"}, [], [], True) == [
        "a run with jobs to do would stop first: engine apptainer: not installed"
    ]
    assert control.dry_run_notices({"engine": "docker"}, [], [], True) == []
    assert control.dry_run_notices({"engine": "apptainer"}, [], [], False) == []  # a run stops in onstart
    # SLURM would stop on an unknown host first: said once, as the plan words it.
    unknown = ["host n9: not in this cluster"]
    assert control.dry_run_notices({"engine": "docker"}, ["n9"], unknown, True) == unknown


def test_a_line_a_run_would_stop_with_is_said_again_below_the_plan(monkeypatch, capsys):
    from parbench import control

    later = []
    monkeypatch.setattr(control.atexit, "register", lambda *call, **kw: later.append((call, kw)))
    stop = "a run with jobs to do would stop first: engine apptainer: gone"
    control.say_notices(["141 cells"], [stop])
    assert capsys.readouterr().err.splitlines() == ["parbench: 141 cells", f"parbench: {stop}"]
    assert [call[1] for call, _ in later] == [f"parbench: {stop}"]
    control.say_notices(["141 cells"], [])
    assert len(later) == 1  # nothing to say again


def test_prune_stale_removes_only_what_no_living_run_holds(tmp_path):
    """The set-up clears Apptainer folders of killed runs (GBs each), never one a living run holds, nor a new one."""
    import os

    from engines_env import GRACE_SECONDS, claimed_folder, prune_stale

    held = claimed_folder(tmp_path, "run-")  # this run's: locked until the process ends
    dead, young, other = tmp_path / "run-dead", tmp_path / "run-young", tmp_path / "keep"
    for folder in (dead, young, other):
        (folder / "sandbox").mkdir(parents=True)
    now = 1_000_000.0
    for folder in (held, dead, other):
        os.utime(folder, (now - GRACE_SECONDS - 1,) * 2)
    os.utime(young, (now - 60,) * 2)  # perhaps a run that has not locked it yet
    assert prune_stale(tmp_path, "run-*", now=now) == [dead]
    assert held.is_dir() and young.is_dir() and other.is_dir() and not dead.exists()
