"""parbench's Python harness: runs one workload under one concurrency mode.

Runs unchanged on CPython 3.11+ with or without the GIL, standard library only.
One JSON object per repeat (warm-ups included, flagged) goes to stdout;
diagnostics go to stderr. Bad arguments produce one line on stderr and exit
code 2 before anything is measured, so stdout never holds a partial record.

Timing covers the parallel section only: a workload's tasks are created first
and park (threads at a start gate, processes at a barrier); the clock starts
when they are released. Interpreter start-up is visible from outside the
container; imports and argument parsing (``setup_seconds``) and creating the
tasks until all are parked (``spawn_seconds``) are timed separately. Resident
memory and OS threads are read before creating them and once all are parked,
which is what the spawn workload is for.

Calibrated timing, as pyperf and Go's testing.B do it: the timed section runs
the task set ``--loops`` times back to back (tasks are created and parked
once, released once, and each task does its work that many times in a row).
Each of those passes is one loop of the parameters or, with ``--units P``,
one of P equal units of it (workloads.py says how each workload divides), so
a section can be shorter than one loop; figures stay per configured loop.
With ``--min-time S`` the harness first runs a cold pass (one loop), then,
unless that pass alone lasted S, trials whose loops are predicted from the
pass before, as Go's testing.B does, until one lasts at least S (at most
``--max-loops``); the measured repeats use the last trial's loops. With
``--values-time B`` as well, a container measures as many values as make B
seconds (at most ``--max-values``) instead of ``--repeats``: pyperf's values per
process, which spread a container's start-up over several short sections.
Each ``--warmup`` runs the task set once (one pass). Records come in that
order: calibration trials, warm-ups, measured repeats, each with ``loops``
(passes), ``units``, ``total_seconds`` (the whole timed section) and
``seconds``, ``cpu_seconds`` and ``worker_seconds`` per configured loop
(section / loops × units). The checksum is one pass's; every pass is
verified (see ``settle``). Spawn's figures are creation costs,
which happen once, so it runs with loops = 1 only.

A user's workload: with ``--workload-dir DIR``, ``--workload NAME`` names the
workload in DIR/workload.py (userworkload.py loads and checks it and makes it
a Workload like the built-ins). Its records carry ``expected_checksum`` as
well (null without ``expected``), and its errors are one line naming it. An
exception in any worker, thread or process, ends the run with its one line
instead of being lost with the worker. The same command with ``--mode
sequential`` is the quick check a user runs on their own Python.

Test-only fault switch: if the environment variable PARBENCH_FAULT_CHECKSUM
names the workload being run, every record's checksum is off by one
(checksum + 1.0), so the pipeline's checksum check can be shown to fail. Never
set it for a real measurement.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # imports and argument parsing are timed from here

import argparse
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import platform
import resource
import sys
import sysconfig
import threading
from collections.abc import Callable
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import userworkload  # noqa: E402
from workloads import WORKLOADS, Workload, combine, unit_params, units_problem  # noqa: E402

SCHEMA_VERSION = 1
MODES = ("sequential", "threads", "processes")
DEFAULT_MAX_LOOPS = 1 << 20
FAULT_VARIABLE = "PARBENCH_FAULT_CHECKSUM"


@dataclass(frozen=True)
class Outcome:
    """What one timed section produced, before it is turned into a record.

    Times are for the whole section (all loops); the record divides by loops.
    """

    loops: int
    seconds: float
    spawn_seconds: float
    worker_seconds: list[float]
    checksum: float
    cpu_seconds: float
    max_rss_kb: int
    latencies: list[float]
    before: dict[str, int | None]
    parked: dict[str, int | None]


@dataclass(frozen=True)
class Tally:
    """What one task's loops returned: the first loop's value, the sum over all
    loops, and a later value that differed from the first (None if none did).

    Three numbers instead of one value per loop keep a million loops cheap to
    hand back from a worker process.
    """

    first: float
    total: float
    stray: float | None


PREDICTION_OVERSHOOT = 1.2  # aim past min_time so one trial is usually enough
# A cold pass this many times min_time is one loop without a warm trial: a
# long one-loop cell then costs no second full pass. On a quick run a Go
# contention cell's cold pass just reached the target and its warm passes took
# half as long, so a cold pass under twice the target is checked warm.
COLD_PASS_TRUST = 2.0
PREDICTION_GROWTH = 100  # the most a trial's loops may grow over the one before


def predict_loops(loops: int, total_seconds: float, min_time: float, max_loops: int) -> int:
    """The loops of the next calibration trial after `loops` loops took `total_seconds`.

    Go's testing.B rule: aim 20 % past min_time at the per-loop time seen so
    far, grow by at least one loop and at most 100 times, never past max_loops.
    One predicted trial costs about min_time; doubling from one loop cost
    about twice the final trial.
    """
    per_loop = total_seconds / loops
    wanted = math.ceil(PREDICTION_OVERSHOOT * min_time / per_loop) if per_loop > 0 else PREDICTION_GROWTH * loops
    return min(max(wanted, loops + 1), PREDICTION_GROWTH * loops, max_loops)


def calibrate(section: Callable[[int, int], float], min_time: float, max_loops: int) -> tuple[int, float]:
    """The loops to use and the seconds their section took, from a cold pass and predicted trials.

    `section(loops, index)` runs and records one calibration section. A cold
    first pass (page faults, caches, lazy imports) may be much slower than the
    warm ones, so it ends calibration by itself only when it lasts
    COLD_PASS_TRUST x min_time; a shorter one is checked by a warm trial. Only
    a warm section of min_time (or a trial of max_loops) ends it otherwise.
    """
    cold = section(1, 0)
    if cold >= COLD_PASS_TRUST * min_time or max_loops <= 1:
        return 1, cold
    loops = 1 if cold >= min_time else predict_loops(1, cold, min_time, max_loops)
    index = 1
    while True:
        seconds = section(loops, index)
        if seconds >= min_time or loops >= max_loops:
            return loops, seconds
        loops, index = predict_loops(loops, seconds, min_time, max_loops), index + 1


def values_for(section_seconds: float, values_time: float, max_values: int) -> int:
    """How many measured values one container takes: enough to fill values_time, 1 to max_values.

    A container's start-up costs the same whatever it measures, so a short
    section is measured several times (pyperf's values per process) and a
    long one once.
    """
    if values_time <= 0:
        return 1
    if section_seconds <= 0:
        return max_values
    return min(max_values, max(1, math.ceil(values_time / section_seconds)))


def run_loops(
    workload: Workload, params: dict, index: int, workers: int, shared, loops: int
) -> tuple[Tally, list[float]]:
    """Task `index` done `loops` times in a row, as one worker does inside the timed section."""
    first, latencies = workload.task(params, index, workers, shared)
    total, stray = first, None
    for _ in range(loops - 1):
        value, samples = workload.task(params, index, workers, shared)
        total += value
        if stray is None and value != first:
            stray = value
        latencies.extend(samples)
    return Tally(first, total, stray), list(latencies)


def format_cpu_list(cpus: list[int]) -> str:
    """Format CPU numbers the way Docker's --cpuset-cpus and the kernel do."""
    parts: list[str] = []
    ordered = sorted(set(cpus))
    start = previous = None
    for cpu in ordered:
        if start is None:
            start = previous = cpu
        elif cpu == previous + 1:
            previous = cpu
        else:
            parts.append(f"{start}" if start == previous else f"{start}-{previous}")
            start = previous = cpu
    if start is not None:
        parts.append(f"{start}" if start == previous else f"{start}-{previous}")
    return ",".join(parts)


def usable_cpus() -> list[int]:
    """The CPUs this process may run on (its affinity), not the host's total."""
    return sorted(os.sched_getaffinity(0))


def default_workers() -> int:
    """One worker per CPU we may use; multiprocessing.cpu_count() ignores pinning."""
    count = getattr(os, "process_cpu_count", None)
    return count() if count else len(usable_cpus())


def gil_build_disabled() -> bool:
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    probe = getattr(sys, "_is_gil_enabled", None)
    return True if probe is None else bool(probe())


def peak_rss_kb(include_children: bool) -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if include_children:
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return int(peak)


CPU_STAT_FILES = ("/sys/fs/cgroup/cpu.stat", "/sys/fs/cgroup/cpu,cpuacct/cpu.stat", "/sys/fs/cgroup/cpu/cpu.stat")


def throttled_periods() -> int | None:
    """How often the kernel has throttled this cgroup's CPU use (cgroup v2 or v1), if readable."""
    for path in CPU_STAT_FILES:
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "nr_throttled":
                        return int(value)
        except (OSError, ValueError):
            continue
    return None


def process_status() -> dict[str, int | None]:
    """Resident memory (kB) and OS thread count of this process, from /proc/self/status."""
    fields = {"VmRSS": None, "Threads": None}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in fields:
                    fields[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return {"rss_kb": fields["VmRSS"], "os_threads": fields["Threads"]}


def wait_until_parked(gate, tasks: int, procs: list | None = None) -> None:
    """Return once every task waits at the gate or barrier, so creation is over when we look.

    A worker process that died before reaching the barrier never will, so
    the wait ends with its exit code instead of lasting forever.
    """
    while gate.n_waiting < tasks:
        for proc in procs or ():
            if proc.exitcode is not None:
                raise RuntimeError(died(procs.index(proc), proc.exitcode))
        time.sleep(0.0002)


def died(index: int, code: int) -> str:
    """Why a worker process ended without its result, as one line."""
    why = " (killed: out of memory under limits.memory?)" if code == -9 else ""
    return f"worker process {index} exited with code {code} before sending its result{why}"


def collect_rows(results, procs: list) -> list:
    """One row per worker process, read as they come; a process that dies first ends it in one line.

    Waiting on the queue and on every process's sentinel at once costs one
    poll per row, and a killed worker (the kernel's OOM killer picks one
    process of the container) no longer leaves the parent waiting forever.
    """
    rows: list = []
    waiting = {proc.sentinel: index for index, proc in enumerate(procs)}
    while len(rows) < len(procs):
        ready = multiprocessing.connection.wait([results._reader, *waiting])
        if results._reader in ready:
            rows.append(results.get())
            continue
        for sentinel in ready:
            index = waiting.pop(sentinel)
            procs[index].join()
            if procs[index].exitcode != 0:
                raise RuntimeError(died(index, procs[index].exitcode))
    return rows


def settle(workload: Workload, shared, tallies: list[Tally], loops: int) -> float:
    """One loop's checksum from the tasks' tallies in task order, after every loop is verified.

    A workload whose tasks repeat their value ("same" loops) must do so in
    every loop; the workload's own check then sees the values summed over all
    loops (contention: the counter must reach loops × one loop's sum). For
    "accumulate" workloads (channels) only that total is checked and the
    checksum is total / loops. Raises ValueError when values disagree,
    RuntimeError when the check fails; either way no record is written.
    """
    total = 0.0
    for tally in tallies:
        total += tally.total
    if workload.loops == "same":
        for index, tally in enumerate(tallies):
            if tally.stray is not None:
                raise ValueError(f"task {index} returned {tally.stray!r} in a later loop, {tally.first!r} in the first")
        checksum = combine(workload, [t.first for t in tallies])
    problem = workload.check(shared, total, loops)
    if problem:
        raise RuntimeError(problem)
    return checksum if workload.loops == "same" else total / loops


class StartGate:
    """Holds threads until the main thread opens it; opening costs one hand-off per thread.

    A Barrier or Event wakes every waiter at once, and thousands of threads then
    queue for the GIL one forced switch at a time: releasing 10,000 threads in
    3.13 took 3-5 s through a Barrier against 1 s through this gate here
    (benchmarks/spawn.py). Here each thread passes the gate's lock on to the next.
    """

    def __init__(self) -> None:
        self._gate = threading.Lock()
        self._gate.acquire()
        self._count_lock = threading.Lock()
        self.n_waiting = 0  # as threading.Barrier names it, so wait_until_parked serves both

    def wait(self) -> None:
        with self._count_lock:
            self.n_waiting += 1
        self._gate.acquire()
        self._gate.release()

    def open(self) -> None:
        self._gate.release()


def run_sequential(workload: Workload, params: dict, workers: int, loops: int, context=None) -> Outcome:
    """The baseline: the single task done `loops` times in the main thread, no pool at all."""
    shared = workload.shared(params, 1, "threads", None)
    before = process_status()
    cpu0 = time.process_time()
    start = time.perf_counter()
    tally, latencies = run_loops(workload, params, 0, 1, shared, loops)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    checksum = settle(workload, shared, [tally], loops)
    return Outcome(loops, seconds, 0.0, [seconds], checksum, cpu, peak_rss_kb(False), latencies, before, before)


def run_threads(workload: Workload, params: dict, workers: int, loops: int, context=None) -> Outcome:
    """Threads parked at one start gate, released once; each runs its task `loops` times."""
    tasks = workload.tasks(params, workers)
    shared = workload.shared(params, workers, "threads", None)
    gate = StartGate()
    results: list[tuple[Tally, float, list[float]]] = [(Tally(0.0, 0.0, None), 0.0, [])] * tasks
    errors: list[BaseException] = []  # in the order they happened; threading itself would only print them

    def worker(index: int) -> None:
        gate.wait()
        t0 = time.perf_counter()
        try:
            tally, latencies = run_loops(workload, params, index, workers, shared, loops)
        except BaseException as error:
            errors.append(error)
            return
        results[index] = (tally, time.perf_counter() - t0, latencies)

    before = process_status()
    spawn0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(tasks)]
    for thread in threads:
        thread.start()
    wait_until_parked(gate, tasks)
    spawn = time.perf_counter() - spawn0
    parked = process_status()
    cpu0 = time.process_time()
    start = time.perf_counter()
    gate.open()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    if errors:
        raise errors[0]
    checksum = settle(workload, shared, [r[0] for r in results], loops)
    return Outcome(
        loops,
        seconds,
        spawn,
        [r[1] for r in results],
        checksum,
        cpu,
        peak_rss_kb(False),
        [x for r in results for x in r[2]],
        before,
        parked,
    )


def error_text(error: BaseException) -> str:
    """An exception as one line for the parent: the harness's own messages as they are, else the exception's line."""
    if isinstance(error, RuntimeError | ValueError | userworkload.WorkloadProblem):
        return " ".join(str(error).split())
    return userworkload.exception_line(error)


def _process_worker(barrier, results, workload, params: dict, index: int, workers: int, shared, loops: int) -> None:
    """One worker process; an error comes back as (index, None, one line), since a child's traceback is lost."""
    problem = None
    try:
        spec, shared = userworkload.in_worker(workload, shared)
    except BaseException as error:
        problem = error_text(error)  # still reach the barrier, or the parent waits for this child forever
    barrier.wait()
    if problem is not None:
        results.put((index, None, problem))
        return
    t0 = time.perf_counter()
    c0 = time.process_time()
    try:
        tally, latencies = run_loops(spec, params, index, workers, shared, loops)
    except BaseException as error:
        results.put((index, None, error_text(error)))
        return
    cpu = time.process_time() - c0
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # A plain tuple: under the spawn start method this module is __mp_main__ in the child.
    results.put((index, (tally.first, tally.total, tally.stray), seconds, cpu, rss, latencies))


def run_processes(
    workload: Workload, params: dict, workers: int, loops: int, context: multiprocessing.context.BaseContext
) -> Outcome:
    """Workers are separate processes; CPU time is the parent's plus each child's own.

    Shared state (the hash buffer, a queue) is made before the clock for
    creation starts, as in the other modes.
    """
    tasks = workload.tasks(params, workers)
    shared = workload.shared(params, workers, "processes", context)
    sent, payload = userworkload.for_worker(workload.name, shared)
    before = process_status()
    spawn0 = time.perf_counter()
    barrier = context.Barrier(tasks + 1)
    results = context.SimpleQueue()
    procs = [
        context.Process(target=_process_worker, args=(barrier, results, sent, params, i, workers, payload, loops))
        for i in range(tasks)
    ]
    for proc in procs:
        proc.start()
    wait_until_parked(barrier, tasks, procs)
    spawn = time.perf_counter() - spawn0
    parked = process_status()
    cpu0 = time.process_time()
    start = time.perf_counter()
    barrier.wait()
    rows = collect_rows(results, procs)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    for proc in procs:
        proc.join()
    problems = [row[2] for row in rows if row[1] is None]
    if problems:
        raise RuntimeError(problems[0])
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"worker processes exited with codes {failed}")
    rows.sort(key=lambda row: row[0])
    checksum = settle(workload, shared, [Tally(*r[1]) for r in rows], loops)
    return Outcome(
        loops,
        seconds,
        spawn,
        [r[2] for r in rows],
        checksum,
        cpu + sum(r[3] for r in rows),
        max([peak_rss_kb(True)] + [int(r[4]) for r in rows]),
        [x for r in rows for x in r[5]],
        before,
        parked,
    )


RUNNERS = {"sequential": run_sequential, "threads": run_threads, "processes": run_processes}


def percentile(samples: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the same rule as the Go harness), or None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports bad input in one line, as the harness contract says."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type for whole numbers >= minimum, with a one-line complaint."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum}")
        return value

    return parse


def seconds_at_least_zero(text: str) -> float:
    """An argparse type for a finite number of seconds >= 0, with a one-line complaint."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a finite number >= 0")
    return value


def param_pair(text: str) -> tuple[str, int]:
    """An argparse type for NAME=VALUE with a whole-number value."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    try:
        return name, int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: {value!r} is not a whole number") from None


def params_problem(workload: Workload, given: list[tuple[str, int]]) -> str | None:
    """The first thing wrong with a workload's parameters, as one line for the command line, or None."""
    params = dict(given)
    for kind, name in workload.params_problems(params):
        minimum = workload.params.get(name)
        if kind == "unknown":
            return f"{workload.name} has no parameter {name!r} (parameters: {', '.join(workload.params)})"
        if kind == "missing":
            return f"{workload.name} needs --param {name}=N (N >= {minimum})"
        return f"{workload.name} parameter {name}={params[name]} is below {minimum}"
    return None


def build_parser(user_workload: bool = False) -> argparse.ArgumentParser:
    """The command line; with `user_workload` --workload names the folder's workload, not a built-in."""
    parser = OneLineParser(prog="harness.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workload",
        required=True,
        choices=None if user_workload else sorted(WORKLOADS),
        help="a built-in's name, or with --workload-dir your workload's",
    )
    parser.add_argument(
        "--workload-dir",
        default=None,
        metavar="DIR",
        help="run the user workload in DIR/workload.py, named by --workload (spell this option out in full)",
    )
    parser.add_argument("--mode", required=True, choices=MODES)
    parser.add_argument(
        "--workers",
        type=int_at_least(1),
        default=None,
        help="default: the number of CPUs this process may run on",
    )
    parser.add_argument(
        "--param",
        type=param_pair,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a workload parameter; repeat for each (e.g. iterations=50000000)",
    )
    parser.add_argument("--repeats", type=int_at_least(1), default=1)
    parser.add_argument(
        "--warmup",
        type=int_at_least(0),
        default=0,
        help="unmeasured short warm-ups, each running the task set once (one pass)",
    )
    parser.add_argument(
        "--loops",
        type=int_at_least(1),
        default=None,
        help="passes (loops, or units with --units) each task does inside one timed section (default 1)",
    )
    parser.add_argument(
        "--min-time",
        type=seconds_at_least_zero,
        default=None,
        metavar="S",
        help="calibrate: choose loops so that a timed section lasts S seconds (0: no calibration)",
    )
    parser.add_argument(
        "--max-loops",
        type=int_at_least(1),
        default=DEFAULT_MAX_LOOPS,
        help=f"the most loops calibration may choose (default {DEFAULT_MAX_LOOPS})",
    )
    parser.add_argument(
        "--values-time",
        type=seconds_at_least_zero,
        default=0.0,
        metavar="B",
        help="with --min-time: measure as many values as make B seconds instead of --repeats",
    )
    parser.add_argument(
        "--max-values", type=int_at_least(1), default=1, help="the most values --values-time may choose (default 1)"
    )
    parser.add_argument(
        "--units",
        type=int,
        default=1,
        metavar="P",
        help="divide each loop into P equal units and time units (passes) instead; figures stay per loop",
    )
    parser.add_argument("--runtime", default="cpython", help="name recorded in each record")
    parser.add_argument(
        "--start-method",
        default=None,
        choices=multiprocessing.get_all_start_methods(),
        help="multiprocessing start method for --mode processes (default: the platform's)",
    )
    return parser


def environment_fields(runtime: str) -> dict:
    """Facts about the interpreter and what it may use, recorded with every repeat."""
    return {
        "schema": SCHEMA_VERSION,
        "harness": "python",
        "runtime": runtime,
        "runtime_version": platform.python_version(),
        "implementation": sys.implementation.name,
        "gil_build_disabled": gil_build_disabled(),
        "gil_enabled": gil_enabled(),
        "gomaxprocs": None,
        "numcpu": None,
        "cpu_count": default_workers(),
        "affinity": format_cpu_list(usable_cpus()),
        "pid": os.getpid(),
    }


def loops_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the loop options, as one line, or None."""
    if args.min_time is not None and args.loops is not None:
        return "argument --loops: not allowed with --min-time, which chooses the loops itself"
    if args.values_time > 0 and not args.min_time:
        return "argument --values-time: needs --min-time, which measures the section it divides"
    if args.workload == "spawn" and ((args.loops or 1) > 1 or (args.min_time or 0) > 0 or args.values_time > 0):
        return (
            "argument --loops/--min-time: spawn runs with loops = 1 only: "
            "its figures are per-worker creation costs, and tasks are created once per timed section"
        )
    return None


def faulty_checksum(workload: str, environ: dict[str, str]) -> bool:
    """Whether the test-only fault switch asks this workload's checksums to be off by one."""
    return environ.get(FAULT_VARIABLE) == workload


def outcome_fields(outcome: Outcome, units: int = 1) -> dict:
    """A timed section's figures as record fields: times per configured loop beside the section's total.

    `loops` counts passes of the timed body; with units, a pass is 1/units of
    a configured loop, so per-loop figures are the section's / loops × units.
    """
    loops = outcome.loops
    per_loop = units / loops
    return dict(
        units=units,
        loops=loops,
        total_seconds=outcome.seconds,
        seconds=outcome.seconds * per_loop,
        spawn_seconds=outcome.spawn_seconds,
        worker_seconds=[s * per_loop for s in outcome.worker_seconds],
        cpu_seconds=outcome.cpu_seconds * per_loop,
        max_rss_kb=outcome.max_rss_kb,
        rss_before_kb=outcome.before["rss_kb"],
        rss_parked_kb=outcome.parked["rss_kb"],
        os_threads_before=outcome.before["os_threads"],
        os_threads_parked=outcome.parked["os_threads"],
        latency_p50_us=None if not outcome.latencies else percentile(outcome.latencies, 0.50) * 1e6,
        latency_p99_us=None if not outcome.latencies else percentile(outcome.latencies, 0.99) * 1e6,
    )


def wants_user_workload(argv: list[str]) -> bool:
    """Whether the command line names a workload folder, so --workload may be any name, not only a built-in's."""
    return any(arg == "--workload-dir" or arg.startswith("--workload-dir=") for arg in argv)


def load_workload(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[Workload, userworkload.UserWorkload | None]:
    """The built-in named by --workload, or the user's in --workload-dir; a problem with either exits 2."""
    if args.workload_dir is None:
        return WORKLOADS[args.workload], None
    problem = userworkload.name_problem(args.workload)
    if problem:
        parser.error(f"argument --workload: {problem}")
    sys.stdout = sys.stderr  # what the user's code prints must never land among the records
    try:
        user = userworkload.load(args.workload_dir, args.workload, [name for name, _ in args.param])
    except userworkload.WorkloadProblem as problem:
        parser.exit(2, f"harness.py: workload {args.workload}: {problem}\n")
    return user.workload, user


def argument_problems(
    parser: argparse.ArgumentParser, args: argparse.Namespace, workload: Workload, user: object
) -> None:
    """Exit 2 with one line on the first argument the workload cannot run with; return if there is none."""
    problem = params_problem(workload, args.param)
    if problem:
        parser.error(f"argument --param: {problem}")
    if args.mode not in workload.modes:
        parser.error(f"argument --mode: {args.workload} runs under {', '.join(workload.modes)}, not {args.mode}")
    if args.mode == "sequential" and args.workers not in (None, 1):
        parser.error("argument --workers: sequential mode runs exactly 1 worker")
    problem = loops_problem(args)
    if problem:
        parser.error(problem)
    if user is not None and args.units != 1:
        parser.error("argument --units: a user's workload cannot be divided into units")
    problem = units_problem(workload, dict(args.param), args.units)
    if problem:
        parser.error(f"argument --units: {problem}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(wants_user_workload(argv))
    args = parser.parse_args(argv)
    records = sys.stdout  # taken before any user code runs: stdout holds the records and nothing else
    workload, user = load_workload(parser, args)
    argument_problems(parser, args, workload, user)
    params = dict(sorted(args.param))
    run_params = unit_params(workload, params, args.units)  # what the tasks do: one unit per pass
    workers = 1 if args.mode == "sequential" else (args.workers or default_workers())
    fault = 1.0 if faulty_checksum(args.workload, dict(os.environ)) else 0.0

    context = None
    start_method = None
    if args.mode == "processes":
        context = multiprocessing.get_context(args.start_method)
        start_method = context.get_start_method()
    runner = RUNNERS[args.mode]

    base = environment_fields(args.runtime)
    base.update(
        workload=args.workload,
        params=params,
        mode=args.mode,
        workers=workers,
        tasks=workload.tasks(run_params, workers) if args.mode != "sequential" else 1,
        start_method=start_method,
        setup_seconds=time.perf_counter() - _STARTED,
    )

    def measure(loops: int, warmup: bool, calibration: bool, index: int) -> Outcome:
        """One timed section, printed as one record; errors propagate and end the run."""
        throttled_before = throttled_periods()
        outcome = runner(workload, run_params, workers, loops, context)
        throttled_after = throttled_periods()
        record = dict(
            base,
            warmup=warmup,
            calibration=calibration,
            repeat=index,
            **outcome_fields(outcome, args.units),
            throttled_periods=None
            if throttled_before is None or throttled_after is None
            else throttled_after - throttled_before,
            checksum=outcome.checksum + fault,
        )
        print(json.dumps(record), file=records, flush=True)
        return outcome

    # Which parameters user code reads is watched in `expected` and in the first section if that
    # is a calibration pass or a warm-up, never in a measured value; a worker process reads in its
    # own memory, so processes mode cannot tell.
    watch = [user is not None and args.mode != "processes"]

    def section(loops: int, warmup: bool, calibration: bool, index: int) -> Outcome:
        userworkload.watch_reads(watch[0] and (warmup or calibration))
        outcome = measure(loops, warmup, calibration, index)
        problem = watch[0] and (warmup or calibration) and userworkload.unread_problem(params)
        watch[0] = False
        userworkload.watch_reads(False)
        if problem:
            raise ValueError(problem)
        return outcome

    try:
        userworkload.watch_reads(watch[0])
        if user is not None:  # once, outside every timed section
            base["expected_checksum"] = user.expected_checksum(params, workers)
        loops, repeats = args.loops or 1, args.repeats
        if args.min_time:
            loops, section_seconds = calibrate(
                lambda n, index: section(n, True, True, index).seconds, args.min_time, args.max_loops
            )
            if args.values_time > 0:
                repeats = values_for(section_seconds, args.values_time, args.max_values)
        for index in range(args.warmup):
            section(1, True, False, index)
        for index in range(repeats):
            section(loops, False, False, index)
    except (RuntimeError, ValueError) as error:
        named = "" if user is None else f"workload {args.workload}: "
        print(f"harness.py: {named}{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
