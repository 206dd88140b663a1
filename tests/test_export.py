"""Exports for pyperf and benchstat: a real pyperf reads them, a spec-based validator checks the Go format."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyperf
import pytest

from parbench.aggregate import read_table, runs_table
from parbench.export import (
    BENCHFMT_UNIT,
    benchmark_name,
    go_benchmark_name,
    main,
    mode_family,
    pyperf_suites,
    stem,
    stems_in_order,
    tidy_rows,
)

from conftest import REPO
from fixtures import record, scaling_records

# ---------------------------------------------------------------- the Go benchmark format, from its spec
# golang.org/design/14313-benchmark-format: configuration lines "key: value", result lines
# "<name> <iterations> <value> <unit> [<value> <unit>...]"; blank and "#" lines are ignored.

GO_FLOAT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")  # decimal strconv.ParseFloat input


@dataclass(frozen=True)
class BenchResult:
    line: int
    name: str
    iterations: int
    values: dict[str, float]  # unit -> value
    config: dict[str, str]  # the configuration in force on this line


def is_space(char: str) -> bool:
    """unicode.IsSpace: Unicode White_Space, as Go defines it for the format's field separators."""
    return char.isspace() or unicodedata.category(char) == "Zs"


def config_line(line: str) -> tuple[str, str] | None:
    """(key, value) if the line is a configuration line, else None.

    The key begins with a lower-case letter, holds no space and no upper-case
    letter, and ends at the first colon; the value is empty or separated from
    "key:" by spaces or tabs and holds no newline.
    """
    if not line or not line[0].islower():
        return None
    key, colon, rest = line.partition(":")
    if not colon or any(is_space(c) or c.isupper() for c in key):
        return None
    if rest and rest[0] not in " \t":
        return None
    return key, rest.strip(" \t")


def name_parts(name: str) -> tuple[str, dict[str, str], int | None]:
    """A result name's base, its "/key=value" sub-name parts and its "-<procs>" suffix, as benchstat splits it."""
    procs = None
    match = re.search(r"-(\d+)$", name)
    if match:
        procs, name = int(match[1]), name[: match.start()]
    base, *parts = name.split("/")
    return base, dict(part.partition("=")[::2] for part in parts), procs


def result_line(line: str, number: int, config: dict[str, str]) -> BenchResult:
    """Parse a line beginning with Benchmark; fail with the line number if it breaks the grammar."""
    fields = "".join(" " if is_space(c) else c for c in line).split()
    if len(fields) < 4 or len(fields) % 2:
        raise AssertionError(f"line {number}: a result needs name, iterations and value/unit pairs: {line!r}")
    name, iterations, *pairs = fields
    if not re.fullmatch(r"\d+", iterations) or int(iterations) < 1:
        raise AssertionError(f"line {number}: iterations {iterations!r} is not a positive decimal integer")
    values = {}
    for value, unit in zip(pairs[::2], pairs[1::2]):
        if not GO_FLOAT.fullmatch(value):
            raise AssertionError(f"line {number}: value {value!r} is not a float64")
        if GO_FLOAT.fullmatch(unit) or unit in values:
            raise AssertionError(f"line {number}: {unit!r} is not a new unit")
        values[unit] = float(value)
    return BenchResult(number, name, int(iterations), values, dict(config))


def validate_benchfmt(text: str) -> list[BenchResult]:
    """Every line of a Go benchmark-format file checked against the spec; the results, each with its configuration.

    Stricter than readers, which ignore unknown lines: parbench writes only
    configuration, result, comment and blank lines, so anything else fails.
    A key given an empty value is removed, as golang.org/x/perf's reader does.
    """
    config: dict[str, str] = {}
    results = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("Benchmark"):
            results.append(result_line(line, number, config))
            continue
        pair = config_line(line)
        if pair is None:
            raise AssertionError(f"line {number} is neither a configuration nor a result line: {line!r}")
        key, value = pair
        if value:
            config[key] = value
        else:
            config.pop(key, None)
    if not results:
        raise AssertionError("no result lines")
    return results


GOOD_EXAMPLE = """\
goos: darwin
cpu-count: 8
note:

BenchmarkDecode/text=digits/level=speed-8  \t 100\t 154125 ns/op\t  64.88 MB/s
BenchmarkEncode-8 30 482808 ns/op
PASS
"""


def test_validator_accepts_the_specs_example_shape():
    text = GOOD_EXAMPLE.replace("PASS\n", "")
    results = validate_benchfmt(text)
    assert [r.name for r in results] == ["BenchmarkDecode/text=digits/level=speed-8", "BenchmarkEncode-8"]
    assert results[0].iterations == 100 and results[0].values == {"ns/op": 154125.0, "MB/s": 64.88}
    assert results[0].config == {"goos": "darwin", "cpu-count": "8"}
    assert name_parts(results[0].name) == ("BenchmarkDecode", {"text": "digits", "level": "speed"}, 8)


@pytest.mark.parametrize(
    "line",
    [
        "BenchmarkX 1 2 ns/op extra",  # odd number of fields
        "BenchmarkX 1",  # too few
        "BenchmarkX 1.5 2 ns/op",  # iterations not an integer
        "BenchmarkX 0 2 ns/op",  # no iterations
        "BenchmarkX 1 fast ns/op",  # value not a float
        "BenchmarkX 1 2 3 4",  # unit is a number
        "Goos: linux",  # key starts upper case
        "go os: linux",  # key with a space
        "goos:linux",  # no space after the colon
        "PASS",  # neither kind
    ],
)
def test_validator_rejects_lines_that_break_the_grammar(line):
    with pytest.raises(AssertionError):
        validate_benchfmt(f"goos: linux\nBenchmarkOk 1 2 ns/op\n{line}\n")


def test_validator_removes_a_key_given_no_value():
    results = validate_benchfmt("a: 1\nb: 2\nBenchmarkA 1 1 ns/op\nb:\nBenchmarkB 1 1 ns/op\n")
    assert results[0].config == {"a": "1", "b": "2"} and results[1].config == {"a": "1"}


# ---------------------------------------------------------------- fixture tables


def csv_roundtrip(table: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    """A table as the exporter meets it: written to runs.csv and read back."""
    path = tmp_path / "runs.csv"
    table.to_csv(path, index=False)
    return read_table(path)


@pytest.fixture
def runs(tmp_path) -> pd.DataFrame:
    """The scaling fixture with calibrated loops (4), a warm-up time, a session and a Go GOMAXPROCS=1 variant."""
    records = scaling_records()
    variant = [
        dict(r, variant="gomaxprocs1", seconds=r["seconds"] * 2)
        for r in records
        if r["runtime"] == "go" and not r["warmup"]
    ]
    records += variant + [record("cpython-3.13", "processes", "0-1", 2, 2, n, 2.6, gil=True) for n in range(6)]
    records += [record("go", "sequential", "0", 1, 1, n, 0.1) for n in range(6)]
    table = runs_table(records)
    table["loops"] = 4
    table["total_seconds"] = table["seconds"] * 4
    table["warmup_seconds"] = table["seconds"] * 1.5
    table["session"] = "s1"
    table["retries"] = 0
    return csv_roundtrip(table, tmp_path)


def export(runs: pd.DataFrame, out: Path) -> tuple[Path, Path]:
    """Run the CLI on a table; the pyperf folder and the benchfmt file."""
    runs.to_csv(out / "in.csv", index=False)
    assert (
        main(
            [
                "--runs",
                str(out / "in.csv"),
                "--pyperf-dir",
                str(out / "pyperf"),
                "--benchfmt",
                str(out / "benchfmt.txt"),
            ]
        )
        == 0
    )
    return out / "pyperf", out / "benchfmt.txt"


def test_threads_and_goroutines_share_a_family_processes_and_sequential_do_not():
    assert mode_family("threads") == mode_family("goroutines") == "inproc"
    assert len({mode_family("sequential"), mode_family("threads"), mode_family("processes")}) == 3
    row = {"workload": "cpu_loop", "params": "iterations=9", "cpuset": "0-1", "workers": 2}
    assert benchmark_name({**row, "mode": "threads"}, False) == benchmark_name({**row, "mode": "goroutines"}, False)
    assert benchmark_name({**row, "mode": "threads"}, False) == "cpu_loop/mode=inproc/cpuset=0-1/workers=2"
    assert benchmark_name({**row, "mode": "threads"}, True) == "cpu_loop/iterations=9/mode=inproc/cpuset=0-1/workers=2"


def test_go_names_are_capitalised_with_the_cpu_count_as_procs():
    assert (
        go_benchmark_name("cpu_loop_strong/mode=inproc/cpuset=0-1/workers=16", 2)
        == "BenchmarkCpuLoopStrong/mode=inproc/cpuset=0-1/workers=16-2"
    )


def test_variants_get_their_own_stem_after_the_plain_runtimes():
    rows = [
        {"runtime": r, "variant": v}
        for r, v in [("go", "gomaxprocs1"), ("cpython-3.13", "aa"), ("cpython-3.13", ""), ("go", "")]
    ]
    assert stem("go", "") == "go" and stem("cpython-3.13t", "gil1") == "cpython-3.13t.gil1"
    # Runtimes in table order, plain cells first (benchstat's base column), the A/A twin last.
    assert stems_in_order(rows) == ["go", "cpython-3.13", "go.gomaxprocs1", "cpython-3.13.aa"]


def test_pyperf_files_load_in_pyperf_with_per_loop_values_and_metadata(runs, tmp_path):
    pyperf_dir, _ = export(runs, tmp_path)
    assert sorted(p.name for p in pyperf_dir.iterdir()) == [
        "cpython-3.13.json",
        "cpython-3.13t.json",
        "go.gomaxprocs1.json",
        "go.json",
    ]
    go = pyperf.BenchmarkSuite.load(str(pyperf_dir / "go.json"))
    bench = go.get_benchmark("cpu_loop/mode=inproc/cpuset=0-1/workers=2")
    expected = runs[(runs.runtime == "go") & (runs.variant == "") & (runs.cpuset == "0-1")].sort_values("repeat")
    assert list(bench.get_values()) == pytest.approx(list(expected["seconds"]))
    run = bench.get_runs()[0]
    assert run.get_loops() == 4 and not run.warmups  # runs.csv has no per-loop warm-up values to give
    meta = bench.get_metadata()
    assert meta["runtime_version"] == "go1.24.4" and meta["image_id"] == "sha256:" + "ab" * 32
    assert meta["hostname"] == "hostA" and meta["cpu_affinity"] == "0-1" and meta["cpu_count"] == 2
    assert meta["unit"] == "second" and run.get_metadata()["session"] == "s1"
    assert (
        pyperf.BenchmarkSuite.load(str(pyperf_dir / "cpython-3.13.json")).get_metadata()["python_version"] == "3.13.5"
    )


def test_benchmark_names_line_up_across_runtimes_and_variants(runs, tmp_path):
    pyperf_dir, _ = export(runs, tmp_path)
    names = {p.stem: set(pyperf.BenchmarkSuite.load(str(p)).get_benchmark_names()) for p in pyperf_dir.iterdir()}
    assert names["go"] & names["cpython-3.13t"] == {
        "cpu_loop/mode=inproc/cpuset=0/workers=1",
        "cpu_loop/mode=inproc/cpuset=0-1/workers=2",
    }
    assert names["go.gomaxprocs1"] == names["go"] - {"cpu_loop/mode=sequential/cpuset=0/workers=1"}
    assert "cpu_loop/mode=processes/cpuset=0-1/workers=2" in names["cpython-3.13"] - names["go"]


def pyperf_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyperf", *args], capture_output=True, text=True, timeout=120)


def test_pyperf_compare_to_and_stats_read_the_exports(runs, tmp_path):
    pyperf_dir, _ = export(runs, tmp_path)
    files = [str(pyperf_dir / f"{name}.json") for name in ("cpython-3.13", "cpython-3.13t", "go")]
    compared = pyperf_cli("compare_to", "--table", *files)
    assert compared.returncode == 0, compared.stderr
    header = next(line for line in compared.stdout.splitlines() if "Benchmark" in line)
    assert all(name in header for name in ("cpython-3.13 ", "cpython-3.13t", "go"))
    # GIL threads take 10 s with two workers, Go 0.1 s: pyperf sees the same benchmark in both files.
    row = next(line for line in compared.stdout.splitlines() if "cpu_loop/mode=inproc/cpuset=0-1/workers=2" in line)
    assert "faster" in row.split("|")[3]
    stats = pyperf_cli("stats", files[2])
    assert stats.returncode == 0, stats.stderr
    assert "Loop iterations per value: 4" in stats.stdout and "Number of run with values: 6" in stats.stdout


def test_benchfmt_file_follows_the_spec_one_line_per_repeat(runs, tmp_path):
    _, benchfmt = export(runs, tmp_path)
    results = validate_benchfmt(benchfmt.read_text())
    assert len(results) == len(runs)
    assert {r.iterations for r in results} == {4} and all(set(r.values) == {BENCHFMT_UNIT} for r in results)
    assert [r.config["runtime"] for r in results][0] == "cpython-3.13"  # the base column comes first
    by_runtime = {}
    for r in results:
        by_runtime.setdefault(r.config["runtime"], []).append(r)
    assert set(by_runtime) == {"cpython-3.13", "cpython-3.13t", "go", "go.gomaxprocs1"}
    go = [r for r in by_runtime["go"] if r.name == "BenchmarkCpuLoop/mode=inproc/cpuset=0-1/workers=2-2"]
    assert sorted(r.values["sec/op"] for r in go) == pytest.approx(
        sorted(runs[(runs.runtime == "go") & (runs.variant == "") & (runs.cpuset == "0-1")]["seconds"])
    )
    assert {r.config["runtime-version"] for r in by_runtime["go"]} == {"go1.24.4"}
    assert all(r.config["host"] == "hostA" and r.config["session"] == "s1" for r in results)
    base, keys, procs = name_parts(go[0].name)
    assert base == "BenchmarkCpuLoop" and keys == {"mode": "inproc", "cpuset": "0-1", "workers": "2"} and procs == 2


def test_parameters_join_names_only_when_a_workload_has_several(runs, tmp_path):
    table = runs.copy()
    table.loc[table.runtime == "go", "params"] = "iterations=2000"
    names = {
        bench["metadata"]["name"] for suite in pyperf_suites(tidy_rows(table)).values() for bench in suite["benchmarks"]
    }
    assert "cpu_loop/iterations=2000/mode=inproc/cpuset=0/workers=1" in names
    assert "cpu_loop/iterations=1000/mode=inproc/cpuset=0/workers=1" in names
    plain = {
        bench["metadata"]["name"] for suite in pyperf_suites(tidy_rows(runs)).values() for bench in suite["benchmarks"]
    }
    assert not any("iterations=" in name for name in plain)


def cli_error(tmp_path, capsys, table: pd.DataFrame | None, *extra: str) -> str:
    """Run the CLI on a bad table (or none); assert exit 1 and one line; return that line."""
    path = tmp_path / "bad.csv"
    if table is not None:
        table.to_csv(path, index=False)
    assert main(["--runs", str(path), *extra]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("parbench: ")
    return err


def test_bad_input_is_one_line_and_exit_1(runs, tmp_path, capsys):
    out = ["--benchfmt", str(tmp_path / "b.txt")]
    assert "does not exist" in cli_error(tmp_path, capsys, None, *out)
    assert "nothing to write" in cli_error(tmp_path, capsys, runs)
    two_hosts = runs.copy()
    two_hosts.loc[two_hosts.runtime == "go", "host"] = "hostB"
    assert "several hosts (hostA, hostB)" in cli_error(tmp_path, capsys, two_hosts, *out)
    zero = runs.copy()
    zero.loc[0, "seconds"] = 0.0
    assert "seconds=0.0" in cli_error(tmp_path, capsys, zero, *out)
    half = runs.copy()
    half["loops"] = 2.5
    assert "loops must be a whole number" in cli_error(tmp_path, capsys, half, *out)
    assert "lacks column(s) seconds" in cli_error(tmp_path, capsys, runs.drop(columns="seconds"), *out)
    assert not (tmp_path / "b.txt").exists()


def test_one_host_of_a_merged_table_can_be_chosen(runs, tmp_path):
    two_hosts = pd.concat([runs, runs.assign(host="hostB")])
    two_hosts.to_csv(tmp_path / "two.csv", index=False)
    assert main(["--runs", str(tmp_path / "two.csv"), "--host", "hostB", "--benchfmt", str(tmp_path / "b.txt")]) == 0
    results = validate_benchfmt((tmp_path / "b.txt").read_text())
    assert len(results) == len(runs) and {r.config["host"] for r in results} == {"hostB"}


# ---------------------------------------------------------------- the committed reference run


def test_committed_runs_export_completely(tmp_path):
    table = read_table(REPO / "results/reference/runs.csv")
    pyperf_dir, benchfmt = export(table, tmp_path)
    suites = {p.stem: pyperf.BenchmarkSuite.load(str(p)) for p in pyperf_dir.iterdir()}
    assert set(suites) == {stem(r, v) for r, v in set(zip(table["runtime"], table["variant"]))}
    # One pyperf run per container, one value per row.
    containers = table.groupby(["session", "order"]).ngroups
    assert sum(len(b.get_runs()) for s in suites.values() for b in s.get_benchmarks()) == containers
    assert sum(len(b.get_values()) for s in suites.values() for b in s.get_benchmarks()) == len(table)
    assert len(validate_benchfmt(benchfmt.read_text())) == containers
    aa = suites["cpython-3.13.aa"].get_benchmark_names()
    assert set(aa) <= set(suites["cpython-3.13"].get_benchmark_names())  # the A/A twin lines up with its original


def test_a_pyperf_run_is_a_container_with_its_values(tmp_path):
    records = []
    for order in range(6):
        for value in range(3):
            records.append(
                dict(
                    record("go", "goroutines", "0", 1, 1, value, 0.1 + order / 100 + value / 1000),
                    order=order,
                    round=order,
                )
            )
    pyperf_dir, benchfmt = export(runs_table(records), tmp_path)
    bench = pyperf.BenchmarkSuite.load(str(pyperf_dir / "go.json")).get_benchmarks()[0]
    runs = bench.get_runs()
    assert len(runs) == 6 and [len(run.values) for run in runs] == [3] * 6
    assert list(runs[2].values) == pytest.approx([0.12, 0.121, 0.122])
    assert "repeat" not in runs[2].get_metadata()
    # benchstat takes one line per container: the loops of its three values, their mean time per loop.
    results = validate_benchfmt(benchfmt.read_text())
    assert len(results) == 6 and {r.iterations for r in results} == {3}
    assert results[2].values["sec/op"] == pytest.approx(0.121)
