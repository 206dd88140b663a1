"""The measured computations, free of any timing or process machinery.

A workload is split into tasks; the harness runs each task in a worker
(thread, process, or the main thread) and combines their values into one
float checksum. The Go harness implements the same workloads; both must
produce bit-identical checksums for the same parameters and worker count,
which is what lets parbench claim the runtimes it compares did the same work.

Shared state (a lock and counter, a queue) is made by the workload for the
kind of worker it will be shared between, so the same task code runs over
threading primitives or their multiprocessing twins.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

Params = dict[str, int]
TaskResult = tuple[float, list[float]]  # (value, latency samples in seconds)


def cpu_loop_range(start: int, stop: int, step: int = 1) -> float:
    """Sum (i*i)/(i+1) in float64 for i = start, start+step, ... below stop, in order.

    i*i stays below 2**53 for every iteration count parbench uses, so the
    integer-to-float conversion is exact and the division correctly rounded
    in Python and Go alike: the sums agree to the last bit.
    """
    total = 0.0
    for i in range(start, stop, step):
        total += (i * i) / (i + 1)
    return total


def cpu_loop(iterations: int, stride: int = 1) -> float:
    """The seed's loop: every worker sums the whole range (weak scaling); a unit takes every stride-th i."""
    return cpu_loop_range(0, iterations, stride)


def strong_slice(iterations: int, index: int, workers: int) -> tuple[int, int]:
    """Worker `index`'s contiguous share of the range when N is split among workers."""
    return index * iterations // workers, (index + 1) * iterations // workers


def strong_share(iterations: int, index: int, workers: int, stride: int = 1) -> float:
    """Worker `index`'s share of the strong loop: of the elements i = k·stride (k below
    iterations / stride), the contiguous run of k that strong_slice gives it."""
    first, last = strong_slice(iterations // stride, index, workers)
    return cpu_loop_range(first * stride, last * stride, stride)


def alloc(items: int, stride: int = 1) -> float:
    """Build many small records (a dict, a string, a list each) and reduce them.

    A window of the last 64 records stays alive, so every record is a real heap
    object in both languages and the allocator and collector do real work. A
    unit builds the records of every stride-th i only, so its numbers have
    the digit counts of the whole range.
    """
    window: list[Any] = [None] * 64
    total = 0
    for k in range(items // stride):
        i = k * stride
        record = {"id": i, "name": "item-" + str(i), "tags": [i % 3, i % 5, i % 7]}
        window[k & 63] = record
        total += len(record["name"]) + sum(record["tags"])
    return float(total)


HASH_PATTERN = bytes(range(256))


def hash_buffer(megabytes: int) -> bytes:
    """The bytes 0..255 repeated to fill `megabytes` MiB: the input hash's tasks share.

    Made before the clock starts (as the workload's shared state), so the timed
    section hashes and does not fill memory, in Python as in Go.
    """
    return HASH_PATTERN * (megabytes * 4096)


def hash_rounds(buffer: bytes, rounds: int) -> float:
    """SHA-256 of buffer, `rounds` times, each seeded with the previous digest.

    hashlib's C code releases the GIL while it hashes a large buffer. The
    checksum is the first 48 bits of the last digest, exact in a float64.
    """
    digest = b""
    for _ in range(rounds):
        hasher = hashlib.sha256(digest)
        hasher.update(buffer)
        digest = hasher.digest()
    return float(int.from_bytes(digest[:6], "big"))


def hash_chain(megabytes: int, rounds: int) -> float:
    """The hash workload in one call, buffer included (a reference for tests)."""
    return hash_rounds(hash_buffer(megabytes), rounds)


def io_wait(tasks: int, sleep_us: int) -> float:
    """Block `tasks` times for sleep_us microseconds each, doing almost no computing."""
    total = 0
    for t in range(tasks):
        time.sleep(sleep_us / 1e6)
        total += t
    return float(total)


# ---- shared state -----------------------------------------------------------


def make_counter(kind: str, context: Any) -> SimpleNamespace:
    """A lock and an integer every worker updates under it."""
    if kind == "processes":
        value = context.Value("q", 0)  # lives in shared memory, carries its own lock
        return SimpleNamespace(lock=value.get_lock(), cell=value)
    return SimpleNamespace(lock=threading.Lock(), cell=SimpleNamespace(value=0))


LATENCY_EVERY = 64  # channels: message k of each producer's loop carries a send time when k % 64 == 0


def channel_sum(workers: int, messages: int) -> int:
    """What the producers send in one loop: the values 1 .. workers*messages, each once."""
    n = workers * messages
    return n * (n + 1) // 2


def make_channel(params: Params, workers: int, kind: str, context: Any) -> SimpleNamespace:
    """A bounded FIFO between producers and consumers, and what one loop must deliver through it."""
    capacity = params["capacity"]
    fifo = context.Queue(maxsize=capacity) if kind == "processes" else queue.Queue(maxsize=capacity)
    return SimpleNamespace(queue=fifo, per_loop=channel_sum(workers, params["messages"]))


# ---- workloads as tasks -----------------------------------------------------

STRIDE = "stride"  # the key a strided unit adds to the parameters its tasks see


@dataclass(frozen=True)
class Division:
    """How one configured loop divides into `units` equal units, so a timed section can be shorter than a loop.

    param: the parameter that divides (units must divide its value evenly).
    size: how much of that parameter one unit holds by default: a few
      milliseconds of one CPython worker (a hash round, over the whole
      buffer, is tens), so that even a 64-worker cell of a mode that runs its
      workers one at a time has a unit shorter than min_time and its
      container stays short.
    strided: a unit takes every units-th element of the whole range (cpu_loop's
      cost per i grows with i's size in CPython, alloc's with its digits), so
      every unit has the mix of a whole loop; otherwise the parameter shrinks
      to value / units, for work whose steps all cost the same (a hash round,
      a sleep, an increment, a message).
    """

    param: str
    size: int
    strided: bool = False


@dataclass(frozen=True)
class Workload:
    """How one computation is split into tasks, run, and checked.

    params: parameter name -> smallest allowed value.
    modes: the Python modes it makes sense under (Go adds goroutines, and
      sequential where Python has it).
    scaling: "weak" (every worker does the full work), "strong" (the work is
      split), or "none" (what is measured is not a speedup).
    combine: "same" (every task must return the same value) or "sum" (the
      values are added in task order).
    loops: "same" (a task returns the same value in every loop; the harness
      verifies that) or "accumulate" (a task's value differs between loops,
      as a channel consumer's does; only the total over all loops is checked).
    check: (shared state, the values summed over every task and loop, loops)
      -> a problem or None; it sees state that accumulated over all loops.
    division: how a loop divides into units (None: it does not, for the
      reason `undivided` gives).
    """

    name: str
    about: str
    params: dict[str, int]
    task: Callable[[Params, int, int, Any], TaskResult]
    modes: tuple[str, ...] = ("sequential", "threads", "processes")
    scaling: str = "weak"
    combine: str = "same"
    loops: str = "same"
    tasks: Callable[[Params, int], int] = field(default=lambda params, workers: workers)
    shared: Callable[[Params, int, str, Any], Any] = field(default=lambda params, workers, kind, context: None)
    check: Callable[[Any, float, int], str | None] = field(default=lambda shared, total, loops: None)
    division: Division | None = None
    undivided: str = ""  # why `division` is None

    def params_problems(self, params: Params) -> list[tuple[str, str]]:
        """("unknown" | "missing" | "below", parameter) for each bad parameter, in a stable order.

        The harness and the pipeline's config check both judge parameters by
        this; each words the problem for where it was made.
        """
        problems = [("unknown", name) for name in params if name not in self.params]
        for name, minimum in self.params.items():
            if name not in params:
                problems.append(("missing", name))
            elif params[name] < minimum:
                problems.append(("below", name))
        return problems


def _contention_task(params: Params, index: int, workers: int, shared: Any) -> TaskResult:
    lock, cell = shared.lock, shared.cell
    for _ in range(params["increments"]):
        with lock:
            cell.value += 1
    return float(params["increments"]), []


def _contention_check(shared: Any, total: float, loops: int) -> str | None:
    """Every increment of every loop must be in the counter: it reaches loops × the one-loop sum."""
    counted = shared.cell.value
    return None if counted == total else f"the shared counter reached {counted}, expected {total:.0f}: lost updates"


def _channels_task(params: Params, index: int, workers: int, shared: Any) -> TaskResult:
    """Tasks 0..W-1 produce, W..2W-1 consume; consumers return the sum they received.

    Only every LATENCY_EVERY-th message carries a send time (the others None),
    so reading the clock does not slow the throughput it is measured beside.
    """
    messages, fifo = params["messages"], shared.queue
    if index < workers:
        base = index * messages + 1
        for k in range(messages):
            fifo.put((base + k, time.perf_counter() if k % LATENCY_EVERY == 0 else None))
        return 0.0, []
    total, latencies = 0, []
    for _ in range(messages):
        value, sent = fifo.get()
        if sent is not None:
            latencies.append(time.perf_counter() - sent)
        total += value
    return float(total), latencies


def _channels_check(shared: Any, total: float, loops: int) -> str | None:
    """Consumers must have received, over all loops, exactly what producers sent: loops × one loop's sum."""
    expected = loops * shared.per_loop
    return None if total == expected else f"consumers received {total:.0f} over {loops} loop(s), expected {expected}"


def _spawn_task(params: Params, index: int, workers: int, shared: Any) -> TaskResult:
    return float(index), []


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "cpu_loop",
            "the seed's loop: every worker sums (i·i)/(i+1) over all N",
            {"iterations": 1},
            lambda p, i, w, s: (cpu_loop(p["iterations"], p.get(STRIDE, 1)), []),
            division=Division("iterations", 50_000, strided=True),
        ),
        Workload(
            "cpu_loop_strong",
            "the same loop with N split among the workers",
            {"iterations": 1},
            lambda p, i, w, s: (strong_share(p["iterations"], i, w, p.get(STRIDE, 1)), []),
            scaling="strong",
            combine="sum",
            division=Division("iterations", 50_000, strided=True),
        ),
        Workload(
            "alloc",
            "builds and reduces many small dicts, lists and strings",
            {"items": 1},
            lambda p, i, w, s: (alloc(p["items"], p.get(STRIDE, 1)), []),
            division=Division("items", 2_000, strided=True),
        ),
        Workload(
            "hash",
            "chained SHA-256 over a large buffer (hashlib / crypto/sha256)",
            {"megabytes": 1, "rounds": 1},
            lambda p, i, w, s: (hash_rounds(s, p["rounds"]), []),
            shared=lambda p, w, kind, ctx: hash_buffer(p["megabytes"]),
            division=Division("rounds", 1),
        ),
        Workload(
            "io_wait",
            "workers that sleep between tiny steps, as blocking I/O does",
            {"tasks": 1, "sleep_us": 0},
            lambda p, i, w, s: (io_wait(p["tasks"], p["sleep_us"]), []),
            division=Division("tasks", 10),
        ),
        Workload(
            "contention",
            "every worker increments one shared counter under one lock",
            {"increments": 1},
            _contention_task,
            combine="sum",
            shared=lambda p, w, kind, ctx: make_counter(kind, ctx),
            check=_contention_check,
            division=Division("increments", 1_000),
        ),
        Workload(
            "channels",
            "W producers and W consumers over one bounded queue or channel",
            {"messages": 1, "capacity": 1},
            _channels_task,
            modes=("threads", "processes"),
            combine="sum",
            loops="accumulate",
            tasks=lambda p, w: 2 * w,
            shared=make_channel,
            check=_channels_check,
            division=Division("messages", 1_000),
        ),
        Workload(
            "spawn",
            "starts `count` parked threads or goroutines",
            {"count": 1},
            _spawn_task,
            modes=("threads",),
            scaling="none",
            combine="sum",
            tasks=lambda p, w: p["count"],
            undivided="its figures are creation costs, which happen once",
        ),
    )
}


def combine(workload: Workload, values: list[float]) -> float:
    """One checksum from the tasks' values, in task order; ValueError if "same" tasks disagree."""
    if workload.combine == "same":
        if len(set(values)) != 1:
            raise ValueError(f"workers disagree on the checksum: {sorted(set(values))}")
        return values[0]
    total = 0.0
    for value in values:
        total += value
    return total


def units_problem(workload: Workload, params: Params, units: int) -> str | None:
    """Why a loop of this workload cannot be run as `units` units, as one line, or None."""
    if units == 1:
        return None
    if units < 1:
        return f"{units} is below 1"
    if workload.division is None:
        return f"{workload.name} cannot be divided into units: {workload.undivided or 'it does not say how'}"
    name = workload.division.param
    if params[name] % units:
        return f"{units} does not divide {name}={params[name]} evenly"
    return None


def default_units(workload: Workload, params: Params) -> int:
    """The units a loop divides into when the config does not say: about `size` each, dividing evenly.

    The largest divisor of the parameter that leaves units of at least
    `size`; 1 (whole loops) where the parameter is no larger than one unit or
    the workload does not divide.
    """
    division = workload.division
    if division is None:
        return 1
    value = params[division.param]
    for units in range(max(1, value // division.size), 1, -1):
        if value % units == 0:
            return units
    return 1


def unit_params(workload: Workload, params: Params, units: int) -> Params:
    """The parameters one unit's tasks run with (units_problem must be None first).

    A strided unit keeps the range and adds its stride; otherwise the dividing
    parameter shrinks, and the shared state and check follow it.
    """
    if units == 1:
        return dict(params)
    division = workload.division
    if division.strided:
        return {**params, STRIDE: units}
    return {**params, division.param: params[division.param] // units}


def expected_checksum(name: str, params: Params, workers: int, units: int = 1) -> float:
    """The checksum a correct run must report (one unit's with units > 1), computed without any concurrency.

    Used to verify published results; the sums of the coordination workloads
    (contention, channels, spawn) follow from their parameters alone.
    """
    workload = WORKLOADS[name]
    p = unit_params(workload, params, units)
    if name == "contention":
        return float(workers * p["increments"])
    if name == "channels":
        return float(channel_sum(workers, p["messages"]))
    if name == "spawn":
        return float(p["count"] * (p["count"] - 1) // 2)
    shared = workload.shared(p, workers, "threads", None)
    if workload.combine == "same":
        return workload.task(p, 0, workers, shared)[0]
    tasks = workload.tasks(p, workers)
    return combine(workload, [workload.task(p, i, workers, shared)[0] for i in range(tasks)])
