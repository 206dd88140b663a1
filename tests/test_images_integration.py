"""The runtime images, built by the pipeline on the real engine and interrogated."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import snakemake
from fixtures import SMALL_PARAMS, SMALL_UNITS
from workloads import WORKLOADS, expected_checksum

pytestmark = [pytest.mark.docker, pytest.mark.slow]

RUNTIMES = ["cpython-3.13", "cpython-3.13t", "go"]


def image(project: Path, runtime: str) -> str:
    return (project / "results/images" / f"{runtime}.iid").read_text().strip()


def docker_run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(["docker", "run", "--rm", *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def docker_run_status(*args: str) -> subprocess.CompletedProcess:
    """docker run whose failure is the point of the test."""
    return subprocess.run(["docker", "run", "--rm", *args], capture_output=True, text=True, timeout=120)


def planned_jobs(done: subprocess.CompletedProcess) -> dict[str, int]:
    """Job counts from the table a dry run prints."""
    counts: dict[str, int] = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            counts[parts[0]] = int(parts[1])
    return counts


def test_identities_match_config(built_project):
    identities = {
        r: json.loads((built_project / "results/images" / f"{r}.identity.json").read_text()) for r in RUNTIMES
    }
    gil, free, go = (identities[r]["identity"] for r in RUNTIMES)
    assert (gil["version"], gil["gil_build_disabled"], gil["gil_enabled"]) == ("3.13.5", False, True)
    assert (free["version"], free["gil_build_disabled"], free["gil_enabled"]) == ("3.13.5", True, False)
    assert "--disable-gil" in free["configure_args"] and "--disable-gil" not in gil["configure_args"]
    assert free["configure_args"].replace("'--disable-gil'", "").split() == gil["configure_args"].split()
    assert go["GOVERSION"].startswith("go1.24") and go["GOOS"] == "linux"
    for runtime in RUNTIMES:
        assert identities[runtime]["image_id"] == image(built_project, runtime)
    packages = (built_project / "results/images/base.packages.tsv").read_text().splitlines()
    assert any(line.startswith("dpkg\t") for line in packages) and len(packages) > 50


def test_second_run_builds_nothing(built_project):
    done = snakemake(built_project, "images")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Nothing to be done" in done.stdout + done.stderr


def test_changing_one_build_parameter_rebuilds_that_image_alone(built_project):
    import yaml

    config = yaml.safe_load((built_project / "config.yaml").read_text())
    config["catalogue"]["cpython-3.13t"]["configure_flags"] = ["--without-doc-strings"]
    changed = built_project / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    done = snakemake(built_project, "images", "-n", "--quiet", "rules", "--configfile", str(changed))
    assert done.returncode == 0, done.stderr[-2000:]
    assert planned_jobs(done) == {"cpython_image": 1, "image_identity": 1, "images": 1}


def test_images_run_user_code_like_a_normal_install(built_project, tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("import sys, ssl, sqlite3, ctypes\nprint('hello', sys.version_info[:2])\n")
    for runtime in ("cpython-3.13", "cpython-3.13t"):
        done = docker_run("-v", f"{tmp_path}:/src:ro", image(built_project, runtime), "python3", "/src/hello.py")
        assert done.stdout.strip() == "hello (3, 13)"
    module = tmp_path / "gomod"
    module.mkdir()
    (module / "go.mod").write_text("module hello\n\ngo 1.24\n")
    (module / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello from go") }\n')
    done = docker_run("-v", f"{module}:/src", "-w", "/src", image(built_project, "go"), "go", "run", ".")
    assert done.stdout.strip() == "hello from go"


def test_go_harness_tests_vet_and_format_inside_the_image(built_project):
    go = image(built_project, "go")
    done = docker_run(go, "sh", "-c", 'go vet ./... && test -z "$(gofmt -l .)" && go test -count=1 ./...')
    assert "ok  \tparbench/workload" in done.stdout
    assert "ok  \tparbench/harness" in done.stdout
    assert "FAIL" not in done.stdout


@pytest.mark.parametrize(
    "name, units", [(name, 1) for name in sorted(SMALL_PARAMS)] + [(name, n) for name, n in sorted(SMALL_UNITS.items())]
)
def test_same_checksum_in_every_runtime(built_project, name, units):
    """Python threads on both builds and Go goroutines, 3 workers each, give the checksum computed here,
    of a whole loop and of one unit of a divided one."""
    params, spec = SMALL_PARAMS[name], WORKLOADS[name]
    expected = expected_checksum(name, params, 3, units)
    pairs = [f"{k}={v}" for k, v in params.items()]
    harness = ["python3", "/opt/parbench/python/harness.py", "--workload", name, "--mode", "threads", "--workers", "3"]
    harness += ["--units", str(units)]
    seen = {}
    for runtime in ("cpython-3.13", "cpython-3.13t"):
        record = json.loads(
            docker_run(image(built_project, runtime), *harness, *[a for p in pairs for a in ("--param", p)]).stdout
        )
        seen[runtime] = (record["checksum"], record["units"])
    go_args = [
        "parbench-go",
        "-workload",
        name,
        "-mode",
        "goroutines",
        "-workers",
        "3",
        "-units",
        str(units),
        *[a for p in pairs for a in ("-param", p)],
    ]
    record = json.loads(docker_run(image(built_project, "go"), *go_args).stdout)
    seen["go"] = (record["checksum"], record["units"])
    assert seen == {runtime: (expected, units) for runtime in seen}, (name, spec.combine)
    if name == "cpu_loop" and units == 1:
        assert expected == 499998500012.9994


def test_bad_parameters_are_one_line_in_both_harnesses(built_project):
    python = docker_run_status(
        image(built_project, "cpython-3.13"),
        "python3",
        "/opt/parbench/python/harness.py",
        "--workload",
        "hash",
        "--mode",
        "threads",
        "--param",
        "megabytes=0",
        "--param",
        "rounds=1",
    )
    go = docker_run_status(
        image(built_project, "go"),
        "parbench-go",
        "-workload",
        "hash",
        "-mode",
        "goroutines",
        "-param",
        "megabytes=0",
        "-param",
        "rounds=1",
    )
    for done in (python, go):
        assert done.returncode == 2 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and "megabytes=0 is below 1" in done.stderr


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
@pytest.mark.parametrize("cpuset, workers", [("0", 1), ("0-1", 2)])
def test_default_workers_follow_the_pinned_cpuset(built_project, cpuset, workers):
    python_args = [
        "python3",
        "/opt/parbench/python/harness.py",
        "--workload",
        "cpu_loop",
        "--mode",
        "threads",
        "--param",
        "iterations=1000",
    ]
    for runtime in ("cpython-3.13", "cpython-3.13t"):
        record = json.loads(docker_run("--cpuset-cpus", cpuset, image(built_project, runtime), *python_args).stdout)
        assert (record["workers"], record["affinity"], record["cpu_count"]) == (workers, cpuset, workers)
    go_args = ["parbench-go", "-workload", "cpu_loop", "-mode", "goroutines", "-param", "iterations=1000"]
    record = json.loads(docker_run("--cpuset-cpus", cpuset, image(built_project, "go"), *go_args).stdout)
    assert (record["workers"], record["affinity"], record["numcpu"], record["gomaxprocs"]) == (
        workers,
        cpuset,
        workers,
        workers,
    )
    # What the seed's script used: still the host's count inside a pinned container.
    seed_count = docker_run(
        "--cpuset-cpus",
        cpuset,
        image(built_project, "cpython-3.13"),
        "python3",
        "-c",
        "import multiprocessing; print(multiprocessing.cpu_count())",
    )
    assert int(seed_count.stdout) == os.cpu_count()


def test_pruned_image_is_noticed_and_rebuilt(built_project):
    # An ID the engine does not know stands for a pruned image. Removing the real
    # one would also remove it from every other checkout, since builds share IDs.
    iid = built_project / "results/images/go.iid"
    real = iid.read_text().strip()
    iid.write_text("sha256:" + "0" * 64 + "\n")
    identity_path = built_project / "results/images/go.identity.json"
    before = {path: path.read_bytes() for path in (iid, identity_path)}
    plan = snakemake(built_project, "images", "-n", "--quiet", "rules")
    assert "is gone from the engine" in plan.stderr
    assert planned_jobs(plan).get("go_image") == 1
    assert {path: path.read_bytes() for path in before} == before  # planning changes no file
    done = snakemake(built_project, "images")
    assert done.returncode == 0, done.stderr[-2000:]
    assert image(built_project, "go") == real  # rebuilt from the layer cache: the same image
    identity = json.loads((built_project / "results/images/go.identity.json").read_text())
    assert identity["image_id"] == real
