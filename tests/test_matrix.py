import pytest

from parbench import matrix
from parbench.matrix import Cell, cpusets_for, experiment_cells, worker_counts
from parbench.topology import CpuInfo, flat_topology

CONFIG = {
    "runtimes": ["cpython-3.13", "go"],
    "cpusets": "auto",
    "workers": ["cpus"],
    "workloads": {"cpu_loop": {"iterations": 10}},
    "modes": {"cpython": ["sequential", "threads", "processes"], "go": ["sequential", "goroutines"]},
    "catalogue": {"cpython-3.13": {"kind": "cpython"}, "go": {"kind": "go"}},
}


@pytest.fixture(autouse=True)
def flat_host(monkeypatch):
    """The matrix is tested apart from this host's topology: each CPU its own core."""
    monkeypatch.setattr(matrix, "read_topology", lambda available: flat_topology(available))


def test_cells_cover_modes_and_cpusets_with_one_worker_per_cpu():
    cells = experiment_cells(CONFIG, [0, 1])
    assert cells == [
        Cell("cpython-3.13", "cpu_loop", "sequential", "0", 1),
        Cell("cpython-3.13", "cpu_loop", "threads", "0", 1),
        Cell("cpython-3.13", "cpu_loop", "threads", "0-1", 2),
        Cell("cpython-3.13", "cpu_loop", "processes", "0", 1),
        Cell("cpython-3.13", "cpu_loop", "processes", "0-1", 2),
        Cell("go", "cpu_loop", "sequential", "0", 1),
        Cell("go", "cpu_loop", "goroutines", "0", 1),
        Cell("go", "cpu_loop", "goroutines", "0-1", 2),
    ]


def test_explicit_cpusets_are_canonicalised_and_sequential_uses_the_smallest():
    config = dict(CONFIG, runtimes=["go"], cpusets=["2-3", "1"])
    cells = experiment_cells(config, [0, 1, 2, 3])
    assert [(c.mode, c.cpuset, c.workers) for c in cells] == [
        ("sequential", "1", 1),
        ("goroutines", "1", 1),
        ("goroutines", "2-3", 2),
    ]


def test_fixed_worker_counts_oversubscribe():
    assert worker_counts(["cpus", 16], 2) == [2, 16]
    assert worker_counts(["cpus", 2], 2) == [2]


def test_raw_path_names_every_dimension():
    cell = Cell("cpython-3.13t", "cpu_loop", "threads", "0-1", 2)
    assert cell.raw_path == "results/raw/cpython-3.13t/cpu_loop/threads/cpus-0-1_w2.jsonl"


def test_raw_paths_round_trip_including_the_aa_twin():
    for cell in [
        Cell("cpython-3.13t", "cpu_loop", "threads", "0-1", 2),
        Cell("go", "cpu_loop", "goroutines", "0,2", 2, "aa"),
    ]:
        assert Cell.from_raw_path(cell.raw_path) == cell
        assert Cell.from_raw_path("/some/checkout/" + cell.raw_path) == cell
    assert Cell("go", "cpu_loop", "goroutines", "0", 1, "aa").raw_path.endswith("cpus-0_w1.aa.jsonl")


def test_remeasure_selects_runtimes_and_noise_floor_adds_one_twin():
    from parbench.matrix import measured_cells

    config = dict(CONFIG, noise_floor=True)
    cells = measured_cells(config, [0, 1])
    twins = [c for c in cells if c.variant == "aa"]
    assert twins == [Cell("cpython-3.13", "cpu_loop", "threads", "0", 1, "aa")]
    go_only = measured_cells(dict(config, remeasure=["go"]), [0, 1])
    assert {c.runtime for c in go_only} == {"go"} and len(go_only) == 3


def test_variants_repeat_their_runtimes_cells_in_their_modes():
    config = dict(
        CONFIG, variants={"gomaxprocs1": {"runtimes": ["go"], "modes": ["goroutines"], "env": {"GOMAXPROCS": "1"}}}
    )
    cells = [c for c in experiment_cells(config, [0, 1]) if c.variant]
    assert cells == [
        Cell("go", "cpu_loop", "goroutines", "0", 1, "gomaxprocs1"),
        Cell("go", "cpu_loop", "goroutines", "0-1", 2, "gomaxprocs1"),
    ]
    assert cells[1].raw_path == "results/raw/go/cpu_loop/goroutines/cpus-0-1_w2.gomaxprocs1.jsonl"
    assert Cell.from_raw_path(cells[1].raw_path) == cells[1]


def test_workloads_run_only_in_modes_that_make_sense_with_their_own_workers():
    config = dict(
        CONFIG,
        workloads={
            "channels": {"messages": 1, "capacity": 1},
            "spawn": {"count": 1},
            "io_wait": {"tasks": 1, "sleep_us": 0, "workers": ["cpus", 4]},
        },
    )
    cells = experiment_cells(config, [0, 1])
    modes: dict[tuple[str, str], list[str]] = {}
    for cell in cells:
        modes[(cell.workload, cell.runtime)] = sorted(set(modes.get((cell.workload, cell.runtime), [])) | {cell.mode})
    assert modes[("channels", "cpython-3.13")] == ["processes", "threads"]  # needs a producer and a consumer
    assert modes[("channels", "go")] == ["goroutines"]
    assert modes[("spawn", "cpython-3.13")] == ["threads"] and modes[("spawn", "go")] == ["goroutines"]
    assert modes[("io_wait", "go")] == ["goroutines", "sequential"]
    io_threads = [(c.cpuset, c.workers) for c in cells if c.workload == "io_wait" and c.mode == "threads"]
    assert io_threads == [("0", 1), ("0", 4), ("0-1", 2), ("0-1", 4)]
    cpu = [c for c in experiment_cells(CONFIG, [0, 1]) if c.mode == "threads"]
    assert [c.workers for c in cpu] == [1, 2]  # the top-level workers where a workload has none


def test_a_null_workload_has_no_cells():
    config = dict(CONFIG, workloads={"cpu_loop": {"iterations": 10}, "alloc": None})
    assert {c.workload for c in experiment_cells(config, [0, 1])} == {"cpu_loop"}


def test_auto_cpusets_come_from_the_topology_explicit_ones_as_given():
    smt = [CpuInfo(cpu, (cpu % 2, cpu % 2 + 2), cpu % 2, 0, 0, None, None, None, None) for cpu in range(4)]
    assert cpusets_for(CONFIG, [0, 1, 2, 3], smt) == ["0", "0-1", "0-3"]
    paired = [
        CpuInfo(cpu, (cpu - cpu % 2, cpu - cpu % 2 + 1), cpu // 2, 0, 0, None, None, None, None) for cpu in range(4)
    ]
    assert cpusets_for(CONFIG, [0, 1, 2, 3], paired) == ["0", "0,2", "0-3"]
    assert cpusets_for(dict(CONFIG, cpusets=["0-1"]), [0, 1, 2, 3], paired) == ["0-1"]


def test_auto_cpusets_read_the_host_topology_when_none_is_given(monkeypatch):
    seen = []
    monkeypatch.setattr(matrix, "read_topology", lambda available: seen.append(available) or flat_topology(available))
    assert cpusets_for(CONFIG, [0, 1]) == ["0", "0-1"] and seen == [[0, 1]]
