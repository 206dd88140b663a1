"""What a running session tells its user: how far it is and about how long is left."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """Whole seconds, as `42s` or `3m07s`."""
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def progress_line(order: int, total: int, round_index: int, rounds: int, elapsed: float, skipped: int) -> str:
    """Containers done / total, the round, elapsed time and an estimate of what is left.

    `skipped` containers were measured by an earlier, interrupted invocation:
    they cost this one nothing, so they do not enter the estimate.
    """
    done_here = max(order - skipped, 0)
    left = (total - order) * elapsed / done_here if done_here else None
    estimate = f", about {format_duration(left)} left" if left is not None else ""
    return (
        f"measuring: {order}/{total} containers done, round {round_index + 1}/{rounds}, "
        f"{format_duration(elapsed)} elapsed{estimate}"
    )
