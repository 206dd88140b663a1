"""The experiment matrix: which cells a configuration asks to measure.

A cell is one runtime running one workload in one mode with one worker count,
pinned to one CPU set. Each cell is one measurement job and one raw file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import enabled_workloads
from .cpusets import format_cpuset, parse_cpuset
from .errors import ParbenchError
from .names import AA
from .specs import modes_for
from .topology import CpuInfo, auto_cpusets, read_topology

RAW_PATTERN = "results/raw/{runtime}/{workload}/{mode}/cpus-{cpuset}_w{workers}{suffix}.jsonl"
RAW_REGEX = re.compile(
    r"(?:^|/)results/raw/(?P<runtime>[^/]+)/(?P<workload>[^/]+)/(?P<mode>[^/]+)/"
    r"cpus-(?P<cpuset>[0-9,\-]+)_w(?P<workers>\d+)(?:\.(?P<variant>[a-z][a-z0-9_]*))?\.jsonl$"
)


@dataclass(frozen=True)
class Cell:
    runtime: str
    workload: str
    mode: str
    cpuset: str
    workers: int
    variant: str = ""

    @property
    def raw_path(self) -> str:
        fields = {k: v for k, v in self.__dict__.items() if k != "variant"}
        return RAW_PATTERN.format(**fields, suffix=f".{self.variant}" if self.variant else "")

    @classmethod
    def from_raw_path(cls, path: str) -> Cell:
        """The cell a raw file holds, read back from its path (the path is the contract)."""
        match = RAW_REGEX.search(str(path))
        if not match:
            raise ValueError(f"{path} is not a raw-record path ({RAW_PATTERN})")
        return cls(
            match["runtime"],
            match["workload"],
            match["mode"],
            match["cpuset"],
            int(match["workers"]),
            match["variant"] or "",
        )


def cpusets_for(config: dict, available: list[int], topology: list[CpuInfo] | None = None) -> list[str]:
    """The configured CPU sets in canonical form, "auto" expanded.

    Auto sets follow the machine's topology (read from sysfs unless given):
    one CPU per physical core first, see `parbench.topology.preferred_order`.
    Explicit sets are measured as given.
    """
    if config.get("cpusets", "auto") == "auto":
        return auto_cpusets(topology if topology is not None else read_topology(available))
    return [format_cpuset(parse_cpuset(text)) for text in config["cpusets"]]


def by_size(cpusets) -> list[str]:
    """CPU sets from the fewest CPUs to the most (then by text): the experiment's order."""
    return sorted(cpusets, key=lambda s: (len(parse_cpuset(s)), s))


def worker_counts(spec: list, cpus: int) -> list[int]:
    """Expand the `workers` setting for a CPU set of `cpus` CPUs."""
    counts = {cpus if item == "cpus" else int(item) for item in spec}
    return sorted(counts)


def experiment_cells(config: dict, available: list[int], topology: Sequence | None = None) -> list[Cell]:
    """Every cell of the configured experiment, in a stable order.

    Sequential mode is the one-worker baseline without any pool; it runs once
    per runtime and workload, on the smallest CPU set. A workload runs only in
    the modes it makes sense under, with its own worker counts if it has any.
    Each configured variant repeats its runtimes' cells in its modes, with its
    environment switch.
    """
    cpusets = by_size(cpusets_for(config, available, topology))
    cells = []
    for runtime in config["runtimes"]:
        kind = config["catalogue"][runtime]["kind"]
        for workload, entry in enabled_workloads(config).items():
            spec = entry.get("workers") or config.get("workers", ["cpus"])
            supported = modes_for(workload, kind)
            for mode in [m for m in config["modes"][kind] if m in supported]:
                if mode == "sequential":
                    cells.append(Cell(runtime, workload, mode, cpusets[0], 1))
                    continue
                variants = [""] + [
                    name
                    for name, variant in (config.get("variants") or {}).items()
                    if runtime in variant["runtimes"] and mode in variant["modes"]
                ]
                for variant in variants:
                    for cpuset in cpusets:
                        for workers in worker_counts(spec, len(parse_cpuset(cpuset))):
                            cells.append(Cell(runtime, workload, mode, cpuset, workers, variant))
    return cells


def noise_floor_cell(cells: list[Cell]) -> Cell | None:
    """The A/A twin: the first runtime's first parallel cell, measured a second time."""
    for cell in cells:
        if cell.mode != "sequential" and not cell.variant:
            return Cell(cell.runtime, cell.workload, cell.mode, cell.cpuset, cell.workers, AA)
    return None


def all_cells(config: dict, available: list[int], topology: Sequence | None = None) -> list[Cell]:
    """Every cell the tables are made from: the experiment, plus the A/A twin if asked for.

    `topology` stands in for this machine's sysfs: CPU IDs alone plan another
    machine of that many CPUs (a cluster node, before its job runs there).
    """
    cells = experiment_cells(config, available, topology)
    twin = noise_floor_cell(cells) if config.get("noise_floor") else None
    return cells + ([twin] if twin else [])


def measured_cells(config: dict, available: list[int]) -> list[Cell]:
    """The cells this invocation measures: all of them, or the runtimes named in `remeasure`."""
    selected = config.get("remeasure") or config["runtimes"]
    return [cell for cell in all_cells(config, available) if cell.runtime in selected]


def check_remeasure(remeasure: list[str], cells: list[Cell], root: Path) -> None:
    """`remeasure` narrows a run to some runtimes: the others' results must be there for the tables."""
    if not remeasure:
        return
    others = [c.raw_path for c in cells if c.runtime not in remeasure and not (root / c.raw_path).exists()]
    if others:  # else Snakemake stops on the tables' missing inputs, naming every file
        raise ParbenchError(
            f"config key 'remeasure': {len(others)} cells of the runtimes it leaves alone have no results yet "
            f"({others[0]}, ...); run once without remeasure first"
        )
