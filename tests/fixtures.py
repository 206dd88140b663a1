"""Synthetic raw records shaped exactly like the harnesses' output, for table tests."""

from __future__ import annotations

CHECKSUM = 498507.4854708605  # cpu_loop(1000)

# The record fields runs.csv must keep, one row per value (the records contract of shared/DESIGN.md).
RUNS_CSV_COLUMNS = [
    "runtime",
    "workload",
    "mode",
    "cpuset",
    "cpus",
    "workers",
    "params",
    "repeat",
    "seconds",
    "cpu_seconds",
    "max_rss_kb",
    "checksum",
    "gil_enabled",
    "affinity",
    "image_id",
    "host",
    "worker_spread",
]

# Every workload at a size that runs in well under a second, for harness and image tests.
SMALL_PARAMS = {
    "cpu_loop": {"iterations": 1_000_000},
    "cpu_loop_strong": {"iterations": 300_001},
    "alloc": {"items": 30_000},
    "hash": {"megabytes": 3, "rounds": 3},
    "io_wait": {"tasks": 10, "sleep_us": 200},
    "contention": {"increments": 3000},
    "channels": {"messages": 1000, "capacity": 8},
    "spawn": {"count": 300},
}

# A number of units that divides each divisible workload's SMALL_PARAMS evenly (spawn does not divide).
SMALL_UNITS = {
    "cpu_loop": 100,
    "cpu_loop_strong": 13,
    "alloc": 50,
    "hash": 3,
    "io_wait": 5,
    "contention": 10,
    "channels": 10,
}


def record(
    runtime="go",
    mode="goroutines",
    cpuset="0",
    cpus=1,
    workers=1,
    repeat=0,
    seconds=1.0,
    warmup=False,
    checksum=CHECKSUM,
    gil=None,
    host="hostA",
    loops=1,
    session="s1",
) -> dict:
    return {
        "schema": 1,
        "harness": "go" if runtime == "go" else "python",
        "runtime": runtime,
        "runtime_version": "go1.24.4" if runtime == "go" else "3.13.5",
        "gil_build_disabled": None if gil is None else not gil,
        "gil_enabled": gil,
        "gomaxprocs": cpus if runtime == "go" else None,
        "numcpu": cpus if runtime == "go" else None,
        "cpu_count": cpus,
        "affinity": cpuset,
        "pid": 1,
        "workload": "cpu_loop",
        "params": {"iterations": 1000},
        "mode": mode,
        "workers": workers,
        "start_method": None,
        "setup_seconds": 0.01,
        "warmup": warmup,
        "repeat": repeat,
        "seconds": seconds,
        "worker_seconds": [seconds] * workers,
        "cpu_seconds": seconds * workers,
        "max_rss_kb": 5000,
        "checksum": checksum,
        "cpuset": cpuset,
        "cpus": cpus,
        "image_id": "sha256:" + "ab" * 32,
        "host": host,
        "container_seconds": seconds + 0.3,
        "started_at": "2026-11-25T00:00:00+00:00",
        "loops": loops,
        "total_seconds": seconds * loops,
        "session": session,
        "warmup_seconds": 0.0,
        "retries": 0,
    }


def scaling_records() -> list[dict]:
    """Go scales perfectly to 2 CPUs; GIL threads take twice as long with 2 workers."""
    out = []
    for repeat in range(6):
        jitter = 1 + repeat * 0.01
        out.append(record("go", "goroutines", "0", 1, 1, repeat, 0.10 * jitter))
        out.append(record("go", "goroutines", "0-1", 2, 2, repeat, 0.10 * jitter))
        out.append(record("cpython-3.13", "threads", "0", 1, 1, repeat, 5.0 * jitter, gil=True))
        out.append(record("cpython-3.13", "threads", "0-1", 2, 2, repeat, 10.0 * jitter, gil=True))
        out.append(record("cpython-3.13t", "threads", "0", 1, 1, repeat, 6.0 * jitter, gil=False))
        out.append(record("cpython-3.13t", "threads", "0-1", 2, 2, repeat, 6.0 * jitter, gil=False))
    out.append(record("go", "goroutines", "0", 1, 1, 0, 9.9, warmup=True))
    return out


def gil1_records(seconds_by_workers: dict[int, float]) -> list[dict]:
    """3.13t threads with PYTHON_GIL=1 (variant gil1): the GIL back on in the free-threaded binary."""
    out = []
    for workers, seconds in seconds_by_workers.items():
        cpuset = "0" if workers == 1 else f"0-{workers - 1}"
        out += [
            dict(
                record("cpython-3.13t", "threads", cpuset, workers, workers, k, seconds * (1 + k * 0.01), gil=True),
                variant="gil1",
            )
            for k in range(6)
        ]
    return out
