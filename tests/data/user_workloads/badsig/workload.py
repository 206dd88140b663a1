"""A task with three parameters instead of four (a test fixture)."""


def task(params, index, workers):
    return 1.0
