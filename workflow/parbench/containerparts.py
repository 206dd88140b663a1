"""Several cells of one round in one container, each a process of its own: the command and its output.

Starting a container costs about a third of a second on these machines,
more than many cells' timed sections, so a session with `cells_per_container`
above 1 runs up to that many cells of one round that share an image, a CPU
set and mounts in one container. Each cell is still a fresh process (the
unit of independence pyperf uses too): the container's shell starts the
harness once per cell, with the cell's own environment, one after the
other, never two at once. Between them it prints a marker record with the
container's clock, so each cell's records, and the seconds it took inside,
are told apart. These are pure functions; supervise.py runs the command.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PART = "parbench_part"  # a marker record's key: the index of the cell that starts after it
CLOCK = "clock_ns"  # the container's clock when the marker was printed


@dataclass(frozen=True)
class Part:
    """One cell's harness in a shared container: its command line and its own environment."""

    argv: Sequence[str]
    env: Mapping[str, str]


def parts_command(parts: Sequence[Part]) -> list[str]:
    """`sh -c SCRIPT` running each part in turn, a marker before each and one after the last.

    A part that fails ends the container with its exit status, so the
    session sees the failure as it would from a container of one cell.
    """
    lines = [f'mark() {{ printf \'{{"{PART}": %d, "{CLOCK}": %s}}\\n\' "$1" "$(date +%s%N)"; }}']
    for index, part in enumerate(parts):
        assigned = [f"{key}={part.env[key]}" for key in sorted(part.env)]
        command = " ".join(shlex.quote(word) for word in ["env", *assigned, *part.argv])
        lines.append(f"mark {index}; {command} || exit $?")
    lines.append(f"mark {len(parts)}")
    return ["sh", "-c", "\n".join(lines)]


def split_records(records: Sequence[dict], count: int) -> list[tuple[list[dict], float]]:
    """Each part's records and its seconds inside the container, from the container's output records.

    Raises ValueError when the markers are not the count+1 expected, in
    order: the output is then not what the command prints.
    """
    marks = [index for index, record in enumerate(records) if PART in record]
    found = [records[index][PART] for index in marks]
    if found != list(range(count + 1)):
        raise ValueError(f"expected part markers 0..{count}, found {found}")
    out = []
    for start, end in zip(marks, marks[1:]):
        seconds = (int(records[end][CLOCK]) - int(records[start][CLOCK])) / 1e9
        out.append((list(records[start + 1 : end]), seconds))
    return out


def running_part(stdout: str, count: int) -> int | None:
    """The part a failed container was running: the last one marked in its output (None if none or all ended).

    Any output line that is not a marker is skipped, so a harness that
    printed garbage before failing still names its cell.
    """
    last = None
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get(PART), int):
            last = record[PART]
    return last if last is not None and 0 <= last < count else None


def shared_phrase(cells: Sequence[str]) -> str | None:
    """A shared container as a line names it before it is known which cell failed (None: a container of one)."""
    return f"{cells[0]} (and {len(cells) - 1} more cell(s) in its container)" if len(cells) > 1 else None


def named_part(cells: Sequence[str], index: int) -> str:
    """A failed part as the session's one line names it: the cell, and where it ran."""
    return f"{cells[index]} (cell {index + 1} of {len(cells)} in its container)"


def failing_cell(stdout: str, cells: Sequence[str], fallback: str) -> str:
    """The cell a failed shared container was running, as a line names it; `fallback` where none can be told."""
    index = running_part(stdout, len(cells)) if cells else None
    return named_part(cells, index) if index is not None else fallback


def shares(total: float, inside: Sequence[float]) -> list[float]:
    """Each part's share of a container's wall time: its own seconds inside, plus an equal part of the rest.

    The rest (starting and removing the container) is the same whatever
    each cell did, so it is shared equally; the shares add up to the total.
    """
    rest = (total - sum(inside)) / len(inside)
    return [seconds + rest for seconds in inside]
