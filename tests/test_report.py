import math
from pathlib import Path

import pytest

from fixtures import scaling_records
from parbench.aggregate import runs_table, summary_table
from parbench.report import flavour_ratios, fmt_ratio_ci, headline_rows, plot_figures, render, warning_lines

CATALOGUE = {
    "cpython-3.13": {"kind": "cpython", "free_threading": False},
    "cpython-3.13t": {"kind": "cpython", "free_threading": True},
    "go": {"kind": "go"},
}
CONFIG = {"repeats": 6, "warmup": 1, "catalogue": CATALOGUE, "runtimes": list(CATALOGUE),
          "workloads": {"cpu_loop": {"iterations": 1000}}}


@pytest.fixture
def runs():
    return runs_table(scaling_records())


@pytest.fixture
def summary(runs):
    return summary_table(runs)


def test_headline_uses_parallel_mode_on_all_cpus_beside_the_blog(summary):
    head = headline_rows(summary, CATALOGUE).set_index("runtime")
    assert head.loc["cpython-3.13", "workers"] == 2
    assert head.loc["cpython-3.13", "seconds"] == pytest.approx(10.25)
    assert head.loc["cpython-3.13", "blog_seconds"] == 79.27
    assert head.loc["cpython-3.13t", "blog_seconds"] == 16.19
    assert head.loc["go", "blog_seconds"] == 0.11


def test_ratios_per_cpu_count_with_intervals(summary, runs):
    ratios = flavour_ratios(summary, runs, CATALOGUE).set_index("cpus")
    assert ratios.loc[2, "gil_over_free_threaded"] == pytest.approx(10.0 / 6.0)
    assert ratios.loc[2, "free_threaded_over_go"] == pytest.approx(60.0)
    assert ratios.loc[1, "gil_over_free_threaded"] == pytest.approx(5.0 / 6.0)
    # Every fixture sample has the same 0-5 % jitter, so the intervals are narrow but real.
    assert ratios.loc[2, "gil_over_free_threaded_low"] < 10.0 / 6.0 < ratios.loc[2, "gil_over_free_threaded_high"]
    assert ratios.loc[2, "gil_over_free_threaded_significant"]


def test_fmt_ratio_ci_marks_insignificant_differences():
    assert fmt_ratio_ci(1.2234, 1.18, 1.27, True) == "1.22× (1.18–1.27)"
    assert fmt_ratio_ci(1.01, 0.97, 1.05, False) == "~ 1.01× (0.97–1.05)"
    assert fmt_ratio_ci(2.0, float("nan"), float("nan"), False) == "~ 2.00×"


def test_warnings_name_the_cell_and_the_reason(runs):
    config = {"warnings": {"cv": 0.05, "min_seconds": 0.5}}
    lines = warning_lines(summary_table(runs, **{"cv_limit": 0.05, "min_seconds": 0.5}), config)
    go_lines = [line for line in lines if line.startswith("- go cpu_loop goroutines")]
    assert len(go_lines) == 2 and all("shorter than 500 ms" in line for line in go_lines)
    assert not any("coefficient of variation" in line for line in lines)  # jitter is under 2 %


def test_render_has_every_section_and_figure(summary, runs, tmp_path):
    figures = plot_figures(summary, tmp_path / "figures")
    assert [p.name for p in figures] == ["cpu_loop_scaling.png"]
    assert figures[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    identities = [
        {"runtime": "go", "image_id": "sha256:1", "config": {"kind": "go"},
         "identity": {"GOVERSION": "go1.24.4", "GOOS": "linux", "GOARCH": "amd64"}},
    ]
    env = {"cpu_model": "Test CPU", "git_commit": "abc"}
    text = render(summary, runs, CONFIG, identities, env, figures, tmp_path)
    for heading in ("## The blog's table, on this machine", "### Ratios", "## Claims of the blog, tested", "## Every cell", "## Figures",
                    "## Warnings", "## Environment", "### Images", "### Configuration used"):
        assert heading in text
    assert "![cpu_loop_scaling](figures/cpu_loop_scaling.png)" in text
    assert "79.27" in text and "4.90×" in text and "147.18×" in text  # the blog's figures and ratios
    assert "Test CPU" in text and "go1.24.4 linux/amd64" in text
    assert "too few" not in text  # six repeats per cell: every median has its interval


def test_noise_floor_from_the_aa_twin(runs):
    from fixtures import record
    from parbench.report import noise_floor

    assert noise_floor(runs) is None  # no twin measured
    twin = [dict(record("go", "goroutines", "0", 1, 1, k, 0.10 * (1 + k * 0.01)), variant="aa") for k in range(6)]
    with_twin = runs_table(scaling_records() + twin)
    floor = noise_floor(with_twin)
    assert floor["cell"] == "go cpu_loop goroutines on CPUs 0"
    assert floor["ratio"] == pytest.approx(1.0) and not floor["significant"]
    assert 0 < floor["resolution"] < 0.06
    # The twin stays out of the cell statistics.
    assert summary_table(with_twin).set_index(["runtime", "cpuset"]).loc[("go", "0"), "n"] == 6
    text = render(summary_table(with_twin), with_twin, CONFIG, [], {}, [], Path("."))
    assert "## Noise floor (A/A run)" in text and "indistinguishable" in text


def test_load_and_throttling_warnings(runs):
    loaded = runs.copy()
    loaded["host_busy_before"] = 0.0
    loaded["throttled_periods"] = 0
    loaded.loc[loaded["runtime"] == "go", "host_busy_before"] = 0.5
    loaded.loc[loaded["runtime"] == "cpython-3.13", "throttled_periods"] = 3
    lines = warning_lines(summary_table(loaded), {"warnings": {"cv": 0.05, "min_seconds": 0.01, "busy": 0.1}})
    assert sum("ran under load" in line for line in lines) == 2  # both go cells
    assert sum("throttled" in line for line in lines) == 2  # both cpython-3.13 cells
    assert all(line.startswith(("- go ", "- cpython-3.13 ")) for line in lines)


def test_variant_effect_against_the_same_cell_without_the_switch():
    from fixtures import record
    from parbench.report import variant_effects

    gil_back_on = [dict(record("cpython-3.13t", "threads", "0-1", 2, 2, k, 12.0 * (1 + k * 0.01), gil=True), variant="gil1")
                   for k in range(6)]
    runs = runs_table(scaling_records() + gil_back_on)
    summary = summary_table(runs)
    config = {"variants": {"gil1": {"runtimes": ["cpython-3.13t"], "modes": ["threads"], "env": {"PYTHON_GIL": "1"}}}}
    effects = variant_effects(summary, runs, config)
    assert len(effects) == 1
    row = effects.iloc[0]
    assert (row["runtime"], row["CPUs"], row["switch"]) == ("cpython-3.13t", "0-1", "PYTHON_GIL=1")
    assert row["time with switch / without (95 % CI)"].startswith("2.00× (")  # 12 s against 6 s
    # The variant has its own speedup baseline and stays out of the blog's table and ratios.
    assert headline_rows(summary, CATALOGUE).set_index("runtime").loc["cpython-3.13t", "seconds"] == pytest.approx(6.15)
    assert summary[summary["variant"] == "gil1"]["speedup"].isna().all()  # no one-worker gil1 cell here


def test_workload_table_and_coordination_costs():
    from fixtures import record
    from parbench.report import coordination_rows, workload_rows

    config = {"workloads": {"io_wait": {"tasks": 5, "sleep_us": 10, "workers": ["cpus", 16]}, "alloc": None}}
    rows = workload_rows(config)
    assert rows.to_dict("records") == [{"workload": "io_wait", "what it does": rows.iloc[0]["what it does"],
                                        "parameters": "sleep_us=10, tasks=5", "scaling": "weak"}]
    records = []
    for k in range(6):
        records.append(dict(record("go", "goroutines", "0-1", 2, 2, k, 0.5), workload="channels",
                            params={"messages": 1000, "capacity": 4}, tasks=4, latency_p50_us=3.0, latency_p99_us=30.0))
        records.append(dict(record("go", "goroutines", "0-1", 2, 2, k, 0.001), workload="spawn", params={"count": 100},
                            tasks=100, rss_before_kb=1000, rss_parked_kb=1250, os_threads_before=4, os_threads_parked=4,
                            spawn_seconds=0.0001))
    costs = coordination_rows(summary_table(runs_table(records))).set_index("workload")
    assert costs.loc["channels", "value"] == "4,000" and costs.loc["channels", "latency p50 / p99 (µs)"] == "3.0 / 30.0"
    assert costs.loc["spawn", "value"] == "1.0 µs, 2.5 KB, 0.00" and costs.loc["spawn", "workers"] == 100


def test_claims_link_their_figures_and_sections(tmp_path):
    from parbench.report import shown_in

    figures = {"cpu_loop": tmp_path / "figures" / "cpu_loop_scaling.png"}
    text = shown_in(("figure:cpu_loop", "figure:hash", "table:Coordination costs"), figures, tmp_path)
    assert text == "[cpu_loop figure](figures/cpu_loop_scaling.png), § Coordination costs"  # no hash figure made
    assert shown_in((), figures, tmp_path) == "–"
