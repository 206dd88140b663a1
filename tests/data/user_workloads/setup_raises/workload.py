"""A setup that fails before the clock starts (a test fixture)."""


def setup(params, workers):
    raise LookupError("no input data for n")


def task(params, index, workers, state):
    return 1.0
