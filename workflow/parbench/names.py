"""The words the analysis speaks: modes, workload kinds, flavours, the A/A twin, default warning limits.

Each name is spelled here once, so aggregation, comparisons, claims, exports
and the report cannot drift apart on what "parallel", "the twin" or "noisy"
means. Plain data and tiny functions only: every analysis module imports this
one, and it imports nothing of the package.
"""

from __future__ import annotations

# ---- cells ------------------------------------------------------------------------------------------------------

# What names a cell in the tables (the host first: merged tables hold several).
CELL_KEYS = ["host", "runtime", "workload", "params", "mode", "variant", "cpuset", "cpus", "workers"]
# A cell less its CPU set, CPU count and worker count (CELL_KEYS' head): the cells that share one baseline.
BASELINE_KEYS = CELL_KEYS[: CELL_KEYS.index("cpuset")]

# ---- modes ------------------------------------------------------------------------------------------------------

SEQUENTIAL, THREADS, PROCESSES, GOROUTINES = "sequential", "threads", "processes", "goroutines"
# Each runtime kind's way of running workers in parallel inside one process.
PARALLEL_MODE = {"cpython": THREADS, "go": GOROUTINES}
# The Go mode a Python mode is compared with (Go has no processes mode: goroutines stand in).
GO_PARTNER_MODE = {THREADS: GOROUTINES, PROCESSES: GOROUTINES, SEQUENTIAL: SEQUENTIAL}
# Modes that compare across runtimes share a family: threads and goroutines are both in-process parallelism.
MODE_FAMILIES = {SEQUENTIAL: "sequential", THREADS: "inproc", GOROUTINES: "inproc", PROCESSES: "processes"}

# ---- variants ---------------------------------------------------------------------------------------------------

PLAIN = ""  # a cell measured without any environment switch
AA = "aa"  # the variant of a cell measured twice in one session, for the noise floor
GIL_ON = "gil1"  # a free-threaded build with PYTHON_GIL=1: the GIL alone, same binary

# ---- workload kinds ---------------------------------------------------------------------------------------------

# What bounds each workload, and so which claims it can decide: only
# interpreter-bound ones decide claims about the interpreter.
INTERPRETER, C_LIBRARY, SLEEP, COORDINATION = "interpreter", "c_library", "sleep", "coordination"
WORKLOAD_KINDS = {
    "cpu_loop": INTERPRETER,
    "cpu_loop_strong": INTERPRETER,
    "alloc": INTERPRETER,
    "contention": INTERPRETER,
    "hash": C_LIBRARY,
    "io_wait": SLEEP,
    "channels": COORDINATION,
    "spawn": COORDINATION,
}
OTHER_KIND = "other"

# ---- flavours: the blog's three rows ----------------------------------------------------------------------------

GIL, FREE_THREADED, GO = "gil", "free-threaded", "go"
PYTHON_FLAVOURS = (GIL, FREE_THREADED)


def flavour(kind: str, free_threading: bool) -> str:
    """Which of the blog's rows (gil, free-threaded, go) a runtime is, from its kind and its build.

    The one place the rule lives: a catalogue entry and a runtime's own records
    both reduce to these two facts before asking.
    """
    if kind == "go":
        return GO
    return FREE_THREADED if free_threading else GIL


def catalogue_flavour(entry: dict) -> str:
    """The flavour of a catalogue entry (`kind`, and `free_threading` for CPython)."""
    return flavour(entry["kind"], bool(entry.get("free_threading")))


# ---- warnings ---------------------------------------------------------------------------------------------------

# config.yaml's `warnings` keys and their defaults: a cell is noisy above `cv`,
# short below `min_seconds` of timed section, under load above `busy`.
DEFAULT_WARNINGS = {"cv": 0.05, "min_seconds": 0.1, "busy": 0.1, "uneven": 1.25}  # uneven: shares.UNEVEN
# summary.csv's warning column -> the kind of warning the reports name (report/_warnings.py says what each means).
WARNING_KINDS = {
    "warn_cv": "noisy",
    "warn_short": "short",
    "warn_load": "under load",
    "warn_throttled": "throttled",
    "warn_uneven": "uneven shares",
}
# config key -> summary_table's keyword
WARNING_ARGUMENTS = {"cv": "cv_limit", "min_seconds": "min_seconds", "busy": "busy_limit", "uneven": "uneven_limit"}


def warning_limits(warnings: dict | None = None) -> dict[str, float]:
    """summary_table's keyword arguments from config's `warnings` (defaults for what it leaves out)."""
    given = {**DEFAULT_WARNINGS, **(warnings or {})}
    return {argument: float(given[key]) for key, argument in WARNING_ARGUMENTS.items()}
