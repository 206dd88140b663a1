"""The session locks: one session per project, and one per machine across checkouts."""

from __future__ import annotations

import os

import pytest

from parbench import sessionlock
from parbench.errors import ParbenchError


@pytest.fixture
def machine_lock(tmp_path, monkeypatch):
    path = tmp_path / "machine" / "parbench-measure.lock"
    monkeypatch.setattr(sessionlock, "MACHINE_LOCK", path)
    return path


def test_a_second_session_in_one_project_is_refused_naming_the_holder(tmp_path, machine_lock):
    held = sessionlock.hold_session_lock(tmp_path / "a" / "session")  # held while referenced
    with pytest.raises(ParbenchError, match=rf"already running \(pid {os.getpid()}, started "):
        sessionlock.hold_session_lock(tmp_path / "a" / "session")
    held.close()


def test_a_session_of_another_checkout_is_refused_naming_its_project(tmp_path, machine_lock, monkeypatch):
    monkeypatch.chdir(tmp_path)
    held = sessionlock.hold_session_lock(tmp_path / "a" / "session")
    with pytest.raises(ParbenchError, match=rf"already running \(pid {os.getpid()} in {tmp_path}, started "):
        sessionlock.hold_session_lock(tmp_path / "b" / "session")
    # Once the first ends, the second starts.
    held.close()
    sessionlock.hold_session_lock(tmp_path / "b" / "session")
    assert sessionlock.holder_pid(machine_lock.read_text()) == os.getpid()


def test_the_machine_lock_is_left_writable_by_every_user(tmp_path, machine_lock):
    sessionlock.hold_session_lock(tmp_path / "a" / "session")
    assert machine_lock.stat().st_mode & 0o777 == 0o666


def test_without_a_machine_lock_folder_the_project_lock_still_holds(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setattr(sessionlock, "MACHINE_LOCK", blocked / "parbench-measure.lock")  # under a file: no folder
    held = sessionlock.hold_session_lock(tmp_path / "a" / "session")
    assert (tmp_path / "a/session/measure.lock").read_text().startswith(f"pid {os.getpid()}, started ")
    with pytest.raises(ParbenchError, match="already running"):
        sessionlock.hold_session_lock(tmp_path / "a" / "session")
    held.close()
