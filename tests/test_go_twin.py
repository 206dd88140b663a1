"""A user's Go twin built into the Go image (containers/go-twin/Dockerfile), as the pipeline builds it.

The twins are the folders under tests/data/go_twins, each the go/ folder of a
workload called sumsq; they are built with no network and run with the
containers' least-privilege flags. The Go image is built from this checkout
(containers/go/Dockerfile on the newest parbench/base), so the harness tested
is the one here. Test images are removed afterwards, their layers kept as
build cache.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parent.parent
TWINS = REPO / "tests" / "data" / "go_twins"
GO_IMAGE = "parbench-test/go:twin"
# What every measuring container gets (the user-workload contract).
LEAST_PRIVILEGE = (
    "--network", "none", "--read-only", "--tmpfs", "/tmp", "--user", "65534:65534",
    "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--pids-limit", "256", "--memory", "512m",
)  # fmt: skip
SUMSQ = ("parbench-go", "-workload", "sumsq", "-mode", "goroutines", "-workers", "2", "-param", "n=1000")
ERROR_PREFIX = "parbench-go-twin: error: "


def docker(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """docker with the legacy builder, which the pipeline builds with too."""
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, env=env)


def base_image() -> str:
    """The parbench/base image the pipeline's Go image stands on, else the newest one."""
    bases = docker("images", "--quiet", "parbench/base").stdout.split()
    if not bases:
        pytest.fail("no parbench/base image: build the images first (snakemake images)")
    history = docker("history", "--quiet", "parbench/go:latest").stdout.split()
    return next((layer for layer in history if layer in bases), bases[0])


@pytest.fixture(scope="module")
def go_image(docker_engine) -> Iterator[str]:
    """The Go image with this checkout's harness (cached layers make a rebuild cheap)."""
    done = docker(
        "build", "--force-rm", "--file", "containers/go/Dockerfile", "--tag", GO_IMAGE,
        "--build-arg", f"BASE_IMAGE={base_image()}", "--build-arg", "GO_VERSION=1.24", str(REPO),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield GO_IMAGE
    docker("rmi", "--no-prune", GO_IMAGE)


def build_twin(go_image: str, fixture: str, tag: str) -> subprocess.CompletedProcess:
    return docker(
        "build", "--force-rm", "--network", "none", "--file", str(REPO / "containers" / "go-twin" / "Dockerfile"),
        "--build-arg", f"GO_IMAGE={go_image}", "--build-arg", "WORKLOAD=sumsq", "--tag", tag, str(TWINS / fixture),
    )  # fmt: skip


@pytest.fixture
def twin(go_image) -> Iterator[Callable[[str], str]]:
    """Builds a fixture's twin image and returns its tag; every image built is removed afterwards."""
    tags: list[str] = []

    def build(fixture: str) -> str:
        tag = f"parbench-test/twin:{fixture}"
        tags.append(tag)
        done = build_twin(go_image, fixture, tag)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return tag

    yield build
    for tag in tags:
        docker("rmi", "--no-prune", tag)


def run(image: str, *command: str) -> subprocess.CompletedProcess:
    return docker("run", "--rm", *LEAST_PRIVILEGE, image, *command, timeout=120)


def record(image: str, *command: str) -> dict:
    done = run(image, *command)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    return json.loads(lines[0])


def sum_of_squares(n: int, workers: int, offset: int = 0) -> float:
    """The checksum: each worker's contiguous share, summed as Go does, then the task values in index order."""
    total = 0.0
    for index in range(workers):
        value = 0.0
        for i in range(index * n // workers, (index + 1) * n // workers):
            value += float(i * i + offset)
        total += value
    return total


def test_stdlib_twin_runs_its_workload_beside_the_builtins(twin):
    image = twin("stdlib")
    rec = record(image, *SUMSQ)
    assert (rec["workload"], rec["params"], rec["workers"], rec["tasks"]) == ("sumsq", {"n": 1000}, 2, 2)
    assert rec["checksum"] == sum_of_squares(1000, 2) == 332833500
    sequential = record(
        image, "parbench-go", "-workload", "sumsq", "-mode", "sequential", "-param", "n=999", "-loops", "3"
    )
    assert (sequential["checksum"], sequential["loops"]) == (sum_of_squares(999, 1), 3)
    builtin = record(image, "parbench-go", "-workload", "cpu_loop", "-mode", "goroutines", "-workers", "2",
                     "-param", "iterations=1000")  # fmt: skip
    assert builtin["checksum"] == 498507.4854708605  # cpu_loop(1000), as both harnesses compute it


def test_twin_with_its_own_module_builds_its_vendored_dependency_offline(twin):
    image = twin("vendored")
    rec = record(image, *SUMSQ, "-param", "offset=3")
    assert rec["params"] == {"n": 1000, "offset": 3}
    assert rec["checksum"] == sum_of_squares(1000, 2, offset=3) == 332836500


def test_twin_that_does_not_compile_fails_with_its_first_compiler_error(go_image):
    done = build_twin(go_image, "broken", "parbench-test/twin:broken")
    lines = [line for line in (done.stdout + done.stderr).splitlines() if ERROR_PREFIX in line]
    assert done.returncode != 0
    assert lines == [ERROR_PREFIX + "./task.go:7:9: undefined: foo"]
    assert docker("image", "inspect", "parbench-test/twin:broken").returncode != 0


def test_twin_whose_task_panics_ends_with_one_line_and_exit_1(twin):
    done = run(twin("panics"), *SUMSQ)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "parbench-go: error: workload sumsq: task panicked: sumsq fixture: worker 1 gave up\n"


SHARES_MAIN = """package main

import (
	"encoding/json"
	"fmt"
	"os"

	"shares/twin"
)

func main() {
	values := map[string]float64{}
	for _, n := range []int{50, 5000} {
		for _, workers := range []int{1, 2, 3, 8} {
			for index := 0; index < workers; index++ {
				key := fmt.Sprintf("%d/%d/%d", n, workers, index)
				values[key] = twin.Task(map[string]int{"n": n}, index, workers, twin.Setup(nil, workers))
			}
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(values); err != nil {
		os.Exit(1)
	}
}
"""


def test_the_templates_go_twin_gives_each_worker_the_share_python_gives(go_image, tmp_path):
    """The template's twin must split the work as workload.py does, or its scaling would be another workload's."""
    from parbench import scaffold

    files = scaffold.skeleton_files("twin", go=True)
    (tmp_path / "twin").mkdir()
    (tmp_path / "twin" / "twin.go").write_text(files["go/twin.go"])
    (tmp_path / "main.go").write_text(SHARES_MAIN)
    (tmp_path / "go.mod").write_text("module shares\n\ngo 1.24\n")
    done = docker(
        "run", "--rm", "--network", "none", "--volume", f"{tmp_path}:/src:ro", "--env", "GOCACHE=/tmp/cache",
        "--env", "GOFLAGS=-mod=mod", go_image, "sh", "-c", "cp -r /src /tmp/shares && cd /tmp/shares && go run .",
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    from_go = json.loads(done.stdout)
    namespace: dict = {}
    exec(compile(files["workload.py"], "workload.py", "exec"), namespace)
    from_python = {
        f"{n}/{workers}/{index}": namespace["task"]({"n": n}, index, workers, None)
        for n in (50, 5000)  # 50: less than one block, so every worker but the first gets none
        for workers in (1, 2, 3, 8)
        for index in range(workers)
    }
    assert from_go == from_python
    assert len(set(from_python[f"5000/8/{index}"] for index in range(8))) > 1  # shares, not the whole count each
