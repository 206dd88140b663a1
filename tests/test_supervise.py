"""The session stops when the workflow engine that started it goes away, however short its containers."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from test_containerparts import shell_engine

from parbench.matrix import Cell
from parbench.sessionlock import Stopped
from parbench.supervise import run_container

CELL = Cell("go", "cpu_loop", "goroutines", "0", 1)


def gone_pid() -> int:
    """The PID of a process that has exited and been reaped."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def run(argv: list[str], ancestors: list[int]):
    return run_container(shell_engine(), "img", argv, CELL, 60, {}, {}, lambda line: None, ancestors)


def test_a_container_is_not_started_once_the_engine_is_gone(tmp_path):
    started = tmp_path / "started"
    with pytest.raises(Stopped, match="has gone away"):
        run([sys.executable, "-c", f"open({str(started)!r}, 'w')"], [gone_pid()])
    assert not started.exists()


def test_a_short_container_runs_while_the_engine_lives(tmp_path):
    records, seconds = run([sys.executable, "-c", "print('{\"value\": 1}')"], [os.getpid()])
    assert records == [{"value": 1}] and seconds < 60


def test_a_running_container_is_stopped_within_its_wait_step_when_the_engine_goes():
    engine = subprocess.Popen(["sleep", "0.5"])
    t0 = time.monotonic()
    with pytest.raises(Stopped, match="has gone away"):
        run([sys.executable, "-c", "import time; time.sleep(30)"], [engine.pid])
    engine.wait()
    assert time.monotonic() - t0 < 10
