"""Interleaving: every round holds every cell once, shuffled, reproducibly from the seed."""

import pytest

from parbench.hostload import busy_fraction
from parbench.matrix import Cell
from parbench.sessionplan import session_plan

CELLS = [
    Cell("go", "cpu_loop", "goroutines", "0", 1),
    Cell("go", "cpu_loop", "goroutines", "0-1", 2),
    Cell("cpython-3.13", "cpu_loop", "threads", "0", 1),
    Cell("cpython-3.13t", "cpu_loop", "threads", "0", 1),
]


def test_rounds_come_in_order_and_each_holds_every_cell():
    plan = session_plan(CELLS, rounds=5, seed=7)
    assert len(plan) == 20
    assert [r for r, _ in plan] == sorted(r for r, _ in plan)
    for round_index in range(5):
        assert sorted(c.raw_path for r, c in plan if r == round_index) == sorted(c.raw_path for c in CELLS)


def test_same_seed_same_order_and_orders_vary():
    assert session_plan(CELLS, 5, seed=7) == session_plan(list(reversed(CELLS)), 5, seed=7)
    orders = {tuple(c.raw_path for r, c in session_plan(CELLS, 5, seed=7) if r == k) for k in range(5)}
    assert len(orders) > 1  # shuffled afresh each round
    assert session_plan(CELLS, 5, seed=7) != session_plan(CELLS, 5, seed=8)


def test_busy_fraction_from_proc_stat_readings():
    assert busy_fraction((1000, 800), (1100, 850)) == 0.5
    assert busy_fraction((1000, 800), (1000, 800)) is None


def test_first_container_calibrates_later_ones_reuse_its_loops():
    from parbench.sessionplan import Timing, timing_for

    settings = {"warmup": 1, "min_time": 0.2}
    cell = Cell("go", "cpu_loop", "goroutines", "0-1", 2)
    assert timing_for(cell, None, settings) == Timing(min_time=pytest.approx(0.4), warmup=0)
    assert timing_for(cell, 64, settings) == Timing(loops=64, warmup=1)
    assert timing_for(cell, 1, settings) == Timing(loops=1, warmup=0)  # one loop lasts min_time: no warm-up
    spawn = Cell("go", "spawn", "goroutines", "0-1", 2)
    assert timing_for(spawn, None, settings) == Timing(loops=1, warmup=1)


def test_the_first_container_chooses_its_values_later_ones_reuse_them():
    from parbench.sessionplan import Timing, timing_for

    settings = {"warmup": 1, "min_time": 0.2, "values_time": 1.0, "max_values": 3}
    cell = Cell("go", "cpu_loop", "goroutines", "0-1", 2)
    first = timing_for(cell, None, settings)
    assert first == Timing(min_time=pytest.approx(0.4), warmup=0, values_time=1.0, max_values=3)
    assert first.measured == range(1, 4)
    later = timing_for(cell, 64, settings, values=3)
    assert later == Timing(loops=64, warmup=1, values=3) and later.measured == range(3, 4)


def test_the_aa_twin_shares_its_originals_loops():
    from parbench.sessionplan import calibration_key

    twin = Cell("go", "cpu_loop", "goroutines", "0-1", 2, "aa")
    assert calibration_key(twin) == Cell("go", "cpu_loop", "goroutines", "0-1", 2)
    variant = Cell("go", "cpu_loop", "goroutines", "0-1", 2, "gomaxprocs1")
    assert calibration_key(variant) == variant


@pytest.mark.parametrize("name", ["docker", "podman", "apptainer"])
def test_failures_outside_the_measurement_are_retried_wrong_answers_are_not(monkeypatch, name):
    from parbench.engines import engine_named
    from parbench.errors import ParbenchError
    from parbench.supervise import InfrastructureFault, classify_failure

    engine = engine_named(name)
    cell = Cell("go", "cpu_loop", "goroutines", "0-1", 2)
    assert isinstance(classify_failure(137, "", cell, engine), InfrastructureFault)
    assert f"the container was killed ({engine.kill_hint})" in str(classify_failure(137, "", cell, engine))
    assert isinstance(classify_failure(1, "harness.py: lost updates", cell, engine), ParbenchError)
    started = engine.start_failures[0]  # the engine's own "could not start it", in its own words
    says = "FATAL:   container creation failed" if name == "apptainer" else f"{name}: cannot connect"
    monkeypatch.setattr(type(engine), "problem", lambda self, timeout=10: f"cannot reach {name}")
    lost = classify_failure(started, says, cell, engine)
    assert isinstance(lost, ParbenchError) and f"lost {engine.title} while measuring" in str(lost)
    assert "resume" in str(lost)
    monkeypatch.setattr(type(engine), "problem", lambda self, timeout=10: None)
    assert isinstance(classify_failure(started, says, cell, engine), InfrastructureFault)


def test_a_harness_that_exits_255_itself_is_its_own_failure_under_apptainer_and_a_lost_daemon_is_dockers():
    from parbench.engines import engine_named
    from parbench.errors import ParbenchError
    from parbench.supervise import classify_failure

    cell = Cell("cpython-3.13", "cpu_loop", "threads", "0", 1)
    apptainer, docker, podman = (engine_named(n) for n in ("apptainer", "docker", "podman"))
    mine = classify_failure(255, "Traceback ...\nSystemExit: -1", cell, apptainer)
    assert type(mine) is ParbenchError and str(mine).startswith("harness exited with 255 for ")
    assert apptainer.start_failed(255, "INFO: x\nFATAL:   could not open image")
    assert not apptainer.start_failed(1, "FATAL:   words a workload printed")
    assert docker.start_failed(1, "error during connect: Is the docker daemon running?")
    assert not podman.start_failed(1, "the docker daemon is a word a workload may print")


def test_docker_keeps_its_words():
    from parbench.engines import engine_named

    docker = engine_named("docker")
    assert docker.title == "the Docker daemon"  # "lost the Docker daemon while measuring ..."
    assert docker.kill_hint == "out of memory, see limits.memory; or `docker kill`"
    assert engine_named("apptainer").kill_hint.startswith("killed from outside")


def test_progress_line_estimates_what_is_left():
    from parbench.progress import progress_line

    line = progress_line(30, 90, 1, 3, 60.0, 0)
    assert line == "measuring: 30/90 containers done, round 2/3, 1m00s elapsed, about 2m00s left"
    assert "left" not in progress_line(10, 90, 0, 3, 5.0, 10)  # resumed: nothing measured here yet


def test_an_invocation_narrows_the_plan_to_a_repair_or_some_runtimes(tmp_path, monkeypatch):
    from parbench.measure import narrowed

    monkeypatch.chdir(tmp_path)
    cells = [
        c.raw_path
        for c in (Cell("go", "cpu_loop", "goroutines", "0", 1), Cell("cpython-3.13", "cpu_loop", "threads", "0", 1))
    ]
    assert narrowed(cells, False, None) == cells
    assert narrowed(cells, False, "go") == cells[:1]
    intact = tmp_path / cells[0]
    intact.parent.mkdir(parents=True)
    intact.write_text('{"seconds": 1.0, "warmup": false}\n')
    assert narrowed(cells, True, None) == cells[1:]  # the second is missing


def test_a_resumed_invocation_measures_the_cells_its_journal_names_in_the_plans_order(tmp_path):
    import json

    import pytest

    from parbench.errors import ParbenchError
    from parbench.journal import open_journal
    from parbench.measure import narrowed, resumed_cells

    cells = [Cell("go", "cpu_loop", "goroutines", "0", w).raw_path for w in (1, 2, 3)]
    journal = tmp_path / "journal.jsonl"
    open_journal(journal, "key", "s1", lambda line: None, cells=[cells[2], cells[0]], planned="abc")
    header = json.loads(journal.read_text().splitlines()[0])
    assert (header["cells"], header["planned"]) == ([cells[2], cells[0]], "abc")
    assert narrowed(cells, False, None, resume=resumed_cells(journal)) == [cells[0], cells[2]]
    journal.write_text(json.dumps({"session": "s0"}) + "\n")  # a journal from before it named its cells
    with pytest.raises(ParbenchError, match="no longer names an unfinished session's cells"):
        resumed_cells(journal)
