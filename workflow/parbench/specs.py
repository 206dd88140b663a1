"""What the pipeline knows about each workload, read from the Python harness itself.

The harness's registry (workloads/python/workloads.py) is the one place that
says which parameters a workload takes, which modes it makes sense under and
how it scales; the Go harness mirrors it and tests hold the two to the same
checksums. Config checks, the experiment matrix, the tables and bundle
verification all ask here instead of keeping lists of their own.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .names import OTHER_KIND, PARALLEL_MODE, SEQUENTIAL, WORKLOAD_KINDS

# The registry is the in-container harness's own module (standard library only,
# never importing the pipeline), so it is loaded from its file, not installed.
REGISTRY_FILE = Path(__file__).resolve().parents[2] / "workloads" / "python" / "workloads.py"


def _registry() -> ModuleType:
    loaded = sys.modules.get("workloads")
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() == REGISTRY_FILE:
        return loaded
    spec = importlib.util.spec_from_file_location("workloads", REGISTRY_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["workloads"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


_REGISTRY = _registry()
WORKLOADS = _REGISTRY.WORKLOADS
expected_checksum = _REGISTRY.expected_checksum
default_units = _REGISTRY.default_units
units_problem = _REGISTRY.units_problem

__all__ = [
    "USER_WORKLOADS",
    "UserWorkload",
    "WORKLOADS",
    "WORKLOAD_KINDS",
    "default_units",
    "expected_checksum",
    "expected_checksum_of",
    "modes_for",
    "params_label",
    "parse_params_label",
    "scaling",
    "timed_section",
    "undivided",
    "units_in",
    "units_problem",
    "use_experiment",
    "use_user_workloads",
    "workload_kind",
]


@dataclass(frozen=True)
class UserWorkload:
    """What the pipeline knows of a workload a user brings (a folder with workload.py).

    Read from the folder without running its code (parbench.userworkloads), so
    the host never executes what the user wrote; only a container does.
    `go` says whether a Go twin exists (go/), `requirements` whether the
    CPython images are derived with pip packages (requirements.txt).
    """

    name: str
    path: str  # absolute
    about: str
    scaling: str = "weak"
    kind: str = "interpreter"
    modes: tuple[str, ...] = ("sequential", "threads", "processes")
    go: bool = False
    requirements: bool = False
    sha256: str = ""  # of the folder's files, recorded in the stamp

    @classmethod
    def from_dict(cls, entry: dict) -> UserWorkload:
        return cls(**{**entry, "modes": tuple(entry["modes"])})


# The user workloads of the experiment being planned, measured or analysed. Each
# entry point registers them once from the experiment (use_user_workloads),
# after which every question below answers for them as for the built-ins.
USER_WORKLOADS: dict[str, UserWorkload] = {}


def use_user_workloads(workloads: Iterable[UserWorkload | dict]) -> None:
    """Make these user workloads known to this process (replacing any registered before)."""
    USER_WORKLOADS.clear()
    for workload in workloads:
        spec = workload if isinstance(workload, UserWorkload) else UserWorkload.from_dict(workload)
        USER_WORKLOADS[spec.name] = spec


def use_experiment(experiment: dict) -> None:
    """Register the user workloads an experiment (results/config.json) recorded, for an analysis step."""
    use_user_workloads(experiment.get("user_workloads") or [])


def modes_for(workload: str, kind: str) -> list[str]:
    """The modes a runtime of this kind can run the workload under.

    Go has goroutines where Python has threads and processes, and a
    sequential baseline exactly where Python has one.
    """
    user = USER_WORKLOADS.get(workload)
    modes = list(user.modes if user else WORKLOADS[workload].modes)
    if user and kind != "cpython" and not user.go:
        return []  # no Go twin: Go has nothing to run
    if kind == "cpython":
        return modes
    return ([SEQUENTIAL] if SEQUENTIAL in modes else []) + [PARALLEL_MODE["go"]]


# What each workload's timed section holds, and what is done before the clock
# starts (the same in both harnesses; the workers are created and parked first).
TIMED_SECTION = {
    "cpu_loop": "each worker sums (i·i)/(i+1) over the whole range",
    "cpu_loop_strong": "each worker sums its share of the range",
    "alloc": "each worker builds and reduces its dicts, lists and strings",
    "hash": "each worker's chained SHA-256 rounds; the buffer is built before the clock",
    "io_wait": "each worker's sleeps and its tiny steps between them",
    "contention": "every increment of the one shared counter, each under the lock",
    "channels": "every send and receive; one message in 64 carries a send time for the latency figures",
    "spawn": "releasing and joining the parked workers; creating them is timed apart (per-worker cost)",
}


USER_TIMED_SECTION = "each worker's task(params, index, workers, state); setup() runs before the clock"


def units_in(settings: dict, workload: str) -> int:
    """The units a session's settings divide the workload's loop into (settings from before units: 1)."""
    return settings.get("units", {}).get(workload, 1)


def undivided(workload: str) -> str | None:
    """Why a workload's loop is not divided into units (None: it divides)."""
    if workload in USER_WORKLOADS:
        return "a user's workload does not say how its work divides"
    spec = WORKLOADS.get(workload)
    return None if spec is None or spec.division is not None else spec.undivided


def timed_section(workload: str) -> str | None:
    """What one loop of a workload's timed section holds, for the report (None: unknown)."""
    return USER_TIMED_SECTION if workload in USER_WORKLOADS else TIMED_SECTION.get(workload)


# Calibrate to twice min_time, so that a change of pace between containers
# does not push a measured section of the same loops below it. 1.1 was too little: on a
# default run two Go coordination cells (contention with GOMAXPROCS=1, channels)
# calibrated in a slow phase (0.0153 s per loop) and then ran at 0.009 s per
# loop in every round, a median section of 0.148 s against min_time 0.2 s.
# 1.5 was too little as well: on the default run of 4fc734b, Go contention with
# one worker on CPU 0 calibrated at 9.2 ms per loop and ran at 4.6 ms in every
# later container, a median section of 0.157 s.
CALIBRATION_MARGIN = 2.0


def workload_kind(workload: str) -> str:
    """interpreter, c_library, sleep or coordination: what bounds the workload, and so what it can test."""
    if workload in USER_WORKLOADS:
        return USER_WORKLOADS[workload].kind
    return WORKLOAD_KINDS.get(workload, OTHER_KIND)


def scaling(workload: str) -> str:
    """ "weak", "strong" or "none": how a speedup over one worker is computed, if at all."""
    if workload in USER_WORKLOADS:
        return USER_WORKLOADS[workload].scaling
    return WORKLOADS[workload].scaling


def params_label(params: dict[str, int]) -> str:
    """Parameters as one stable, readable table cell: "megabytes=32,rounds=16"."""
    return ",".join(f"{name}={params[name]}" for name in sorted(params))


def parse_params_label(label: str) -> dict[str, int]:
    """The inverse of params_label."""
    pairs = (item.partition("=") for item in str(label).split(",") if item)
    return {name: int(value) for name, _, value in pairs}


def expected_checksum_of(workload: str, params: str, workers: int, units: int = 1) -> float | None:
    """The checksum a correct run reports (one unit's), from the harness's own code, computed once per input.

    None for a user workload: its code runs only in containers, never here, so
    its runs are held to its own `expected` or to each other (recordchecks).

    Where every task returns the same value the worker count does not matter,
    so the seed's 50,000,000-iteration loop is computed once, not once per count.
    """
    if workload in USER_WORKLOADS:
        return None
    return _expected(workload, params, workers if WORKLOADS[workload].combine == "sum" else 1, units)


@functools.cache
def _expected(workload: str, params: str, workers: int, units: int) -> float:
    return expected_checksum(workload, parse_params_label(params), workers, units)
