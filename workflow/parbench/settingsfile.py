"""The session settings file's earlier text, kept until a session has measured with the new one.

results/session/settings.json says which settings the raw files were
measured with: the measure rule takes it as an input, so a newer file
measures every cell again. It is rewritten before anything is built or
measured, so a run that fails (a workload that raises, a Go twin that does
not compile) or is stopped would leave it holding settings nothing was
measured with, and going back to the earlier config would measure
everything again. So the rule that rewrites it keeps the earlier file
(`keep_before`), the session drops that copy once it has measured
(`measured_with`), and a run that ends otherwise puts it back, text and date
(`restore_before`, from the workflow's onerror).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any


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
    """A session measured with the settings file as it is: its earlier text is no longer the results'."""
    before_of(settings).unlink(missing_ok=True)


def put_back(settings: Path, persistence: Any) -> str | None:
    """After a failed or stopped run: the earlier settings back, and what to say; None where none wait.

    Snakemake's record of the settings rule's params (`persistence`, the
    workflow's) is dropped with them: it holds the failed run's, and would
    rewrite the file (and so date it after every raw file) on the next run
    with the earlier config. The rule reruns instead where the file's text is
    not the plan's (rule session_settings, `settings_renewal`).
    """
    if not restore_before(settings):
        return None
    from snakemake.io import IOFile  # Snakemake's own file type: the record is keyed by it

    persistence.cleanup_metadata(IOFile(str(settings)))
    return f"{settings} holds the settings of the results again: nothing was measured with the new ones"


def restore_before(settings: Path) -> bool:
    """Put the earlier settings back where no session measured with the new ones; True if it did."""
    before = before_of(settings)
    if not before.is_file():
        return False
    os.replace(before, settings)
    return True
