"""A private copy of the project, so tests and benchmarks never touch a user's results."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# What a copy leaves out: outputs, caches and the environment.
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".snakemake", "results", "logs", "__pycache__", ".pytest_cache", "resources"
)


def copy_project(source: Path, dest: Path) -> Path:
    """Copy the checkout at `source` to `dest`; downloaded sources are hard-linked in, not fetched again."""
    shutil.copytree(source, dest, ignore=COPY_IGNORE)
    if (source / "resources").is_dir():
        (dest / "resources").mkdir()
        for item in (source / "resources").iterdir():
            if item.is_file() and not item.name.startswith("."):
                os.link(item, dest / "resources" / item.name)
    return dest
