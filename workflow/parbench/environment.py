"""What machine, engine and code produced a set of results."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone


def _output(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "cpu model"):
            return value.strip()
    return "unknown"


def collect() -> dict:
    try:
        with open("/proc/cpuinfo") as f:
            model = cpu_model(f.read())
    except OSError:
        model = "unknown"
    status = _output(["git", "status", "--porcelain", "--untracked-files=no"])
    return {
        "collected_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "os": platform.platform(),
        "docker_server_version": _output(["docker", "version", "--format", "{{.Server.Version}}"]),
        "docker_client_version": _output(["docker", "version", "--format", "{{.Client.Version}}"]),
        "git_commit": _output(["git", "rev-parse", "HEAD"]),
        "git_clean": None if status is None else status == "",
    }
