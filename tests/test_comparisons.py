"""comparisons.csv: every comparison the report shows, as tidy rows with intervals and p-values."""

import pandas as pd
import pytest

from parbench.aggregate import runs_table, summary_table, write_csv
from parbench.comparisons import COLUMNS, comparisons_table, main, read_comparisons, workload_label

from fixtures import gil1_records, record, scaling_records


def one(table: pd.DataFrame, **equal) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, value in equal.items():
        mask &= table[column] == value
    rows = table[mask]
    assert len(rows) == 1, rows
    return rows.iloc[0]


@pytest.fixture
def table():
    return comparisons_table(runs_table(scaling_records() + gil1_records({1: 6.0, 2: 12.0})))


def test_every_row_has_the_tidy_columns_and_one_kind(table):
    assert list(table.columns) == COLUMNS
    assert set(table["kind"]) == {"build", "gil", "runtime", "scaling", "fastest", "blog"}


def test_fastest_sets_each_python_way_with_a_worker_per_cpu_against_the_fastest(table):
    row = one(table, kind="fastest")  # 2 workers on 2 CPUs: GIL threads against free-threaded threads
    assert (row["a_runtime"], row["a_mode"], row["b_runtime"], row["b_mode"]) == (
        "cpython-3.13",
        "threads",
        "cpython-3.13t",
        "threads",
    )
    assert (row["a_workers"], row["b_cpus"]) == (2, 2)
    assert row["ratio"] == pytest.approx(10.0 / 6.0) and row["significant"]
    assert not (table.loc[table["kind"] == "fastest", "a_runtime"] == "go").any()  # Python's choice only


def test_build_is_free_threaded_over_gil_in_the_same_cell(table):
    row = one(table, kind="build", b_cpus=2)
    assert (row["a_runtime"], row["b_runtime"], row["a_mode"]) == ("cpython-3.13t", "cpython-3.13", "threads")
    assert row["ratio"] == pytest.approx(6.0 / 10.0)
    assert row["ci_low"] < row["ratio"] < row["ci_high"] and row["significant"] and row["p_value"] < 0.05


def test_gil_variant_on_the_free_threaded_build_is_the_gil_alone(table):
    alone = one(table, kind="gil", b_cpus=1)
    assert (alone["a_variant"], alone["b_variant"], alone["a_workers"]) == ("gil1", "", 1)
    assert alone["ratio"] == pytest.approx(1.0) and not alone["significant"]
    assert one(table, kind="gil", b_cpus=2)["ratio"] == pytest.approx(2.0)


def test_runtime_rows_compare_python_modes_with_goroutines(table):
    row = one(table, kind="runtime", a_runtime="cpython-3.13t", b_cpus=2)
    assert (row["a_mode"], row["b_mode"], row["b_runtime"]) == ("threads", "goroutines", "go")
    assert row["ratio"] == pytest.approx(60.0)


def test_scaling_carries_speedup_and_efficiency_against_ideal(table):
    row = one(table, kind="scaling", a_runtime="go", a_variant="")
    assert (row["a_workers"], row["b_workers"], row["ideal"]) == (1, 2, 2)
    assert row["ratio"] == pytest.approx(2.0) and row["efficiency"] == pytest.approx(1.0)
    assert row["efficiency_low"] == pytest.approx(row["ci_low"] / 2)


def test_sleeping_workers_are_judged_per_worker_not_per_cpu():
    records = [
        dict(
            record("go", "goroutines", "0", 1, w, k, 0.1 * (1 + k * 0.01)),
            workload="io_wait",
            params={"tasks": 10, "sleep_us": 100},
        )
        for w in (1, 16)
        for k in range(6)
    ]
    row = one(comparisons_table(runs_table(records)), kind="scaling")
    assert row["ideal"] == 16 and row["efficiency"] == pytest.approx(1.0) and row["workload_kind"] == "sleep"


def test_amdahl_fit_needs_three_cpu_counts():
    records = []
    for cpus, seconds in ((1, 1.0), (2, 1.1), (4, 1.3)):
        cpuset = "0" if cpus == 1 else f"0-{cpus - 1}"
        records += [record("go", "goroutines", cpuset, cpus, cpus, k, seconds * (1 + k * 0.01)) for k in range(6)]
    table = comparisons_table(runs_table(records))
    fit = one(table, kind="amdahl")
    # 4 x 1.0 / 1.3 = 3.08 on 4 CPUs: a serial fraction near 10 %.
    assert (
        fit["statistic"] == "serial_fraction"
        and 0.05 < fit["ratio"] < 0.15
        and fit["ci_low"] < fit["ratio"] < fit["ci_high"]
    )
    two = comparisons_table(runs_table([r for r in records if r["cpus"] < 4]))
    assert "amdahl" not in set(two["kind"])


def test_noise_floor_pairs_a_cell_with_its_twin():
    twin = [dict(record("go", "goroutines", "0", 1, 1, k, 0.10 * (1 + k * 0.01)), variant="aa") for k in range(6)]
    row = one(comparisons_table(runs_table(scaling_records() + twin)), kind="noise_floor")
    assert (row["a_variant"], row["b_variant"], row["a_runtime"]) == ("", "aa", "go")
    assert row["ratio"] == pytest.approx(1.0) and not row["significant"]


def test_spawn_seconds_are_never_a_time_ratio():
    records = [
        dict(record(rt, mode, "0", 1, 1, k, 0.01, gil=gil), workload="spawn", params={"count": 10})
        for rt, mode, gil in (("go", "goroutines", None), ("cpython-3.13t", "threads", False))
        for k in range(6)
    ]
    assert set(comparisons_table(runs_table(records))["kind"]) == {"blog"}


def test_blog_rows_quote_the_blog():
    blog = comparisons_table(runs_table(scaling_records()))
    row = one(blog, kind="blog", a_flavour="free-threaded", b_flavour="go")
    assert row["ratio"] == pytest.approx(16.19 / 0.11) and row["b_workers"] == 16


def test_workload_labels_name_what_bounds_them():
    assert workload_label("cpu_loop") == "cpu_loop"
    assert workload_label("hash") == "hash (C library, releases the GIL)"
    assert workload_label("io_wait") == "io_wait (sleep-bound)"


def test_cli_writes_the_table_and_refuses_mismatched_inputs(tmp_path, capsys):
    runs = runs_table(scaling_records())
    write_csv(runs, tmp_path / "runs.csv")
    write_csv(summary_table(runs), tmp_path / "summary.csv")
    assert (
        main(
            [
                "--runs",
                str(tmp_path / "runs.csv"),
                "--summary",
                str(tmp_path / "summary.csv"),
                "--out",
                str(tmp_path / "c.csv"),
            ]
        )
        == 0
    )
    written = read_comparisons(tmp_path / "c.csv")
    assert one(written, kind="build", b_cpus=1)["a_variant"] == ""
    write_csv(summary_table(runs[runs["runtime"] != "go"]), tmp_path / "other.csv")
    assert (
        main(
            [
                "--runs",
                str(tmp_path / "runs.csv"),
                "--summary",
                str(tmp_path / "other.csv"),
                "--out",
                str(tmp_path / "c2.csv"),
            ]
        )
        == 1
    )
    assert "describe different cells" in capsys.readouterr().err
    assert (
        main(
            [
                "--runs",
                str(tmp_path / "missing.csv"),
                "--summary",
                str(tmp_path / "summary.csv"),
                "--out",
                str(tmp_path / "c3.csv"),
            ]
        )
        == 1
    )


def test_analysed_gives_the_comparisons_rule_and_the_claims_they_decide():
    from parbench.analysis import analysed
    from parbench.claims import all_claims
    from parbench.flavours import with_flavours

    catalogue = {
        "cpython-3.13": {"kind": "cpython", "free_threading": False},
        "cpython-3.13t": {"kind": "cpython", "free_threading": True},
        "go": {"kind": "go"},
    }
    runs = runs_table(scaling_records())
    summary = summary_table(runs)
    made, claims = analysed(summary, runs, catalogue)
    pd.testing.assert_frame_equal(made, comparisons_table(runs, summary))
    given, same = analysed(summary, runs, catalogue, made.head(3))
    assert len(given) == 3 and len(same) == len(claims) == 9
    expected = all_claims(made, with_flavours(summary, catalogue), runs)
    assert [c.verdict for c in claims] == [c.verdict for c in expected]


def test_flavour_ratios_are_the_fastest_cells_median_ratios_with_intervals():
    from parbench.flavours import flavour_ratios

    catalogue = {
        "cpython-3.13": {"kind": "cpython", "free_threading": False},
        "cpython-3.13t": {"kind": "cpython", "free_threading": True},
        "go": {"kind": "go"},
    }
    runs = runs_table(scaling_records())
    summary = summary_table(runs)
    ratios = flavour_ratios(summary, runs, catalogue).set_index("cpus")
    median = summary.set_index(["runtime", "cpus"])["median"]
    two = ratios.loc[2]
    assert two["gil_over_go"] == pytest.approx(median[("cpython-3.13", 2)] / median[("go", 2)])
    assert two["gil_over_free_threaded"] == pytest.approx(median[("cpython-3.13", 2)] / median[("cpython-3.13t", 2)])
    assert two["gil_over_go_low"] < two["gil_over_go"] < two["gil_over_go_high"]
    assert bool(two["free_threaded_over_go_significant"]) and list(ratios.index) == [1, 2]


def test_flavour_ratios_set_cells_of_one_cpu_set_against_each_other_where_two_sets_share_a_size():
    from parbench.flavours import flavour_ratios

    catalogue = {"cpython-3.13": {"kind": "cpython", "free_threading": False}, "go": {"kind": "go"}}
    # CPU 1 is fast for Python and slow for Go: by size alone, the fastest cell of each
    # flavour comes from a different CPU, and the ratio would set CPU 1's GIL against CPU 0's Go (40×).
    seconds = {("cpython-3.13", "0"): 5.0, ("cpython-3.13", "1"): 4.0, ("go", "0"): 0.1, ("go", "1"): 0.2}
    runs = runs_table(
        [
            record(
                runtime,
                "threads" if runtime != "go" else "goroutines",
                cpuset,
                1,
                1,
                k,
                value * (1 + k / 100),
                gil=True if runtime != "go" else None,
            )
            for (runtime, cpuset), value in seconds.items()
            for k in range(6)
        ]
    )
    ratios = flavour_ratios(summary_table(runs), runs, catalogue).set_index("cpuset")
    assert list(ratios.index) == ["0", "1"] and list(ratios["cpus"]) == [1, 1]
    assert ratios.loc["0", "gil_over_go"] == pytest.approx(50.0)
    assert ratios.loc["1", "gil_over_go"] == pytest.approx(20.0)
    one_set = runs[runs["cpuset"] == "0"]
    assert list(flavour_ratios(summary_table(one_set), one_set, catalogue)["cpuset"]) == [""]


def few_rounds(rounds: int) -> pd.DataFrame:
    """The scaling fixture's first `rounds` containers per cell: what a run with that many rounds compares."""
    return comparisons_table(runs_table([r for r in scaling_records() if r["repeat"] < rounds]))


def test_three_rounds_are_too_few_to_test_and_say_so_instead_of_not_significant():
    from parbench.labels import fmt_row

    row = one(few_rounds(3), kind="runtime", a_runtime="cpython-3.13t", b_cpus=2)
    assert row["ratio"] == pytest.approx(60.0) and not row["significant"] and not row["testable"]
    assert row["ci_low"] != row["ci_low"] and row["p_value"] == pytest.approx(0.1)  # no interval; p cannot reach 0.05
    shown = fmt_row(row)
    assert "too few to test" in shown and "~" not in shown


def test_four_rounds_test_a_clear_difference_and_the_mark_follows_the_interval():
    from parbench.labels import fmt_row

    table = few_rounds(4)
    row = one(table, kind="runtime", a_runtime="cpython-3.13t", b_cpus=2)
    assert row["significant"] and row["testable"] and row["ci_low"] > 1 and fmt_row(row).startswith("60.00×")
    measured = table[table["kind"] != "blog"]
    assert measured["testable"].all()
    outside = (measured["ci_low"] > 1) | (measured["ci_high"] < 1)
    assert (measured.loc[measured["statistic"] != "serial_fraction", "significant"] == outside).all()


def test_the_blog_single_runs_are_never_tested(table):
    blog = table[table["kind"] == "blog"]
    assert len(blog) == 3 and not blog["testable"].any() and not blog["significant"].any()


def test_flavour_and_speedup_columns_carry_testable_beside_significant():
    from parbench.flavours import flavour_ratios

    catalogue = {
        "cpython-3.13": {"kind": "cpython", "free_threading": False},
        "cpython-3.13t": {"kind": "cpython", "free_threading": True},
        "go": {"kind": "go"},
    }
    for rounds, tested in ((3, False), (6, True)):
        runs = runs_table([r for r in scaling_records() if r["repeat"] < rounds])
        summary = summary_table(runs)
        two = flavour_ratios(summary, runs, catalogue).set_index("cpus").loc[2]
        assert bool(two["gil_over_go_testable"]) is tested and bool(two["gil_over_go_significant"]) is tested
        multi = summary[summary["workers"] == 2]
        assert (multi["speedup_testable"] == tested).all()
        columns = list(summary.columns)
        assert columns.index("speedup_testable") == columns.index("speedup_significant") + 1


def test_seconds_below_a_millisecond_do_not_print_as_zero_in_a_table():
    from parbench.labels import fmt_seconds, markdown_table

    assert [fmt_seconds(v) for v in (0.00000123, 0.00005, 0.00043, 0.064, 6.0281, 79.27, float("nan"))] == [
        "0.0000012",
        "0.000050",
        "0.00043",
        "0.064",
        "6.028",
        "79.27",
        "–",
    ]
    table = markdown_table(pd.DataFrame({"runtime": ["go"], "time here (s)": [fmt_seconds(0.00043)]}))
    assert "0.00043" in table  # the Markdown table reads its cells as numbers: 0.000 came out as 0
