"""Whether a session will surely run, so that its prediction is said before it does.

Snakemake calls the measure rule's input functions for every job of the DAG,
those it then finds up to date included, so a line printed there would
predict a session that never runs (a rerun after a change of `warnings`, which
redoes only the analysis). The line is said where the session surely runs;
where Snakemake has another reason (an image rebuilt), the measure job's own
message and the session's first line carry the prediction instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from .budget import choice_text
from .budgetplan import BUDGET, CLUSTER_SETTINGS, SETTINGS
from .history import json_object
from .nodeexperiment import NODE_EXPERIMENT


def settings_file(host: str | None) -> Path:
    """The session settings' file: this machine's, or the one every node's job reads on a cluster."""
    return CLUSTER_SETTINGS if host else SETTINGS


def session_due(
    root: Path,
    outputs: Iterable[str],
    settings: str,
    renew: bool = False,
    forced: bool = False,
    host: str | None = None,
    experiment: str | None = None,
) -> bool:
    """True if the session (on a cluster, `host`'s) runs for a reason parbench can see.

    A renewal (repair, resume, a spent budget's results) or a forced rerun,
    an output missing, new settings (`session_settings` rewrites its file,
    which the session reads; on a cluster every node's job reads it too),
    outputs older than that file (Snakemake's own reason, below), or on a
    cluster a new node experiment (`experiment`: the text its file should hold).
    A node's other reasons (its raw files older than the settings, a new budget
    choice, a spent budget's results) reach here as `renew` (rule measure's
    session_renewal).
    """
    if renew or forced or any(not (root / path).is_file() for path in outputs):
        return True
    if older_outputs(root, outputs, host) or node_changes(root, experiment):
        return True
    try:
        return (root / settings_file(host)).read_text() != settings
    except OSError:
        return True


def older_outputs(root: Path, outputs: Iterable[str], host: str | None = None) -> int:
    """How many of the session's raw files are older than the settings file: the session runs again for them.

    A run that wrote new settings and did not measure every cell with them
    (one narrowed by `remeasure`, or one that failed first) leaves them so.
    Here each raw file is an output, which Snakemake reruns for; on a cluster
    `outputs` is a node's manifest, and the files are those it lists
    (`manifest_files`), which the measure rule renews the node's session for
    (rule measure, `session_renewal`).
    """
    try:
        written = (root / settings_file(host)).stat().st_mtime
    except OSError:
        return 0
    paths = [p for output in outputs for p in manifest_files(root, output)] if host else outputs
    return sum((root / path).is_file() and (root / path).stat().st_mtime < written for path in paths)


def manifest_files(root: Path, manifest: str) -> list[str]:
    """The raw files a node's manifest (results/hosts/NODE/raw.json) lists; none where it is missing or damaged."""
    listed = json_object(root / manifest).get("raw")
    return [path for path in listed if isinstance(path, str)] if isinstance(listed, list) else []


def choice_change(root: Path, outputs: Iterable[str], choice: str | None, limit: str | None = None) -> str | None:
    """`budget 30m chose X, was Y` where a node's last session (its manifest's stamp) chose otherwise than `choice`.

    `limit` is the budget now; without one, `no budget now: X, was Y`: the last session's budget had chosen Y.
    """
    if choice is None:
        return None
    for manifest in outputs:
        stamp = json_object(root / str(json_object(root / manifest).get("stamp") or ""))
        settings = stamp.get("settings") or {}
        if isinstance(settings.get("repeats"), int) and (was := choice_text(settings)) != choice:
            return f"{f'budget {limit} chose {choice}' if limit else f'no budget now: {choice}'}, was {was}"
    return None


def kept_apart(root: Path, manifest: str, runtimes: list[str]) -> int:
    """How many of a node's raw files a run narrowed to `runtimes` (`remeasure`) leaves as they are."""
    raw = Path(manifest).parent / "raw"
    paths = [Path(path) for path in manifest_files(root, manifest)]
    return sum(path.is_relative_to(raw) and path.relative_to(raw).parts[0] not in runtimes for path in paths)


def node_changes(root: Path, experiment: str | None) -> list[str]:
    """The keys of the node experiment (its text now) that its file does not hold yet; none off a cluster."""
    if experiment is None:
        return []
    if not (root / NODE_EXPERIMENT).is_file():
        return [f"{NODE_EXPERIMENT} is new"]
    return _changed_keys(json_object(root / NODE_EXPERIMENT), json.loads(experiment))


def changed_settings(root: Path, settings: str, host: str | None = None) -> list[str]:
    """The settings (top-level keys) that differ from the last session's file; [] where there is none to differ."""
    before = json_object(root / settings_file(host))
    return _changed_keys(before, json.loads(settings)) if before else []


def _changed_keys(before: dict, after: dict) -> list[str]:
    """The top-level keys whose values differ."""
    return sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def replaced_line(
    root: Path,
    outputs: Iterable[str],
    settings: str,
    host: str | None = None,
    budget: str = "null",
    left: int = 0,
    experiment: str | None = None,
    choice: str | None = None,
    limit: str | None = None,
) -> str | None:
    """Said where new settings remeasure cells that have results: the session replaces their raw files.

    On a cluster `outputs` is a node's manifest, and its raw files are under the node's folder;
    a changed node experiment (`experiment`) and budget choice (`choice`, under budget `limit`) are named as
    the settings are; the choice not where `repeats` changed, which says why the rounds did.
    Where a budget (budget.json's text) cut the rounds, it is named as why `repeats` changed.
    `left` cells are not measured now (`remeasure`): new settings mean every cell is measured again after.
    """
    changed = changed_settings(root, settings, host) + node_changes(root, experiment)
    chose = None if "repeats" in changed else choice_change(root, outputs, choice, limit)
    changed += [chose] if chose else []
    kept, older = sum((root / path).is_file() for path in outputs), older_outputs(root, outputs, host)
    if not (changed or older) or not kept:
        return None
    if "repeats" in changed:
        changed = [_budget_cut(root, budget) or key if key == "repeats" else key for key in changed]
    said = f"the settings changed since the last session ({', '.join(changed)}): this run measures "
    if not changed:  # the settings file is the same text, but newer than some results
        what = f"{older} of host {host}'s raw files {'is' if older == 1 else 'are'}" if host else _files(older)
        said = f"{what} older than the settings (written by a run that did not measure them): this run measures "
    if host:
        replaced = f"host {host}'s cells again and replaces their raw files"
        stamps = f"results/hosts/{host}/raw/sessions"
    else:
        replaced, stamps = f"the cells again and replaces the raw files of {kept}", "results/raw/sessions"
    later = f"; the other {left} keep earlier results, so the next plain run measures every cell again"
    return f"{said}{replaced} (their earlier sessions' stamps stay in {stamps}){later if left and changed else ''}"


def _files(count: int) -> str:
    """`1 raw file is` or `N raw files are`."""
    return "1 raw file is" if count == 1 else f"{count} raw files are"


def _budget_cut(root: Path, budget: str) -> str | None:
    """`repeats` named with the budget that cut them, now (`budget`) or last time (budget.json), or None."""
    for record, chose in ((json.loads(budget) or {}, "chose"), (json_object(root / BUDGET), "had chosen")):
        rounds, asked = record.get("repeats"), record.get("asked_repeats")
        if rounds != asked:
            return f"repeats: budget {record.get('limit')} {chose} {rounds} of {asked}"
    return None
