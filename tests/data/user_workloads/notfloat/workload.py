"""A task that returns an int, not a float (a test fixture)."""


def task(params, index, workers, state):
    return 3
