"""parbench's Python harness: runs one workload under one concurrency mode.

Runs unchanged on CPython 3.11+ with or without the GIL, standard library only.
One JSON object per repeat (warm-ups included, flagged) goes to stdout;
diagnostics go to stderr. Bad arguments produce one line on stderr and exit
code 2 before anything is measured, so stdout never holds a partial record.

Timing covers the parallel section only: workers are created first, wait on a
barrier, and the clock starts when the barrier releases them. Interpreter
start-up is visible from outside the container; imports and argument parsing
(``setup_seconds``) and creating the workers (``spawn_seconds``) are timed
separately.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # imports and argument parsing are timed from here

import argparse
import json
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
from workloads import WORKLOADS  # noqa: E402

SCHEMA_VERSION = 1
MODES = ("sequential", "threads", "processes")


@dataclass(frozen=True)
class Outcome:
    """What one repeat produced, before it is turned into a record."""

    seconds: float
    spawn_seconds: float
    worker_seconds: list[float]
    worker_checksums: list[float]
    cpu_seconds: float
    max_rss_kb: int


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


def run_sequential(work: Callable[[], float], workers: int) -> Outcome:
    """The baseline: the work done once in the main thread, no pool at all."""
    cpu0 = time.process_time()
    start = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    return Outcome(seconds, 0.0, [seconds], [value], cpu, peak_rss_kb(False))


def run_threads(work: Callable[[], float], workers: int) -> Outcome:
    barrier = threading.Barrier(workers + 1)
    results: list[tuple[float, float]] = [(0.0, 0.0)] * workers

    def worker(index: int) -> None:
        barrier.wait()
        t0 = time.perf_counter()
        value = work()
        results[index] = (value, time.perf_counter() - t0)

    spawn0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    spawn = time.perf_counter() - spawn0
    cpu0 = time.process_time()
    start = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    return Outcome(
        seconds,
        spawn,
        [r[1] for r in results],
        [r[0] for r in results],
        cpu,
        peak_rss_kb(False),
    )


def _process_worker(barrier, queue, workload: str, iterations: int, index: int) -> None:
    fn = WORKLOADS[workload]
    barrier.wait()
    t0 = time.perf_counter()
    c0 = time.process_time()
    value = fn(iterations)
    cpu = time.process_time() - c0
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((index, value, seconds, cpu, rss))


def run_processes(
    workload: str, iterations: int, workers: int, context: multiprocessing.context.BaseContext
) -> Outcome:
    """Workers are separate processes; CPU time is the parent's plus each child's own."""
    spawn0 = time.perf_counter()
    barrier = context.Barrier(workers + 1)
    queue = context.SimpleQueue()
    procs = [
        context.Process(target=_process_worker, args=(barrier, queue, workload, iterations, i))
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    spawn = time.perf_counter() - spawn0
    cpu0 = time.process_time()
    start = time.perf_counter()
    barrier.wait()
    rows = [queue.get() for _ in range(workers)]
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    for proc in procs:
        proc.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"worker processes exited with codes {failed}")
    rows.sort()
    return Outcome(
        seconds,
        spawn,
        [r[2] for r in rows],
        [r[1] for r in rows],
        cpu + sum(r[3] for r in rows),
        max([peak_rss_kb(True)] + [int(r[4]) for r in rows]),
    )


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


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="harness.py", description=__doc__.splitlines()[0])
    parser.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--mode", required=True, choices=MODES)
    parser.add_argument(
        "--workers", type=int_at_least(1), default=None,
        help="default: the number of CPUs this process may run on",
    )
    parser.add_argument("--iterations", type=int_at_least(1), required=True)
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
    args = build_parser().parse_args(argv)
    if args.mode == "sequential" and args.workers not in (None, 1):
        build_parser().error("argument --workers: sequential mode runs exactly 1 worker")
    workers = 1 if args.mode == "sequential" else (args.workers or default_workers())
    fn = WORKLOADS[args.workload]

    start_method = None
    if args.mode == "processes":
        context = multiprocessing.get_context(args.start_method)
        start_method = context.get_start_method()

        def measure() -> Outcome:
            return run_processes(args.workload, args.iterations, workers, context)
    else:
        runner = run_threads if args.mode == "threads" else run_sequential

        def measure() -> Outcome:
            return runner(lambda: fn(args.iterations), workers)

    base = environment_fields(args.runtime)
    base.update(
        workload=args.workload,
        params={"iterations": args.iterations},
        iterations=args.iterations,
        mode=args.mode,
        workers=workers,
        start_method=start_method,
        setup_seconds=time.perf_counter() - _STARTED,
    )
    plan = [(True, i) for i in range(args.warmup)] + [(False, i) for i in range(args.repeats)]
    for is_warmup, index in plan:
        throttled_before = throttled_periods()
        outcome = measure()
        throttled_after = throttled_periods()
        checksums = set(outcome.worker_checksums)
        if len(checksums) != 1:
            print(f"harness.py: workers disagree on the checksum: {sorted(checksums)}", file=sys.stderr)
            return 1
        record = dict(
            base,
            warmup=is_warmup,
            repeat=index,
            seconds=outcome.seconds,
            spawn_seconds=outcome.spawn_seconds,
            worker_seconds=outcome.worker_seconds,
            cpu_seconds=outcome.cpu_seconds,
            max_rss_kb=outcome.max_rss_kb,
            throttled_periods=None if throttled_before is None or throttled_after is None
            else throttled_after - throttled_before,
            checksum=outcome.worker_checksums[0],
        )
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
