"""Interleaving: every round holds every cell once, shuffled, reproducibly from the seed."""

from parbench.matrix import Cell
from parbench.measure import busy_fraction, session_plan

CELLS = [Cell("go", "cpu_loop", "goroutines", "0", 1), Cell("go", "cpu_loop", "goroutines", "0-1", 2),
         Cell("cpython-3.13", "cpu_loop", "threads", "0", 1), Cell("cpython-3.13t", "cpu_loop", "threads", "0", 1)]


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
