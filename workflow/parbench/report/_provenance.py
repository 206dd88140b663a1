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


# How each engine starts one container, in the report's words.
ENGINE_VERBS = {"docker": "a `docker run`", "podman": "a `podman run`", "apptainer": "an `apptainer exec`"}


def stamp_engine(stamp: dict) -> dict:
    """The engine a session measured with, as its stamp says (a stamp from before engines: Docker)."""
    facts = (stamp.get("settings") or {}).get("engine_facts")
    if facts:
        return {"name": facts["name"], "version": facts.get("version") or "unknown", "gaps": facts.get("gaps") or []}
    return {"name": "docker", "version": stamp.get("docker_server_version") or "unknown", "gaps": []}


def engines_phrase(stamps: list[dict] | None) -> str:
    """'a `docker run`', or, across sessions of several engines, the engines named."""
    names = sorted({stamp_engine(s)["name"] for s in stamps or [{}]})
    if len(names) == 1:
        return ENGINE_VERBS.get(names[0], f"a {names[0]} container")
    return f"a container of its session's engine ({', '.join(names)}: see Provenance)"


def engine_gap_lines(stamps: list[dict] | None) -> list[str]:
    """One line per engine that could not keep a promise every container is meant to keep."""
    lines = []
    for name, gaps in sorted({stamp_engine(s)["name"]: tuple(stamp_engine(s)["gaps"]) for s in stamps or []}.items()):
        if gaps:
            lines.append(f"{name} did not enforce {'; '.join(gaps)}.")
    return lines


def _stamp_row(s: dict) -> dict:
    harness = s.get("harness_sha256") or {}
    images = s.get("images") or {}
    return {
        "session": s.get("session"),
        "measured": f"{s.get('started_at')} – {s.get('ended_at')}",
        "commit": commit_text(s),
        "harness sha256": ", ".join(f"{k} {short(v)}" for k, v in sorted(harness.items())) or "–",
        "images": ", ".join(f"{k} {short(str(v).removeprefix('sha256:'))}" for k, v in sorted(images.items())) or "–",
        "engine": f"{stamp_engine(s)['name']} {stamp_engine(s)['version']}",
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
