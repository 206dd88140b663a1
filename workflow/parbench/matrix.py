"""The experiment matrix: which cells a configuration asks to measure.

A cell is one runtime running one workload in one mode with one worker count,
pinned to one CPU set. Each cell is one measurement job and one raw file.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cpusets import auto_cpusets, format_cpuset, parse_cpuset

RAW_PATTERN = "results/raw/{runtime}/{workload}/{mode}/cpus-{cpuset}_w{workers}.jsonl"


@dataclass(frozen=True)
class Cell:
    runtime: str
    workload: str
    mode: str
    cpuset: str
    workers: int

    @property
    def raw_path(self) -> str:
        return RAW_PATTERN.format(**self.__dict__)


def cpusets_for(config: dict, available: list[int]) -> list[str]:
    """The configured CPU sets in canonical form, "auto" expanded."""
    if config.get("cpusets", "auto") == "auto":
        return auto_cpusets(available)
    return [format_cpuset(parse_cpuset(text)) for text in config["cpusets"]]


def worker_counts(spec: list, cpus: int) -> list[int]:
    """Expand the `workers` setting for a CPU set of `cpus` CPUs."""
    counts = {cpus if item == "cpus" else int(item) for item in spec}
    return sorted(counts)


def experiment_cells(config: dict, available: list[int]) -> list[Cell]:
    """Every cell of the configured experiment, in a stable order.

    Sequential mode is the one-worker baseline without any pool; it runs once
    per runtime and workload, on the smallest CPU set.
    """
    cpusets = sorted(cpusets_for(config, available), key=lambda s: (len(parse_cpuset(s)), s))
    spec = config.get("workers", ["cpus"])
    cells = []
    for runtime in config["runtimes"]:
        kind = config["catalogue"][runtime]["kind"]
        for workload in config["workloads"]:
            for mode in config["modes"][kind]:
                if mode == "sequential":
                    cells.append(Cell(runtime, workload, mode, cpusets[0], 1))
                    continue
                for cpuset in cpusets:
                    for workers in worker_counts(spec, len(parse_cpuset(cpuset))):
                        cells.append(Cell(runtime, workload, mode, cpuset, workers))
    return cells


def cells_of_runtime(cells: list[Cell], runtime: str) -> list[Cell]:
    return [cell for cell in cells if cell.runtime == runtime]
