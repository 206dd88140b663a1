"""Fault injection: a measurement session survives what stops it, and loses nothing it finished.

Every test runs the real pipeline (`snakemake` on configs/faults.yaml: two
runtimes, five cells, three rounds, 15 containers of about 0.7 s each) on
one private project copy, reset to the same finished baseline before each
test. Each test injects one fault -- Ctrl-C, a signal to Snakemake alone, a
killed Snakemake, a killed container, a stopped Docker daemon, a wrong
checksum, a pruned image, damaged raw files, a second invocation -- and checks
that

- no finished result was lost or changed (sha256 of raw files and tables),
- no container of this project's sessions is left behind,
- the last line the user sees is one `parbench:` line saying what happened,
- a plain rerun of the same command carries on: only the containers not yet
  in the journal run again (counted with `docker events`).

Test 5 stops the Docker daemon for a few seconds, which affects everything
else using Docker on this machine; deselect it with `-k "not daemon"`.
The pruned-image test runs last: it replaces the go image the baseline was
measured with. The go image of this module is built from a copy with a
marker file in workloads/go, so it is this module's own and may be removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from parbench.control import session_pid
from parbench.cpusets import available_cpus
from parbench.matrix import all_cells
from parbench.sessionlock import pid_alive as alive
from parbench.sessionplan import session_plan

from conftest import REPO, WITHOUT_ARCHIVES

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.faults]

CONFIG = ("--configfile", "configs/faults.yaml")
TABLES = ("runs.csv", "summary.csv", "comparisons.csv", "claims.csv", "report.md")
LABEL = "parbench.session"
JOURNAL = Path("results/session/journal.jsonl")
LOCK = Path("results/session/measure.lock")
RUN_TIMEOUT = 300  # a whole plain run of the faults config takes about 22 s


def faults_config(*extra: dict) -> dict:
    """config.yaml with configs/faults.yaml (and `extra`) merged over it, as Snakemake merges them."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "configs/faults.yaml").read_text()))
    for more in extra:
        update_config(config, more)
    return config


CELLS = [cell.raw_path for cell in all_cells(faults_config(), available_cpus())]
ROUNDS = faults_config()["repeats"]
CONTAINERS = len(CELLS) * ROUNDS


# ---- running Snakemake in the background -------------------------------------


class Run:
    """`snakemake` started in its own session (process group), its output in files."""

    count = 0

    def __init__(self, project: Path, *args: str, env: dict | None = None, configfiles=("configs/faults.yaml",)):
        Run.count += 1
        self.project = project
        self.out = project.parent / f"run-{Run.count}.stdout"
        self.err = project.parent / f"run-{Run.count}.stderr"
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "snakemake", "--cores", "all", *args, "--configfile", *configfiles],
                cwd=project,
                stdout=out,
                stderr=err,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )

    def wait(self, timeout: float = RUN_TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            pytest.fail(f"snakemake did not finish within {timeout:g} s:\n{self.stderr[-3000:]}")

    @property
    def stderr(self) -> str:
        return self.err.read_text()

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def run(project: Path, *args: str, **options) -> Run:
    done = Run(project, *args, **options)
    done.wait()
    return done


def wait_for(condition, timeout: float, what: str):
    """Poll `condition` until it returns something true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"waited {timeout:g} s for {what}")


# ---- what the session left -----------------------------------------------------


def journal(project: Path) -> tuple[dict, list[dict]]:
    """The journal's header and its finished containers ({} and [] if there is none)."""
    try:
        text = (project / JOURNAL).read_text()
    except FileNotFoundError:
        return {}, []
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line being written
    if not lines:
        return {}, []
    return lines[0], [e for e in lines[1:] if "order" in e]


def journal_with(project: Path, entries: int, timeout: float = 120) -> tuple[dict, list[dict]]:
    return wait_for(
        lambda: (lambda h, e: (h, e) if len(e) >= entries else None)(*journal(project)),
        timeout,
        f"{entries} container(s) in the journal",
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def results_digest(project: Path) -> dict[str, str]:
    """sha256 of every raw file, session stamp and table: what a finished session produced."""
    paths = sorted((project / "results/raw").rglob("*")) + [project / "results" / t for t in TABLES]
    return {str(p.relative_to(project)): sha256(p) for p in paths if p.is_file()}


def tree_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file below `folder` with its sha256 and modification time."""
    return {
        str(p.relative_to(folder)): (sha256(p), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def raw_records(project: Path) -> dict[str, list[dict]]:
    return {path: [json.loads(line) for line in (project / path).read_text().splitlines()] for path in CELLS}


def measured(records: list[dict]) -> list[dict]:
    return [r for r in records if not r["warmup"]]


def stamps(project: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((project / "results/raw/sessions").glob("*.json"))]


def assert_complete_session(project: Path, session: str, cells: list[str] = CELLS) -> list[dict]:
    """Every cell of `cells` holds its rounds, one container each, all from `session`; returns the records.

    A container may measure several values; every container of a cell as many.
    """
    records = raw_records(project)
    everything = []
    for path in cells:
        got = measured(records[path])
        containers = {(r["round"], r["order"]) for r in got}
        assert sorted(round_index for round_index, _ in containers) == list(range(ROUNDS)), path
        values = {order: sum(r["order"] == order for r in got) for _, order in containers}
        assert len(set(values.values())) == 1, (path, values)
        assert {r["session"] for r in records[path]} == {session}, path
        everything += records[path]
    if cells == CELLS:
        assert sorted({r["order"] for r in everything}) == list(range(CONTAINERS))
    assert not (project / JOURNAL).exists(), "a finished session leaves no journal"
    return everything


def containers_of(sessions: set[str]) -> list[str]:
    """Containers (running or not) labelled with one of these sessions."""
    listed = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label={LABEL}", "--format", '{{.ID}} {{.Label "parbench.session"}}'],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in listed.stdout.splitlines() if line.split()[1:] and line.split()[1] in sessions]


def project_sessions(project: Path, *more: str) -> set[str]:
    """Every session this project has had: journals (kept, superseded or finished) and stamps."""
    sessions = set(more)
    for path in (project / "results").rglob("*.jsonl"):
        if path.parent.name in ("session", "sessions"):
            try:
                sessions.add(json.loads(path.read_text().splitlines()[0]).get("session"))
            except (IndexError, json.JSONDecodeError):
                pass
    sessions |= {s["session"] for s in stamps(project)}
    return sessions - {None}


def assert_no_containers(project: Path, *sessions: str) -> None:
    left = containers_of(project_sessions(project, *sessions))
    assert not left, f"containers left behind: {left}"


def assert_one_parbench_line_last(done: Run, *phrases: str) -> str:
    line = done.last_line
    assert line.startswith("parbench: "), done.stderr[-3000:]
    for phrase in phrases:
        assert phrase in line, line
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return line


def assert_nothing_to_do(project: Path, *args: str) -> None:
    """A dry run of the same command plans no job: what was just done is not done again."""
    dry = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "all", "-n", *args, *CONFIG],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dry.returncode == 0, (dry.stdout + dry.stderr)[-3000:]
    if "Nothing to be done" not in dry.stdout + dry.stderr:
        pytest.fail(f"the next run would do it again:\n{(dry.stdout + dry.stderr)[-3000:]}")


class Starts:
    """Containers started with the parbench label while this block runs, by session (`docker events`)."""

    def __enter__(self):
        since = f"{time.time() - 0.5:.3f}"  # events since then are replayed: no race with the first start
        self.proc = subprocess.Popen(
            [
                "docker",
                "events",
                "--since",
                since,
                "--filter",
                f"label={LABEL}",
                "--filter",
                "event=start",
                "--format",
                '{{.ID}} {{index .Actor.Attributes "parbench.session"}}',
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *exc):
        time.sleep(0.5)  # let the engine deliver the last start event before the stream is cut
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        self.lines = [line.split() for line in out.splitlines() if line.strip()]

    def of(self, session: str) -> int:
        return sum(1 for fields in self.lines if fields[1:] == [session])


# ---- the project ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline(built_project, tmp_path_factory):
    """A project copy with a finished session of the faults config, and a saved copy of its state."""
    root = tmp_path_factory.mktemp("faults")
    project = root / "parbench"
    shutil.copytree(built_project, project, symlinks=True, ignore=WITHOUT_ARCHIVES)
    # A go image of this module's own, so the pruned-image test removes nothing anyone else uses.
    (project / "workloads/go/faults-test-marker.txt").write_text(f"image built by tests/test_faults.py for {project}\n")
    started = time.monotonic()
    done = run(project)
    assert done.proc.returncode == 0, done.stderr[-3000:]
    print(f"\nbaseline run (go image rebuilt, 15 containers, report): {time.monotonic() - started:.1f} s")
    go_images = {(project / "results/images/go.iid").read_text().strip()}
    saved = root / "saved"
    for part in ("results", ".snakemake", "logs"):
        shutil.copytree(project / part, saved / part, symlinks=True)
    yield {"project": project, "saved": saved, "digest": results_digest(project), "go_images": go_images}
    go_images.add((project / "results/images/go.iid").read_text().strip())
    for image in go_images:
        subprocess.run(["docker", "rmi", "--force", image], capture_output=True)


@pytest.fixture
def project(baseline) -> Path:
    """The project, reset to the baseline (results, Snakemake's metadata, logs; dates kept)."""
    project, saved = baseline["project"], baseline["saved"]
    for part in ("results", ".snakemake", "logs"):
        shutil.rmtree(project / part, ignore_errors=True)
        shutil.copytree(saved / part, project / part, symlinks=True)
    assert results_digest(project) == baseline["digest"]
    return project


def interrupted(project: Path, seed: int, entries: int = 2, settings: tuple[str, ...] = ()) -> tuple[Run, dict]:
    """A run of a new plan (another seed, and `settings`) with at least `entries` containers journaled."""
    started = Run(project, "--config", f"seed={seed}", *settings)
    header, _ = journal_with(project, entries)
    assert started.proc.poll() is None, "the session finished before it could be interrupted"
    return started, header


def resume(project: Path, seed: int, session: str, kept: int) -> Run:
    """The same command again: it resumes `session` and runs exactly the containers not kept."""
    with Starts() as starts:
        done = run(project, "--config", f"seed={seed}")
    assert done.proc.returncode == 0, done.stderr[-3000:]
    assert f"parbench: resuming session {session}: {kept} cell run(s) already measured" in done.stderr
    assert starts.of(session) == CONTAINERS - kept, starts.lines
    assert_complete_session(project, session)
    assert stamps(project)[-1]["resumed_at"], "the stamp says when the session was resumed"
    assert_nothing_to_do(project, "--config", f"seed={seed}")
    return done


# ---- the faults --------------------------------------------------------------------------


def test_1_ctrl_c_keeps_results_and_a_rerun_resumes(project, baseline):
    started, header = interrupted(project, seed=2)
    os.killpg(started.proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    t0 = time.monotonic()
    assert started.wait(60) != 0
    print(f"\nCtrl-C: snakemake exited {time.monotonic() - t0:.1f} s after the signal")
    assert_one_parbench_line_last(started, "measurement stopped", "run the same command again to resume")
    _, kept = journal(project)
    assert 2 <= len(kept) < CONTAINERS
    assert results_digest(project) == baseline["digest"]
    assert_no_containers(project, header["session"])

    resume(project, 2, header["session"], len(kept))

    # What was journaled before Ctrl-C is what the raw files hold for those containers.
    def key(r: dict) -> tuple:  # a record's place: its container, kind and index there
        return r["order"], r["warmup"], r["calibration"], r["value"]

    final = {key(r): r for r in sum(raw_records(project).values(), [])}
    for entry in kept:
        for r in entry["records"]:
            assert final[key(r)] == r
    assert_no_containers(project, header["session"])


def test_2_sigint_to_snakemake_alone_stops_the_session(project, baseline):
    started, header = interrupted(project, seed=3)
    pid = session_pid(project / LOCK)
    assert pid and alive(pid)
    os.kill(started.proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    wait_for(lambda: not alive(pid), 10, "the session to stop after Snakemake got SIGINT")
    stopped_after = time.monotonic() - t0
    print(f"\nSIGINT to snakemake: session gone after {stopped_after:.1f} s")
    assert started.wait(60) != 0
    assert_one_parbench_line_last(started, "measurement stopped", "run the same command again to resume")
    assert results_digest(project) == baseline["digest"], "a raw file or table was replaced"
    _, kept = journal(project)
    assert len(kept) >= 2
    assert_no_containers(project, header["session"])


def test_3_killed_snakemake_stops_the_session_and_a_rerun_resumes(project, baseline):
    started, header = interrupted(project, seed=4)
    pid = session_pid(project / LOCK)
    assert pid and alive(pid)
    os.kill(started.proc.pid, signal.SIGKILL)
    t0 = time.monotonic()
    wait_for(lambda: not alive(pid), 10, "the session to notice that Snakemake was killed")
    print(f"\nSIGKILL to snakemake: session gone after {time.monotonic() - t0:.1f} s")
    started.wait(30)
    assert_one_parbench_line_last(started, "measurement stopped", "gone away")
    _, kept = journal(project)
    assert results_digest(project) == baseline["digest"]
    assert_no_containers(project, header["session"])

    resume(project, 4, header["session"], len(kept))
    assert_no_containers(project, header["session"])


# How each engine's `events` names the container of an event.
EVENT_NAME = {"docker": "{{.Actor.Attributes.name}}", "podman": "{{.Name}}"}


def kill_as_it_starts(session: str, timeout: float, engine: str = "docker") -> str:
    """Kill the session's next container the moment the engine reports it started; its name.

    A container picked from `ps` may be ending already: a kill that reaches it after its process
    exited leaves it exiting 0, not retried, and the engine may still answer with success. Killed as
    it starts, a container has all its measuring (0.3 s at least: a warm-up, calibration, two
    values) ahead. Both engines' `events` stream only what happens after they start. Podman reports
    a start late enough that a short container may be gone already ("no such container"): it ended
    as it should, so the next one to start is killed instead.
    """
    events = subprocess.Popen(
        [engine, "events", "--filter", f"label={LABEL}={session}", "--filter", "event=start"]
        + ["--format", EVENT_NAME[engine]],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout
    try:
        while True:
            if not select.select([events.stdout], [], [], max(deadline - time.monotonic(), 0))[0]:
                pytest.fail(f"waited {timeout:g} s for a container of session {session} to start")
            name = events.stdout.readline().strip()
            killed = subprocess.run([engine, "kill", name], capture_output=True, text=True)
            if killed.returncode != 0 and "no such container" in killed.stderr.lower():
                continue  # it ended before the kill reached it: not retried, so the next is killed
            assert killed.returncode == 0, f"{engine} kill {name}: {killed.stderr}"
            return name
    finally:
        events.kill()
        events.wait()


def test_4_killed_container_is_retried_and_recorded(project):
    started = Run(project, "--config", "seed=5")
    header, _ = journal_with(project, 1)
    session = header["session"]

    killed = kill_as_it_starts(session, 60)
    assert started.wait() == 0, started.stderr[-3000:]
    assert "(out of memory, see limits.memory; or `docker kill`); retrying (1/1)" in started.stderr
    records = assert_complete_session(project, session)
    retried = [r for r in records if r["retries"]]
    assert retried and {r["retries"] for r in retried} == {1}
    assert len({r["order"] for r in retried}) == 1, "exactly one container was retried"
    assert killed.startswith(f"parbench-{retried[0]['runtime']}-{retried[0]['mode']}-")
    assert all("killed" in r["retry_reasons"][0] for r in retried)
    assert stamps(project)[-1]["retries"] == 1
    assert_no_containers(project, session)


def docker_pid() -> int:
    pid = int(Path("/var/run/docker.pid").read_text())
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "dockerd"
    return pid


def test_5_stopped_daemon_is_one_line_and_a_rerun_resumes(project, baseline):
    started, header = interrupted(project, seed=6)
    daemon = docker_pid()
    t0 = time.monotonic()
    os.kill(daemon, signal.SIGTERM)
    try:
        assert started.wait(90) != 0
        line = assert_one_parbench_line_last(started, "lost the Docker daemon", "run the same command again to resume")
    finally:
        wait_for(lambda: not alive(daemon), 60, "dockerd to exit")
        restart = subprocess.run([str(REPO / "scripts/setup.sh")], capture_output=True, text=True, timeout=120)
        down = time.monotonic() - t0
    assert restart.returncode == 0, restart.stderr
    print(f"\ndaemon stopped: the session said {line!r}; Docker was down for {down:.1f} s")
    _, kept = journal(project)
    assert results_digest(project) == baseline["digest"]

    resume(project, 6, header["session"], len(kept))
    assert_no_containers(project, header["session"])


def test_6_wrong_checksum_stops_naming_the_cell_without_retry(project, baseline):
    # A second workload, so that containers finish before the first wrong one.
    extra = project.parent / "two-workloads.yaml"
    extra_config = {"workloads": {"contention": {"increments": 5000}}}
    extra.write_text(yaml.safe_dump(extra_config))
    config = faults_config(extra_config)
    cells = all_cells(config, available_cpus())
    for seed in range(100, 200):  # a plan whose first cpu_loop container comes third to fifth
        plan = session_plan(cells, config["repeats"], seed)
        first_wrong = [cell.workload for _, cell in plan].index("cpu_loop")
        if 2 <= first_wrong <= 4:
            break
    with Starts() as starts:
        done = run(
            project,
            "--config",
            f"seed={seed}",
            configfiles=("configs/faults.yaml", str(extra)),
            env={"PARBENCH_FAULT_CHECKSUM": "cpu_loop"},
        )
    assert done.proc.returncode != 0
    line = assert_one_parbench_line_last(done, plan[first_wrong][1].raw_path, "checksum", "not retried")
    assert "retrying" not in done.stderr
    header, kept = journal(project)
    assert sorted(e["order"] for e in kept) == list(range(first_wrong)), "earlier containers stay journaled"
    assert starts.of(header["session"]) == first_wrong + 1, "the wrong container ran once"
    assert results_digest(project) == baseline["digest"]
    assert_no_containers(project, header["session"])
    print(f"\nwrong checksum: {line}")


def test_8_truncated_and_deleted_raw_files_are_remeasured_alone(project, baseline):
    truncated, deleted = CELLS[1], CELLS[3]
    path = project / truncated
    lines = path.read_bytes().splitlines(keepends=True)
    middle = len(lines) // 2  # cut inside a line, not between two: a whole-line cut is only fewer containers
    path.write_bytes(b"".join(lines[:middle]) + lines[middle][: len(lines[middle]) // 2])
    (project / deleted).unlink()
    others = {p: sha256(project / p) for p in CELLS if p not in (truncated, deleted)}
    old_stamps = {p.name: sha256(p) for p in (project / "results/raw/sessions").glob("*")}

    with Starts() as starts:
        done = run(project)
    assert done.proc.returncode == 0, done.stderr[-3000:]
    repair = [line for line in done.stderr.splitlines() if "missing or damaged" in line]
    assert len(repair) == 1 and repair[0].startswith("parbench: 2 raw file(s)"), repair
    assert f"{truncated} (line" in repair[0] and f"{deleted} (missing)" in repair[0]
    assert {p: sha256(project / p) for p in others} == others
    assert {
        p.name: sha256(p) for p in (project / "results/raw/sessions").glob("*") if p.name in old_stamps
    } == old_stamps
    new = [s for s in stamps(project) if s["session"] + ".json" not in old_stamps]
    assert len(new) == 1 and sorted(new[0]["cells"]) == sorted([truncated, deleted])
    session = new[0]["session"]
    assert_complete_session(project, session, [truncated, deleted])
    assert starts.of(session) == 2 * ROUNDS
    assert_no_containers(project, session)
    assert_nothing_to_do(project)


# Containers of about 1.1 s (two values of sections of about 0.32 s: 15 containers
# in 16.6 s, 9.7 s timed, by `parbench time` after a run of the faults config with
# these settings): the first session outlasts the second snakemake's start, 3 s,
# or 13 s where SLURM is installed and no controller answers.
LONGER = ("min_time=0.15", "values_time=0.6")


def test_9_a_second_invocation_is_refused_while_one_measures(project, baseline):
    first, header = interrupted(project, seed=7, entries=1, settings=LONGER)
    pid = session_pid(project / LOCK)
    second = run(project, "--config", "seed=7", *LONGER)
    assert first.proc.poll() is None, "the first session ended before the second was refused: inconclusive"
    assert second.proc.returncode != 0
    assert_one_parbench_line_last(second, f"parbench: a measurement session is already running (pid {pid}, started")
    assert results_digest(project) == baseline["digest"], "the refused invocation changed results"
    assert first.wait() == 0, first.stderr[-3000:]
    assert_complete_session(project, header["session"])
    assert_no_containers(project, header["session"])


def test_7_pruned_image_dry_run_changes_nothing_and_a_run_rebuilds_it(project, baseline):
    # Last: afterwards the baseline's go image is gone (a later test would rebuild and remeasure).
    old = (project / "results/images/go.iid").read_text().strip()
    assert old in baseline["go_images"]
    subprocess.run(["docker", "rmi", "--force", old], check=True, capture_output=True)
    before = tree_state(project / "results")
    dry = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "all", "-n", *CONFIG],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "go_image" in dry.stdout + dry.stderr and "gone from the engine" in dry.stderr
    assert tree_state(project / "results") == before, "the dry run changed a file"

    done = run(project)
    assert done.proc.returncode == 0, done.stderr[-3000:]
    new = (project / "results/images/go.iid").read_text().strip()
    baseline["go_images"].add(new)
    assert subprocess.run(["docker", "image", "inspect", new], capture_output=True).returncode == 0
    stamp = stamps(project)[-1]
    assert stamp["images"]["go"] == new
    assert new in (project / "results/report.md").read_text()
    assert not list((project / "results/images").glob("*.gone"))
    assert_complete_session(project, stamp["session"])
    assert_no_containers(project, stamp["session"])
    assert_nothing_to_do(project)
