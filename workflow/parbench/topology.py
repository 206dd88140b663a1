"""The machine's CPU topology, read from sysfs, and the order auto CPU sets take CPUs in.

A scaling curve should measure parallelism, not hyper-threading, NUMA traffic
or a mix of fast and slow cores. So, as CPython's Tools/ftscalingbench does,
auto CPU sets add one CPU per physical core, on one NUMA node, fastest cores
first, and only then reach other nodes and SMT siblings (`preferred_order`).

Everything read here may be missing (virtual machines often have no cpufreq
or node directories, containers may hide more): a missing file means one NUMA
node, equal speed, and each CPU its own physical core unless its sibling list
says otherwise. Nothing here fails because the kernel shows less.

Run `python -m parbench.topology [--sysfs ROOT] [--cpus SET]` to see the
topology, the auto CPU sets and their descriptions as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .cpusets import format_cpuset, parse_cpuset

SYSFS = Path("/sys/devices/system")
PERFORMANCE = "performance"
EFFICIENCY = "efficiency"
# Intel hybrid CPUs list their core types as PMU devices beside devices/system.
_CORE_TYPE_DIRS = {"cpu_core": PERFORMANCE, "cpu_atom": EFFICIENCY}


@dataclass(frozen=True)
class CpuInfo:
    """One logical CPU: where it sits and how fast it can run (None: not readable)."""

    cpu: int
    siblings: tuple[int, ...]  # every hardware thread of its physical core, itself included
    core_id: int | None
    package: int
    node: int
    max_freq_khz: int | None
    capacity: int | None  # cpu_capacity, the scheduler's relative speed (1024 = fastest)
    highest_perf: int | None  # acpi_cppc/highest_perf
    core_type: str | None  # "performance" or "efficiency" on hybrid CPUs

    @property
    def core(self) -> str:
        """A label for its physical core, "p<package>c<core_id>", stable across its siblings."""
        core = self.core_id if self.core_id is not None else min(self.siblings)
        return f"p{self.package}c{core}"

    @property
    def core_key(self) -> tuple[int, tuple[int, ...]]:
        """What identifies its physical core: core_id repeats across packages, sibling sets do not."""
        return (self.package, self.siblings)

    @property
    def speed(self) -> tuple[int, int, int, int]:
        """A sort key, larger is faster: core type, then capacity, max frequency, CPPC highest perf."""
        return (
            0 if self.core_type == EFFICIENCY else 1,
            self.capacity or 0,
            self.max_freq_khz or 0,
            self.highest_perf or 0,
        )


def _read_text(path: Path) -> str | None:
    """A sysfs file's stripped contents, or None where it is missing or unreadable."""
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _read_int(path: Path) -> int | None:
    """A sysfs file holding one whole number, or None where it is missing or not a number."""
    text = _read_text(path)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _read_cpulist(path: Path) -> list[int] | None:
    """A sysfs CPU list ("0-3,8-11"), or None where missing or malformed; empty lists are empty."""
    text = _read_text(path)
    if text is None:
        return None
    if not text:
        return []
    try:
        return parse_cpuset(text)
    except ValueError:
        return None


def _node_of_each_cpu(root: Path) -> dict[int, int]:
    """CPU number to NUMA node, from node/nodeK/cpulist; empty where there are no node dirs."""
    nodes: dict[int, int] = {}
    for directory in sorted((root / "node").glob("node[0-9]*")):
        suffix = directory.name[len("node") :]
        if not suffix.isdigit():
            continue
        for cpu in _read_cpulist(directory / "cpulist") or []:
            nodes[cpu] = int(suffix)
    return nodes


def _core_type_of_each_cpu(root: Path) -> dict[int, str]:
    """CPU number to core type on hybrid CPUs (devices/cpu_core/cpus, devices/cpu_atom/cpus)."""
    types: dict[int, str] = {}
    for name, core_type in _CORE_TYPE_DIRS.items():
        for cpu in _read_cpulist(root.parent / name / "cpus") or []:
            types[cpu] = core_type
    return types


def _siblings(topology_dir: Path, cpu: int) -> tuple[int, ...]:
    """The hardware threads of the CPU's physical core; the CPU alone if the kernel does not say."""
    for name in ("core_cpus_list", "thread_siblings_list"):
        cpus = _read_cpulist(topology_dir / name)
        if cpus and cpu in cpus:
            return tuple(cpus)
    return (cpu,)


def read_cpu(cpu: int, root: Path, nodes: dict[int, int], types: dict[int, str]) -> CpuInfo:
    """What sysfs under `root` says about one CPU, with the degraded defaults where it is silent."""
    base = root / "cpu" / f"cpu{cpu}"
    topology_dir = base / "topology"
    return CpuInfo(
        cpu=cpu,
        siblings=_siblings(topology_dir, cpu),
        core_id=_read_int(topology_dir / "core_id"),
        package=max(_read_int(topology_dir / "physical_package_id") or 0, 0),
        node=nodes.get(cpu, 0),
        max_freq_khz=_read_int(base / "cpufreq" / "cpuinfo_max_freq"),
        capacity=_read_int(base / "cpu_capacity"),
        highest_perf=_read_int(base / "acpi_cppc" / "highest_perf"),
        core_type=types.get(cpu),
    )


def read_topology(available: list[int], root: Path = SYSFS) -> list[CpuInfo]:
    """One CpuInfo per available CPU, in CPU order, read from `root` (/sys/devices/system)."""
    root = Path(root)
    nodes = _node_of_each_cpu(root)
    types = _core_type_of_each_cpu(root)
    return [read_cpu(cpu, root, nodes, types) for cpu in sorted(set(available))]


def flat_topology(available: list[int]) -> list[CpuInfo]:
    """The topology assumed when nothing is known: one node, equal speed, each CPU its own core."""
    return [CpuInfo(cpu, (cpu,), None, 0, 0, None, None, None, None) for cpu in sorted(set(available))]


def _cores(topology: list[CpuInfo]) -> dict[tuple[int, tuple[int, ...]], list[CpuInfo]]:
    """The available CPUs grouped by physical core, each group in CPU order."""
    cores: dict[tuple[int, tuple[int, ...]], list[CpuInfo]] = {}
    for info in sorted(topology, key=lambda i: i.cpu):
        cores.setdefault(info.core_key, []).append(info)
    return cores


def _core_speed(threads: list[CpuInfo]) -> tuple[int, int, int, int]:
    """A physical core's speed: that of its fastest available thread."""
    return max(info.speed for info in threads)


def _node_order(cores_by_node: dict[int, list[list[CpuInfo]]]) -> list[int]:
    """Nodes with the most available cores first, then the one whose cores are fastest, then by number."""

    def key(node: int) -> tuple:
        speeds = sorted((_core_speed(c) for c in cores_by_node[node]), reverse=True)
        return (-len(cores_by_node[node]), [tuple(-x for x in s) for s in speeds], node)

    return sorted(cores_by_node, key=key)


def preferred_order(topology: list[CpuInfo]) -> list[int]:
    """Every available CPU, in the order auto CPU sets add them.

    1. One CPU (the lowest-numbered available thread) per physical core on the
       NUMA node with the most available cores (ties: the faster cores, then
       the lower node number), fastest cores first, ties by CPU number.
    2. The same for each further node, in that node order.
    3. The SMT siblings: every core's second thread in the order of steps 1-2,
       then every third thread, and so on.

    Auto sets are prefixes of this list, so every smaller set is contained in
    every larger one and a step up the scaling curve only adds CPUs.
    """
    cores_by_node: dict[int, list[list[CpuInfo]]] = {}
    for threads in _cores(topology).values():
        cores_by_node.setdefault(threads[0].node, []).append(threads)
    ordered_cores: list[list[CpuInfo]] = []
    for node in _node_order(cores_by_node):
        ordered_cores += sorted(cores_by_node[node], key=lambda t: (tuple(-x for x in _core_speed(t)), t[0].cpu))
    depth = max((len(threads) for threads in ordered_cores), default=0)
    return [threads[i].cpu for i in range(depth) for threads in ordered_cores if i < len(threads)]


def _lookup(cpus: list[int], topology: list[CpuInfo]) -> list[CpuInfo]:
    """The CpuInfo of each named CPU; ValueError naming the CPUs the topology does not hold."""
    by_cpu = {info.cpu: info for info in topology}
    missing = [cpu for cpu in cpus if cpu not in by_cpu]
    if missing:
        raise ValueError(
            f"CPU(s) {format_cpuset(missing)} are not in the topology (it has {format_cpuset(list(by_cpu))})"
        )
    return [by_cpu[cpu] for cpu in cpus]


def describe_cpuset(cpus: str | list[int], topology: list[CpuInfo]) -> dict:
    """What a CPU set stands on, so a report can flag sets that measure more than parallelism.

    `smt_shared`: two of its CPUs are threads of one physical core.
    `spans_numa`: its CPUs sit on more than one NUMA node.
    `mixed_speed`: its CPUs differ in core type, max frequency or capacity.
    """
    numbers = parse_cpuset(cpus) if isinstance(cpus, str) else sorted(set(cpus))
    infos = _lookup(numbers, topology)
    cores = sorted({info.core_key: info.core for info in infos}.items())
    return {
        "cpuset": format_cpuset(numbers),
        "cpus": numbers,
        "cores": sorted({label for _, label in cores}, key=_label_key),
        "nodes": sorted({info.node for info in infos}),
        "smt_shared": len(cores) < len(infos),
        "spans_numa": len({info.node for info in infos}) > 1,
        "mixed_speed": len({(info.core_type, info.max_freq_khz, info.capacity) for info in infos}) > 1,
    }


def _label_key(label: str) -> tuple[int, int]:
    """Sort "p1c10" after "p1c9": by package, then core number."""
    package, core = label[1:].split("c")
    return (int(package), int(core))


def topology_summary(topology: list[CpuInfo]) -> dict:
    """The topology as plain JSON data, for the provenance stamp of a measurement session."""
    cores = _cores(topology)
    return {
        "cpus": [
            {
                "cpu": info.cpu,
                "core": info.core,
                "siblings": list(info.siblings),
                "package": info.package,
                "node": info.node,
                "max_freq_khz": info.max_freq_khz,
                "capacity": info.capacity,
                "highest_perf": info.highest_perf,
                "core_type": info.core_type,
            }
            for info in sorted(topology, key=lambda i: i.cpu)
        ],
        "counts": {
            "cpus": len(topology),
            "cores": len(cores),
            "smt_cores": sum(1 for threads in cores.values() if len(threads) > 1),
            "packages": len({info.package for info in topology}),
            "nodes": len({info.node for info in topology}),
        },
        "smt": any(len(threads) > 1 for threads in cores.values()),
        "mixed_speed": len({(info.core_type, info.capacity, info.max_freq_khz) for info in topology}) > 1,
        "preferred_order": preferred_order(topology),
    }


def auto_sizes(count: int) -> list[int]:
    """1, 2, 4, … up to `count`, plus `count` itself if it is not a power of two."""
    sizes = []
    k = 1
    while k <= count:
        sizes.append(k)
        k *= 2
    if count and sizes[-1] != count:
        sizes.append(count)
    return sizes


def auto_cpusets(topology: Sequence[CpuInfo] | Sequence[int]) -> list[str]:
    """1, 2, 4, … CPUs up to all available, plus all of them if that is not a power of two.

    Each set is a prefix of the topology's preferred order (one CPU per
    physical core on one NUMA node, fastest first; other nodes next; SMT
    siblings last: `parbench.topology.preferred_order`), so sets nest and a
    larger one only adds CPUs to a smaller one. A plain list of CPU numbers
    stands for a machine about which nothing is known: each CPU its own core,
    taken in number order.
    """
    infos = list(topology)
    if all(isinstance(item, int) for item in infos):
        infos = flat_topology(infos)
    ordered = preferred_order(infos)
    return [format_cpuset(ordered[:k]) for k in auto_sizes(len(ordered))]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line: where sysfs is, and optionally which CPUs to consider."""
    parser = argparse.ArgumentParser(prog="parbench cpus", description=__doc__.splitlines()[0])
    parser.add_argument("--sysfs", type=Path, default=None, help=f"the directory that is {SYSFS} (default: that)")
    parser.add_argument(
        "--cpus",
        default=None,
        help="CPUs to consider (default: this process's affinity, or ROOT/cpu/online with --sysfs)",
    )
    return parser.parse_args(argv)


def _available(root: Path, cpus: str | None, own_machine: bool) -> list[int]:
    """The CPUs to lay out: as given, the process's affinity, or those online in a given sysfs tree."""
    if cpus is not None:
        return parse_cpuset(cpus)
    if own_machine:
        return sorted(os.sched_getaffinity(0))
    online = _read_cpulist(root / "cpu" / "online")
    if not online:
        raise ValueError(f"{root / 'cpu' / 'online'} lists no CPUs; name them with --cpus")
    return online


def report(topology: list[CpuInfo]) -> dict:
    """The CLI's output: the summary, and each auto CPU set with its description."""
    return {
        "topology": topology_summary(topology),
        "auto_cpusets": [describe_cpuset(text, topology) for text in auto_cpusets(topology)],
    }


def main(argv: list[str] | None = None) -> int:
    """Print the topology and the auto CPU sets as JSON; one line and exit 2 on bad input."""
    args = _arguments(argv)
    root = args.sysfs if args.sysfs is not None else SYSFS
    if not (root / "cpu").is_dir():
        print(f"parbench cpus: {root} has no cpu/ directory (expected a tree like {SYSFS})", file=sys.stderr)
        return 2
    try:
        available = _available(root, args.cpus, own_machine=args.sysfs is None)
    except ValueError as error:
        print(f"parbench cpus: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report(read_topology(available, root)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
