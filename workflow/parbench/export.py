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

Benchmark names are the same for every runtime so that files line up:
workload, mode family, CPU set and worker count, e.g.
``cpu_loop/mode=inproc/cpuset=0-1/workers=2``. Python threads and Go
goroutines are both "parallel in one process" (family ``inproc``); Python
processes have no Go twin (``processes``); ``sequential`` is sequential. The
workload's parameters join the name only when the table holds more than one
parameter set for that workload. Values are per-loop seconds; each run is one
container (pyperf's process) with its measured values, with their ``loops``.

In the Go format each container is one result line, as one ``go test`` process
reports one line per benchmark:
``Benchmark<Workload>/mode=.../cpuset=.../workers=W-<cpus> <iterations> <sec> sec/op``,
where the iterations are every loop of its values and sec/op their mean, so
benchstat counts containers, as summary.csv's ``n`` does (values of one
process are not independent samples);
under configuration lines naming the stem (``runtime:``), so
``benchstat -col runtime -ignore runtime-version,image,session results/benchfmt.txt``
compares runtimes side by side (the -ignore keys vary by runtime by nature).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd

from .aggregate import container_keys, read_table
from .atomic import write_text_atomic
from .errors import ParbenchError, main_guard
from .matrix import AA

PYPERF_FORMAT_VERSION = "1.0"  # the file format pyperf 1.0 and later write and read
MODE_FAMILIES = {"sequential": "sequential", "threads": "inproc", "goroutines": "inproc", "processes": "processes"}
FAMILY_ORDER = ["sequential", "inproc", "processes"]
REQUIRED_COLUMNS = ["runtime", "workload", "params", "mode", "cpuset", "cpus", "workers", "repeat", "seconds", "host"]
BENCHFMT_UNIT = "sec/op"
# Config keys whose value belongs to the runtime, not the comparison; benchstat must ignore them with -col runtime.
PER_RUNTIME_KEYS = ["runtime-version", "image", "session"]
BENCHSTAT_COMMAND = f"benchstat -col runtime -ignore {','.join(PER_RUNTIME_KEYS)} results/benchfmt.txt"


# ---------------------------------------------------------------- names


def mode_family(mode: str) -> str:
    """The comparison family of a mode, so Python threads and Go goroutines share benchmark names."""
    return MODE_FAMILIES.get(mode, mode)


def stem(runtime: str, variant: str) -> str:
    """File stem and benchstat `runtime` value: the runtime, plus the variant when there is one."""
    return f"{runtime}.{variant}" if variant else runtime


def benchmark_name(row: dict, with_params: bool) -> str:
    """The runtime-independent benchmark name of a row, e.g. cpu_loop/mode=inproc/cpuset=0-1/workers=2."""
    parts = [str(row["workload"])]
    if with_params and row.get("params"):
        parts += str(row["params"]).split(",")
    parts += [f"mode={mode_family(row['mode'])}", f"cpuset={row['cpuset']}", f"workers={int(row['workers'])}"]
    return "/".join(parts)


def go_benchmark_name(name: str, cpus: int) -> str:
    """A benchmark name as Go writes it: Benchmark, a capitalised base, sub-name parts, -<procs>.

    The procs suffix is the CPU set's size (what GOMAXPROCS defaults to
    there), the same for every runtime so that rows line up.
    """
    base, _, rest = name.partition("/")
    camel = "".join(word[:1].upper() + word[1:] for word in base.split("_"))
    return f"Benchmark{camel}/{rest}-{cpus}" if rest else f"Benchmark{camel}-{cpus}"


def workloads_with_several_params(rows: list[dict]) -> set[str]:
    """Workloads measured with more than one parameter set: only their names carry the parameters."""
    seen: dict[str, set[str]] = {}
    for row in rows:
        seen.setdefault(row["workload"], set()).add(str(row.get("params") or ""))
    return {workload for workload, labels in seen.items() if len(labels) > 1}


def order_key(row: dict) -> tuple:
    """Rows in reading order: workload, mode family, CPU count, CPU set, workers, round, repeat, value."""
    family = mode_family(row["mode"])
    rank = FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER)
    return (
        row["workload"],
        str(row.get("params") or ""),
        rank,
        family,
        int(row["cpus"]),
        str(row["cpuset"]),
        int(row["workers"]),
        whole(row.get("round")) or 0,
        int(row["repeat"]),
        whole(row.get("value")) or 0,
    )


def stems_in_order(rows: list[dict]) -> list[str]:
    """Stems in table order of runtimes, plain cells first, then variants, the A/A twin last.

    benchstat compares every column with the first one it sees, so a plain
    runtime must come first.
    """
    runtimes = list(dict.fromkeys(row["runtime"] for row in rows))
    pairs = {(row["runtime"], row["variant"]) for row in rows}
    rank = lambda pair: (pair[1] == AA, pair[1] != "", runtimes.index(pair[0]), pair[1])  # noqa: E731
    return [stem(*pair) for pair in sorted(pairs, key=rank)]


# ---------------------------------------------------------------- input


def present(value) -> bool:
    """Whether a table cell holds a value (not None, NaN or an empty string)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return not (isinstance(value, str) and not value.strip())


def loops_of(row: dict) -> int:
    """The row's loops: a missing value means 1 (tables from before calibrated loops)."""
    value = row.get("loops")
    if not present(value):
        return 1
    loops = float(value)
    if loops < 1 or loops != int(loops):
        raise ParbenchError(f"{describe(row)} has loops={value!r}; loops must be a whole number >= 1")
    return int(loops)


def describe(row: dict) -> str:
    """A row in words, for error messages that say where the bad value is."""
    variant = f" ({row['variant']})" if row.get("variant") else ""
    return (
        f"runs.csv row {row.get('runtime')}{variant} {row.get('workload')} {row.get('mode')} "
        f"cpuset {row.get('cpuset')} workers {row.get('workers')} repeat {row.get('repeat')}"
    )


def tidy_rows(table: pd.DataFrame, host: str | None = None) -> list[dict]:
    """The runs table as checked plain rows: loops filled in, one host, positive per-loop seconds.

    Refuses a table of several hosts unless one is chosen: a pyperf benchmark
    or a benchstat cell mixing two machines would compare nothing.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
    if missing:
        raise ParbenchError(f"runs table lacks column(s) {', '.join(missing)}; regenerate it with parbench.aggregate")
    if host is not None:
        table = table[table["host"] == host]
        if table.empty:
            raise ParbenchError(f"runs table has no rows of host {host}")
    hosts = sorted(set(table["host"].astype(str)))
    if len(hosts) > 1:
        raise ParbenchError(f"runs table holds several hosts ({', '.join(hosts)}); export one with --host LABEL")
    if table.empty:
        raise ParbenchError("runs table has no rows; nothing to export")
    keys = container_keys(table)
    rows = []
    for number, row in enumerate(table.to_dict("records")):
        row["container"] = number if keys is None else tuple(row[k] for k in keys)
        row["variant"] = row.get("variant") if present(row.get("variant")) else ""
        row["loops"] = loops_of(row)
        seconds = float(row["seconds"])
        if not math.isfinite(seconds) or seconds <= 0:
            raise ParbenchError(f"{describe(row)} has seconds={row['seconds']!r}; a time must be positive")
        rows.append(row)
    return rows


# ---------------------------------------------------------------- pyperf


def whole(value) -> int | None:
    """A table number as an int (pandas reads whole-number columns with gaps as floats)."""
    return int(value) if present(value) else None


def run_metadata(row: dict) -> dict:
    """Everything pyperf should know about one measured repeat, with pyperf's names where it has them.

    pyperf's own keys (loops, date, cpu_affinity, cpu_count, hostname,
    load_avg_1min, mem_max_rss, python_version) get the types pyperf checks;
    the rest are plain strings and numbers. Empty values are left out, as
    pyperf refuses them.
    """
    metadata = {
        "name": None,  # filled in by the benchmark
        "unit": "second",
        "loops": row["loops"],
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


def by_container(rows: list[dict]) -> list[list[dict]]:
    """Rows grouped by the container that measured them (tidy_rows names it), in reading order."""
    groups: dict[object, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["container"], []).append(row)
    return list(groups.values())


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


# ---------------------------------------------------------------- Go benchmark format


def config_value(value) -> str:
    """A configuration value on one line (the format forbids newlines)."""
    return " ".join(str(value).split())


def benchfmt_config(row: dict) -> dict[str, str]:
    """The configuration lines that describe one result: fixed for the file, then the runtime's own."""
    config = {
        "pkg": "parbench",
        "host": row["host"],
        "runtime": stem(row["runtime"], row["variant"]),
        "runtime-version": row.get("runtime_version"),
        "image": row.get("image_id"),
        "session": row.get("session"),
    }
    return {key: config_value(value) for key, value in config.items() if present(value)}


def config_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Configuration lines that turn `before` into `after`; an empty value removes a key."""
    lines = [f"{key}: {value}" for key, value in after.items() if before.get(key) != value]
    lines += [f"{key}:" for key in before if key not in after]
    return lines


def benchfmt_result(container: list[dict], with_params: bool) -> str:
    """One result line: one container, the loops of all its values as iterations, their mean seconds per loop."""
    first = container[0]
    name = go_benchmark_name(benchmark_name(first, with_params), int(first["cpus"]))
    iterations = sum(row["loops"] for row in container)
    seconds = sum(float(row["seconds"]) * row["loops"] for row in container) / iterations
    return f"{name} {iterations} {seconds!r} {BENCHFMT_UNIT}"


def benchfmt_lines(rows: list[dict]) -> list[str]:
    """The whole file: a comment on use, then each stem's configuration and result lines."""
    with_params = workloads_with_several_params(rows)
    lines = [
        "# parbench measurements in the Go benchmark format (golang.org/design/14313-benchmark-format).",
        "# One line per container: iterations = the loops of all its values, sec/op = seconds per loop.",
        f"# Compare runtimes: {BENCHSTAT_COMMAND}",
    ]
    config: dict[str, str] = {}
    for name in stems_in_order(rows):
        lines.append("")
        for container in by_container(
            sorted((r for r in rows if stem(r["runtime"], r["variant"]) == name), key=order_key)
        ):
            wanted = benchfmt_config(container[0])
            lines += config_changes(config, wanted)
            config = wanted
            lines.append(benchfmt_result(container, container[0]["workload"] in with_params))
    return lines


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
