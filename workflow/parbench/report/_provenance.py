"""Provenance: which commit, harness, images and machine measured, from the session stamps."""

from __future__ import annotations

import pandas as pd

from .. import runfacts
from ._format import markdown_table, short
from ._inputs import ReportInputs


def commit_text(stamp: dict) -> str:
    """The measuring commit and its state; a copy without git history says so rather than look dirty."""
    if not stamp.get("git_commit"):
        return "not a git checkout"
    return f"{short(stamp['git_commit'])} ({'clean' if stamp.get('git_clean') else 'uncommitted changes'})"


def _stamp_row(s: dict) -> dict:
    harness = s.get("harness_sha256") or {}
    images = s.get("images") or {}
    return {
        "session": s.get("session"),
        "measured": f"{s.get('started_at')} – {s.get('ended_at')}",
        "commit": commit_text(s),
        "harness sha256": ", ".join(f"{k} {short(v)}" for k, v in sorted(harness.items())) or "–",
        "images": ", ".join(f"{k} {short(str(v).removeprefix('sha256:'))}" for k, v in sorted(images.items())) or "–",
        "Docker": s.get("docker_server_version") or "–",
        "kernel": s.get("kernel") or "–",
        "CPU": s.get("cpu_model") or "–",
    }


def stamp_rows(stamps: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([_stamp_row(s) for s in stamps])


def provenance_section(inp: ReportInputs) -> list[str]:
    lines = ["### Provenance", ""]
    if not inp.stamps:
        lines += [
            "No session stamp (no sessions.json): the commit, harness, images and machine that measured are "
            "not recorded with these tables, and the report does not ask the machine it runs on.",
            "",
        ]
    else:
        lines += [
            "From the session stamps written while measuring (not from the checkout at report time):",
            "",
            markdown_table(stamp_rows(inp.stamps)),
            "",
        ]
    if "session" in inp.runs and inp.runs["session"].nunique() > 1:
        lines += [
            f"runs.csv holds {inp.runs['session'].nunique()} sessions. Cells of different sessions were not "
            f"interleaved with each other, so {runfacts.crossing_comparisons(inp.comparisons)} comparisons "
            "(a_session ≠ b_session in comparisons.csv) also compare two moments of the machine.",
            "",
            markdown_table(runfacts.session_cells(inp.runs)),
            "",
        ]
    return lines
