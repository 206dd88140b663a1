"""The container engines a session can measure with: Docker, Podman and Apptainer.

Images are built once (by Docker) and identified by their image ID; an engine
only runs them. Each engine maps the same promises (pinned to a CPU set, no
network, a read-only root with a private /tmp, an unprivileged user with no
capabilities, bounded memory and processes, a name a later session can find)
to its own flags, and says which of them it cannot keep (`Engine.gaps`), so
the report can say so rather than imply them.
"""

from __future__ import annotations

from ._apptainer import APPTAINER
from ._base import Engine, Loaded
from ._oci import DOCKER, PODMAN

ENGINES: dict[str, Engine] = {engine.name: engine for engine in (DOCKER, PODMAN, APPTAINER)}
DEFAULT = "docker"


def engine_named(name: str) -> Engine:
    """The engine of a config's `engine` (checked by the schema, so a KeyError is a bug)."""
    return ENGINES[name]


__all__ = ["DEFAULT", "DOCKER", "ENGINES", "Engine", "Loaded", "engine_named"]
