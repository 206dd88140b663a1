"""A task that divides by zero (a test fixture)."""


def helper(n):
    return n + 1


def task(params, index, workers, state):
    helper(params["n"])
    return 1 / 0
