"""What one container costs to start, per engine: Docker, Podman and Apptainer on the same image.

Runs `true` in the go image, pinned to one CPU, with each engine's full
least-privilege command line (engines/), in rounds: every round runs each
engine once, in an order shuffled per round, so drift does not favour one.
Prints per engine the median seconds from start to exit, measured from
outside, their coefficient of variation and the ratio to Docker's median.
This is the container start-up share of a session's wall time
(`parbench time`), which issue 20's overhead target is about.

Needs a project that has run with each engine to be compared, so that the
images are loaded into it (results/images/loaded-ENGINE.json); engines
without that file, or that do not answer, are left out with one line.
For Apptainer here, put the wrapper of scripts/apptainer-env.sh on PATH.

    PATH=/var/tmp/parbench-apptainer/bin:$PATH .venv/bin/python benchmarks/engines.py --project DIR [--rounds 30]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

from parbench.engineimages import read_loaded
from parbench.engines import ENGINES, engine_named
from parbench.stats import summarize


def references(project: Path, runtime: str) -> dict[str, str]:
    """Each usable engine's reference to the runtime's image in `project`."""
    found = {}
    for name in ENGINES:
        problem = engine_named(name).problem()
        if problem:
            print(f"{name}: left out ({problem})", file=sys.stderr)
            continue
        if name == "docker":
            found[name] = (project / f"results/images/{runtime}.iid").read_text().strip()
            continue
        loaded = project / f"results/images/loaded-{name}.json"
        if not loaded.is_file():
            print(f"{name}: left out (no {loaded}: run with --config engine={name} first)", file=sys.stderr)
            continue
        found[name] = read_loaded(loaded, name, "this-machine")[runtime]["reference"]
    return found


def start_seconds(name: str, reference: str, cpu: str) -> float:
    """One container of `true`, as a session would start it; its seconds from outside."""
    command = engine_named(name).run_command(reference, ["true"], cpuset=cpu, name=f"parbench-bench-{time.time_ns()}")
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{name} failed: {(done.stderr.strip().splitlines() or ['no message'])[-1]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path("."))
    parser.add_argument("--runtime", default="go")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--cpu", default="1")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    engines = references(args.project, args.runtime)
    if not engines:
        sys.exit("no engine to measure")
    order = random.Random(args.seed)
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    for name, reference in engines.items():  # one untimed start each: caches warm for all alike
        start_seconds(name, reference, args.cpu)
    for _ in range(args.rounds):
        names = list(engines)
        order.shuffle(names)
        for name in names:
            seconds[name].append(start_seconds(name, engines[name], args.cpu))
    docker = summarize(seconds["docker"])["median"] if "docker" in seconds else None
    print(f"container start-up, `true` in the {args.runtime} image on CPU {args.cpu}, {args.rounds} rounds")
    for name, values in seconds.items():
        summary = summarize(values)
        median, cv = summary["median"], summary["cv"]
        versus = f", {median / docker:.2f} x Docker" if docker else ""
        print(f"  {name:<9} median {median:.3f} s, CV {100 * cv:.1f} %{versus}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
