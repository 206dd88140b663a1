"""Several cells in one container: the shell command that runs them in turn, and telling their output apart."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from parbench.containerparts import CLOCK, PART, Part, named_part, parts_command, running_part, shares, split_records
from parbench.matrix import Cell
from parbench.sessionplan import batch_at, container_key, session_plan

SAYS = "import json, os, sys; print(json.dumps({'seen': os.environ.get('PARBENCH_X'), 'arg': sys.argv[1]}))"


def run(parts: list[Part]) -> subprocess.CompletedProcess:
    """The command as a container's shell runs it, here with this machine's sh, env and date."""
    return subprocess.run(parts_command(parts), capture_output=True, text=True, timeout=60)


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_each_part_runs_in_turn_with_its_own_environment_and_its_own_time():
    slow = f"import time; time.sleep(0.3); {SAYS}"
    parts = [
        Part([sys.executable, "-c", SAYS, "it's quoted"], {"PARBENCH_X": "a b"}),
        Part([sys.executable, "-c", slow, "two"], {}),  # the first part's variable is not inherited
        Part([sys.executable, "-c", SAYS, "three"], {"PARBENCH_X": "3"}),
    ]
    done = run(parts)
    assert done.returncode == 0, done.stderr
    split = split_records(records(done.stdout), 3)
    assert [r for part, _ in split for r in part] == [
        {"seen": "a b", "arg": "it's quoted"},
        {"seen": None, "arg": "two"},
        {"seen": "3", "arg": "three"},
    ]
    seconds = [inside for _, inside in split]
    assert all(s > 0 for s in seconds) and seconds[1] >= 0.3 > max(seconds[0], seconds[2])


def test_a_failing_part_ends_the_container_with_its_status_and_runs_nothing_after_it():
    parts = [
        Part([sys.executable, "-c", SAYS, "one"], {}),
        Part([sys.executable, "-c", "raise SystemExit(3)"], {}),
        Part([sys.executable, "-c", SAYS, "never"], {}),
    ]
    done = run(parts)
    assert done.returncode == 3
    assert "never" not in done.stdout
    assert [r[PART] for r in records(done.stdout) if PART in r] == [0, 1]  # the failing part is the last one marked
    assert running_part(done.stdout, 3) == 1
    assert named_part(["a.jsonl", "b.jsonl", "c.jsonl"], 1) == "b.jsonl (cell 2 of 3 in its container)"


def test_the_running_part_is_the_last_marked_one_whatever_else_was_printed():
    marked = f'{{"{PART}": 0, "{CLOCK}": 1}}\nnot json\n{{"x": 1}}\n{{"{PART}": 1, "{CLOCK}": 2}}\n'
    assert running_part(marked, 2) == 1
    assert running_part(marked + f'{{"{PART}": 2, "{CLOCK}": 3}}\n', 2) is None  # every part ended: none to name
    assert running_part("", 2) is None and running_part("[1]\n", 2) is None


def test_output_without_every_marker_in_order_is_refused():
    marked = [{PART: 0, CLOCK: 1}, {"x": 1}, {PART: 1, CLOCK: 5}]
    assert split_records(marked, 1) == [([{"x": 1}], 4e-9)]
    with pytest.raises(ValueError, match=r"expected part markers 0\.\.2, found \[0, 1\]"):
        split_records(marked, 2)
    with pytest.raises(ValueError, match="found \\[1, 0\\]"):
        split_records([{PART: 1, CLOCK: 1}, {PART: 0, CLOCK: 2}], 1)


def test_the_containers_wall_time_is_shared_as_its_parts_spent_it():
    assert shares(9.0, [1.0, 3.0, 2.0]) == [2.0, 4.0, 3.0]  # the other 3 s equally
    assert sum(shares(7.5, [0.5, 0.25])) == 7.5
    assert shares(2.0, [1.5]) == [2.0]


CELLS = [
    Cell("go", "cpu_loop", "goroutines", "0", 1),
    Cell("go", "alloc", "goroutines", "0", 1),
    Cell("go", "hash", "goroutines", "0", 1),
    Cell("go", "cpu_loop", "goroutines", "0-1", 2),
    Cell("cpython-3.13", "cpu_loop", "threads", "0", 1),
    Cell("cpython-3.13", "alloc", "threads", "0", 1),
    Cell("cpython-3.13", "mine", "threads", "0", 1),  # a user workload: its own mount
]


def test_cells_that_can_share_a_container_are_next_to_each_other_in_each_round():
    key = lambda cell: container_key(cell, users=("mine",))  # noqa: E731
    plain, gathered = session_plan(CELLS, 4, seed=5), session_plan(CELLS, 4, seed=5, key=key)
    for round_index in range(4):
        drawn = [c for r, c in plain if r == round_index]
        order = [c for r, c in gathered if r == round_index]
        assert sorted(order, key=str) == sorted(drawn, key=str)  # the same cells, each round
        keys = [key(c) for c in order]
        assert keys == sorted(keys, key=keys.index)  # each key's cells in one run
        assert list(dict.fromkeys(keys)) == list(dict.fromkeys(key(c) for c in drawn))  # groups in drawn order
        for group in set(keys):
            assert [c for c in order if key(c) == group] == [c for c in drawn if key(c) == group]
    assert len({key(c) for c in CELLS}) == 4  # go on 0, go on 0-1, cpython on 0, the user workload


def test_a_container_takes_pending_cells_of_its_round_and_key_up_to_its_size():
    plan = [(0, CELLS[0]), (0, CELLS[1]), (0, CELLS[2]), (0, CELLS[3]), (1, CELLS[0]), (1, CELLS[1])]
    key = container_key
    everything = lambda order, cell: True  # noqa: E731
    assert batch_at(plan, 0, 8, everything, key) == [0, 1, 2]  # ends at another CPU set
    assert batch_at(plan, 0, 2, everything, key) == [0, 1]
    assert batch_at(plan, 0, 1, everything, key) == [0]
    assert batch_at(plan, 0, 8, lambda order, cell: order != 1, key) == [0, 2]  # measured or stopped: skipped
    assert batch_at(plan, 3, 8, everything, key) == [3]  # the next round starts a new container
    assert batch_at(plan, 4, 8, everything, key) == [4, 5]


def test_a_session_runs_shared_containers_and_journals_each_cell_apart(tmp_path):
    """A session whose containers are this machine's shell: each cell once a round, at most 3 to a container."""
    from types import SimpleNamespace

    from parbench.journal import Journal
    from parbench.recordchecks import parse_records
    from parbench.session import Prepared, Ran, Session
    from parbench.sessionplan import Timing

    cells = [
        Cell("go", w, "goroutines", cpuset, 1) for w in ("cpu_loop", "alloc", "hash", "io_wait") for cpuset in "01"
    ]
    settings = {"cells": [c.raw_path for c in cells], "repeats": 2, "seed": 4, "cells_per_container": 3}
    started: list[int] = []

    class Shell(Session):
        def prepare(self, cell):
            record = {"warmup": False, "seconds": 0.01, "repeat": 0, "loops": 1, "cell": cell.raw_path}
            argv = [sys.executable, "-c", f"import json; print(json.dumps({record!r}))"]
            return Prepared(SimpleNamespace(image="img"), {}, Timing(loops=1), {}, 1, argv)

        def attempts(self, cell, argv, env, parts=()):
            started.append(max(len(parts), 1))
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
            return Ran(parse_records(done.stdout), 0.5 * max(len(parts), 1), {}, "now", [])

        def check(self, records, cell, *rest):
            assert {r["cell"] for r in records} == {cell.raw_path}  # each cell got its own records

    journal = Journal(tmp_path / "journal.jsonl", {"session": "s"})
    session = Shell(settings, {}, "host", journal, 60, 0, lambda line: None, lambda line: None, labels={})
    session.run()
    entries = sorted(journal.entries, key=lambda e: e["order"])
    assert [e["order"] for e in entries] == list(range(16))  # every cell in both rounds, once
    assert sorted(started) == [1] * 4 + [3] * 4  # 4 cells a CPU set each round: a container of 3, one of 1
    shared = [e for e in entries if e["records"][0].get("container_cells")]
    assert len(shared) == 12 and all(e["records"][0]["container_cells"] == 3 for e in shared)
    for e in shared:  # a shared container's cells share its round and CPU set
        first = entries[e["records"][0]["container_order"]]
        assert (first["round"], Cell.from_raw_path(first["cell"]).cpuset) == (
            e["round"],
            Cell.from_raw_path(e["cell"]).cpuset,
        )


def test_the_aa_twin_never_shares_its_originals_container():
    original = Cell("go", "cpu_loop", "goroutines", "0", 1)
    twin = Cell("go", "cpu_loop", "goroutines", "0", 1, "aa")
    other = Cell("go", "alloc", "goroutines", "0", 1)
    plan = [(0, original), (0, twin), (0, other)]
    everything = lambda order, cell: True  # noqa: E731
    assert batch_at(plan, 0, 8, everything, container_key) == [0, 2]  # the twin waits for a container of its own
    assert batch_at(plan, 1, 8, everything, container_key) == [1, 2]


def test_the_report_says_when_cells_shared_containers():
    from parbench.report._measurement import sharing_sentence

    assert sharing_sentence({"repeats": 2}) == "" and sharing_sentence({"cells_per_container": 1}) == ""
    said = sharing_sentence({"cells_per_container": 8})
    assert said.startswith(" Up to 8 cells of one round that share an image and a CPU set ran in one container")


def shell_engine():
    """An engine that runs a container's command on this machine's shell (supervise.run_container's view of one)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        name="shell",
        run_command=lambda image, argv, **options: argv,
        start_failed=lambda returncode, stderr: False,
        stop=lambda name: None,
    )


THREE = [Cell("go", w, "goroutines", "0", 1) for w in ("cpu_loop", "alloc", "hash")]


def run_three(second: str, timeout: float = 60):
    """A shared container of THREE's cells whose second part runs the Python code `second`."""
    from parbench.supervise import run_container

    parts = [
        Part([sys.executable, "-c", SAYS, "one"], {}),
        Part([sys.executable, "-c", second], {}),
        Part([sys.executable, "-c", SAYS, "never"], {}),
    ]
    return run_container(
        shell_engine(),
        "img",
        parts_command(parts),
        THREE[0],
        timeout,
        {},
        {},
        lambda line: None,
        [],
        parts=[c.raw_path for c in THREE],
    )


def test_a_shared_container_that_fails_names_the_cell_that_was_running():
    from parbench.errors import ParbenchError

    with pytest.raises(ParbenchError) as failed:
        run_three("import sys; sys.exit('the second cell broke')")
    assert str(failed.value) == (
        f"harness exited with 1 for {THREE[1].raw_path} (cell 2 of 3 in its container): the second cell broke"
    )


def test_a_shared_container_that_times_out_names_the_cell_that_was_running():
    from parbench.supervise import TimedOut

    with pytest.raises(TimedOut) as failed:
        run_three("import time; time.sleep(3)", timeout=1)  # the orphaned sleep holds the pipe: keep it short
    assert str(failed.value) == (
        f"{THREE[1].raw_path} (cell 2 of 3 in its container) exceeded 1 s "
        "(0.333333 s of timeout_seconds for each of its 3 cells): a task that never returns, "
        "or one that needs longer (raise timeout_seconds)"
    )
