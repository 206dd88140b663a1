"""What machine, engine and code produced a set of results."""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import subprocess
from datetime import UTC, datetime

from . import docker
from .engines import DOCKER


def host_label(configured: str | None, record_hostname: bool) -> str:
    """The name results carry for this machine.

    The real host name is private by default (it can name an internal
    machine): unless the user configures a label or asks for the host name,
    a stable digest of it stands in.
    """
    if configured:
        return configured
    name = socket.gethostname()
    if record_hostname:
        return name
    return "host-" + hashlib.sha256(machine_identity(name).encode()).hexdigest()[:8]


MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")


def machine_identity(hostname: str, id_files: tuple[str, ...] | None = None) -> str:
    """What tells this machine apart: its machine ID with its host name.

    Two cloud VMs are often both called "vm"; their machine IDs differ, so
    their anonymous labels do too. Without a machine ID the host name alone
    is used, as before.
    """
    for path in MACHINE_ID_FILES if id_files is None else id_files:
        machine_id = _read(path)
        if machine_id:
            return f"{machine_id}/{hostname}"
    return hostname


def _output(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def cpuinfo_field(cpuinfo: str, *keys: str) -> str:
    """The first value of any of these keys in /proc/cpuinfo text."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in keys:
            return value.strip()
    return "unknown"


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def git_state() -> dict:
    """The checkout's commit and whether its code is clean (results do not count), or None for each."""
    # Results are tracked files too (the reference run); only code counts for "clean".
    status = _output(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!results"])
    return {"git_commit": _output(["git", "rev-parse", "HEAD"]), "git_clean": None if status is None else status == ""}


def docker_versions(engine: str) -> dict:
    """Docker's server and client versions when Docker measured the session; {} for another engine.

    Another engine's name and version are in the stamp's settings.engine_facts;
    asking Docker there would record a daemon that ran none of the containers,
    or wait for one that is not installed.
    """
    if engine != DOCKER.name:
        return {}
    return {
        "docker_server_version": _output(docker.version_command("Server")),
        "docker_client_version": _output(docker.version_command("Client")),
    }


def collect(label: str, engine: str) -> dict:
    """The machine that measured with `engine`, as the session stamp records it."""
    cpuinfo = _read("/proc/cpuinfo") or ""
    return {
        "host_label": label,
        "collected_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": cpuinfo_field(cpuinfo, "model name", "Model", "cpu model"),
        "cpu_flags": cpuinfo_field(cpuinfo, "flags", "Features"),
        "smt_active": _read("/sys/devices/system/cpu/smt/active"),
        "cpu_count": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "os": platform.platform(),
        **docker_versions(engine),
        **git_state(),
    }
