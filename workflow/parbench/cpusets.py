"""CPU sets in Docker's --cpuset-cpus syntax ("0", "0-3", "0,2")."""

from __future__ import annotations

import os
import re

_ELEMENT = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_cpuset(text: str) -> list[int]:
    """Return the sorted CPU numbers a cpuset string names; ValueError if malformed."""
    cpus: set[int] = set()
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{text!r} is not a CPU set (use Docker's syntax: '1', '0-3', '0,2')")
    for element in text.split(","):
        match = _ELEMENT.match(element.strip())
        if not match:
            raise ValueError(f"{text!r} is not a CPU set (use Docker's syntax: '1', '0-3', '0,2')")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise ValueError(f"{text!r} has a descending range {element!r}")
        cpus.update(range(first, last + 1))
    return sorted(cpus)


def format_cpuset(cpus: list[int] | set[int]) -> str:
    """The canonical, compact form of a CPU set: sorted, ranges collapsed."""
    ordered = sorted(set(cpus))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def available_cpus() -> list[int]:
    """CPUs this process may use: the ceiling for every CPU set of a run."""
    return sorted(os.sched_getaffinity(0))
