"""What the host looked like just before a container ran: load, others' CPU use, governor, turbo.

Nothing of the workflow runs while this samples, so any busy time seen is
someone else's; the figures go into each record, so a noisy container can be
told apart afterwards instead of silently widening an interval.
"""

from __future__ import annotations

import glob
import time
from pathlib import Path

BUSY_SAMPLE_SECONDS = 0.05


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields), idle


def busy_fraction(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """Share of CPU time spent outside idle between two /proc/stat readings."""
    total, idle = after[0] - before[0], after[1] - before[1]
    return None if total <= 0 else (total - idle) / total


def _first_line(pattern: str) -> str | None:
    for path in sorted(glob.glob(pattern)):
        try:
            return Path(path).read_text().strip()
        except OSError:
            continue
    return None


def host_diagnostics(cpus: list[int]) -> dict:
    """Load, other processes' CPU use, frequency governor and turbo state, where readable."""
    before = _cpu_times()
    time.sleep(BUSY_SAMPLE_SECONDS)
    busy = busy_fraction(before, _cpu_times())
    governors = {_first_line(f"/sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor") for cpu in cpus}
    no_turbo = _first_line("/sys/devices/system/cpu/intel_pstate/no_turbo")
    boost = _first_line("/sys/devices/system/cpu/cpufreq/boost")
    turbo = None if no_turbo is None and boost is None else (no_turbo == "0" if no_turbo is not None else boost == "1")
    with open("/proc/loadavg") as f:
        load = float(f.read().split()[0])
    return {
        "load_1m_before": load,
        "host_busy_before": busy,
        "governor": ",".join(sorted(g for g in governors if g)) or None,
        "turbo": turbo,
    }
