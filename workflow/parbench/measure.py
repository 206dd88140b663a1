"""A measurement session: every cell, in interleaved rounds, one pinned `docker run` each.

Round r of every cell runs before round r+1, in an order shuffled afresh each
round from a seed, so slow drift of the machine spreads over all runtimes
instead of favouring one. Each container does the warm-up(s) and one measured
repeat, as pyperf does per worker process. Before each container the host's
load is sampled; after it, the records are checked against what was asked
(CPU set, workers, runtime identity, checksum). Raw files are written only when
the whole session succeeded, each atomically.
"""

from __future__ import annotations

import argparse
import glob
import json
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from . import docker
from .atomic import atomic_path
from .cpusets import format_cpuset, parse_cpuset
from .errors import ParbenchError, main_guard
from .matrix import Cell

PYTHON_HARNESS = "/opt/parbench/python/harness.py"
BUSY_SAMPLE_SECONDS = 0.1


def session_plan(cells: list[Cell], rounds: int, seed: int) -> list[tuple[int, Cell]]:
    """(round, cell) pairs: round-major, each round a seeded shuffle of every cell."""
    rng = random.Random(seed)
    plan = []
    for round_index in range(rounds):
        order = sorted(cells, key=lambda c: c.raw_path)
        rng.shuffle(order)
        plan += [(round_index, cell) for cell in order]
    return plan


def harness_argv(kind: str, cell: Cell, params: dict[str, int], repeats: int, warmup: int) -> list[str]:
    """The command line of the harness inside the image."""
    pairs = [f"{name}={params[name]}" for name in sorted(params)]
    if kind == "cpython":
        return [
            "python3", PYTHON_HARNESS, "--runtime", cell.runtime, "--workload", cell.workload,
            "--mode", cell.mode, "--workers", str(cell.workers),
            *[arg for pair in pairs for arg in ("--param", pair)],
            "--repeats", str(repeats), "--warmup", str(warmup),
        ]
    return [
        "parbench-go", "-runtime", cell.runtime, "-workload", cell.workload,
        "-mode", cell.mode, "-workers", str(cell.workers),
        *[arg for pair in pairs for arg in ("-param", pair)],
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


def record_problems(records: list[dict], cell: Cell, expected: int, identity: dict,
                    env: dict[str, str] | None = None, params: dict[str, int] | None = None) -> list[str]:
    """Everything that makes these records untrustworthy, each as one line.

    A variant's environment changes what must be seen: PYTHON_GIL=1 turns the
    GIL on in a free-threaded build, GOMAXPROCS fixes Go's parallelism.
    """
    env = env or {}
    problems = []
    wanted_gil = {"1": True, "0": False}.get(env.get("PYTHON_GIL"), identity.get("gil_enabled"))
    if len(records) != expected:
        problems.append(f"expected {expected} records (warm-ups included), got {len(records)}")
    wanted_cpus = format_cpuset(parse_cpuset(cell.cpuset))
    version = identity.get("version") or identity.get("GOVERSION")
    for r in records:
        where = f"repeat {r.get('repeat')}{' (warm-up)' if r.get('warmup') else ''}"
        seen = r.get("affinity")
        if seen != wanted_cpus:
            problems.append(f"{where}: CPU set {cell.cpuset} requested, the harness could use {seen}")
        fields = [("workload", cell.workload), ("mode", cell.mode), ("workers", cell.workers)]
        if params is not None:
            fields.append(("params", params))
        for field, wanted in fields:
            if r.get(field) != wanted:
                problems.append(f"{where}: {field} is {r.get(field)!r}, expected {wanted!r}")
        if r.get("runtime_version") != version:
            problems.append(f"{where}: runtime version {r.get('runtime_version')} differs from the image's {version}")
        if "gil_enabled" in identity and r.get("gil_enabled") != wanted_gil:
            problems.append(f"{where}: GIL enabled is {r.get('gil_enabled')}, expected {wanted_gil} "
                            f"(image identity {identity['gil_enabled']}, PYTHON_GIL={env.get('PYTHON_GIL', 'unset')})")
        if "GOMAXPROCS" in env and r.get("gomaxprocs") != int(env["GOMAXPROCS"]):
            problems.append(f"{where}: GOMAXPROCS is {r.get('gomaxprocs')}, the variant sets {env['GOMAXPROCS']}")
    checksums = {r.get("checksum") for r in records}
    if len(checksums) > 1:
        problems.append(f"repeats disagree on the checksum: {sorted(map(str, checksums))}")
    return problems


# ---- what the host looked like just before a run ---------------------------

def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields), idle


def busy_fraction(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """Share of CPU time spent outside idle between two /proc/stat readings."""
    total, idle = after[0] - before[0], after[1] - before[1]
    return None if total <= 0 else (total - idle) / total


def _first_line(pattern: str) -> str | None:
    for path in sorted(glob.glob(pattern)):
        try:
            return Path(path).read_text().strip()
        except OSError:
            continue
    return None


def host_diagnostics(cpus: list[int], sample: float = BUSY_SAMPLE_SECONDS) -> dict:
    """Load, other processes' CPU use, frequency governor and turbo state, where readable.

    Nothing of the workflow runs while this samples, so any busy time seen is
    someone else's.
    """
    before = _cpu_times()
    time.sleep(sample)
    busy = busy_fraction(before, _cpu_times())
    governors = {_first_line(f"/sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor") for cpu in cpus}
    no_turbo = _first_line("/sys/devices/system/cpu/intel_pstate/no_turbo")
    boost = _first_line("/sys/devices/system/cpu/cpufreq/boost")
    turbo = None if no_turbo is None and boost is None else (no_turbo == "0" if no_turbo is not None else boost == "1")
    with open("/proc/loadavg") as f:
        load = float(f.read().split()[0])
    return {
        "load_1m_before": load,
        "host_busy_before": busy,
        "governor": ",".join(sorted(g for g in governors if g)) or None,
        "turbo": turbo,
    }


# ---- running containers ----------------------------------------------------

def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run_container(image: str, argv: list[str], cell: Cell, timeout: float,
                  env: dict[str, str] | None = None) -> tuple[list[dict], float]:
    """One pinned, networkless container; returns its records and outside wall time."""
    name = container_name(cell)
    command = docker.run_command(image, argv, name=name, cpuset=cell.cpuset, env=env)
    print("running " + " ".join(command), file=sys.stderr, flush=True)
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
    seconds = time.perf_counter() - t0
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ParbenchError(f"harness exited with {done.returncode} for {cell.raw_path}: {last}")
    return parse_records(done.stdout), seconds


def measure_session(
    outputs: list[Path], settings: dict, images_dir: Path, host: str,
) -> dict[Cell, list[dict]]:
    """Measure every cell named by `outputs` in interleaved rounds; write them all at the end."""
    cells = {Cell.from_raw_path(str(path)): path for path in outputs}
    images = {}
    for runtime in {cell.runtime for cell in cells}:
        identity = json.loads((images_dir / f"{runtime}.identity.json").read_text())
        images[runtime] = (identity["image_id"], identity["identity"], identity["config"]["kind"])
    plan = session_plan(list(cells), settings["repeats"], settings["seed"])
    warmup = settings["warmup"]
    collected: dict[Cell, list[dict]] = defaultdict(list)
    signal.signal(signal.SIGTERM, _terminate)
    for order, (round_index, cell) in enumerate(plan):
        image, identity, kind = images[cell.runtime]
        print(f"[{order + 1}/{len(plan)}] round {round_index + 1}: {cell.raw_path}", file=sys.stderr, flush=True)
        diagnostics = host_diagnostics(parse_cpuset(cell.cpuset))
        started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        params = settings["params"][cell.workload]
        argv = harness_argv(kind, cell, params, 1, warmup)
        env = settings.get("env", {}).get(cell.variant, {})
        records, container_seconds = run_container(image, argv, cell, settings["timeout"], env)
        problems = record_problems(records, cell, warmup + 1, identity, env, params)
        if problems:
            raise ParbenchError(f"{cell.raw_path}: {problems[0]}")
        inside = sum(r["seconds"] + r.get("spawn_seconds", 0.0) for r in records)
        for r in records:
            r.update(
                diagnostics,
                round=round_index,
                repeat=round_index if not r["warmup"] else r["repeat"],
                order=order,
                variant=cell.variant,
                env=env,
                cpuset=cell.cpuset,
                cpus=len(parse_cpuset(cell.cpuset)),
                image_id=image,
                host=host,
                container_seconds=container_seconds,
                startup_seconds=container_seconds - inside,
                started_at=started_at,
                seed=settings["seed"],
            )
        collected[cell] += records
    for cell, path in cells.items():
        with atomic_path(path) as tmp:
            tmp.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in collected[cell]))
    return collected


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings-json", required=True,
                        help="repeats, warmup, timeout, seed, and parameters per workload")
    parser.add_argument("--images", required=True, type=Path, help="folder of <runtime>.identity.json files")
    parser.add_argument("--host-label", required=True)
    parser.add_argument("outputs", nargs="+", type=Path, help="raw files to write; each path names its cell")
    args = parser.parse_args(argv)
    collected = measure_session(args.outputs, json.loads(args.settings_json), args.images, args.host_label)
    for cell, records in sorted(collected.items(), key=lambda item: item[0].raw_path):
        measured = sorted(r["seconds"] for r in records if not r["warmup"])
        print(f"{cell.raw_path}: {len(measured)} repeats, median {measured[len(measured) // 2]:.4f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
