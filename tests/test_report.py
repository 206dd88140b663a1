import json
import re

import pandas as pd
import pytest

from parbench.aggregate import runs_table, summary_table, write_csv
from parbench.report import (
    coordination_rows,
    headline_rows,
    main,
    plot_figures,
    prepare,
    render,
    shown_in,
    warning_lines,
    workload_rows,
)

from fixtures import gil1_records, record, scaling_records

CATALOGUE = {
    "cpython-3.13": {"kind": "cpython", "free_threading": False},
    "cpython-3.13t": {"kind": "cpython", "free_threading": True},
    "go": {"kind": "go"},
}
CONFIG = {
    "repeats": 6,
    "warmup": 1,
    "seed": 1,
    "catalogue": CATALOGUE,
    "runtimes": list(CATALOGUE),
    "workloads": {"cpu_loop": {"iterations": 1000}},
    "variants": {"gil1": {"runtimes": ["cpython-3.13t"], "modes": ["threads"], "env": {"PYTHON_GIL": "1"}}},
}
TWIN = [dict(record("go", "goroutines", "0", 1, 1, k, 0.10 * (1 + k * 0.01)), variant="aa") for k in range(6)]
STAMP = {
    "session": "s1",
    "started_at": "2026-11-25T16:00:00+00:00",
    "ended_at": "2026-11-25T16:30:00+00:00",
    "git_commit": "0123456789abcdef",
    "git_clean": True,
    "harness_sha256": {"python": "aa" * 32, "go": "bb" * 32},
    "images": {"go": "sha256:" + "cd" * 32},
    "docker_server_version": "20.10.24",
    "kernel": "6.1.0-test",
    "cpu_model": "Test CPU",
    "settings": {"repeats": 6, "warmup": 1, "min_time": 0.5, "seed": 1, "calibration_margin": 1.5},
    "cpusets": {
        "0": {"physical_cores": [0], "numa_nodes": [0], "smt_shared": False, "spans_numa": False},
        "0-1": {"physical_cores": [0], "numa_nodes": [0, 1], "smt_shared": True, "spans_numa": True},
    },
    "warmup_seconds": 12.5,
    "timed_seconds": 250.0,
}


@pytest.fixture
def runs():
    return runs_table(scaling_records() + gil1_records({1: 6.0, 2: 12.0}) + TWIN)


@pytest.fixture
def summary(runs):
    return summary_table(runs)


def prepared(summary, runs, config, **rest):
    """The report's inputs as the workflow makes them: comparisons and claims from the analysis layer first."""
    from parbench.analysis import analysed

    comparisons, claims = analysed(summary, runs, config["catalogue"])
    return prepare(summary, runs, comparisons, claims, config, **rest)


def analysed_files(tmp_path, runs, summary) -> list[str]:
    """runs, summary, comparisons and claims files as the rules before the report write them; the report's args."""
    from parbench.comparisons import comparisons_table
    from parbench.decide import main as decide

    write_csv(runs, tmp_path / "runs.csv")
    write_csv(summary, tmp_path / "summary.csv")
    write_csv(comparisons_table(runs, summary), tmp_path / "comparisons.csv")
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    tables = ["--runs", str(tmp_path / "runs.csv"), "--summary", str(tmp_path / "summary.csv")]
    tables += ["--comparisons", str(tmp_path / "comparisons.csv")]
    assert decide([*tables, "--config-file", str(tmp_path / "config.json"), "--out", str(tmp_path / "claims.csv")]) == 0
    return [*tables, "--claims", str(tmp_path / "claims.csv")]


@pytest.fixture
def rendered(summary, runs, tmp_path):
    figures = plot_figures(summary, tmp_path / "figures")
    inputs = prepared(summary, runs, CONFIG, figures=figures, report_dir=tmp_path, env={"cpu_model": "Here CPU"})
    return inputs, render(inputs)


def test_headline_uses_parallel_mode_on_all_cpus_beside_the_blog(summary):
    head = headline_rows(summary, CATALOGUE).set_index("runtime")
    assert head.loc["cpython-3.13", "workers"] == 2
    assert head.loc["cpython-3.13", "seconds"] == pytest.approx(10.25)
    assert head.loc["cpython-3.13t", "blog_seconds"] == 16.19 and head.loc["go", "blog_seconds"] == 0.11


def test_summary_fits_on_one_screen_and_reads_top_down(rendered):
    _, text = rendered
    lines = text.splitlines()
    first_figure = next(i for i, line in enumerate(lines) if line.startswith("!["))
    assert first_figure < 40
    order = [
        "## The blog's table, on this machine",
        "## Claims of the blog, tested",
        "## Figures",
        "## Claims in detail",
        "## Ratios of median times",
        "## The fastest way in Python",
        "## Scaling",
        "## Variants: one effect at a time",
        "## Noise floor (A/A run)",
        "## How it was measured",
        "## Warnings",
        "## Appendix",
    ]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "![cpu_loop_scaling](figures/cpu_loop_scaling.png)" in text


def test_every_ratio_the_report_prints_is_in_comparisons(rendered):
    inputs, text = rendered
    values = pd.concat([inputs.comparisons[c] for c in ("ratio", "ci_low", "ci_high")]).dropna()
    known = {f"{v:.2f}" for v in values}
    printed = re.findall(r"(\d+\.\d\d)×", text) + re.findall(r"\((\d+\.\d\d)–(\d+\.\d\d)\)", text)
    flat = [p for item in printed for p in (item if isinstance(item, tuple) else (item,))]
    assert flat and set(flat) <= known, set(flat) - known
    assert "0.60× (" in text and "60.00× (" in text and "147.18×" in text  # build, runtime, the blog's quote


def test_ci_of_a_median_is_stated_once(rendered):
    _, text = rendered
    assert text.count("the 95 % confidence interval of a median is the min–max range") == 1


def test_without_a_stamp_the_report_says_so(rendered):
    _, text = rendered
    assert "No session stamp (no sessions.json)" in text and "which physical cores each CPU set used is unknown" in text
    assert "Environment of the measuring machine" in text and "Here CPU" in text


def test_stamp_gives_provenance_cpusets_and_warmup_cost(summary, runs):
    two = runs.copy()
    two["session"] = ["s2" if rt == "go" else "s1" for rt in two["runtime"]]
    inputs = prepared(summary, two, CONFIG, stamps=[STAMP, dict(STAMP, session="s2")])
    text = render(inputs)
    assert "0123456789ab (clean)" in text and "python aaaaaaaaaaaa" in text and "6.1.0-test" in text
    assert "two CPUs share a physical core (SMT); spans NUMA nodes" in text
    assert (
        "at least 1.5 × min_time = 0.75 s" in text
        and "25.0 s against 500.0 s of timed sections (the session stamps)" in text
    )
    assert "runs.csv holds 2 sessions" in text and "not interleaved" in text
    assert "timed differently" not in text  # both sessions used the same settings


def test_sessions_that_timed_differently_are_named(summary, runs):
    older = dict(STAMP, session="s0", settings={"repeats": 6, "warmup": 1, "min_time": 0.2})
    text = render(prepared(summary, runs, CONFIG, stamps=[STAMP, older]))
    assert "timed differently" in text and "s0: min_time 0.2, calibration_margin None, warmup 1" in text


def test_warnings_are_grouped_counted_and_folded(runs):
    loaded = runs.copy()
    loaded["host_busy_before"] = 0.0
    loaded.loc[loaded["runtime"] == "go", "host_busy_before"] = 0.5
    summary = summary_table(loaded, min_seconds=0.5)
    grouped = warning_lines(summary, {"warnings": {"cv": 0.05, "min_seconds": 0.5, "busy": 0.1}})
    assert set(grouped) == {"short", "under load"}
    assert len(grouped["under load"]) == 2  # both go cells (the A/A twin is not a cell of summary.csv)
    text = render(prepared(summary, loaded, CONFIG))
    assert "- **under load** (2 cells)" in text and "<summary>under load: the 2 cells</summary>" in text
    assert "first repeat" not in text


def test_uneven_shares_are_a_warning_with_the_slowest_workers_figure(runs):
    summary = summary_table(runs)
    free = (summary["runtime"] == "cpython-3.13t") & (summary["workers"] == 2) & (summary["variant"] == "")
    assert free.sum() == 1
    summary.loc[free, ["warn_uneven", "worker_spread_median"]] = [True, 1.92]
    grouped = warning_lines(summary, {})
    assert grouped["uneven shares"] == [
        "- cpython-3.13t cpu_loop threads on CPUs 0-1 (2 workers) (the slowest worker 1.92× their mean)"
    ]
    text = render(prepared(summary, runs, CONFIG))
    assert "- **uneven shares** (1 cells): the slowest of workers that ran side by side took over 1.25× their" in text
    lenient = render(prepared(summary, runs, {**CONFIG, "warnings": {"uneven": 1.5}}))
    assert "took over 1.50× their mean" in lenient  # the configured limit, as the flag was made with


def test_coordination_costs_come_from_summary():
    records = []
    for k in range(6):
        records.append(
            dict(
                record("go", "goroutines", "0-1", 2, 2, k, 0.5),
                workload="channels",
                params={"messages": 1000, "capacity": 4},
                tasks=4,
                latency_p50_us=3.0,
                latency_p99_us=30.0,
            )
        )
        records.append(
            dict(
                record("go", "goroutines", "0-1", 2, 2, k, 0.001),
                workload="spawn",
                params={"count": 100},
                tasks=100,
                rss_before_kb=1000,
                rss_parked_kb=1250,
                os_threads_before=4,
                os_threads_parked=4,
                spawn_seconds=0.0001,
            )
        )
    costs = coordination_rows(summary_table(runs_table(records))).set_index("workload")
    assert costs.loc["channels", "value"] == "0.500 s; 3.0 / 30.0"
    assert costs.loc["spawn", "value"] == "1.0 µs, 2.5 KB, 0.00" and costs.loc["spawn", "workers"] == 100


def test_workload_table():
    config = {"workloads": {"io_wait": {"tasks": 5, "sleep_us": 10, "workers": ["cpus", 16]}, "alloc": None}}
    rows = workload_rows(config)
    assert list(rows["workload"]) == ["io_wait"] and rows.iloc[0]["parameters"] == "sleep_us=10, tasks=5"


def test_claims_link_their_figures_and_sections(tmp_path):
    figures = {"cpu_loop": tmp_path / "figures" / "cpu_loop_scaling.png"}
    text = shown_in(("figure:cpu_loop", "figure:hash", "table:Coordination costs"), figures, tmp_path)
    assert text == "[cpu_loop figure](figures/cpu_loop_scaling.png), § Coordination costs"


def test_claims_are_decided_before_the_report_and_read_back_as_they_were(runs, summary, tmp_path):
    from parbench.analysis import analysed
    from parbench.decide import read_claims

    analysed_files(tmp_path, runs, summary)
    claims = pd.read_csv(tmp_path / "claims.csv")
    assert list(claims.columns[:5]) == ["claim", "kind", "verdict", "scope", "key_figure"] and len(claims) == 9
    decided = analysed(summary, runs, CONFIG["catalogue"])[1]
    read = read_claims(tmp_path / "claims.csv")
    assert [c.verdict for c in read] == [c.verdict for c in decided]
    assert [c.shown_in for c in read] == [c.shown_in for c in decided] and any(c.shown_in for c in read)
    assert [c.key_figure for c in read] == [c.key_figure for c in decided]


def test_cli_renders_the_claims_file_and_tolerates_a_missing_stamp(runs, summary, tmp_path, capsys):
    args = analysed_files(tmp_path, runs, summary)
    args += ["--sessions", str(tmp_path / "sessions.json"), "--config-json", json.dumps(CONFIG)]
    args += ["--report", str(tmp_path / "report.md"), "--environment", str(tmp_path / "environment.json")]
    args += ["--figures", str(tmp_path / "figures"), "--host-label", "test"]
    assert main(args) == 0
    text = (tmp_path / "report.md").read_text()
    assert "No session stamp" in text
    first_verdict = pd.read_csv(tmp_path / "claims.csv")["verdict"].iloc[0]
    assert first_verdict in text
    assert main(args + ["--comparisons", str(tmp_path / "missing.csv")]) == 1
    assert "missing.csv does not exist" in capsys.readouterr().err
    assert main(args + ["--claims", str(tmp_path / "none.csv")]) == 1
    assert "none.csv does not exist" in capsys.readouterr().err
    (tmp_path / "sessions.json").write_text("[]")
    assert main(args) == 1


def test_every_workload_says_what_its_timed_section_holds_and_what_bounds_it():
    from parbench.specs import TIMED_SECTION, WORKLOAD_KINDS, WORKLOADS

    assert set(TIMED_SECTION) == set(WORKLOADS) == set(WORKLOAD_KINDS)


def test_containers_of_several_values_are_said_where_containers_are_defined():
    from parbench.report import several_values, values_sentence

    settings = {"values_time": 1.0, "max_values": 3}
    assert several_values(settings) == (
        " that measures up to 3 values (as many as make 1 s); a container's figure is the median of its values"
    )
    assert several_values({"values_time": 0, "max_values": 3}) == "" and several_values({}) == ""
    assert "n counts containers" in values_sentence(settings)
    assert values_sentence({"max_values": 1}) == "Each container measures one value. "


def test_what_a_container_has_once_is_counted_once():
    """Start-up, warm-up and retries are copied onto each of a container's values; the report counts them once."""
    from parbench.report import ReportInputs, stamp_totals, startup_lines, warnings_section
    from parbench.runfacts import session_cells

    once = {
        0: {"startup_seconds": 0.3, "warmup_seconds": 2.0, "retries": 1},  # container 0 measured three values
        1: {"startup_seconds": 0.5, "warmup_seconds": 1.0, "retries": 0},
    }  # container 1 one
    rows = [
        dict(
            record("go", "goroutines", "0", 1, 1, order, 0.1),
            order=order,
            round=order,
            value=value,
            total_seconds=0.4,
            **once[order],
        )
        for order, values in ((0, 3), (1, 1))
        for value in range(values)
    ]
    runs = runs_table(rows)
    assert len(runs) == 4 and runs["startup_seconds"].tolist().count(0.3) == 3
    assert startup_lines(runs)[0].endswith("go 0.40 s.")  # the median of two containers, not 0.30 of four rows
    assert session_cells(runs)["containers"].tolist() == [2]
    assert "cost 3.0 s against 1.6 s of timed sections (runs.csv)" in stamp_totals(None, runs)
    inputs = ReportInputs(summary=summary_table(runs), runs=runs, comparisons=pd.DataFrame(), claims=[], config={})
    assert "- **retried** (1 containers)" in "\n".join(warnings_section(inputs))


def test_every_section_heading_appears_in_reading_order(summary, runs):
    """The report's top headings are exactly these, in this order, when rendered from small fixture tables."""
    text = render(prepared(summary, runs, CONFIG, stamps=[STAMP]))
    headings = [line for line in text.splitlines() if re.match(r"#{1,3} ", line) and not re.match(r"### \d", line)]
    assert headings == [
        "# parbench report",
        "## The blog's table, on this machine",
        "## Claims of the blog, tested",
        "## Claims in detail",
        '### What "Average Time per Thread" measures',
        "## Ratios of median times",
        "## The fastest way in Python",
        "## Scaling",
        "## Variants: one effect at a time",
        "## Noise floor (A/A run)",
        "## How it was measured",
        "### What a timed section holds",
        "### CPU sets",
        "### Provenance",
        "## Warnings",
        "## Appendix",
    ]


MACHINE = {
    "host_label": "measured-host",
    "collected_at": "2026-11-25T16:30:00+00:00",
    "cpu_model": "Test CPU",
    "cpu_flags": "fpu sse",
    "kernel": "6.1.0-test",
    "docker_server_version": "20.10.24",
    "topology": {"smt": False},
}


def test_the_environment_comes_from_the_stamps_not_the_machine(runs, summary, tmp_path, monkeypatch):
    import parbench.environment

    def asked(*_):
        raise AssertionError("the report asked the machine it runs on")

    monkeypatch.setattr(parbench.environment, "collect", asked)
    (tmp_path / "sessions.json").write_text(json.dumps({"sessions": [dict(STAMP, machine=MACHINE)]}))
    args = analysed_files(tmp_path, runs, summary)
    args += ["--sessions", str(tmp_path / "sessions.json"), "--config-json", json.dumps(CONFIG)]
    args += ["--report", str(tmp_path / "report.md"), "--environment", str(tmp_path / "environment.json")]
    args += ["--figures", str(tmp_path / "figures"), "--host-label", "label-here"]
    assert main(args) == 0
    environment = json.loads((tmp_path / "environment.json").read_text())
    assert environment["session"] == "s1" and environment["host_label"] == "measured-host"
    assert environment["collected_at"] == "2026-11-25T16:30:00+00:00" and environment["cpu_flags"] == "fpu sse"
    appendix = (tmp_path / "report.md").read_text().split("## Appendix")[1]
    assert "| collected_at " in appendix and "2026-11-25T16:30:00+00:00" in appendix and "measured-host" in appendix
    assert "fpu sse" not in appendix and "'smt'" not in appendix  # flags and topology are not table rows
    (tmp_path / "sessions.json").unlink()
    assert main(args) == 0
    assert json.loads((tmp_path / "environment.json").read_text()) == {"host_label": "label-here", "session": None}
    assert "the measuring machine is not recorded" in (tmp_path / "report.md").read_text()


def test_a_stamp_without_machine_facts_still_gives_its_own():
    from parbench.report import stamp_environment

    older = {k: v for k, v in STAMP.items() if k != "machine"}
    assert stamp_environment([older])["cpu_model"] == "Test CPU" and stamp_environment(None) == {}
    assert stamp_environment([dict(STAMP, machine=MACHINE), dict(STAMP, session="s2", machine={"kernel": "k2"})]) == {
        "session": "s2",
        "kernel": "k2",
    }  # the last session's


def test_the_report_computes_nothing():
    """No section imports a statistic, a table builder or the machine: it renders what the analysis layer made."""
    from pathlib import Path

    import parbench.report

    folder = Path(parbench.report.__file__).parent
    computing = (
        *("ratio_ci", "differs", "comparisons_table", "all_claims", "summary_table", "runs_table", "bootstrap"),
        *("per_container", "one_row_per_container", "container_keys", "import environment", "..environment"),
    )
    # Whole names only: `cells_per_container` (a setting read) is not `per_container` (a computation).
    pattern = re.compile("|".join(rf"(?<![\w.]){re.escape(name)}\b" for name in computing))
    for module in sorted(folder.glob("*.py")):
        imports = [line for line in module.read_text().splitlines() if line.startswith(("from ", "import "))]
        assert not [line for line in imports if pattern.search(line)], module.name
    assert not (folder / "_compute.py").exists()


def test_a_budgets_cut_is_said_under_the_opening_paragraph(summary, runs):
    budget = {"limit": "1m", "asked_repeats": 6, "repeats": 4}
    stamp = {**STAMP, "settings": {**STAMP["settings"], "repeats": 4, "budget": budget}}
    text = render(prepared(summary, runs, CONFIG, stamps=[stamp]))
    line = "**Time budget:** The budget of 1m left 4 of the 6 rounds asked."
    assert text.index(line) < text.index("## The blog's table, on this machine")
    assert "**Time budget:**" not in render(prepared(summary, runs, CONFIG, stamps=[STAMP]))
