"""What a running session tells its user: how far it is and about how long is left."""

from __future__ import annotations

from collections.abc import Sequence


def format_duration(seconds: float) -> str:
    """Whole seconds, as `42s` or `3m07s`."""
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def time_left(order: int, total: int, elapsed: float, skipped: int, costs: Sequence[float] | None) -> float | None:
    """Seconds the rest of the plan should take, or None before anything here says.

    With `costs` (each planned container's predicted seconds, estimate.py,
    and 0 for every container this invocation does not run: measured by an
    earlier one, or of a cell that settled) the containers left are summed and
    scaled by how the ones measured here compared with their prediction, so a
    slow cell does not stand for all the rest. Without them, the rest goes at
    the pace so far; the `skipped` containers, measured by an earlier
    invocation, cost this one nothing.
    """
    if costs is None:
        done_here = max(order - skipped, 0)
        return (total - order) * elapsed / done_here if done_here else None
    predicted_here = sum(costs[:order])
    pace = elapsed / predicted_here if predicted_here > 0 else 1.0
    return sum(costs[order:]) * pace


def cells_per_container(settings: dict) -> int:
    """How many cells of a round may share one container (containerparts.py); settings without the key: 1.

    plan.py leaves the key out where it is 1, so sessions stamped before
    sharing existed read the same as those that chose one cell each.
    """
    return int(settings.get("cells_per_container", 1))


def runs_noun(per_container: int) -> str:
    """What a session counts: containers, or where cells may share them, cell runs (each a cell's repeat)."""
    return "cell runs" if per_container > 1 else "containers"


def progress_line(
    order: int,
    total: int,
    round_index: int,
    rounds: int,
    elapsed: float,
    skipped: int,
    costs: Sequence[float] | None = None,
    per_container: int = 1,
) -> str:
    """Containers (or cell runs) done / total, the round, elapsed time and an estimate of what is left."""
    left = time_left(order, total, elapsed, skipped, costs)
    estimate = f", about {format_duration(left)} left" if left is not None else ""
    return (
        f"measuring: {order}/{total} {runs_noun(per_container)} done, round {round_index + 1}/{rounds}, "
        f"{format_duration(elapsed)} elapsed{estimate}"
    )


def containers_phrase(stamp: dict) -> str:
    """`846 containers`, or where cells shared them `282 cell runs in 37 containers`."""
    if "containers_started" in stamp:
        return f"{stamp['containers']} cell runs in {stamp['containers_started']} containers"
    return f"{stamp['containers']} containers"


def unneeded_phrase(planned: int, done: int) -> str:
    """Why a finished session measured fewer cell runs than its plan, or "" where it measured them all.

    The progress lines count the plan's cell runs; a cell that stopped early
    (its interval narrow enough, or a spent budget) leaves the last count short.
    """
    if done >= planned:
        return ""
    return f"; {planned - done} of the {planned} planned not run: their cells stopped early"
