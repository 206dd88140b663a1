"""`parbench new-workload` and `parbench check-workload`: a user's first two steps with a workload of their own.

new-workload writes a folder that already works (a task, its setup, its
expected checksum, optionally a Go twin giving the same checksum) so that a
user edits working code instead of writing to a contract from scratch, and a
config beside it that measures only that workload. check-workload runs the
task once on this machine's Python through the harness itself, so the check
and the measurement read the folder in exactly the same way. The contract
lives in docs/workloads.md.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from string import Template

from . import specs
from .errors import ParbenchError
from .recordchecks import same_split
from .shares import UNEVEN, side_by_side, spread
from .userworkloads import MODES, NAME_PATTERN, read_user_workload

# The harness that measures in containers, beside the registry specs loads.
HARNESS_FILE = specs.REGISTRY_FILE.with_name("harness.py")
# Words a Go package cannot be named: the keywords, and main (a command, not a package).
GO_RESERVED = frozenset(
    "break case chan const continue default defer else fallthrough for func go goto if import interface "
    "main map package range return select struct switch type var".split()
)

WORKLOAD_PY = Template('''\
"""Count the primes below n, each worker testing its share of the numbers.

The workload $name, as `parbench new-workload` wrote it: replace it with your
own; the first line of this docstring is how the report describes it. The
contract (what task, setup and expected receive and return, and what SCALING,
KIND and MODES mean) is parbench's docs/workloads.md.
"""

import math

SCALING = "strong"  # the work is split among the workers; "weak": each worker does all of it
KIND = "interpreter"  # what bounds it: interpreter, c_library, sleep or coordination
MODES = ("sequential", "threads", "processes")

DEFAULT_N = 50000  # every parameter gets a default, the same in go/


def is_prime(k):
    if k < 2:
        return False
    d = 2
    while d * d <= k:
        if k % d == 0:
            return False
        d += 1
    return True


def setup(params, workers):
    """Made once before the clock starts and passed to every task (here there is nothing to make)."""
    return None


BLOCK = 64  # numbers in a block; the blocks are dealt to the workers in turn


def task(params, index, workers, state):
    """Worker `index` of `workers` tests blocks index, index + workers, ... of BLOCK numbers.

    Every block holds numbers of each small remainder, and the blocks are
    dealt in turn, so the shares cost alike (within a few per cent up to 16
    workers at the default n). Single numbers dealt in turn would not: with
    2 workers, worker 0 would get only even numbers, one division each, and
    the threads would seem not to run in parallel.
    """
    n = params.get("n", DEFAULT_N)
    starts = range(index * BLOCK, n, workers * BLOCK)
    return float(sum(is_prime(k) for start in starts for k in range(start, min(start + BLOCK, n))))


def expected(params, workers):
    """The same count by another method (a sieve), so that a wrong share is caught."""
    n = params.get("n", DEFAULT_N)
    sieve = bytearray([1]) * max(n, 2)
    sieve[0] = sieve[1] = 0
    for p in range(2, math.isqrt(n) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytes(len(range(p * p, n, p)))
    return float(sum(sieve[:n]))
''')

TWIN_GO = Template("""\
// Package $package is the Go twin of ../workload.py: the same shares and the same checksum.
package $package

const defaultN = 50000

func param(params map[string]int, name string, fallback int) int {
	if value, ok := params[name]; ok {
		return value
	}
	return fallback
}

func isPrime(k int) bool {
	if k < 2 {
		return false
	}
	for d := 2; d*d <= k; d++ {
		if k%d == 0 {
			return false
		}
	}
	return true
}

// Setup is made once before the clock starts and passed to every Task (here there is nothing to make).
func Setup(params map[string]int, workers int) any {
	return nil
}

// block is how many numbers a block holds; the blocks are dealt to the workers in turn.
const block = 64

// Task tests blocks index, index+workers, ... of block numbers, as task() in workload.py does.
func Task(params map[string]int, index, workers int, state any) float64 {
	n := param(params, "n", defaultN)
	count := 0
	for start := index * block; start < n; start += workers * block {
		for k := start; k < start+block && k < n; k++ {
			if isPrime(k) {
				count++
			}
		}
	}
	return float64(count)
}
""")

README_MD = Template("""\
# $name

A parbench workload: `workload.py`$twin. The folder's contract is parbench's docs/workloads.md.
Run the task once on this machine's Python: `.venv/bin/parbench check-workload PATH/$name --param n=50000`.
Measure it from the parbench checkout: `.venv/bin/snakemake --cores all --configfile PATH/$name.yaml`.
""")

CONFIG_YAML = Template("""\
# Measure only $name, on every runtime, mode and CPU set (docs/workloads.md);
# in the parbench checkout: .venv/bin/snakemake --cores all --configfile $config
# A quicker first look at times (two rounds: every ratio reads "too few to test"):
#   .venv/bin/snakemake --cores all --configfile configs/quick.yaml $config
builtin_workloads: false   # the built-in workloads of config.yaml are not measured
min_time: 0.05             # shorter timed sections than config.yaml (0.15 s); its rounds, 4 to 6
workloads:
  $name:
    path: $name  # relative to this file
    params: {n: 50000}
""")


def name_problem(name: str) -> str | None:
    """What keeps `name` from naming a new workload, as one line, or None."""
    if not re.match(NAME_PATTERN, name):
        return (
            f"{name!r} is not a workload name: use lower-case letters, digits and _, "
            "starting with a letter (^[a-z][a-z0-9_]*$)"
        )
    if name in specs.WORKLOADS:
        return f"{name!r} is a built-in workload; choose another name"
    return None


def go_package(name: str) -> str:
    """A Go package name for the twin: the workload's name, unless Go reserves it."""
    return f"{name}_twin" if name in GO_RESERVED else name


def skeleton_files(name: str, go: bool) -> dict[str, str]:
    """The files of a new workload folder, by path inside it."""
    files = {
        "workload.py": WORKLOAD_PY.substitute(name=name),
        "README.md": README_MD.substitute(name=name, twin=" and its Go twin in `go/`" if go else ""),
    }
    if go:
        files[f"go/{name}.go"] = TWIN_GO.substitute(package=go_package(name))
    return files


def write_skeleton(parent: Path, name: str, go: bool) -> tuple[Path, Path]:
    """Write parent/name/ and the config parent/name.yaml beside it; refuse to overwrite either."""
    folder, config = parent / name, parent / f"{name}.yaml"
    for path in (folder, config):
        if path.exists() or path.is_symlink():
            raise FileExistsError(f"{path} already exists; choose another name or --dir")
    for relative, text in skeleton_files(name, go).items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    config.write_text(CONFIG_YAML.substitute(name=name, config=config.resolve()))
    return folder, config


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments in one line and exit code 2, like every parbench command."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def refuse(command: str, message: str) -> int:
    print(f"parbench {command}: {message}", file=sys.stderr)
    return 2


def new_workload_main(argv: list[str]) -> int:
    parser = OneLineParser(prog="parbench new-workload", description="write a working workload folder to start from")
    parser.add_argument("name", help="the workload's name: lower-case letters, digits and _")
    parser.add_argument("--go", action="store_true", help="also write a Go twin in NAME/go/")
    parser.add_argument("--dir", type=Path, default=Path("."), help="where NAME/ is written (default .)")
    args = parser.parse_args(argv)
    problem = name_problem(args.name)
    if problem:
        return refuse("new-workload", problem)
    try:
        folder, config = write_skeleton(args.dir, args.name, args.go)
    except OSError as error:  # FileExistsError included
        return refuse("new-workload", str(error))
    print(f"wrote {folder}/ and {config}")
    print(f"check it:   .venv/bin/parbench check-workload {folder}")
    print(f"measure it: .venv/bin/snakemake --cores all --configfile {config.resolve()}  (in the parbench checkout)")
    return 0


def harness_command(
    folder: Path,
    params: list[str],
    mode: str,
    workers: int | None,
    python: str = sys.executable,
    name: str | None = None,
) -> list[str]:
    """The harness run that does the task set twice: a one-loop warm-up, then one measured loop.

    The warm-up is where the harness watches which parameters the code reads,
    so a name misspelt in --param is caught here as in the pipeline. The
    workload is named after its folder unless `name` says otherwise (a
    config may give a folder any name).
    """
    folder = folder.resolve()
    command = [python, str(HARNESS_FILE), "--workload-dir", str(folder), "--workload", name or folder.name]
    command += ["--mode", mode, "--loops", "1", "--warmup", "1"]
    if workers is not None:
        command += ["--workers", str(workers)]
    for pair in params:
        command += ["--param", pair]
    return command


def drift_problem(records: list[dict]) -> str | None:
    """Why the task set's answer cannot be checked, where its two runs (warm-up, measured) gave two.

    The harness compares loops within one timed section; here each run is one
    loop, so the pipeline's first container would be the first to see it.
    """
    answers = list(dict.fromkeys(record["checksum"] for record in records))
    if len(answers) < 2:
        return None
    return (
        f"the task set gave {answers[0]!r} in its first run and {answers[1]!r} in its second: "
        "its answer must be the same every time (seed any randomness, e.g. random.Random(params['seed']))"
    )


def check_line(record: dict) -> tuple[str, bool]:
    """One line on what the run gave, and whether the checksum is the one expected() promised."""
    name, checksum, expected = record["workload"], record["checksum"], record.get("expected_checksum")
    workers = record["workers"]
    python = f"Python {record['runtime_version']}" + ("" if record.get("gil_enabled", True) else " without the GIL")
    where = f"{record['mode']}, {workers} worker{'s' if workers != 1 else ''}, {python}"
    if expected is None:
        verdict, good = "(no expected() to hold it to)", True
    elif checksum == expected:
        verdict, good = "= expected()", True
    else:
        verdict, good = f"but expected() gives {expected!r}: a task or expected() is wrong", False
    return f"{name}: checksum {checksum!r} {verdict}, {record['seconds']:.3f} s ({where})", good


def shares_line(record: dict) -> str | None:
    """A line when the workers ran side by side and their shares took very different times, else None.

    The costliest share bounds the speedup (shares.py), so a split whose
    shares cost differently is told here, before a session measures it.
    """
    times = record.get("worker_seconds") or []
    side = side_by_side(record["mode"], len(times), record.get("cpu_count", 1), record.get("gil_enabled", True))
    slowest = spread(times)
    if not side or not slowest > UNEVEN:
        return None
    return (
        f"uneven shares: worker times {min(times) * 1000:.1f} to {max(times) * 1000:.1f} ms, the slowest "
        f"{slowest:.2f}× their mean, so the costliest share bounds the speedup "
        '(docs/workloads.md, "Shares that cost alike")'
    )


def first_mode(folder: Path, workers: int | None = None) -> str:
    """The first mode the folder's MODES names (sequential unless it leaves that out), read without running it.

    Asked for more than one worker, the first mode that runs several: `--workers 2` alone means threads.
    """
    try:
        modes = read_user_workload("check", folder).modes
    except ParbenchError:
        return "sequential"  # the harness then says what is wrong, in its own one line
    parallel = [mode for mode in modes if mode != "sequential"]
    return parallel[0] if workers and workers > 1 and parallel else modes[0]


HARNESS_SAYS = "harness.py: "


def in_our_words(stderr: str) -> str:
    """The harness's own error lines as this command's (its option names mean nothing to the user here).

    A traceback from the workload's code passes as it came: it is the user's to read.
    """
    lines = stderr.splitlines(keepends=True)
    return "".join(
        "parbench check-workload: "
        + line.removeprefix(HARNESS_SAYS)
        .replace(" (--workload-dir)", "")
        .replace("error: argument --workload: ", "the workload's name (its folder's, or --name): ")
        if line.startswith(HARNESS_SAYS)
        else line
        for line in lines
    )


def harness_records(command: list[str]) -> tuple[subprocess.CompletedProcess, list[dict]]:
    done = subprocess.run(command, capture_output=True, text=True)
    return done, [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def split_problem(args: argparse.Namespace, mode: str, record: dict) -> str | None:
    """For strong scaling with more than one worker: one worker's answer, where it differs (as a session holds it)."""
    try:
        strong = read_user_workload("check", args.path).scaling == "strong"
    except ParbenchError:
        strong = False
    if not strong or record["workers"] < 2:
        return None
    done, alone = harness_records(harness_command(args.path, args.param, mode, 1, name=args.name))
    if done.returncode != 0 or not alone or same_split(alone[-1]["checksum"], record["checksum"]):
        return None  # one worker's own failure is for `--workers 1` to tell
    return (
        f"with {record['workers']} workers the checksum is {record['checksum']!r}, with 1 it is "
        f"{alone[-1]['checksum']!r}: a strong-scaling task set splits the same work among its workers, so its "
        "answer must not change with their count (does the split leave out or repeat work?)"
    )


def check_workload_main(argv: list[str]) -> int:
    parser = OneLineParser(prog="parbench check-workload", description="run a workload's task set once here")
    parser.add_argument("path", type=Path, help="the workload folder (holding workload.py)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter; repeat")
    parser.add_argument("--mode", choices=MODES, default=None, help="default: the first of its MODES")
    parser.add_argument("--workers", type=int, default=None, help="workers for threads or processes")
    parser.add_argument("--name", default=None, help="the workload's name (default: the folder's)")
    args = parser.parse_args(argv)
    mode = args.mode or first_mode(args.path, args.workers)
    command = harness_command(args.path, args.param, mode, args.workers, name=args.name)
    done, records = harness_records(command)
    if done.returncode != 0:
        sys.stderr.write(in_our_words(done.stderr))
        return done.returncode
    if not records:
        return refuse("check-workload", f"the harness printed no record for {args.path}")
    line, good = check_line(records[-1])
    problem = None if not good else drift_problem(records) or split_problem(args, mode, records[-1])
    if not good or problem:
        print(f"parbench check-workload: {problem or line}", file=sys.stderr)
        return 1
    print(line)
    uneven = shares_line(records[-1])
    if uneven:
        print(f"parbench check-workload: {uneven}", file=sys.stderr)
    return 0
