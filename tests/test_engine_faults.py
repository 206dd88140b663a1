"""The faults that make sense for every engine, with Podman and with Apptainer.

As in test_faults.py, on configs/faults.yaml (15 containers of about
0.7 s): a container killed from outside is retried once and recorded, and a
session interrupted with Ctrl-C keeps its journal, leaves no container
behind, and resumes when the same command runs again. What Docker alone has
(a daemon to stop, `docker events`) stays in test_faults.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from test_faults import (
    CONTAINERS,
    Run,
    assert_complete_session,
    assert_one_parbench_line_last,
    journal,
    journal_with,
    kill_as_it_starts,
    stamps,
    wait_for,
)

from parbench.engines import engine_named
from parbench.engines._apptainer import process_environments, tagged

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.faults, pytest.mark.engines]


@pytest.fixture(scope="module", params=["podman", "apptainer"])
def engine(request, engine_project):
    project, env = engine_project(request.param)
    return request.param, env, project


@pytest.fixture
def project(engine):
    """The engine's copy of the built project (conftest.engine_project), shared with test_engines_e2e.py."""
    return engine[2]


def running(name: str, session: str) -> list[str]:
    """What of `session` still runs: Podman's container names, or Apptainer's processes (by their environment)."""
    if name == "podman":
        listed = subprocess.run(
            ["podman", "ps", "-a", "--filter", f"label=parbench.session={session}", "--format", "{{.Names}}"],
            capture_output=True,
            text=True,
            check=True,
        )
        return listed.stdout.split()
    return [str(pid) for pid, env in process_environments().items() if tagged(env, "PARBENCH_SESSION", session)]


# An Apptainer container whose process is this young is still starting or measuring (each measures
# for at least 0.3 s: a warm-up, calibration and two values), so a kill sent now lands before it
# ends; an older one may be ending already, and a kill that reaches it after its process exited
# leaves it exiting 0, not retried. (Apptainer has no events; Podman's are used as Docker's are.)
YOUNG = 0.15


def process_age(pid: int) -> float:
    """Seconds since process `pid` started (in clock ticks of 10 ms), or infinity once it has gone."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError):
        return float("inf")
    return uptime - int(after_name[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat: when it started


def kill_young_process(session: str) -> str | None:
    """SIGKILL the session's Apptainer container (its one process: the harness) if it is young; its PID."""
    for pid in (int(pid) for pid in running("apptainer", session)):
        if process_age(pid) < YOUNG:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
            return str(pid)
    return None


def test_killed_container_is_retried_and_recorded(engine, project):
    name, env, _ = engine
    started = Run(project, "--config", f"engine={name}", "seed=5", env=env)
    header, _ = journal_with(project, 1, timeout=600)  # the first run also loads the images into the engine
    session = header["session"]
    if name == "podman":
        killed = kill_as_it_starts(session, 60, "podman")
    else:
        killed = wait_for(lambda: kill_young_process(session), 60, f"a container younger than {YOUNG} s")
    assert started.wait() == 0, started.stderr[-3000:]
    assert f"({engine_named(name).kill_hint}); retrying (1/1)" in started.stderr, killed
    records = assert_complete_session(project, session)
    retried = [r for r in records if r["retries"]]
    assert retried and len({r["order"] for r in retried}) == 1, "exactly one container was retried"
    assert stamps(project)[-1]["retries"] == 1
    assert stamps(project)[-1]["settings"]["engine_facts"]["name"] == name
    assert running(name, session) == []


def test_ctrl_c_keeps_the_journal_and_a_rerun_resumes(engine, project):
    name, env, _ = engine
    started = Run(project, "--config", f"engine={name}", "seed=2", env=env)
    header, _ = journal_with(project, 2, timeout=600)
    os.killpg(started.proc.pid, signal.SIGINT)
    assert started.wait(60) != 0
    assert_one_parbench_line_last(started, "measurement stopped", "run the same command again to resume")
    _, kept = journal(project)
    assert 2 <= len(kept) < CONTAINERS
    session = header["session"]
    wait_for(lambda: running(name, session) == [], 30, "the interrupted session's containers to go")

    again = Run(project, "--config", f"engine={name}", "seed=2", env=env)
    assert again.wait() == 0, again.stderr[-3000:]
    assert f"parbench: resuming session {session}: {len(kept)} cell run(s) already measured" in again.stderr
    assert_complete_session(project, session)
    assert stamps(project)[-1]["resumed_at"], "the stamp says when the session was resumed"
    assert running(name, session) == []
