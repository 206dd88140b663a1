"""Measure one cell: one pinned `docker run` of a harness, checked, written atomically.

The records the harness prints are checked against what was asked (CPU set,
workers, runtime identity) before anything is written: a run that saw the
wrong CPUs or the wrong interpreter is a failed run, not a data point.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from . import docker
from .atomic import atomic_path
from .cpusets import format_cpuset, parse_cpuset
from .errors import ParbenchError, main_guard
from .matrix import Cell

PYTHON_HARNESS = "/opt/parbench/python/harness.py"


def harness_argv(kind: str, cell: Cell, iterations: int, repeats: int, warmup: int) -> list[str]:
    """The command line of the harness inside the image."""
    if kind == "cpython":
        return [
            "python3", PYTHON_HARNESS, "--runtime", cell.runtime, "--workload", cell.workload,
            "--mode", cell.mode, "--workers", str(cell.workers), "--iterations", str(iterations),
            "--repeats", str(repeats), "--warmup", str(warmup),
        ]
    return [
        "parbench-go", "-runtime", cell.runtime, "-workload", cell.workload,
        "-mode", cell.mode, "-workers", str(cell.workers), "-iterations", str(iterations),
        "-repeats", str(repeats), "-warmup", str(warmup),
    ]


def container_name(cell: Cell) -> str:
    """Unique, so a leftover container can never be mistaken for this run's."""
    return f"parbench-{cell.runtime}-{cell.mode}-{uuid.uuid4().hex[:10]}"


def parse_records(stdout: str) -> list[dict]:
    records = []
    for number, line in enumerate(stdout.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise ParbenchError(f"harness output line {number} is not JSON: {line[:120]!r}") from None
    return records


def record_problems(records: list[dict], cell: Cell, expected: int, identity: dict) -> list[str]:
    """Everything that makes these records untrustworthy, each as one line."""
    problems = []
    if len(records) != expected:
        problems.append(f"expected {expected} records (warm-ups included), got {len(records)}")
    wanted_cpus = format_cpuset(parse_cpuset(cell.cpuset))
    version = identity.get("version") or identity.get("GOVERSION")
    for r in records:
        where = f"repeat {r.get('repeat')}{' (warm-up)' if r.get('warmup') else ''}"
        seen = r.get("affinity")
        if seen != wanted_cpus:
            problems.append(f"{where}: CPU set {cell.cpuset} requested, the harness could use {seen}")
        for field, wanted in (("workload", cell.workload), ("mode", cell.mode), ("workers", cell.workers)):
            if r.get(field) != wanted:
                problems.append(f"{where}: {field} is {r.get(field)!r}, expected {wanted!r}")
        if r.get("runtime_version") != version:
            problems.append(f"{where}: runtime version {r.get('runtime_version')} differs from the image's {version}")
        if "gil_enabled" in identity and r.get("gil_enabled") != identity["gil_enabled"]:
            problems.append(f"{where}: GIL enabled is {r.get('gil_enabled')}, the image's identity says {identity['gil_enabled']}")
    checksums = {r.get("checksum") for r in records}
    if len(checksums) > 1:
        problems.append(f"repeats disagree on the checksum: {sorted(map(str, checksums))}")
    return problems


def annotate(record: dict, cell: Cell, image_id: str, host: str, container_seconds: float, started_at: str) -> dict:
    """Add what only the outside of the container knows."""
    return dict(
        record,
        cpuset=cell.cpuset,
        cpus=len(parse_cpuset(cell.cpuset)),
        image_id=image_id,
        host=host,
        container_seconds=container_seconds,
        started_at=started_at,
    )


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def measure_cell(
    cell: Cell, kind: str, iterations: int, repeats: int, warmup: int,
    iid_file: Path, identity_file: Path, out: Path, host: str, timeout: float,
) -> list[dict]:
    image = iid_file.read_text().strip()
    identity = json.loads(identity_file.read_text())["identity"]
    name = container_name(cell)
    command = docker.run_command(
        image, harness_argv(kind, cell, iterations, repeats, warmup), name=name, cpuset=cell.cpuset
    )
    print("running " + " ".join(command), file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, _terminate)
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ParbenchError(
            f"measurement of {cell.raw_path} exceeded timeout_seconds={timeout:g}; raise it in config.yaml"
        ) from None
    finally:
        # --rm removes a container that exits; this removes one we abandoned.
        subprocess.run(docker.remove_container_command(name), capture_output=True)
    container_seconds = time.perf_counter() - t0
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ParbenchError(f"harness exited with {done.returncode} for {cell.raw_path}: {last}")
    records = parse_records(done.stdout)
    problems = record_problems(records, cell, warmup + repeats, identity)
    if problems:
        raise ParbenchError(f"{cell.raw_path}: {problems[0]}")
    records = [annotate(r, cell, image, host, container_seconds, started_at) for r in records]
    with atomic_path(out) as tmp:
        tmp.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
    return records


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runtime", required=True)
    parser.add_argument("--kind", required=True, choices=["cpython", "go"])
    parser.add_argument("--workload", required=True)
    parser.add_argument("--mode", required=True)
    parser.add_argument("--cpuset", required=True)
    parser.add_argument("--workers", required=True, type=int)
    parser.add_argument("--iterations", required=True, type=int)
    parser.add_argument("--repeats", required=True, type=int)
    parser.add_argument("--warmup", required=True, type=int)
    parser.add_argument("--timeout", required=True, type=float)
    parser.add_argument("--host-label", required=True)
    parser.add_argument("--iid", required=True, type=Path)
    parser.add_argument("--identity", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    cell = Cell(args.runtime, args.workload, args.mode, args.cpuset, args.workers)
    records = measure_cell(
        cell, args.kind, args.iterations, args.repeats, args.warmup, args.iid, args.identity,
        args.out, args.host_label, args.timeout,
    )
    measured = [r["seconds"] for r in records if not r["warmup"]]
    print(f"{cell.raw_path}: {len(measured)} repeats, median {sorted(measured)[len(measured) // 2]:.4f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
