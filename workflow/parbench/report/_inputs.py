"""What the report is rendered from: the tables, the claims, the config and the session stamps."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..claims import Claim
from ..errors import ParbenchError

STAMP_FACTS = ("host_label", "cpu_model", "kernel", "docker_server_version", "git_commit", "git_clean")


@dataclass
class ReportInputs:
    """Everything the report is rendered from; sections read it and never compute figures of their own."""

    summary: pd.DataFrame
    runs: pd.DataFrame
    comparisons: pd.DataFrame
    claims: list[Claim]
    config: dict
    identities: list[dict] = field(default_factory=list)
    env: dict = field(default_factory=dict)  # the measuring machine, from the stamps; empty: not recorded
    stamps: list[dict] | None = None  # None: no sessions.json
    figures: list[Path] = field(default_factory=list)
    report_dir: Path = Path(".")

    @property
    def builtins_measured(self) -> bool:
        """Whether any built-in workload was measured: without one the blog's claims have nothing to say."""
        from ..specs import WORKLOADS

        return bool(self.summary["workload"].isin(list(WORKLOADS)).any()) if "workload" in self.summary else False

    @property
    def settings(self) -> dict:
        """The first session's settings as its stamp recorded them; {} without a stamp."""
        return (self.stamps[0].get("settings") or {}) if self.stamps else {}


def read_stamps(path: Path | None) -> list[dict] | None:
    """The session stamps of sessions.json; None when there is no such file (older tables)."""
    if path is None or not path.is_file():
        return None
    try:
        return list(json.loads(path.read_text())["sessions"])
    except (json.JSONDecodeError, KeyError, TypeError):
        raise ParbenchError(f'{path} is not a sessions file (a "sessions" list); rerun the aggregate step') from None


def stamp_environment(stamps: list[dict] | None) -> dict:
    """The measuring machine as the last session's stamp recorded it while measuring; {} without a stamp.

    The stamp's `machine` is what environment.collect() saw during the session;
    a stamp without it still names its commit, Docker, kernel and CPU.
    """
    if not stamps:
        return {}
    stamp = stamps[-1]
    machine = stamp.get("machine") or {key: stamp.get(key) for key in STAMP_FACTS}
    return {"session": stamp.get("session"), **machine}


def prepare(
    summary: pd.DataFrame, runs: pd.DataFrame, comparisons: pd.DataFrame, claims: list[Claim], config: dict, **rest
) -> ReportInputs:
    """The report's inputs as the analysis layer made them, with the stamps' environment."""
    rest.setdefault("env", stamp_environment(rest.get("stamps")))
    return ReportInputs(summary, runs, comparisons, claims, config, **rest)
