"""Stopping a session from the workflow engine, and which raw files a plain run repairs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from parbench.control import cells_to_repair, forward_stop_signals, raw_problem, session_pid, stop_session
from parbench.errors import ParbenchError, main_guard

GOOD = json.dumps({"seconds": 1.0, "warmup": False}) + "\n"


def test_raw_problem_names_what_is_wrong(tmp_path):
    path = tmp_path / "cell.jsonl"
    assert raw_problem(path) == "missing"
    path.write_text("")
    assert raw_problem(path) == "empty"
    path.write_text(GOOD + '{"seconds": 1.0, "war')
    assert raw_problem(path) == "line 2 is not JSON"
    path.write_text(json.dumps({"seconds": 1.0, "warmup": True}) + "\n")
    assert raw_problem(path) == "holds no measured value"
    path.write_text(GOOD)
    assert raw_problem(path) is None
    assert raw_problem(path, rounds=2) == "holds 1 of 2 containers (one per round)"
    assert raw_problem(path, rounds=1) is None


def test_only_damaged_files_of_the_last_plan_are_repaired(tmp_path):
    settings = tmp_path / "settings.json"
    a, b, c = (tmp_path / name for name in ("a.jsonl", "b.jsonl", "c.jsonl"))
    a.write_text(GOOD)
    b.write_text(GOOD[:10])
    paths = [str(a), str(b), str(c)]
    assert cells_to_repair(paths, settings, "plan") == {}  # nothing measured under this plan yet
    settings.write_text("plan")
    assert cells_to_repair(paths, settings, "plan") == {str(b): "line 1 is not JSON", str(c): "missing"}
    assert cells_to_repair(paths, settings, "another plan") == {}  # a changed plan is a new session
    for path in (a, b):
        path.unlink()
    assert cells_to_repair(paths, settings, "plan") == {}  # nothing intact: measure the whole plan


def test_stop_reaches_only_a_live_measurement(tmp_path):
    lock = tmp_path / "measure.lock"
    assert session_pid(lock) is None and not stop_session(lock)
    lock.write_text(f"pid {os.getpid()}, started now")
    assert session_pid(lock) is None  # this test process is no parbench.measure
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "parbench.measure"])
    try:
        lock.write_text(f"pid {sleeper.pid}, started now")
        deadline = time.monotonic() + 10
        while session_pid(lock) is None and time.monotonic() < deadline:
            time.sleep(0.05)  # until the child has exec'd the interpreter
        assert session_pid(lock) == sleeper.pid
        assert stop_session(lock)
        assert sleeper.wait(timeout=10) == -signal.SIGTERM
    finally:
        sleeper.kill()


def test_forwarded_sigint_still_interrupts(tmp_path):
    previous = signal.getsignal(signal.SIGINT)
    try:
        forward_stop_signals(tmp_path / "measure.lock")
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
            raised = False
        except KeyboardInterrupt:
            raised = True
        assert raised
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_errors_are_kept_for_the_workflow_to_repeat_last(tmp_path, monkeypatch):
    kept = tmp_path / "errors.txt"
    monkeypatch.setenv("PARBENCH_ERROR_FILE", str(kept))

    @main_guard
    def failing(argv=None):
        raise ParbenchError("something named, and how to fix it")

    assert failing() == 1
    assert kept.read_text() == "parbench: something named, and how to fix it\n"


def test_raw_problem_counts_containers_not_values(tmp_path):
    path = tmp_path / "cell.jsonl"
    values = [
        {"seconds": 1.0, "warmup": False, "session": "s", "order": order, "repeat": value}
        for order in (3, 9)
        for value in range(3)
    ]
    path.write_text("".join(json.dumps(v) + "\n" for v in values))
    assert raw_problem(path, rounds=2) is None
    assert raw_problem(path, rounds=6) == "holds 2 of 6 containers (one per round)"  # six values, two containers
