"""The session a time budget leaves, for this machine and for each cluster node, from earlier sessions' files.

Here, the budget is kept apart from the settings: results/session/settings.json
says what is measured (a change of it measures again) and budget.json what the
budget asked and chose. What a budget chose (fewer rounds, CPU sets left out)
is in the settings, as any choice of rounds or cells is; the budget itself is
not, so one that cut nothing (added, raised or dropped over results measured
in full) measures nothing again. Results whose session spent its budget while
measuring and so stopped cells short (its stamp's `budget_stopped`) are
measured again under a larger budget, or none (spent_before).
On a cluster the budget reaches each node on its command line, not in the
settings every node reads; each node fits it to its own cells (host_budgeted),
and a node whose choice a new budget changes is measured again (node_choice,
due.choice_change).
"""

from __future__ import annotations

import json
from pathlib import Path

from .budget import Budgeted, budgeted, choice_text
from .config import parse_duration
from .errors import ParbenchError
from .estimate import Estimate, Seen, estimate_session, seen_cells
from .history import earlier_records, json_object
from .matrix import Cell
from .names import FREE_THREADED, catalogue_flavour
from .provenance import stamp_path
from .stopping import measure_alike, stopped_short

JOURNAL = Path("results/session/journal.jsonl")
SETTINGS = Path("results/session/settings.json")
# A cluster run's own: this machine's session and the nodes' never make each other's results stale.
CLUSTER_SETTINGS = Path("results/hosts/settings.json")
BUDGET = Path("results/session/budget.json")
IMAGES = Path("results/images")
RAW = Path("results/raw")


def apart(settings: str) -> tuple[str, str]:
    """The settings' text without the budget, and the budget's own ("null" where there is none)."""
    data = json.loads(settings)
    record = data.pop("budget", None)
    return json.dumps(data, sort_keys=True, indent=1), json.dumps(record, sort_keys=True, indent=1)


def joined(settings: dict, budget: object) -> dict:
    """The settings a session runs with: the measured ones, and the budget where there is one."""
    return settings if budget is None else {**settings, "budget": budget}


def earlier_settings(settings_file: Path, budget_file: Path | None = None) -> dict:
    """The settings the last session was planned with, its budget joined in; {} where none are readable.

    A missing or damaged file counts as no earlier choice.
    """
    settings = json_object(settings_file)
    return joined(settings, json_object(budget_file) or None) if settings and budget_file is not None else settings


def settings_texts(settings: str, root: Path, cluster: bool, budget: str | None) -> tuple[str, str]:
    """The settings file's text and budget.json's: here the budget's record apart (a cluster's nodes fit it)."""
    settings, record = (settings, "null") if cluster else apart(settings)
    return kept_alike(root / (CLUSTER_SETTINGS if cluster else SETTINGS), settings, budget is not None), record


def kept_alike(path: Path, settings: str, budget: bool) -> str:
    """The settings file's text where it differs from `settings` only in what cannot change a cell's rounds.

    `precision` or `min_rounds` changed where rounds are fixed (quick.yaml's 2
    rounds, below `min_rounds`) would otherwise measure every cell again for
    nothing (stopping.rounds_rule); the session then runs with the earlier,
    equivalent text.
    """
    return path.read_text() if measure_alike(json_object(path), json.loads(settings), budget) else settings


def image_ids(root: Path) -> dict[str, str]:
    """Each built image's ID by name, as the image rules wrote them."""
    return {iid.stem: iid.read_text().strip() for iid in sorted((root / IMAGES).glob("*.iid"))}


def free_threaded(config: dict) -> list[str]:
    """The runtimes built without a GIL: their threads run in parallel, which the estimate's model asks."""
    return [name for name, entry in config["catalogue"].items() if catalogue_flavour(entry) == FREE_THREADED]


def history(root: Path, settings: dict) -> dict[str, Seen]:
    """What earlier sessions with today's images measured: raw files and an unfinished journal, read once."""
    return seen_cells(earlier_records(root / RAW, root / JOURNAL, settings), image_ids(root), settings)


def local_budgeted(settings: dict, cells: list[Cell], config: dict, root: Path) -> Budgeted:
    """This machine's session as its budget leaves it, predicted from its own history (budget.budgeted)."""
    estimate = estimate_session(settings, history(root, settings), free_threaded(config))
    earlier = earlier_settings(root / SETTINGS, root / BUDGET)
    return budgeted(settings, cells, estimate, config.get("budget"), earlier)


def cluster_session(settings: dict, cells: list[Cell]) -> Budgeted:
    """A cluster run's settings: without the budget, which reaches each node on its command line.

    Each node fits the budget to its own cells, and a node is renewed where the
    choice predicted for it (plan.host_estimates) differs from its last
    session's (due.choice_change), so a new budget measures again only the
    nodes whose choice it changes. Nothing is predicted here: each node's session is.
    """
    return Budgeted(json.dumps(settings, sort_keys=True, indent=1), cells, Estimate(()), [])


def host_budgeted(
    settings: dict, cells: list[Cell], config: dict, root: Path, folders: tuple[Path, Path], budget: str | None
) -> Budgeted:
    """A cluster node's session as `budget` leaves it, from the records that node sent back before.

    The submitting machine predicts it for the node's CPU count and the node
    decides it for its own CPUs (hostsession.py), both here, from the node's
    raw and state `folders` and the images built in project folder `root`;
    the node keeps its choice in its state folder's settings, budget included.
    """
    raw, state = folders
    settings = dict(settings, cells=[cell.raw_path for cell in cells])
    seen = seen_cells(earlier_records(raw, None, settings), image_ids(root), settings)
    estimate = estimate_session(settings, seen, free_threaded(config))
    return budgeted(settings, cells, estimate, budget, earlier_settings(state / "settings.json"))


def node_choice(state: Path, budget: str | None) -> str | None:
    """The choice a node made for this budget, kept in its state folder's settings, or None.

    The node keeps it while the budget stays (budget.kept_choice), and may
    name its CPU sets otherwise than a prediction from its CPU count would
    (SMT siblings), so the prediction takes it as it is.
    """
    kept = json_object(state / "settings.json")
    return choice_text(kept) if budget and (kept.get("budget") or {}).get("limit") == budget else None


def spent_before(root: Path, cells: list[Cell], budget: str | None, raw: Path = RAW) -> str | None:
    """Why results measured under a budget spent while measuring are measured again, or None.

    Their cells may have stopped where the budget left them, not where their
    intervals did (the stamp's `budget_stopped` counts them): asked for a larger
    budget (or none), the session measures them again; a smaller one would
    leave them shorter still, so they stay.
    Each raw file holds one session's records; its stamp says what it spent.
    `raw`: the raw folder, under `root` (a cluster node's: results/hosts/NODE/raw).
    """
    sessions = {_first_session(root / raw / Path(cell.raw_path).relative_to(RAW)) for cell in cells} - {None}
    for session in sorted(sessions):
        stamp = json_object(stamp_path(root / raw, session))
        if not stopped_short(stamp):
            continue
        limit = ((stamp.get("settings") or {}).get("budget") or {}).get("limit")
        if _larger(budget, limit):
            asked = f"budget {budget}" if budget else "no budget"
            stopped = stamp.get("budget_stopped")
            short = "some cells" if stopped is None else "1 cell" if stopped == 1 else f"{stopped} cells"
            return (
                f"session {session} spent its budget of {limit} while measuring, so {short} stopped short: "
                f"with {asked} this run measures the cells again"
            )
    return None


def _larger(budget: str | None, limit: object) -> bool:
    """Whether `budget` (None: none) allows more than the spent `limit` (unreadable: assume it does)."""
    if budget is None:
        return True
    try:
        return parse_duration(budget) > parse_duration(str(limit))
    except ParbenchError:
        return True


def _first_session(path: Path) -> str | None:
    """The session of a raw file's first record (a session writes a cell's file whole), or None."""
    try:
        with path.open() as lines:
            first = json.loads(lines.readline())
    except (OSError, ValueError):
        return None
    return first.get("session") if isinstance(first, dict) else None
