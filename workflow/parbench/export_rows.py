"""The runs table as rows the exports share: checked, each naming its container, and their names.

Benchmark names are the same for every runtime so that files line up:
workload, mode family, CPU set and worker count, e.g.
``cpu_loop/mode=inproc/cpuset=0-1/workers=2``. Python threads and Go
goroutines are both "parallel in one process" (family ``inproc``); Python
processes have no Go twin (``processes``); ``sequential`` is sequential. The
workload's parameters join the name only when the table holds more than one
parameter set for that workload. One *stem* per runtime and variant names a
pyperf file and benchstat's `runtime` column.
"""

from __future__ import annotations

import math

import pandas as pd

from .aggregate import container_keys
from .errors import ParbenchError
from .names import AA, MODE_FAMILIES, PROCESSES, SEQUENTIAL

FAMILY_ORDER = [MODE_FAMILIES[SEQUENTIAL], "inproc", MODE_FAMILIES[PROCESSES]]
REQUIRED_COLUMNS = "runtime workload params mode cpuset cpus workers repeat seconds loops host session order".split()


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


def present(value) -> bool:
    """Whether a table cell holds a value (not None, NaN or an empty string)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return not (isinstance(value, str) and not value.strip())


def loops_of(row: dict) -> int:
    """The row's loops, checked: a whole number of at least 1."""
    value = row["loops"]
    loops = float(value) if present(value) else math.nan
    if not loops >= 1 or loops != int(loops):
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
    for row in table.to_dict("records"):
        row["container"] = tuple(row[k] for k in keys)
        row["variant"] = row.get("variant") if present(row.get("variant")) else ""
        row["loops"] = loops_of(row)
        seconds = float(row["seconds"])
        if not math.isfinite(seconds) or seconds <= 0:
            raise ParbenchError(f"{describe(row)} has seconds={row['seconds']!r}; a time must be positive")
        rows.append(row)
    return rows


def whole(value) -> int | None:
    """A table number as an int (pandas reads whole-number columns with gaps as floats)."""
    return int(value) if present(value) else None


def by_container(rows: list[dict]) -> list[list[dict]]:
    """Rows grouped by the container that measured them (tidy_rows names it), in reading order."""
    groups: dict[object, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["container"], []).append(row)
    return list(groups.values())
