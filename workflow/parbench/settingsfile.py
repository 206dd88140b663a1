"""The session settings file's earlier text, kept until a session has measured with the new one.

results/session/settings.json says which settings the raw files were
measured with: the measure rule takes it as an input, so a newer file
measures every cell again. It is rewritten before anything is built or
measured, so a run that fails (a workload that raises, a Go twin that does
not compile) or is stopped would leave it holding settings nothing was
measured with, and going back to the earlier config would measure
everything again. So a run keeps the earlier file as it starts
(`keep_before`, from the workflow's onstart; budget.json too, whose earlier
choice the next plan keeps), the session drops those copies once it has
measured (`measured_with`), and a run that ends otherwise puts them back,
text and date (`put_back`, from onerror). One machine's only: a cluster's
settings come back only where no node measured with them (hostfiles.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from .budgetplan import BUDGET

BUDGET_NAME = BUDGET.name  # beside the settings: what a budget asked and chose


def before_of(settings: Path) -> Path:
    """Where the earlier text of a settings file waits: settings.before.json beside it."""
    return settings.with_name(f"{settings.stem}.before{settings.suffix}")


def keep_before(settings: Path, text: str) -> None:
    """Keep the settings file as it is (date included) before `text` replaces it.

    A copy already waiting is kept: it is the text of the last session that
    measured, and the run that left it did not get as far.
    """
    before = before_of(settings)
    if settings.is_file() and settings.read_text() != text and not before.exists():
        shutil.copy2(settings, before)


def measured_with(settings: Path) -> None:
    """A session measured with the settings file as it is: the earlier texts are no longer the results'."""
    for kept in (settings, settings.with_name(BUDGET_NAME)):
        before_of(kept).unlink(missing_ok=True)


def put_back(settings: Path, persistence: Any, measured: list[str]) -> str | None:
    """After a failed or stopped run: the earlier settings (and budget.json) back, and what to say; None if none wait.

    Snakemake's records are dropped with them (`persistence`, the workflow's):
    the settings rule's holds the failed run's params, and would rewrite the
    file (so dating it after every raw file) on the next run with the earlier
    config; the `measured` raw files' may mark them incomplete (a stopped
    session), which would measure them again. They were not written: a
    session writes its raw files only when it ends. The settings rule reruns
    instead where the file's text is not the plan's (`settings_renewal`).
    """
    restore_before(settings.with_name(BUDGET_NAME))  # its text is the next plan's; no rule reads its date
    if not restore_before(settings):
        return None
    from snakemake.io import IOFile  # Snakemake's own file type: its records are keyed by it

    for path in [str(settings), *measured]:
        persistence.cleanup_metadata(IOFile(path))
    return f"{settings} holds the settings of the results again: nothing was measured with the new ones"


def restore_before(settings: Path) -> bool:
    """Put the earlier settings back where no session measured with the new ones; True if it did."""
    before = before_of(settings)
    if not before.is_file():
        return False
    os.replace(before, settings)
    return True
