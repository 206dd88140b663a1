"""Where the spawn workload's design figures come from, reproduced in the built images.

Prints, pinned to CPUs 0-1:
- how long releasing K parked Python threads takes through a threading.Barrier
  (what the harness used first) and through the harness's start gate;
- the spawn workload per runtime and K: creation time per worker, the time to
  release and join them all (3.13t grows quadratically with K), and memory per
  worker in the warm-up and in the measured repeat (Go reuses the warm-up's
  goroutine structures).

    .venv/bin/python benchmarks/spawn.py [--counts 2000 10000] [--barrier-count 10000]

Needs the images built (`snakemake --cores all images`). The barrier probe with
10,000 GIL threads takes over a minute by itself.
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

RELEASE_PROBE = """
import importlib.util, sys, threading, time
spec = importlib.util.spec_from_file_location("harness", "/opt/parbench/python/harness.py")
harness = importlib.util.module_from_spec(spec)
sys.modules["harness"] = harness
spec.loader.exec_module(harness)
StartGate, wait_until_parked = harness.StartGate, harness.wait_until_parked

count, how = int(sys.argv[1]), sys.argv[2]
gate = threading.Barrier(count + 1) if how == "barrier" else StartGate()
results = [None] * count


def worker(index):  # what a spawn task does in the harness once released
    gate.wait()
    t0 = time.perf_counter()
    results[index] = (float(index), time.perf_counter() - t0)


threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
for thread in threads:
    thread.start()
wait_until_parked(gate, count)
start = time.perf_counter()
gate.wait() if how == "barrier" else gate.open()
for thread in threads:
    thread.join()
print(time.perf_counter() - start)
"""


def image(runtime: str) -> str:
    return (REPO / "results/images" / f"{runtime}.iid").read_text().strip()


def docker(*args: str, volume: Path | None = None) -> str:
    mount = ["-v", f"{volume}:/probe"] if volume else []
    command = ["docker", "run", "--rm", "--network", "none", "--cpuset-cpus", "0-1", *mount, *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def spawn_records(runtime: str, count: int) -> list[dict]:
    if runtime == "go":
        argv = ["parbench-go", "-workload", "spawn", "-mode", "goroutines", "-param", f"count={count}", "-warmup", "1"]
    else:
        argv = [
            "python3",
            "/opt/parbench/python/harness.py",
            "--workload",
            "spawn",
            "--mode",
            "threads",
            "--param",
            f"count={count}",
            "--warmup",
            "1",
        ]
    return [json.loads(line) for line in docker(image(runtime), *argv).splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--barrier-count", type=int, default=10000)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="parbench-spawn-"))
    (scratch / "release.py").write_text(RELEASE_PROBE)
    for how in ("barrier", "gate"):
        seconds = float(
            docker(image("cpython-3.13"), "python3", "/probe/release.py", str(args.barrier_count), how, volume=scratch)
        )
        print(f"cpython-3.13   release {args.barrier_count} parked threads through a {how:7s}: {seconds:7.2f} s")

    for runtime in ("cpython-3.13", "cpython-3.13t", "go"):
        for count in args.counts:
            warm, measured = spawn_records(runtime, count)
            kb = [(r["rss_parked_kb"] - r["rss_before_kb"]) / count for r in (warm, measured)]
            print(
                f"{runtime:14s} K={count:6d}: create {measured['spawn_seconds'] / count * 1e6:6.1f} µs each, "
                f"release+join {measured['seconds']:6.2f} s, "
                f"{kb[0]:5.2f} KB each in the warm-up, {kb[1]:5.2f} KB in the measured repeat"
            )


if __name__ == "__main__":
    main()
