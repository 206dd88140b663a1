import json
import math

import pytest

from parbench.aggregate import checksum_problem, load_records, main, read_table, runs_table, summary_table

from fixtures import RUNS_CSV_COLUMNS, record, scaling_records


def test_runs_table_is_tidy_and_drops_warmups():
    runs = runs_table(scaling_records())
    assert set(RUNS_CSV_COLUMNS) <= set(runs.columns)
    assert len(runs) == 36
    assert not (runs["seconds"] == 9.9).any()
    assert runs["checksum_hex"].unique().tolist() == [(498507.4854708605).hex()]


def test_summary_speedup_and_efficiency():
    summary = summary_table(runs_table(scaling_records())).set_index(["runtime", "cpuset"])
    go2 = summary.loc[("go", "0-1")]
    assert go2["n"] == 6
    assert go2["speedup"] == pytest.approx(2.0)  # W x T1 / TW = 2 x 0.1 / 0.1
    assert go2["efficiency"] == pytest.approx(1.0)
    gil2 = summary.loc[("cpython-3.13", "0-1")]
    assert gil2["speedup"] == pytest.approx(1.0)  # twice the work in twice the time
    assert gil2["efficiency"] == pytest.approx(0.5)
    free2 = summary.loc[("cpython-3.13t", "0-1")]
    assert free2["speedup"] == pytest.approx(2.0)
    assert free2["median"] == pytest.approx(6.0 * 1.025)
    assert free2["ci_low"] == pytest.approx(6.0) and free2["ci_high"] == pytest.approx(6.0 * 1.05)


def test_speedup_interval_and_significance():
    summary = summary_table(runs_table(scaling_records())).set_index(["runtime", "cpuset"])
    free2 = summary.loc[("cpython-3.13t", "0-1")]
    assert free2["speedup_ci_low"] < 2.0 < free2["speedup_ci_high"] and bool(free2["speedup_significant"])
    gil2 = summary.loc[("cpython-3.13", "0-1")]
    assert not gil2["speedup_significant"]  # GIL threads: W x T1 and TW are the same samples, so ~


def test_warning_flags_follow_the_limits():
    records = scaling_records()
    records[0] = dict(records[0], seconds=0.2)  # go on CPU 0, repeat 0: far above the others
    summary = summary_table(runs_table(records), cv_limit=0.05, min_seconds=1.0).set_index(["runtime", "cpuset"])
    go1 = summary.loc[("go", "0")]
    assert go1["warn_cv"] and go1["warn_short"]
    gil1 = summary.loc[("cpython-3.13", "0")]
    assert not gil1["warn_cv"] and not gil1["warn_short"]
    # Nothing read the first-repeat flag or the ratio to the fastest cell (issue 18): they are gone.
    assert not {"warn_first_repeat", "ratio_to_fastest"} & set(summary.columns)


def test_speedup_missing_without_a_one_worker_baseline():
    records = [r for r in scaling_records() if not (r["runtime"] == "go" and r["workers"] == 1)]
    summary = summary_table(runs_table(records)).set_index(["runtime", "cpuset"])
    assert summary.loc[("go", "0-1"), "speedup"] != summary.loc[("go", "0-1"), "speedup"]  # NaN


def test_checksum_disagreement_is_reported_with_runtimes():
    records = scaling_records() + [record("cpython-3.13", "threads", "0", 1, 1, 7, 5.0, checksum=1.5, gil=True)]
    problem = checksum_problem(runs_table(records))
    assert "cpu_loop (iterations=1000) with 1 worker(s)" in problem and "cpython-3.13" in problem and "0x1.8" in problem


def test_main_refuses_disagreeing_checksums_and_writes_nothing(tmp_path, capsys):
    raw = tmp_path / "a.jsonl"
    raw.write_text(
        json.dumps(record(checksum=1.0)) + "\n" + json.dumps(record("cpython-3.13", "threads", gil=True)) + "\n"
    )
    runs, summary = tmp_path / "runs.csv", tmp_path / "summary.csv"
    assert main(["--runs", str(runs), "--summary", str(summary), str(raw)]) == 1
    assert "checksums disagree" in capsys.readouterr().err
    assert not runs.exists() and not summary.exists()


def test_main_writes_both_tables(tmp_path):
    raw = tmp_path / "a.jsonl"
    raw.write_text("".join(json.dumps(r) + "\n" for r in scaling_records()))
    runs, summary = tmp_path / "runs.csv", tmp_path / "summary.csv"
    assert main(["--runs", str(runs), "--summary", str(summary), str(raw)]) == 0
    assert runs.read_text().splitlines()[0].startswith("runtime,workload,params,mode,variant,cpuset,cpus,workers")
    assert len(summary.read_text().splitlines()) == 7


def test_main_takes_its_warning_limits_from_the_experiment(tmp_path):
    # The report reads `warnings` from the same config.json, so the two cannot disagree.
    records = scaling_records()
    records[0] = dict(records[0], seconds=0.2)  # go on CPU 0: a cv far above 5 %
    raw = tmp_path / "a.jsonl"
    raw.write_text("".join(json.dumps(r) + "\n" for r in records))
    experiment = tmp_path / "config.json"
    flagged = {}
    for name, warnings in {"default": None, "lenient": {"cv": 10.0}}.items():
        experiment.write_text(json.dumps({"repeats": 6} | ({"warnings": warnings} if warnings else {})))
        summary = tmp_path / f"{name}.csv"
        arguments = ["--runs", str(tmp_path / "runs.csv"), "--summary", str(summary), "--config-file", str(experiment)]
        assert main([*arguments, str(raw)]) == 0
        flagged[name] = int(read_table(summary)["warn_cv"].sum())
    assert flagged == {"default": 1, "lenient": 0}


def test_corrupt_raw_line_names_the_file(tmp_path):
    raw = tmp_path / "bad.jsonl"
    raw.write_text("{not json\n")
    with pytest.raises(Exception, match="bad.jsonl:1"):
        load_records([raw])


def test_tables_read_back_as_written(tmp_path):
    from parbench.aggregate import read_table, write_csv

    runs = runs_table(scaling_records() + [dict(record("go", "goroutines", "0", 1, 1, 9, 0.1), variant="gomaxprocs1")])
    write_csv(runs, tmp_path / "runs.csv")
    back = read_table(tmp_path / "runs.csv")
    assert sorted(set(back["variant"])) == ["", "gomaxprocs1"]  # "" survives, not NaN
    assert sorted(set(back["cpuset"])) == ["0", "0-1"]  # all text, "0" not read as a number
    assert back["checksum"].tolist() == runs["checksum"].tolist()  # exact floats


def _as(workload: str, params: dict, rec: dict, **extra) -> dict:
    return dict(rec, workload=workload, params=params, **extra)


def test_strong_scaling_speedup_is_t1_over_tw_and_checksums_may_differ_by_workers():
    records = []
    for k in range(6):
        records.append(
            _as(
                "cpu_loop_strong",
                {"iterations": 10},
                record("go", "goroutines", "0", 1, 1, k, 1.0 + k * 0.01),
                checksum=1.0,
            )
        )
        records.append(
            _as(
                "cpu_loop_strong",
                {"iterations": 10},
                record("go", "goroutines", "0-1", 2, 2, k, 0.5 + k * 0.005),
                checksum=1.5,
            )
        )
    runs = runs_table(records)
    assert checksum_problem(runs) is None  # split sums differ with the worker count, not between runtimes
    summary = summary_table(runs).set_index("cpuset")
    assert summary.loc["0-1", "speedup"] == pytest.approx(2.0) and summary.loc["0-1", "scaling"] == "strong"
    assert runs["params"].unique().tolist() == ["iterations=10"]
    other = runs_table(
        records
        + [_as("cpu_loop_strong", {"iterations": 10}, record("cpython-3.13", "threads", "0-1", 2, 2), checksum=2.0)]
    )
    assert "cpu_loop_strong (iterations=10) with 2 worker(s)" in checksum_problem(other)


def test_spawn_costs_per_task_without_speedup_or_short_warning():
    records = [
        _as(
            "spawn",
            {"count": 1000},
            record("go", "goroutines", "0-1", 2, 2, k, 0.001),
            tasks=1000,
            rss_before_kb=3000,
            rss_parked_kb=3000 + 2600 + k,
            os_threads_before=4,
            os_threads_parked=5,
            spawn_seconds=0.002,
            worker_seconds=[0.0] * 1000,
        )
        for k in range(6)
    ]
    runs = runs_table(records)
    assert runs["worker_seconds"].isna().all() and (runs["worker_seconds_median"] == 0.0).all()  # 1000 not listed
    cell = summary_table(runs, min_seconds=0.1).iloc[0]
    assert cell["rss_kb_per_task"] == pytest.approx(2.6025) and cell["os_threads_per_task"] == pytest.approx(0.001)
    assert cell["spawn_us_per_task"] == pytest.approx(2.0) and cell["tasks"] == 1000
    assert math.isnan(cell["speedup"]) and not cell["warn_short"]


def test_loops_and_sessions_reach_the_tables(tmp_path):
    calibrated = [dict(r, loops=8, total_seconds=r["seconds"] * 8, session="s1", retries=0) for r in scaling_records()]
    raw = tmp_path / "a.jsonl"
    raw.write_text("".join(json.dumps(r) + "\n" for r in calibrated))
    stamps = tmp_path / "raw"
    (stamps / "sessions").mkdir(parents=True)
    (stamps / "sessions" / "s1.json").write_text(json.dumps({"session": "s1", "git_commit": "abc"}))
    runs, summary, sessions = tmp_path / "runs.csv", tmp_path / "summary.csv", tmp_path / "sessions.json"
    assert (
        main(
            [
                "--runs",
                str(runs),
                "--summary",
                str(summary),
                "--sessions",
                str(sessions),
                "--raw-dir",
                str(stamps),
                str(raw),
            ]
        )
        == 0
    )
    table = read_table(runs)
    assert (table["loops"] == 8).all() and (table["session"] == "s1").all()
    assert table["total_seconds"].tolist() == pytest.approx((table["seconds"] * 8).tolist())
    assert json.loads(sessions.read_text()) == {"sessions": [{"session": "s1", "git_commit": "abc"}]}


def test_records_from_before_calibration_count_as_one_loop():
    runs = runs_table(scaling_records())
    assert (runs["loops"] == 1).all() and (runs["total_seconds"] == runs["seconds"]).all()
    assert (runs["retries"] == 0).all()


def test_a_host_manifest_names_its_raw_files(tmp_path):
    from parbench.aggregate import listed_raw_files

    manifest = tmp_path / "raw.json"
    manifest.write_text(json.dumps({"host": "n1", "raw": ["results/hosts/n1/raw/go/a.jsonl"]}))
    assert [str(p) for p in listed_raw_files(manifest)] == ["results/hosts/n1/raw/go/a.jsonl"]
    plain = tmp_path / "cells.txt"
    plain.write_text("a.jsonl\nb.jsonl\n")
    assert [str(p) for p in listed_raw_files(plain)] == ["a.jsonl", "b.jsonl"]


def test_short_means_a_short_timed_section_and_sleepers_are_judged_per_worker():
    from parbench.speedup import ideal_speedup

    # 5 ms loops, 64 of them: a 0.32 s section is long enough to time.
    calibrated = [dict(r, seconds=0.005, loops=64, total_seconds=0.32) for r in scaling_records()]
    assert not summary_table(runs_table(calibrated))["warn_short"].any()
    single = [dict(r, seconds=0.005, loops=1, total_seconds=0.005) for r in scaling_records()]
    assert summary_table(runs_table(single))["warn_short"].all()
    import pandas as pd

    cells = pd.DataFrame({"workload": ["io_wait", "cpu_loop", "cpu_loop"], "workers": [16, 16, 2], "cpus": [2, 2, 2]})
    assert [ideal_speedup(w, n, c) for w, n, c in zip(cells["workload"], cells["workers"], cells["cpus"])] == [16, 2, 2]


def several_values_per_container() -> list[dict]:
    """Two cells, six containers each; the Go cell's containers measure three values each."""
    out = []
    for order in range(6):
        for value, seconds in enumerate((0.10, 0.30, 0.11)):  # a stray middle value in every container
            out.append(
                dict(
                    record("go", "goroutines", "0", 1, 1, value, seconds * (1 + order / 100)),
                    order=order * 2,
                    round=order,
                )
            )
        out.append(
            dict(record("go", "goroutines", "0-1", 2, 2, 0, 0.1 * (1 + order / 100)), order=order * 2 + 1, round=order)
        )
    return out


def test_a_cells_statistics_take_one_figure_per_container():
    from parbench.aggregate import per_container

    runs = runs_table(several_values_per_container())
    one = runs[runs["cpuset"] == "0"]
    assert len(one) == 18
    assert per_container(one) == pytest.approx([0.11 * (1 + order / 100) for order in range(6)])
    summary = summary_table(runs).set_index("cpuset")
    assert summary.loc["0", "n"] == 6 and summary.loc["0", "values"] == 18
    # The containers' medians, not all 18 values: those would give a mean of 0.17 and a minimum of 0.10.
    assert summary.loc["0", "median"] == pytest.approx(0.11 * 1.025)
    assert summary.loc["0", "mean"] == pytest.approx(0.11 * 1.025) and summary.loc["0", "min"] == pytest.approx(0.11)
    assert summary.loc["0-1", "n"] == 6 and summary.loc["0-1", "values"] == 6


def test_records_without_containers_are_upgraded_to_one_container_each():
    from parbench.aggregate import per_container

    runs = runs_table(scaling_records())  # records from before the journal: no order, no round
    assert runs["order"].notna().all() and runs["order"].is_unique
    assert (runs["round"] == runs["repeat"]).all()
    cell = runs[(runs["runtime"] == "go") & (runs["cpuset"] == "0")]
    assert list(per_container(cell)) == list(cell["seconds"])


def test_one_vocabulary_names_flavours_modes_and_default_limits():
    from parbench.names import PARALLEL_MODE, catalogue_flavour, flavour, warning_limits

    assert [flavour("go", False), flavour("cpython", True), flavour("cpython", False)] == [
        "go",
        "free-threaded",
        "gil",
    ]
    assert catalogue_flavour({"kind": "cpython", "free_threading": True}) == "free-threaded"
    assert catalogue_flavour({"kind": "go"}) == "go" and PARALLEL_MODE == {"cpython": "threads", "go": "goroutines"}
    defaults = {"cv_limit": 0.05, "min_seconds": 0.1, "busy_limit": 0.1, "uneven_limit": 1.25}
    assert warning_limits() == defaults
    assert warning_limits({"cv": 0.2}) == {**defaults, "cv_limit": 0.2}


def test_speedup_is_computed_once_from_the_fewest_cpus_one_worker_baseline():
    from parbench.speedup import baselines, scaled_baseline, speedup, work_factor

    one_cpu = ("h", "go", "cpu_loop", "x=1", "goroutines", "", "0", 1, 1)
    two_cpus = ("h", "go", "cpu_loop", "x=1", "goroutines", "", "0-1", 2, 1)
    wide = ("h", "go", "cpu_loop", "x=1", "goroutines", "", "0-1", 2, 2)
    other = ("h", "go", "cpu_loop", "x=1", "goroutines", "gomaxprocs1", "0-1", 2, 2)
    assert baselines([two_cpus, wide, one_cpu, other]) == {two_cpus: one_cpu, wide: one_cpu, one_cpu: one_cpu}
    assert (work_factor("cpu_loop", 4), work_factor("cpu_loop_strong", 4)) == (4, 1)
    assert list(scaled_baseline([1.0, 2.0], "cpu_loop", 3)) == [3.0, 6.0]
    ratio, low, high, p = speedup([1.0] * 6, [1.0] * 6, "cpu_loop", 2)  # twice the work in the same time
    assert (ratio, low, high) == (2.0, 2.0, 2.0) and p < 0.05


def test_runs_table_says_which_cells_shared_a_container():
    """Cells that shared a container (cells_per_container > 1) say so in runs.csv; a lone one leaves both empty."""
    records = scaling_records()
    marked = next(r for r in records if not r.get("warmup"))
    marked.update(container_cells=3, container_order=7, seconds=123.0)
    runs = runs_table(records)
    shared = runs[runs["container_cells"].notna()]
    assert shared[["container_cells", "container_order", "seconds"]].values.tolist() == [[3, 7, 123.0]]
    assert runs["container_order"].isna().sum() == len(runs) - 1
    assert ",7,3,123.0," in runs.to_csv(index=False)  # whole numbers in the CSV, beside `seconds`
