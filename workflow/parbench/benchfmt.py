"""runs.csv in the Go benchmark format (golang.org/design/14313-benchmark-format), for benchstat.

Each container is one result line, as one ``go test`` process reports one
line per benchmark:
``Benchmark<Workload>/mode=.../cpuset=.../workers=W-<cpus> <iterations> <sec> sec/op``,
where the iterations are every loop of its values and sec/op their mean, so
benchstat counts containers, as summary.csv's ``n`` does (values of one
process are not independent samples); under configuration lines naming the
stem (``runtime:``), so
``benchstat -col runtime -ignore runtime-version,image,session results/benchfmt.txt``
compares runtimes side by side (the -ignore keys vary by runtime by nature).
"""

from __future__ import annotations

from .export_rows import (
    benchmark_name,
    by_container,
    go_benchmark_name,
    order_key,
    present,
    stem,
    stems_in_order,
    workloads_with_several_params,
)

BENCHFMT_UNIT = "sec/op"
# Config keys whose value belongs to the runtime, not the comparison; benchstat must ignore them with -col runtime.
PER_RUNTIME_KEYS = ["runtime-version", "image", "session"]
BENCHSTAT_COMMAND = f"benchstat -col runtime -ignore {','.join(PER_RUNTIME_KEYS)} results/benchfmt.txt"


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
        "# One line per container: iterations = the passes of all its values (a loop, or one unit of a divided"
        " loop), sec/op = seconds per configured loop.",
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
