"""Adds 1 .. n, the range split among the workers (a test fixture)."""

from dataclasses import dataclass

from goodshare import share  # a module beside workload.py

SCALING = "strong"
KIND = "interpreter"
MODES = ("sequential", "threads", "processes")


@dataclass(frozen=True)
class State:
    """A class of this file, so a worker process must load workload.py to unpickle it."""

    step: int


def setup(params, workers):
    return State(step=1)


def task(params, index, workers, state):
    start, stop = share(params["n"], index, workers)
    total = 0.0
    for i in range(start, stop):
        total += float(i + state.step)
    return total


def expected(params, workers):
    n = params["n"]
    return float(n * (n + 1) // 2)
