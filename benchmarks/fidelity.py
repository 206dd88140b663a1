"""How much the harnesses add to the loop they time (target: at most 2 %).

For each runtime image, alternately runs the harness's sequential cpu_loop and
a bare loop written in the same language, both pinned to one CPU in the same
image, and compares median per-iteration times.

    .venv/bin/python benchmarks/fidelity.py [--iterations 20000000] [--rounds 5]
"""

import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Inside a function, as in the harness: at module level the loop's variables
# would be globals, and the "bare" loop twice as slow for that reason alone.
BARE_PYTHON = """
import sys, time


def loop(n):
    total = 0.0
    for i in range(n):
        total += (i * i) / (i + 1)
    return total


n = int(sys.argv[1])
t0 = time.perf_counter()
total = loop(n)
print(time.perf_counter() - t0, total)
"""

BARE_GO = """package main

import (
\t"fmt"
\t"os"
\t"strconv"
\t"time"
)

func main() {
\tn, _ := strconv.Atoi(os.Args[1])
\tt0 := time.Now()
\tvar total float64
\tfor i := 0; i < n; i++ {
\t\ttotal += float64(i*i) / float64(i+1)
\t}
\tfmt.Println(time.Since(t0).Seconds(), total)
}
"""


def run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20_000_000)
    parser.add_argument("--go-iterations", type=int, default=500_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="parbench-fidelity-"))
    (scratch / "bare.py").write_text(BARE_PYTHON)
    (scratch / "go.mod").write_text("module bare\n\ngo 1.24\n")
    (scratch / "main.go").write_text(BARE_GO)
    pinned = ["docker", "run", "--rm", "--network", "none", "--cpuset-cpus", "0", "-v", f"{scratch}:/bare"]

    for runtime in ("cpython-3.13", "cpython-3.13t", "go"):
        image = (REPO / "results/images" / f"{runtime}.iid").read_text().strip()
        if runtime == "go":
            n = args.go_iterations
            run(pinned + ["-w", "/bare", image, "go", "build", "-o", "/bare/bare", "."])
            bare_cmd = pinned + [image, "/bare/bare", str(n)]
            harness_cmd = pinned + [
                image,
                "parbench-go",
                "-workload",
                "cpu_loop",
                "-mode",
                "sequential",
                "-param",
                f"iterations={n}",
            ]
        else:
            n = args.iterations
            bare_cmd = pinned + [image, "python3", "/bare/bare.py", str(n)]
            harness_cmd = pinned + [
                image,
                "python3",
                "/opt/parbench/python/harness.py",
                "--workload",
                "cpu_loop",
                "--mode",
                "sequential",
                "--param",
                f"iterations={n}",
            ]
        bare, harness = [], []
        for _ in range(args.rounds):
            bare.append(float(run(bare_cmd).split()[0]))
            harness.append(json.loads(run(harness_cmd))["seconds"])
        b, h = statistics.median(bare), statistics.median(harness)
        print(
            f"{runtime:14s} bare {b / n * 1e9:7.3f} ns/iter  harness {h / n * 1e9:7.3f} ns/iter  "
            f"overhead {(h / b - 1) * 100:+6.2f} %  (target <= +2 %; {args.rounds} rounds, N={n:,})"
        )


if __name__ == "__main__":
    main()
