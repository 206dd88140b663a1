"""Shares that cost alike: the slowest worker against the workers' mean, where they ran side by side."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from parbench.aggregate import read_table, runs_table, summary_table, write_csv
from parbench.shares import side_by_side, spread

from fixtures import scaling_records

REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"


def test_spread_is_the_slowest_over_the_mean():
    assert spread([0.03, 0.03]) == 1.0
    assert spread([0.0023, 0.0546]) == pytest.approx(1.919, abs=1e-3)
    assert math.isnan(spread([0.5])) and math.isnan(spread([])) and math.isnan(spread([0.0, 0.0]))


@pytest.mark.parametrize(
    ("mode", "workers", "cpus", "gil", "gomaxprocs", "together"),
    [
        ("processes", 2, 2, True, None, True),
        ("threads", 2, 2, False, None, True),  # free-threaded
        ("threads", 2, 2, True, None, False),  # under a GIL threads take turns
        ("goroutines", 2, 2, math.nan, 2, True),
        ("goroutines", 2, 2, math.nan, 1, False),  # GOMAXPROCS=1
        ("goroutines", 2, 2, math.nan, math.nan, True),  # GOMAXPROCS not recorded: the CPUs
        ("processes", 16, 2, True, None, False),  # more workers than CPUs take turns
        ("sequential", 1, 1, True, None, False),
    ],
)
def test_workers_ran_side_by_side_only_each_on_a_cpu_of_its_own(mode, workers, cpus, gil, gomaxprocs, together):
    assert side_by_side(mode, workers, cpus, gil, gomaxprocs) is together
    assert side_by_side(mode, workers, cpus, gil, gomaxprocs, tasks=workers) is together
    # spawn's parked tasks, channels' producers and consumers: tasks that are no shares of one job
    assert side_by_side(mode, workers, cpus, gil, gomaxprocs, tasks=2 * workers) is False


def uneven(records: list[dict], runtime: str, times: list[float]) -> list[dict]:
    """The records, with `runtime`'s 2-worker cells' workers taking `times`."""
    return [{**r, "worker_seconds": times} if r["runtime"] == runtime and r["workers"] == 2 else r for r in records]


def test_uneven_shares_are_flagged_where_the_workers_ran_side_by_side():
    records = uneven(uneven(scaling_records(), "cpython-3.13t", [0.0023, 0.0546]), "cpython-3.13", [0.0023, 0.0546])
    summary = summary_table(runs_table(records)).set_index(["runtime", "workers"])
    assert summary.loc[("cpython-3.13t", 2), "warn_uneven"]  # free-threaded threads: the share bounded them
    assert summary.loc[("cpython-3.13t", 2), "worker_spread_median"] == pytest.approx(1.919, abs=1e-3)
    assert not summary.loc[("cpython-3.13", 2), "warn_uneven"]  # GIL threads took turns: their times say nothing
    assert not summary.loc[("cpython-3.13t", 1), "warn_uneven"]  # one worker
    lenient = summary_table(runs_table(records), uneven_limit=2.0).set_index(["runtime", "workers"])
    assert not lenient.loc[("cpython-3.13t", 2), "warn_uneven"]


def test_the_flag_survives_runs_csv_read_back(tmp_path):
    """summary.csv is made from runs.csv as read back too (a merge, a bundle): gil_enabled is then text or empty."""
    records = uneven(scaling_records(), "cpython-3.13t", [0.0023, 0.0546])
    write_csv(runs_table(records), tmp_path / "runs.csv")
    summary = summary_table(read_table(tmp_path / "runs.csv")).set_index(["runtime", "workers"])
    assert summary.loc[("cpython-3.13t", 2), "warn_uneven"] and summary["warn_uneven"].sum() == 1


def test_tasks_that_are_no_shares_are_never_uneven():
    """spawn parks thousands of tasks on 2 workers, and their times differ widely: that is no split of one job."""
    records = []
    for rec in scaling_records():
        if rec["runtime"] == "cpython-3.13t" and rec["workers"] == 2:
            rec = {**rec, "workload": "spawn", "params": {"count": 300}, "tasks": 300}
            rec["worker_seconds"] = [0.001 * (1 + k % 7) for k in range(300)]
        records.append(rec)
    summary = summary_table(runs_table(records))
    spawn = summary[summary["workload"] == "spawn"].iloc[0]
    assert spawn["worker_spread_median"] > 1.25 and not spawn["warn_uneven"]


def test_a_merged_table_fills_a_hosts_older_rows_from_their_lists():
    """One host's runs.csv from before the worker_spread column, joined with a newer one's."""
    runs = runs_table(uneven(scaling_records(), "cpython-3.13t", [0.0023, 0.0546]))
    older = runs.assign(worker_spread=float("nan"))  # as concat leaves a table that had no such column
    summary = summary_table(older).set_index(["runtime", "workers"])
    assert summary.loc[("cpython-3.13t", 2), "worker_spread_median"] == pytest.approx(1.919, abs=1e-3)


def test_the_reference_run_has_no_uneven_shares_and_its_old_table_still_gives_spreads():
    """runs.csv from before the worker_spread column: the spread comes from its worker_seconds lists."""
    runs = read_table(REFERENCE / "runs.csv")
    assert "worker_spread" not in runs.columns
    summary = summary_table(runs)
    together = summary[(summary["workers"] >= 2) & (summary["mode"] == "processes")]
    assert len(together) and together["worker_spread_median"].between(1.0, 1.1).all()
    assert not summary["warn_uneven"].any()
