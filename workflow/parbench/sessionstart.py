"""What a session checks and records before its first container.

The images it runs (each with what its build said it is, and how the engine
holds it), the user folders it measures (unchanged since planning), the
engine (answering, and still holding what it loaded), and the settings the
journal is keyed by and the stamp records: the engine's facts, the
calibration margin, the packages a user workload's images installed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .engines import DEFAULT, Engine, engine_named
from .errors import ParbenchError
from .specs import CALIBRATION_MARGIN
from .userworkloads import folder_digest


@dataclass(frozen=True)
class Runtime:
    """An image as the session uses it: its ID, what it said it is, its harness's language, and how the engine runs it.

    `reference` is what the engine is given: the image ID for Docker and
    Podman, a sandbox folder for Apptainer (engines.Loaded).
    """

    image: str
    identity: dict
    kind: str
    reference: str


def load_runtimes(images_dir: Path, runtimes: set[str], loaded: dict[str, dict] | None = None) -> dict[str, Runtime]:
    """Each image's ID and identity, as the image build checked and kept them, and the engine's reference.

    The names are runtimes and the images derived for one user workload
    (RUNTIME+WORKLOAD, see plan.derived_images). `loaded` is what an engine
    other than the building one made of each image (engines.Loaded); an
    image it does not hold, or holds under another ID, stops the session.
    """
    found = {}
    for runtime in sorted(runtimes):
        entry = json.loads((images_dir / f"{runtime}.identity.json").read_text())
        reference = entry["image_id"]
        if loaded is not None:
            held = loaded.get(runtime)
            if held is None or held["image_id"] != entry["image_id"]:
                raise ParbenchError(
                    f"the engine holds {'no image' if held is None else held['image_id']} for {runtime}, "
                    f"built as {entry['image_id']}: run the workflow again to load the images"
                )
            reference = held["reference"]
        found[runtime] = Runtime(entry["image_id"], entry["identity"], entry["config"]["kind"], reference)
    return found


def check_user_folders(settings: dict) -> None:
    """The code measured is the code stamped: a user's folder changed since planning stops the session."""
    for name, user in (settings.get("user_workloads") or {}).items():
        if folder_digest(Path(user["path"])) != user["sha256"]:
            raise ParbenchError(
                f"workload {name!r}: {user['path']} changed after the workflow was planned; "
                "run the same command again to measure the code as it is now"
            )


def usable_engine(settings: dict) -> Engine:
    """The settings' engine (Docker when none is named), once it answered; else one line why not."""
    engine = engine_named(settings.get("engine", DEFAULT))
    problem = engine.problem()
    if problem:
        raise ParbenchError(problem)
    return engine


def check_held(engine: Engine, runtimes: dict[str, Runtime], loaded: bool) -> None:
    """Stop before round 1 if the engine lost an image it was loaded with (pruned, a sandbox deleted).

    Docker's own images are checked when the workflow is planned (plan.gone_images) and rebuilt.
    """
    if not loaded:
        return
    for name, runtime in sorted(runtimes.items()):
        if not engine.holds(runtime.reference):
            raise ParbenchError(
                f"{engine.name} no longer holds the image of {name} ({runtime.reference}): delete "
                f"results/images/loaded-{engine.name}.json (on a cluster, the node's images.json) "
                "and run the same command again to load it"
            )


def engine_facts(engine: Engine, runtimes: dict[str, Runtime]) -> dict:
    """What the stamp says of the engine: name, version, the promises it cannot keep, each image's reference."""
    return {
        "name": engine.name,
        "version": engine.version(),
        "gaps": engine.gaps(),
        "references": {name: rt.reference for name, rt in sorted(runtimes.items())},
    }


def stamped_settings(settings: dict, runtimes: dict[str, Runtime], engine: Engine) -> dict:
    """The settings as the journal is keyed and the stamp records them: what else decides the figures."""
    # Which engine ran the containers, its version, what it could not enforce, and how it held each image.
    settings = {**settings, "engine_facts": engine_facts(engine, runtimes)}
    # The margin decides every cell's loops, so it is a setting of the session: it keys the journal
    # (one calibrated under another margin is not resumed) and the stamp records it.
    settings["calibration_margin"] = CALIBRATION_MARGIN
    # What pip installed into a user workload's images, so the stamp says which versions ran.
    installed = {n: rt.identity["distributions"] for n, rt in runtimes.items() if "+" in n and rt.kind == "cpython"}
    if installed:
        settings["distributions"] = installed
    return settings
