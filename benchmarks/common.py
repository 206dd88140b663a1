"""Helpers shared by the benchmark scripts: a private project copy and timed snakemake runs."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from parbench.project import copy_project

REPO = Path(__file__).resolve().parent.parent


def project_copy() -> Path:
    """A copy of the project in a temporary folder, so benchmarks never touch results/."""
    return copy_project(REPO, Path(tempfile.mkdtemp(prefix="parbench-bench-")) / "parbench")


def timed_snakemake(workdir: Path, *args: str, env: dict | None = None, python: Path | None = None) -> float:
    """Run snakemake (with `python`, by default this one) to completion and return its wall time in seconds."""
    import os

    start = time.perf_counter()
    done = subprocess.run(
        [str(python or sys.executable), "-m", "snakemake", "--cores", "all", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def measured_seconds(workdir: Path) -> tuple[float, int]:
    """Sum of in-container timed sections (warm-ups and calibration included) and the containers run.

    Each container does one measured repeat (after its calibration or
    warm-ups, if any), so containers are counted by their measured records.
    """
    total, containers = 0.0, 0
    for path in (workdir / "results/raw").rglob("*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            total += record.get("total_seconds", record["seconds"])  # seconds is per loop
            containers += not record["warmup"]
    return total, containers
