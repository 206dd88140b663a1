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
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # imports and argument parsing are timed from here

import argparse
import json
import math
import multiprocessing
import os
import platform
import resource
import sys
import sysconfig
import threading
from dataclasses import dataclass
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import WORKLOADS, Workload, combine  # noqa: E402

SCHEMA_VERSION = 1
MODES = ("sequential", "threads", "processes")


@dataclass(frozen=True)
class Outcome:
    """What one repeat produced, before it is turned into a record."""

    seconds: float
    spawn_seconds: float
    worker_seconds: list[float]
    checksum: float
    cpu_seconds: float
    max_rss_kb: int
    latencies: list[float]
    before: dict[str, int | None]
    parked: dict[str, int | None]


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


def wait_until_parked(gate, tasks: int) -> None:
    """Return once every task waits at the gate or barrier, so creation is over when we look."""
    while gate.n_waiting < tasks:
        time.sleep(0.0002)


def settle(workload: Workload, shared, values: list[float]) -> float:
    """The run's checksum from its tasks' values in task order, after the workload's own check.

    Raises ValueError when "same" tasks disagree, RuntimeError when the check
    fails (a lost update); either way no record is written.
    """
    checksum = combine(workload, values)
    problem = workload.check(shared, checksum)
    if problem:
        raise RuntimeError(problem)
    return checksum


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


def run_sequential(workload: Workload, params: dict, workers: int, context=None) -> Outcome:
    """The baseline: the single task done in the main thread, no pool at all."""
    shared = workload.shared(params, 1, "threads", None)
    before = process_status()
    cpu0 = time.process_time()
    start = time.perf_counter()
    value, latencies = workload.task(params, 0, 1, shared)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    checksum = settle(workload, shared, [value])
    return Outcome(seconds, 0.0, [seconds], checksum, cpu, peak_rss_kb(False), latencies, before, before)


def run_threads(workload: Workload, params: dict, workers: int, context=None) -> Outcome:
    tasks = workload.tasks(params, workers)
    shared = workload.shared(params, workers, "threads", None)
    gate = StartGate()
    results: list[tuple[float, float, list[float]]] = [(0.0, 0.0, [])] * tasks

    def worker(index: int) -> None:
        gate.wait()
        t0 = time.perf_counter()
        value, latencies = workload.task(params, index, workers, shared)
        results[index] = (value, time.perf_counter() - t0, latencies)

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
    checksum = settle(workload, shared, [r[0] for r in results])
    return Outcome(
        seconds, spawn, [r[1] for r in results], checksum, cpu, peak_rss_kb(False),
        [x for r in results for x in r[2]], before, parked,
    )


def _process_worker(barrier, results, workload: str, params: dict, index: int, workers: int, shared) -> None:
    spec = WORKLOADS[workload]
    barrier.wait()
    t0 = time.perf_counter()
    c0 = time.process_time()
    value, latencies = spec.task(params, index, workers, shared)
    cpu = time.process_time() - c0
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results.put((index, value, seconds, cpu, rss, latencies))


def run_processes(
    workload: Workload, params: dict, workers: int, context: multiprocessing.context.BaseContext
) -> Outcome:
    """Workers are separate processes; CPU time is the parent's plus each child's own."""
    tasks = workload.tasks(params, workers)
    before = process_status()
    spawn0 = time.perf_counter()
    shared = workload.shared(params, workers, "processes", context)
    barrier = context.Barrier(tasks + 1)
    results = context.SimpleQueue()
    procs = [
        context.Process(target=_process_worker, args=(barrier, results, workload.name, params, i, workers, shared))
        for i in range(tasks)
    ]
    for proc in procs:
        proc.start()
    wait_until_parked(barrier, tasks)
    spawn = time.perf_counter() - spawn0
    parked = process_status()
    cpu0 = time.process_time()
    start = time.perf_counter()
    barrier.wait()
    rows = [results.get() for _ in range(tasks)]
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    for proc in procs:
        proc.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"worker processes exited with codes {failed}")
    rows.sort(key=lambda row: row[0])
    return Outcome(
        seconds, spawn, [r[2] for r in rows], settle(workload, shared, [r[1] for r in rows]),
        cpu + sum(r[3] for r in rows), max([peak_rss_kb(True)] + [int(r[4]) for r in rows]),
        [x for r in rows for x in r[5]], before, parked,
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


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="harness.py", description=__doc__.splitlines()[0])
    parser.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--mode", required=True, choices=MODES)
    parser.add_argument(
        "--workers", type=int_at_least(1), default=None,
        help="default: the number of CPUs this process may run on",
    )
    parser.add_argument("--param", type=param_pair, action="append", default=[], metavar="NAME=VALUE",
                        help="a workload parameter; repeat for each (e.g. iterations=50000000)")
    parser.add_argument("--repeats", type=int_at_least(1), default=1)
    parser.add_argument("--warmup", type=int_at_least(0), default=0)
    parser.add_argument("--runtime", default="cpython", help="name recorded in each record")
    parser.add_argument(
        "--start-method", default=None,
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    workload = WORKLOADS[args.workload]
    problem = params_problem(workload, args.param)
    if problem:
        parser.error(f"argument --param: {problem}")
    if args.mode not in workload.modes:
        parser.error(f"argument --mode: {args.workload} runs under {', '.join(workload.modes)}, not {args.mode}")
    if args.mode == "sequential" and args.workers not in (None, 1):
        parser.error("argument --workers: sequential mode runs exactly 1 worker")
    workers = 1 if args.mode == "sequential" else (args.workers or default_workers())
    params = dict(sorted(args.param))

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
        tasks=workload.tasks(params, workers) if args.mode != "sequential" else 1,
        start_method=start_method,
        setup_seconds=time.perf_counter() - _STARTED,
    )
    plan = [(True, i) for i in range(args.warmup)] + [(False, i) for i in range(args.repeats)]
    for is_warmup, index in plan:
        throttled_before = throttled_periods()
        try:
            outcome = runner(workload, params, workers, context)
        except (RuntimeError, ValueError) as error:
            print(f"harness.py: {error}", file=sys.stderr)
            return 1
        throttled_after = throttled_periods()
        record = dict(
            base,
            warmup=is_warmup,
            repeat=index,
            seconds=outcome.seconds,
            spawn_seconds=outcome.spawn_seconds,
            worker_seconds=outcome.worker_seconds,
            cpu_seconds=outcome.cpu_seconds,
            max_rss_kb=outcome.max_rss_kb,
            rss_before_kb=outcome.before["rss_kb"],
            rss_parked_kb=outcome.parked["rss_kb"],
            os_threads_before=outcome.before["os_threads"],
            os_threads_parked=outcome.parked["os_threads"],
            latency_p50_us=None if not outcome.latencies else percentile(outcome.latencies, 0.50) * 1e6,
            latency_p99_us=None if not outcome.latencies else percentile(outcome.latencies, 0.99) * 1e6,
            throttled_periods=None if throttled_before is None or throttled_after is None
            else throttled_after - throttled_before,
            checksum=outcome.checksum,
        )
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
