"""results/runs.csv -> pyperf JSON files and a Go benchmark-format text file.

So the measurements can be analysed with the tools people already trust:
``pyperf stats``/``hist``/``compare_to`` on ``results/pyperf/<stem>.json`` and
``benchstat`` on ``results/benchfmt.txt``.

One *stem* per runtime and variant: ``cpython-3.13``, ``go``, and for a
variant ``cpython-3.13t.gil1``, ``go.gomaxprocs1``, ``cpython-3.13.aa`` (the
A/A twin). A variant gets its own file rather than its own benchmark names
because its point is to be compared with the same cell without the switch:
``pyperf compare_to cpython-3.13t.json cpython-3.13t.gil1.json`` lines the
benchmarks up by name.

Benchmark names and the checked rows come from `export_rows`; the Go
format is written by `benchfmt`. In pyperf's files values are per-loop
seconds; each run is one container (pyperf's process) with its measured
values, with their ``loops``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .aggregate import read_table
from .atomic import write_text_atomic
from .benchfmt import BENCHFMT_UNIT, benchfmt_lines
from .errors import ParbenchError, main_guard
from .export_rows import (
    benchmark_name,
    by_container,
    go_benchmark_name,
    mode_family,
    order_key,
    present,
    stem,
    stems_in_order,
    tidy_rows,
    whole,
    workloads_with_several_params,
)

# The exports' parts, importable from here as before the split.
__all__ = [
    "BENCHFMT_UNIT",
    "benchfmt_lines",
    "benchmark_name",
    "go_benchmark_name",
    "main",
    "mode_family",
    "pyperf_suites",
    "stem",
    "stems_in_order",
    "tidy_rows",
]

PYPERF_FORMAT_VERSION = "1.0"  # the file format pyperf 1.0 and later write and read


# ---------------------------------------------------------------- pyperf


def run_metadata(row: dict) -> dict:
    """Everything pyperf should know about one measured value, with pyperf's names where it has them.

    pyperf's own keys (loops, date, cpu_affinity, cpu_count, hostname,
    load_avg_1min, mem_max_rss, python_version) get the types pyperf checks;
    the rest are plain strings and numbers. Empty values are left out, as
    pyperf refuses them.
    """
    metadata = {
        "name": None,  # filled in by the benchmark
        "unit": "second",
        "loops": row["loops"],  # passes: with units > 1, each pass is one unit of a configured loop
        "units": whole(row.get("units")),
        "runtime": row["runtime"],
        "variant": row["variant"] or None,
        "runtime_version": str(row["runtime_version"]) if present(row.get("runtime_version")) else None,
        "python_version": (
            str(row["runtime_version"])
            if str(row["runtime"]).startswith("cpython") and present(row.get("runtime_version"))
            else None
        ),
        "image_id": row.get("image_id"),
        "hostname": str(row["host"]),
        "cpu_affinity": str(row["cpuset"]),
        "cpu_count": int(row["cpus"]),
        "workload": row["workload"],
        "params": row.get("params"),
        "mode": row["mode"],
        "workers": int(row["workers"]),
        "session": str(row["session"]) if present(row.get("session")) else None,
        "repeat": int(row["repeat"]),
        "retries": whole(row.get("retries")),
        "date": row.get("started_at"),
        "load_avg_1min": float(row["load_1m_before"]) if present(row.get("load_1m_before")) else None,
        "mem_max_rss": int(row["max_rss_kb"]) * 1024 if present(row.get("max_rss_kb")) else None,
        "total_seconds": float(row["total_seconds"]) if present(row.get("total_seconds")) else None,
    }
    return {key: value for key, value in metadata.items() if key == "name" or present(value)}


def common_metadata(metadatas: list[dict]) -> dict:
    """The key/value pairs every one of these dicts shares (how pyperf factors metadata out)."""
    if not metadatas:
        return {}
    shared = dict(metadatas[0])
    for other in metadatas[1:]:
        shared = {key: value for key, value in shared.items() if key in other and other[key] == value}
    return shared


def without(metadata: dict, common: dict) -> dict:
    """metadata less the pairs already given at a higher level."""
    return {key: value for key, value in metadata.items() if key not in common}


def pyperf_run(rows: list[dict], metadata: dict) -> dict:
    """One pyperf run: one container (a process, as in pyperf) and its per-loop values.

    No warm-ups: pyperf's are per-loop values of warm-up runs, while runs.csv
    keeps only each container's total unmeasured time (calibration trials and
    short warm-ups of differing loops); the raw files hold them one by one.
    """
    return {"metadata": metadata, "values": [float(row["seconds"]) for row in rows]}


def pyperf_suite(rows: list[dict], with_params: set[str]) -> dict:
    """The pyperf suite (file contents) of one stem's rows, one benchmark per name."""
    by_name: dict[str, list[dict]] = {}
    for row in sorted(rows, key=order_key):
        by_name.setdefault(benchmark_name(row, row["workload"] in with_params), []).append(row)
    benchmarks = []
    for name, group in by_name.items():
        group = by_container(group)
        metadatas = [without({**run_metadata(rows[0]), "name": name}, {"repeat": None}) for rows in group]
        modes = {row["mode"] for rows in group for row in rows}
        if len(modes) > 1:
            raise ParbenchError(
                f"benchmark {name} of {stem(group[0][0]['runtime'], group[0][0]['variant'])} "
                f"mixes modes {sorted(modes)}; give each mode its own family"
            )
        benchmarks.append((name, group, metadatas, common_metadata(metadatas)))
    suite_common = without(common_metadata([common for *_, common in benchmarks]), {"name": None})
    return {
        "version": PYPERF_FORMAT_VERSION,
        "metadata": suite_common,
        "benchmarks": [
            {
                "metadata": without(common, suite_common),
                "runs": [pyperf_run(rows, without(meta, common)) for rows, meta in zip(group, metadatas)],
            }
            for name, group, metadatas, common in benchmarks
        ],
    }


def pyperf_suites(rows: list[dict]) -> dict[str, dict]:
    """One pyperf suite per stem, in stems_in_order's order."""
    with_params = workloads_with_several_params(rows)
    return {
        name: pyperf_suite([row for row in rows if stem(row["runtime"], row["variant"]) == name], with_params)
        for name in stems_in_order(rows)
    }


# ---------------------------------------------------------------- files


def write_exports(rows: list[dict], pyperf_dir: Path | None, benchfmt: Path | None) -> list[Path]:
    """Write the pyperf files and the benchfmt file; return what was written."""
    written = []
    if pyperf_dir is not None:
        for name, suite in pyperf_suites(rows).items():
            path = pyperf_dir / f"{name}.json"  # compact and key-sorted, as pyperf writes by default
            write_text_atomic(path, json.dumps(suite, sort_keys=True, separators=(",", ":")) + "\n")
            written.append(path)
    if benchfmt is not None:
        write_text_atomic(benchfmt, "\n".join(benchfmt_lines(rows)) + "\n")
        written.append(benchfmt)
    return written


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", required=True, type=Path, help="results/runs.csv")
    parser.add_argument("--pyperf-dir", type=Path, help="write <runtime>[.<variant>].json here")
    parser.add_argument("--benchfmt", type=Path, help="write the Go benchmark-format file here")
    parser.add_argument("--host", help="export this host's rows only (needed for a merged multi-host table)")
    args = parser.parse_args(argv)
    if args.pyperf_dir is None and args.benchfmt is None:
        raise ParbenchError("nothing to write: give --pyperf-dir, --benchfmt or both")
    if not args.runs.is_file():
        raise ParbenchError(f"{args.runs} does not exist; run the aggregate step first")
    rows = tidy_rows(read_table(args.runs), args.host)
    for path in write_exports(rows, args.pyperf_dir, args.benchfmt):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
