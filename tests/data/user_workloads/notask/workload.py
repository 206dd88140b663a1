"""Defines run, not task (a test fixture)."""


def run(params, index, workers, state):
    return 1.0
