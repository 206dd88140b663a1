"""`snakemake --cores all` end to end on the tiny config, through the real engine."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake.utils import update_config

from parbench.matrix import all_cells
from parbench.specs import expected_checksum, parse_params_label

from conftest import REPO, job_counts, snakemake
from fixtures import RUNS_CSV_COLUMNS

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TINY = ("--configfile", "configs/quick.yaml")


def quick_config() -> dict:
    """config.yaml with configs/quick.yaml merged over it, key by key, as Snakemake does."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "configs/quick.yaml").read_text()))
    return config


QUICK = quick_config()
CELLS = all_cells(QUICK, [0, 1])
SUMMARY_COLUMNS = [
    "runtime",
    "workload",
    "mode",
    "cpuset",
    "workers",
    "n",
    "median",
    "min",
    "mean",
    "stdev",
    "cv",
    "ci_low",
    "ci_high",
    "speedup",
    "efficiency",
]


@pytest.fixture(scope="module")
def measured(quick_run):
    return quick_run


def raw_files(project: Path, runtime: str) -> dict[Path, tuple[float, str]]:
    return {p: (p.stat().st_mtime, p.read_text()) for p in sorted((project / "results/raw" / runtime).rglob("*.jsonl"))}


def test_tables_report_and_figures(measured):
    runs = pd.read_csv(measured / "results/runs.csv")
    summary = pd.read_csv(measured / "results/summary.csv")
    assert set(RUNS_CSV_COLUMNS) <= set(runs.columns)
    assert set(SUMMARY_COLUMNS) <= set(summary.columns)
    # Every cell of the quick config (the A/A twin's rows feed only the noise floor), 2 repeats (containers) each;
    # a container may measure several values, so containers are counted by their first value.
    containers = runs[runs["value"] == 0]
    assert len(summary) == len(CELLS) - 1 and (summary["n"] == 2).all() and len(containers) == 2 * len(CELLS)
    assert set(summary["workload"]) == set(QUICK["workloads"])
    assert (containers["variant"] == "aa").sum() == 2
    variant = runs["variant"].fillna("")
    assert runs.loc[variant == "gil1", "gil_enabled"].all() and (variant == "gil1").sum() > 0
    assert set(runs.loc[variant == "gil1", "runtime"]) == {"cpython-3.13t"}
    assert (runs.loc[variant == "gomaxprocs1", "gomaxprocs"] == 1).all()
    go = runs[(variant == "") & (runs["runtime"] == "go") & (runs["mode"] == "goroutines")]
    assert (go["gomaxprocs"] == go["cpus"]).all()
    assert set(runs["runtime"]) == {"cpython-3.13", "cpython-3.13t", "go"}
    for (workload, params, workers, units), group in runs.groupby(["workload", "params", "workers", "units"]):
        expected = expected_checksum(workload, parse_params_label(params), workers, units)
        assert (group["checksum"] == expected).all(), workload
    assert (runs["affinity"].astype(str) == runs["cpuset"].astype(str)).all()
    io = runs["workload"] == "io_wait"
    assert (runs.loc[~io, "workers"] == runs.loc[~io, "cpus"]).all()
    assert sorted(runs.loc[io & (runs["mode"] == "threads") & (variant == ""), "workers"].unique()) == [1, 2, 4]
    gil = runs[variant != "gil1"].groupby("runtime")["gil_enabled"].unique()
    assert list(gil["cpython-3.13"]) == [True] and list(gil["cpython-3.13t"]) == [False]
    for runtime, ids in runs.groupby("runtime")["image_id"].unique().items():
        assert list(ids) == [(measured / "results/images" / f"{runtime}.iid").read_text().strip()]
    report = (measured / "results/report.md").read_text()
    assert "## The blog's table, on this machine" in report and "79.27" in report
    assert "## Variants: one effect at a time" in report and "PYTHON_GIL=1" in report and "GOMAXPROCS=1" in report
    for workload in set(QUICK["workloads"]) - {"spawn"}:
        assert (measured / f"results/figures/{workload}_scaling.png").stat().st_size > 10_000
    assert "## Claims of the blog, tested" in report
    claims = report.split("## Claims of the blog, tested")[1].split("\n## ")[0]
    verdicts = ("| holds", "| does not hold", "| depends", "| check passed", "| not testable", "| too few to test")
    assert sum(claims.count(v) for v in verdicts) >= 8
    assert "## How it was measured" in report and "### Provenance" in report
    environment = json.loads((measured / "results/environment.json").read_text())
    assert environment["docker_server_version"] and environment["cpu_count"] >= 1


def test_calibrated_sections_and_the_session_stamp(measured):
    runs = pd.read_csv(measured / "results/runs.csv")
    calibrated = runs[runs["workload"] != "spawn"]
    # Every calibrated cell's median timed section reaches min_time; spawn runs one loop by design.
    medians = calibrated.groupby(["runtime", "workload", "mode", "variant", "cpuset", "workers"], dropna=False)[
        "total_seconds"
    ].median()
    assert (medians >= QUICK["min_time"]).all(), medians[medians < QUICK["min_time"]]
    assert (runs.loc[runs["workload"] == "spawn", "loops"] == 1).all()
    # seconds are per configured loop; `loops` counts passes, each one unit where a loop is divided
    per_pass = runs["seconds"] * runs["loops"] / runs["units"]
    assert runs["total_seconds"].tolist() == pytest.approx(per_pass.tolist(), rel=1e-9)
    assert (runs.loc[runs["workload"] == "cpu_loop", "units"] > 1).all()  # the quick loops divide too
    # Every cell keeps its calibrated loops in every round.
    assert (
        runs.groupby(["runtime", "workload", "mode", "variant", "cpuset", "workers"], dropna=False)["loops"].nunique()
        == 1
    ).all()
    sessions = json.loads((measured / "results/sessions.json").read_text())["sessions"]
    assert [s["session"] for s in sessions] == sorted(runs["session"].unique())
    stamp = sessions[-1]
    for runtime in QUICK["runtimes"]:
        assert stamp["images"][runtime] == (measured / "results/images" / f"{runtime}.iid").read_text().strip()
    assert set(stamp["harness_sha256"]) == {"python", "go"} and stamp["docker_server_version"]
    assert stamp["topology"]["counts"]["cpus"] >= 2 and set(stamp["cpusets"]) == {"0", "0-1"}
    assert stamp["containers"] == runs.groupby(["session", "order"]).ngroups and stamp["timed_seconds"] > 0
    assert stamp["ended_at"] >= stamp["started_at"]
    # A container measures 1 to max_values values; every container of a cell as many as its first chose.
    values = runs.groupby(["runtime", "workload", "mode", "variant", "cpuset", "workers", "order"], dropna=False).size()
    assert values.between(1, stamp["settings"]["max_values"]).all() and values.max() > 1
    assert (values.groupby(level=[0, 1, 2, 3, 4, 5], dropna=False).nunique() == 1).all()
    assert not runs.duplicated(["session", "order", "value"]).any()  # `value` tells a container's values apart
    assert stamp["settings"]["min_time"] == QUICK["min_time"]
    assert not (measured / "results/session/journal.jsonl").exists()  # a finished session leaves no journal


def test_repeats_interleave_in_rounds(measured):
    runs = pd.read_csv(measured / "results/runs.csv")
    runs = runs[runs["value"] == 0]  # one row per container: its first value
    cells = runs.groupby(["runtime", "workload", "mode", "cpuset", "workers", runs["variant"].fillna("")]).ngroups
    by_round = runs.groupby("round")["order"].agg(["min", "max", "count"]).sort_index()
    assert list(by_round.index) == [0, 1] and (by_round["count"] == cells).all()
    assert by_round.loc[0, "max"] < by_round.loc[1, "min"]  # round 1 of everything before round 2
    assert (runs["repeat"] == runs["round"]).all()
    first, second = (runs[runs["round"] == k].sort_values("order")["runtime"].tolist() for k in (0, 1))
    assert first != second or len(set(first)) == 1  # shuffled afresh each round
    assert runs["load_1m_before"].notna().all() and runs["host_busy_before"].between(0, 1).all()
    assert (runs["startup_seconds"] > 0).all()


def test_cells_of_a_round_share_containers_each_a_process_of_its_own(measured):
    """The quick config lets up to cells_per_container cells of one round, image and CPU set share a container."""
    most = yaml.safe_load((REPO / "configs/quick.yaml").read_text())["cells_per_container"]
    records = [
        json.loads(line)
        for path in (measured / "results/raw").rglob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    records = pd.DataFrame(records)
    shared = records[records["container_cells"].fillna(1) > 1]
    assert len(shared) > 0.9 * len(records)  # nearly all: a group's last container may hold one cell
    for (_, _), container in shared.groupby(["session", "container_order"]):
        cells = container.drop_duplicates("order")
        assert len(cells) == cells["container_cells"].iloc[0] <= most
        assert cells["runtime"].nunique() == cells["cpuset"].nunique() == cells["round"].nunique() == 1
        assert cells["pid"].nunique() == len(cells)  # each cell a process of its own
        assert container["order"].min() == container["container_order"].iloc[0]
    # Each cell's share of its container's wall time is at least its own seconds inside it.
    inside = records.groupby(["session", "order"])[["container_seconds", "startup_seconds"]].first()
    assert (inside["startup_seconds"] > 0).all()


def test_no_op_rerun(measured):
    done = snakemake(measured, *TINY)
    assert done.returncode == 0
    assert "Nothing to be done" in done.stdout + done.stderr
    # Snakemake asks the session job's input functions even so; a session that will not run is not predicted.
    assert " predicted (" not in done.stderr, done.stderr[-2000:]


def test_a_budget_that_cuts_nothing_measures_nothing_again(measured):
    """A budget added over results measured in full, then dropped: what is measured is what it was."""
    before = {runtime: raw_files(measured, runtime) for runtime in ("go", "cpython-3.13")}
    repeats = quick_config()["repeats"]
    for changes, limit in ((("--config", "budget=1h"), "1h"), ((), None)):
        done = snakemake(measured, *TINY, *changes)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Measuring " not in done.stdout + done.stderr and " predicted (" not in done.stderr
        assert {runtime: raw_files(measured, runtime) for runtime in before} == before
        budget = json.loads((measured / "results/session/budget.json").read_text())
        assert (budget or {}).get("limit") == limit
    assert (
        f"parbench: budget 1h: all {repeats} rounds fit"
        in snakemake(measured, *TINY, "-n", "--config", "budget=1h").stderr
    )


def test_remeasure_one_runtime_leaves_the_others_alone(measured):
    before_go, before_py = raw_files(measured, "go"), raw_files(measured, "cpython-3.13")
    runs_mtime = (measured / "results/runs.csv").stat().st_mtime
    # Without --forcerun it narrows no session, and says so.
    unforced = snakemake(measured, *TINY, "-n", "--config", "remeasure=[go]")
    planned = job_counts(unforced.stdout) if "Job stats:" in unforced.stdout else {}
    assert unforced.returncode == 0 and "measure" not in planned, unforced.stdout[-3000:]
    assert "parbench: remeasure=[go] without --forcerun measure measures none of their cells that are up to date" in (
        unforced.stderr
    )
    done = snakemake(measured, *TINY, "--forcerun", "measure", "--config", "remeasure=[go]")
    assert done.returncode == 0, done.stderr[-3000:]
    # Forced, the session is predicted (its outputs all exist): Go's cells alone.
    said = [line for line in done.stderr.splitlines() if line.startswith("parbench: ") and " predicted (" in line]
    assert said and said[0].startswith(f"parbench: {len(before_go)} cells, "), done.stderr[-3000:]
    after_go = raw_files(measured, "go")
    assert after_go.keys() == before_go.keys()
    assert all(after_go[p][0] > before_go[p][0] for p in after_go)
    assert raw_files(measured, "cpython-3.13") == before_py
    assert (measured / "results/runs.csv").stat().st_mtime > runs_mtime
    # The remeasured files count as up to date afterwards: a plain run measures nothing again.
    plain = snakemake(measured, *TINY)
    assert plain.returncode == 0 and "Nothing to be done" in plain.stdout + plain.stderr


def test_failed_remeasure_keeps_earlier_results(measured):
    before = raw_files(measured, "go")
    runs_before = (measured / "results/runs.csv").read_text()
    done = snakemake(measured, *TINY, "--forcerun", "measure", "--config", "remeasure=[go]", "timeout_seconds=0.001")
    assert done.returncode != 0
    assert "timeout_seconds" in done.stderr
    assert {p: text for p, (_, text) in raw_files(measured, "go").items()} == {
        p: text for p, (_, text) in before.items()
    }
    assert (measured / "results/runs.csv").read_text() == runs_before
    # This project's containers only: a name filter matches any test's container (CI at 9e1adbb found one).
    state = (measured / "results/session").resolve()
    leftovers = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label=parbench.state={state}", "--format", "{{.Names}} {{.Status}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert leftovers.stdout.strip() == ""
    # The next plain command takes up the stopped remeasure as what it was: Go's cells, not the whole plan.
    after = snakemake(measured, *TINY, "-n")
    assert after.returncode == 0, after.stderr[-3000:]
    assert f"Measuring {len(before)} cells, " in after.stdout + after.stderr


def test_a_run_that_fails_with_new_settings_leaves_the_results_settings_so_going_back_measures_nothing(measured):
    """A run of another config that measures nothing (here: every container times out) is undone for the settings."""
    settings = measured / "results/session/settings.json"
    text, written = settings.read_text(), settings.stat().st_mtime
    failed = snakemake(measured, *TINY, "--config", "seed=99", "timeout_seconds=0.001")
    assert failed.returncode != 0 and "timeout_seconds" in failed.stderr, failed.stderr[-3000:]
    assert "results/session/settings.json holds the settings of the results again" in failed.stderr
    assert settings.read_text() == text and settings.stat().st_mtime == written
    assert not (measured / "results/session/settings.before.json").exists()
    back = snakemake(measured, *TINY, "-n")
    assert back.returncode == 0 and "measure" not in job_counts(back.stdout), back.stdout[-3000:]
    assert "was planned from other settings" in back.stderr  # the failed session's journal: not taken up
    again = job_counts(snakemake(measured, *TINY, "-n", "--config", "seed=99").stdout)
    assert again["session_settings"] == again["measure"] == 1  # its config still measures, with its settings


@pytest.mark.parametrize(
    "override, starts_with",
    [
        ("runtimes=[cpython-3.14]", "parbench: config key 'runtimes': unknown runtime 'cpython-3.14'"),
        ("cpusets=['0-63']", "parbench: config key 'cpusets': CPU set '0-63' names CPU(s)"),
        ("repeats=0", "parbench: config key 'repeats'"),
        ("remeasure=[java]", "parbench: config key 'remeasure': 'java' is not an enabled runtime"),
        ("repeats=6.0", "parbench: config key 'repeats': 6.0 is not a whole number as written: write 6"),
        (
            "workloads={cpu_loop: {iteration: 100}}",  # nested text, read as YAML would: the key, not its value
            "parbench: config key 'workloads.cpu_loop.iteration': cpu_loop has no such parameter",
        ),
    ],
)
def test_config_errors_stop_before_any_job_with_one_line(measured, override, starts_with):
    done = snakemake(measured, *TINY, "--config", override)
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("parbench:")]
    assert len(errors) == 1 and errors[0].startswith(starts_with), done.stderr
    assert "Traceback" not in done.stderr and "Building DAG" not in done.stdout + done.stderr


def test_bad_workload_parameter_in_a_config_file_is_one_line(measured):
    (measured / "bad.yaml").write_text("workloads:\n  hash: {megabytes: 0, rounds: 1}\n")
    done = snakemake(measured, "--configfile", "configs/quick.yaml", "bad.yaml")
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("parbench:")]
    assert errors == ["parbench: config key 'workloads.hash.megabytes': 0 is below 1"], done.stderr
    assert "Traceback" not in done.stderr


def test_text_in_a_config_file_is_not_read_as_a_number(measured):
    """Only --config's values are read again as YAML would (Snakemake passes them on as text); a file's are YAML's."""
    (measured / "quoted.yaml").write_text('workloads:\n  hash: {megabytes: "2", rounds: 1}\n')
    done = snakemake(measured, "-n", "--configfile", "configs/quick.yaml", "quoted.yaml")
    errors = [line for line in done.stderr.splitlines() if line.startswith("parbench:")]
    assert errors == ["parbench: config key 'workloads.hash.megabytes': '2' is not a whole number"], done.stderr


def test_unreachable_daemon_is_one_line(measured):
    done = snakemake(measured, *TINY, "--forcerun", "report", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("parbench:")]
    # The failed remeasure before this test left its session unfinished, so a notice that this run
    # takes it up again may come first, and the plan's predicted session (estimate.py) is said
    # as the DAG is built; the one error is the daemon's, and it comes last.
    said = ("did not finish", " predicted (")
    notices = [line for line in lines if any(phrase in line for phrase in said)]
    errors = [line for line in lines if line not in notices]
    assert len(errors) == 1 and "cannot reach the Docker daemon" in errors[0] and "Traceback" not in done.stderr
    assert lines[-1] == errors[0]
    assert not list((measured / ".snakemake/locks").glob("*")), "the failed run left its lock behind"


def test_publish_bundle_verifies_and_keeps_the_host_private(measured):
    import re
    import socket
    import sys

    done = snakemake(measured, "publish", *TINY)
    assert done.returncode == 0, done.stderr[-3000:]
    bundles = sorted((measured / "results/publish").glob("parbench-*.tar.gz"))
    assert len(bundles) == 1
    assert re.fullmatch(r"parbench-host-[0-9a-f]{8}-\d{8}-(nogit|[0-9a-f]{7,})\.tar\.gz", bundles[0].name)
    verify = subprocess.run(
        [sys.executable, "-m", "parbench", "bundle", "verify", str(bundles[0])],
        cwd=measured,
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0 and verify.stdout.strip().endswith(": OK"), verify.stdout + verify.stderr
    from parbench.bundle import read_bundle

    files = read_bundle(bundles[0])
    runs = pd.read_csv(__import__("io").BytesIO(files["runs.csv"]))
    label = json.loads(files["bundle.json"])["host_label"]
    assert set(runs["host"]) == {label} and label.startswith("host-")
    private = [socket.gethostname().encode(), str(Path.home()).encode() + b"/", str(measured).encode()]
    for name, data in files.items():
        for secret in private:
            if len(secret) > 3:
                assert secret not in data, f"{secret!r} appears in {name}"


def test_snakemake_html_report(measured):
    done = snakemake(measured, "--report", "results/snakemake-report.html", *TINY)
    assert done.returncode == 0, done.stderr[-3000:]
    html = (measured / "results/snakemake-report.html").read_text(errors="replace")
    assert "cpu_loop_scaling.png" in html and "runs.csv" in html


def test_exports_for_pyperf_and_benchstat(measured):
    import sys

    from test_export import validate_benchfmt

    from parbench.export import stem

    done = snakemake(measured, *TINY)  # a no-op after the first run; it makes sure the exports are current
    assert done.returncode == 0, done.stderr[-3000:]
    pyperf_dir = measured / "results/pyperf"
    assert {p.stem for p in pyperf_dir.glob("*.json")} == {stem(cell.runtime, cell.variant) for cell in CELLS}
    files = [str(pyperf_dir / f"{runtime}.json") for runtime in QUICK["runtimes"]]
    compared = subprocess.run(
        [sys.executable, "-m", "pyperf", "compare_to", *files], capture_output=True, text=True, timeout=300
    )
    assert compared.returncode == 0, compared.stderr
    for runtime in QUICK["runtimes"]:  # every runtime's file takes part in the comparison
        assert f"[{runtime}]" in compared.stdout, compared.stdout[-3000:]
    results = validate_benchfmt((measured / "results/benchfmt.txt").read_text())
    runs = pd.read_csv(measured / "results/runs.csv")
    assert len(results) == runs.groupby(["session", "order"]).ngroups  # one line per container
    assert {r.config["runtime"] for r in results} == {stem(cell.runtime, cell.variant) for cell in CELLS}
    assert all(r.iterations >= 1 and r.values["sec/op"] > 0 for r in results)
