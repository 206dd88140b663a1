"""The docker command lines parbench builds, checked flag by flag without an engine."""

import pytest

from parbench import docker
from parbench.images import base_key, cpython_build_args, go_build_args, mmdebstrap_command
from parbench.matrix import Cell
from parbench.sessionplan import Timing, harness_argv

# What every container runs with, spelled out once here so a change to it is a visible change to this test.
LEAST_PRIVILEGE = [
    "--read-only",
    "--tmpfs",
    "/tmp:rw,nosuid,nodev,size=512m",
    "--user",
    "65534:65534",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--pids-limit",
    "16384",
    "--memory",
    "8g",
]


def test_run_command_pins_and_isolates():
    command = docker.run_command("sha256:abc", ["python3", "x.py"], name="parbench-x", cpuset="0-1")
    assert command[:3] == ["docker", "run", "--rm"]
    assert command[command.index("--network") + 1] == "none"
    assert command[command.index("--cpuset-cpus") + 1] == "0-1"
    assert command[command.index("--name") + 1] == "parbench-x"
    assert command[-3:] == ["sha256:abc", "python3", "x.py"]


def test_run_command_mounts_read_only_and_takes_limits():
    command = docker.run_command(
        "img", ["true"], mounts={"/home/u/wordfreq": "/workload"}, limits={"memory": "2g", "pids": 512}
    )
    assert command[command.index("--mount") + 1] == "type=bind,source=/home/u/wordfreq,target=/workload,readonly"
    assert command[command.index("--memory") + 1] == "2g"
    assert command[command.index("--pids-limit") + 1] == "512"
    assert "--privileged" not in command and "--volume" not in command


def test_run_command_passes_environment_sorted():
    command = docker.run_command("img", ["true"], env={"PYTHON_GIL": "1", "A": "b"})
    assert command[command.index("--env") : command.index("img")] == ["--env", "A=b", "--env", "PYTHON_GIL=1"]


def test_build_command_writes_iidfile_and_build_args():
    command = docker.build_command(
        "containers/cpython/Dockerfile", ".", {"SOURCE": "P.tar.xz", "BASE_IMAGE": "b"}, "t", "/tmp/iid"
    )
    assert command[:3] == ["docker", "build", "--force-rm"]  # no stopped container left by a failed step
    assert command[command.index("--iidfile") + 1] == "/tmp/iid"
    assert command[command.index("--file") + 1] == "containers/cpython/Dockerfile"
    args = [command[i + 1] for i, part in enumerate(command) if part == "--build-arg"]
    assert args == ["BASE_IMAGE=b", "SOURCE=P.tar.xz"]
    assert command[-1] == "."


def test_gil_and_free_threaded_builds_differ_only_in_disable_gil():
    entry = {
        "kind": "cpython",
        "version": "3.13.5",
        "source": "P.tar.xz",
        "free_threading": False,
        "configure_flags": ["--with-x"],
    }
    gil = cpython_build_args(entry, "base")
    free = cpython_build_args(dict(entry, free_threading=True), "base")
    assert gil["CONFIGURE_FLAGS"] == "--with-x"
    assert free["CONFIGURE_FLAGS"] == "--with-x --disable-gil"
    assert {k: v for k, v in gil.items() if k != "CONFIGURE_FLAGS"} == {
        k: v for k, v in free.items() if k != "CONFIGURE_FLAGS"
    }


def test_optimizations_switch_adds_pgo_and_lto():
    entry = {"kind": "cpython", "version": "3.13.5", "source": "P", "free_threading": False, "optimizations": True}
    assert cpython_build_args(entry, "b")["CONFIGURE_FLAGS"] == "--enable-optimizations --with-lto"


def test_go_build_args_carry_the_version():
    assert go_build_args({"kind": "go", "version": "1.24"}, "b") == {"BASE_IMAGE": "b", "GO_VERSION": "1.24"}


def test_mmdebstrap_plain_and_snapshot():
    base = {"method": "mmdebstrap", "suite": "trixie", "mirror": "http://deb.debian.org/debian", "snapshot": None}
    command, env = mmdebstrap_command(base)
    assert command[0] == "mmdebstrap" and "--variant=minbase" in command
    assert command[-3:] == ["trixie", "-", "http://deb.debian.org/debian"]
    assert env == {}
    command, env = mmdebstrap_command(dict(base, snapshot="20250801T000000Z"))
    assert command[-1] == "http://snapshot.debian.org/archive/debian/20250801T000000Z"
    assert env == {"SOURCE_DATE_EPOCH": "1754006400"}


def test_base_key_changes_with_recipe_only():
    base = {
        "method": "mmdebstrap",
        "suite": "trixie",
        "mirror": "m",
        "snapshot": None,
        "pull_image": "debian:trixie-slim",
    }
    assert base_key(base) == base_key(dict(base))
    assert base_key(base) != base_key(dict(base, suite="bookworm"))
    pull = dict(base, method="pull")
    assert base_key(pull) == base_key(dict(pull, suite="bookworm"))  # suite does not matter when pulling


def test_identity_probes_run_without_network():
    for kind in ("cpython", "go"):
        command = docker.identity_command(kind, "sha256:x")
        assert command[command.index("--network") + 1] == "none"
        assert "sha256:x" in command


def test_harness_argv_for_each_language():
    cell = Cell("cpython-3.13t", "cpu_loop", "threads", "0-1", 2)
    argv = harness_argv("cpython", cell, {"iterations": 1000}, Timing(min_time=0.2, values=3, warmup=0))
    assert argv[:2] == ["python3", "/opt/parbench/python/harness.py"]
    assert argv[argv.index("--workers") + 1] == "2" and argv[argv.index("--param") + 1] == "iterations=1000"
    assert argv[argv.index("--min-time") + 1] == "0.2" and "--loops" not in argv
    assert "--values-time" not in argv  # values_time 0: the container measures `values` values
    valued = harness_argv(
        "cpython", cell, {"iterations": 1000}, Timing(min_time=0.3, warmup=0, values_time=1.0, max_values=3)
    )
    assert valued[valued.index("--values-time") + 1] == "1" and valued[valued.index("--max-values") + 1] == "3"
    go = harness_argv(
        "go",
        Cell("go", "hash", "goroutines", "0", 1),
        {"rounds": 2, "megabytes": 8},
        Timing(loops=64, values=2, warmup=0),
    )
    assert go[0] == "parbench-go" and go[go.index("-mode") + 1] == "goroutines"
    assert [go[i + 1] for i, arg in enumerate(go) if arg == "-param"] == ["megabytes=8", "rounds=2"]
    assert go[go.index("-repeats") + 1] == "2" and go[go.index("-warmup") + 1] == "0"
    assert go[go.index("-loops") + 1] == "64" and "-min-time" not in go
    assert "-units" not in go  # whole loops: the command line is the one from before units
    divided = harness_argv("go", Cell("go", "hash", "goroutines", "0", 1), {"rounds": 2}, Timing(loops=3), units=2)
    assert divided[divided.index("-units") + 1] == "2"


def test_run_command_labels_containers_for_clean_up():
    command = docker.run_command("img", ["true"], labels={"parbench.session": "s1"})
    assert command[command.index("--label") + 1] == "parbench.session=s1"


def test_a_hung_docker_call_stops_with_one_line():
    import pytest

    from parbench.errors import ParbenchError
    from parbench.images import bounded

    with pytest.raises(ParbenchError, match="did not finish within 0.2 s"):
        bounded(["sleep", "5"], 0.2)
    assert bounded(["true"], 5).returncode == 0


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (docker.version_command(), ["docker", "version", "--format", "{{.Server.Version}}"]),
        (docker.version_command("Client"), ["docker", "version", "--format", "{{.Client.Version}}"]),
        (docker.import_command("parbench/base:k"), ["docker", "import", "-", "parbench/base:k"]),
        (docker.pull_command("debian:trixie-slim"), ["docker", "pull", "debian:trixie-slim"]),
        (docker.tag_command("sha256:b", "parbench/base:b"), ["docker", "tag", "sha256:b", "parbench/base:b"]),
        (
            docker.save_command("sha256:g", "results/images/go.tar"),
            ["docker", "save", "--output", "results/images/go.tar", "sha256:g"],
        ),
        (
            docker.identity_command("cpython", "sha256:p"),
            [
                *["docker", "run", "--rm", "--network", "none", *LEAST_PRIVILEGE],
                *["sha256:p", "python3", "/opt/parbench/python/identity.py"],
            ],
        ),
        (
            docker.identity_command("go", "sha256:g"),
            [
                "docker",
                "run",
                "--rm",
                "--network",
                "none",
                *LEAST_PRIVILEGE,
                "sha256:g",
                "go",
                "env",
                "-json",
                "GOVERSION",
                "GOOS",
                "GOARCH",
                "GOROOT",
            ],
        ),
        (
            docker.packages_command("sha256:b"),
            [
                "docker",
                "run",
                "--rm",
                "--network",
                "none",
                *LEAST_PRIVILEGE,
                "sha256:b",
                "dpkg-query",
                "-W",
                "-f",
                "${Package}\t${Version}\t${Architecture}\n",
            ],
        ),
        (
            docker.run_command("img", ["true"], name="n", cpuset="0", env={"B": "2"}, labels={"l": "s"}),
            [
                "docker",
                "run",
                "--rm",
                "--network",
                "none",
                *LEAST_PRIVILEGE,
                "--name",
                "n",
                "--label",
                "l=s",
                "--cpuset-cpus",
                "0",
                "--env",
                "B=2",
                "img",
                "true",
            ],
        ),
        (
            docker.build_command("f", ".", {"A": "1"}, "t", "iid", no_cache=True),
            [
                "docker",
                "build",
                "--force-rm",
                "--no-cache",
                "--file",
                "f",
                "--iidfile",
                "iid",
                "--tag",
                "t",
                "--build-arg",
                "A=1",
                ".",
            ],
        ),
    ],
)
def test_every_command_line_in_full(command, expected):
    assert command == expected


def test_no_other_module_names_docker_in_a_command_line():
    """The engine stays behind parbench.docker: nothing else in the package builds its argv."""
    import re
    from pathlib import Path

    package = Path(docker.__file__).parent
    argv = re.compile(r'\[\s*"docker"')
    offenders = {
        path.name for path in package.rglob("*.py") if path.name != "docker.py" and argv.search(path.read_text())
    }
    assert offenders == set()


def test_strays_are_this_state_folders_containers_only(tmp_path):
    """A session removes what a killed session of its own folder left, never another checkout's containers."""
    from parbench.supervise import STATE_LABEL, container_labels

    mine, theirs = container_labels("s1", tmp_path / "a"), container_labels("s2", tmp_path / "b")
    assert mine == {"parbench.session": "s1", STATE_LABEL: str((tmp_path / "a").resolve())}
    command = docker.run_command("img", ["true"], labels=mine)
    assert f"{STATE_LABEL}={mine[STATE_LABEL]}" in command and "parbench.session=s1" in command
    assert mine[STATE_LABEL] != theirs[STATE_LABEL]
    relative = container_labels("s1", tmp_path / "a" / ".." / "a")
    assert relative[STATE_LABEL] == mine[STATE_LABEL]  # one folder, one label, however it is named
