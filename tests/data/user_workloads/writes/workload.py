"""A task that tries to write into its own (read-only mounted) folder (a test fixture)."""

from pathlib import Path


def task(params, index, workers, state):
    Path(__file__).with_name("written-by-task").write_text("x")
    return 1.0
