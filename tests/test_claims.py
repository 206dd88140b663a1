"""Each claim's verdict follows the comparisons: fixture rows on both sides of every threshold."""

import math

import pandas as pd
import pytest

from parbench import claim_rules as rules
from parbench import claims
from parbench.claims import CHECK, FAILS, HOLDS, PASSED, UNTESTED

RUNTIME = {"gil": "cpython-3.13", "free-threaded": "cpython-3.13t", "go": "go"}
KINDS = {"hash": "c_library", "io_wait": "sleep", "channels": "coordination", "spawn": "coordination"}


def comp(
    kind,
    workload,
    a_flavour,
    a_mode,
    ratio,
    cpus=2,
    workers=None,
    a_variant="",
    ci=0.01,
    b_flavour=None,
    a_workers=None,
    ideal=None,
    **extra,
):
    """One comparisons.csv row: a against b on `cpus` CPUs with `workers` workers."""
    workers = cpus if workers is None else workers
    b_flavour = b_flavour or ("go" if kind == "runtime" else "gil" if kind == "build" else a_flavour)
    a_workers = (1 if kind == "scaling" else workers) if a_workers is None else a_workers
    ideal = (workers if KINDS.get(workload) == "sleep" else min(workers, cpus)) if ideal is None else ideal
    b_mode = "goroutines" if kind == "runtime" and a_mode != "sequential" else a_mode
    cpuset = "0" if cpus == 1 else f"0-{cpus - 1}"
    row = {
        "kind": kind,
        "statistic": "speedup" if kind == "scaling" else "time_ratio",
        "host": "h",
        "workload": workload,
        "workload_kind": KINDS.get(workload, "interpreter"),
        "params": "x=1",
        "a_runtime": RUNTIME[a_flavour],
        "a_flavour": a_flavour,
        "a_mode": a_mode,
        "a_variant": a_variant,
        "a_cpuset": "0" if kind == "scaling" else cpuset,
        "a_cpus": 1 if kind == "scaling" else cpus,
        "a_workers": a_workers,
        "b_runtime": RUNTIME[b_flavour],
        "b_flavour": b_flavour,
        "b_mode": b_mode,
        "b_variant": "" if kind in ("gil", "variant") else a_variant,
        "b_cpuset": cpuset,
        "b_cpus": cpus,
        "b_workers": workers,
        "ratio": ratio,
        "ci_low": ratio * (1 - ci),
        "ci_high": ratio * (1 + ci),
        "p_value": 0.002,
        "significant": True,
        "ideal": ideal,
        "efficiency": ratio / ideal,
        "efficiency_low": ratio * (1 - ci) / ideal,
        "efficiency_high": ratio * (1 + ci) / ideal,
    }
    row.update(extra)
    return row


def table(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def single(workload, build, gil=None, ci=0.01):
    """The single-thread pair: 3.13t/3.13 and 3.13t gil1/3.13t, both threads with one worker on CPU 0."""
    rows = [comp("build", workload, "free-threaded", "threads", build, cpus=1, ci=ci)]
    if gil is not None:
        rows.append(comp("gil", workload, "free-threaded", "threads", gil, cpus=1, a_variant="gil1", ci=ci))
    return rows


@pytest.mark.parametrize(
    "build, gil, verdict",
    [
        (1.65, 1.0, "does not hold: the free-threaded build carries the cost"),  # gil1 matches 3.13t: the build's cost
        (1.65, 0.6, "holds: switching the GIL back on"),  # the GIL alone speeds it up
        (1.02, 1.0, "does not hold: no single-thread cost"),  # below 1.05: no cost at all
        (1.65, None, "depends on what is meant"),  # no gil1 control measured
    ],
)
def test_single_thread_rule_separates_the_build_from_the_gil(build, gil, verdict):
    result = claims.gil_speeds_single_threads(table(*single("cpu_loop", build, gil)))
    assert result.verdict.startswith(verdict)
    assert "1 worker, threads mode" in result.scope and "PYTHON_GIL=1" in result.scope
    assert result.key_figure.startswith(f"cpu_loop (1 worker, threads): 3.13t / 3.13 {build:.2f}×")


def test_single_thread_build_threshold_needs_the_interval_above_one():
    wide = claims.gil_speeds_single_threads(table(*single("cpu_loop", 1.08, 1.0, ci=0.1)))
    assert wide.verdict.startswith("does not hold: no single-thread cost")


def test_single_thread_c_library_and_sleep_workloads_only_give_context():
    rows = single("cpu_loop", 1.65, 1.0) + single("hash", 1.0, 1.0) + single("io_wait", 1.0, 1.0)
    result = claims.gil_speeds_single_threads(table(*rows))
    assert result.verdict.startswith("does not hold: the free-threaded build")
    assert "hash (C library, releases the GIL)" in result.context and "io_wait (sleep-bound)" in result.context
    assert "hash" not in result.evidence and "hash" not in result.scope
    only_c = claims.gil_speeds_single_threads(table(*single("hash", 1.65, 1.0)))
    assert only_c.verdict == UNTESTED


def test_single_thread_mixed_interpreter_workloads_depend_on_the_workload():
    result = claims.gil_speeds_single_threads(table(*single("cpu_loop", 1.65, 1.0), *single("alloc", 1.0, 1.0)))
    assert result.verdict == "depends on the workload (cpu_loop: build; alloc: none)"


@pytest.mark.parametrize(
    "speedup, verdict", [(1.0, HOLDS), (1.2, HOLDS), (1.25, "depends on the threshold"), (1.3, FAILS), (1.9, FAILS)]
)
def test_gil_threads_do_not_scale(speedup, verdict):
    result = claims.gil_threads_do_not_scale(table(comp("scaling", "cpu_loop", "gil", "threads", speedup)))
    assert result.verdict.startswith(verdict) and "2 workers on 2 CPUs" in result.scope


def test_gil_threads_hash_scaling_never_decides():
    rows = table(comp("scaling", "cpu_loop", "gil", "threads", 0.95), comp("scaling", "hash", "gil", "threads", 1.9))
    result = claims.gil_threads_do_not_scale(rows)
    assert result.verdict == HOLDS and "hash (C library, releases the GIL) 1.90×" in result.context
    assert claims.gil_threads_do_not_scale(table(comp("scaling", "hash", "gil", "threads", 1.9))).verdict == UNTESTED


def test_one_cpu_cannot_test_parallel_claims():
    rows = table(comp("scaling", "cpu_loop", "gil", "threads", 1.0, cpus=1, workers=1))
    assert claims.gil_threads_do_not_scale(rows).verdict == UNTESTED
    assert claims.free_threading_scales(rows).verdict == UNTESTED


@pytest.mark.parametrize("speedup, verdict", [(14.0, HOLDS), (11.0, FAILS)])
def test_gil_threads_suit_io_against_one_per_worker(speedup, verdict):
    rows = table(
        comp("scaling", "io_wait", "gil", "threads", speedup, workers=16),
        comp("scaling", "io_wait", "gil", "threads", 2.0, workers=2),
    )
    result = claims.gil_threads_suit_io(rows)
    assert result.verdict == verdict and "16 workers on 2 CPUs" in result.scope
    assert f"{speedup / 16:.0%} of ideal" in result.key_figure  # never 700 %: sleeping workers need no CPU


@pytest.mark.parametrize(
    "procs, threads, free, verdict",
    [
        (1.9, 1.0, 1.1, HOLDS),
        (1.9, 1.0, 1.9, "depends on the build"),
        (1.2, 1.0, 1.9, FAILS),  # processes do not scale either
        (1.9, 1.9, 1.9, FAILS),  # GIL threads scale: processes are not needed
    ],
)
def test_python_needs_processes(procs, threads, free, verdict):
    rows = table(
        comp("scaling", "cpu_loop", "gil", "processes", procs),
        comp("scaling", "cpu_loop", "gil", "threads", threads),
        comp("scaling", "cpu_loop", "free-threaded", "threads", free),
    )
    assert claims.python_needs_processes(rows).verdict.startswith(verdict)


@pytest.mark.parametrize(
    "loop, alloc, verdict", [(1.9, 1.5, HOLDS), (1.2, 1.1, FAILS), (1.9, 1.1, "depends on the workload")]
)
def test_free_threading_scales(loop, alloc, verdict):
    rows = table(
        comp("scaling", "cpu_loop", "free-threaded", "threads", loop),
        comp("scaling", "alloc", "free-threaded", "threads", alloc),
        comp("scaling", "cpu_loop", "free-threaded", "threads", 1.0, a_variant="gil1"),
    )
    result = claims.free_threading_scales(rows)
    assert result.verdict.startswith(verdict) and "control, GIL switched back on: cpu_loop 1.00×" in result.context
    assert "an Amdahl fit needs speedups at 3 CPU counts; this run has 1, 2" in result.key_figure


def test_an_interval_straddling_the_no_gain_line_decides_nothing():
    wide = dict(ci=0.3)  # 1.3x with an interval of 0.91-1.69: neither gains nor gains nothing
    rows = table(
        comp("scaling", "cpu_loop", "gil", "processes", 1.3, **wide), comp("scaling", "cpu_loop", "gil", "threads", 1.0)
    )
    assert (
        claims.python_needs_processes(rows).verdict
        == "depends on the threshold: an interval straddles a speedup of 1.25"
    )
    rows = table(
        comp("scaling", "cpu_loop", "free-threaded", "threads", 1.3, **wide),
        comp("scaling", "alloc", "free-threaded", "threads", 1.3, **wide),
    )
    assert claims.free_threading_scales(rows).verdict.startswith("depends on the threshold")
    rows = table(
        comp("scaling", "cpu_loop", "free-threaded", "threads", 1.9),
        comp("scaling", "alloc", "free-threaded", "threads", 1.3, **wide),
    )
    assert claims.free_threading_scales(rows).verdict == "holds"  # the undecided workload does not count against


def test_free_threading_accepts_the_blogs_own_16_core_efficiency():
    """4.9x on 16 cores is 31 % efficiency: parallel, though far from ideal."""
    result = claims.free_threading_scales(table(comp("scaling", "cpu_loop", "free-threaded", "threads", 4.9, cpus=16)))
    assert result.verdict == HOLDS and "31% of ideal" in result.key_figure


def test_free_threading_reports_the_amdahl_fit_where_there_is_one():
    rows = table(
        comp("scaling", "cpu_loop", "free-threaded", "threads", 3.0, cpus=4),
        comp(
            "amdahl",
            "cpu_loop",
            "free-threaded",
            "threads",
            0.1,
            cpus=4,
            statistic="serial_fraction",
            ci_low=0.05,
            ci_high=0.15,
        ),
    )
    assert "Amdahl serial fraction 10.0% (5.0%–15.0%)" in claims.free_threading_scales(rows).key_figure


def test_free_threading_hash_and_contention_never_decide():
    rows = table(
        comp("scaling", "cpu_loop", "free-threaded", "threads", 1.9),
        comp("scaling", "hash", "free-threaded", "threads", 1.0),
        comp("scaling", "contention", "free-threaded", "threads", 0.7),
    )
    result = claims.free_threading_scales(rows)
    assert result.verdict == HOLDS and "serialised by its one lock: contention" in result.context


def summary_cell(flavour, workload, mode, **extra):
    row = {
        "runtime": RUNTIME[flavour],
        "flavour": flavour,
        "workload": workload,
        "mode": mode,
        "variant": "",
        "cpus": 2,
        "workers": 2,
        "tasks": 2000,
        "median": 1.0,
        "rss_kb_per_task": math.nan,
        "os_threads_per_task": math.nan,
        "latency_p50_us": math.nan,
        "worker_seconds_median": math.nan,
    }
    row.update(extra)
    return row


@pytest.mark.parametrize("kb, verdict", [(2.6, HOLDS), (4.0, HOLDS), (4.5, FAILS), (0.9, FAILS)])
def test_goroutines_are_small(kb, verdict):
    summary = table(
        summary_cell("go", "spawn", "goroutines", rss_kb_per_task=kb),
        summary_cell("gil", "spawn", "threads", rss_kb_per_task=70.0),
    )
    result = claims.goroutines_are_small(summary)
    assert result.verdict == verdict and "gil Python thread 70.0 KB" in result.context


@pytest.mark.parametrize("per_task, verdict", [(0.001, HOLDS), (0.049, HOLDS), (0.05, FAILS), (1.0, FAILS)])
def test_goroutines_need_no_os_thread(per_task, verdict):
    summary = table(summary_cell("go", "spawn", "goroutines", os_threads_per_task=per_task))
    assert claims.goroutines_need_no_os_thread(summary).verdict == verdict


@pytest.mark.parametrize("checksum, verdict", [(float(200 * 201 // 2), PASSED), (float(200 * 201 // 2 - 7), "failed")])
def test_channels_is_a_check_that_says_what_it_compares(checksum, verdict):
    summary = table(
        summary_cell("go", "channels", "goroutines", latency_p50_us=3.0),
        summary_cell("gil", "channels", "threads", latency_p50_us=90.0),
    )
    comparisons = table(comp("runtime", "channels", "gil", "threads", 9.5))
    runs = pd.DataFrame(
        [
            {
                "runtime": "go",
                "workload": "channels",
                "params": "capacity=4,messages=100",
                "workers": 2,
                "checksum": checksum,
                "loops": 1,
            },
            {
                "runtime": "go",
                "workload": "channels",
                "params": "capacity=4,messages=100",
                "workers": 2,
                "checksum": 20100.0,
                "loops": 3,
            },
        ]
    )
    result = claims.channels_share_safely(comparisons, summary, runs)
    assert result.kind == CHECK and result.verdict == verdict
    if verdict == PASSED:
        assert result.key_figure == "every message arrived exactly once in 2 runs (800 messages)"
    assert "queue.Queue (cpython-3.13 threads) takes 9.50×" in result.context and "3.0 µs (channel)" in result.context


def test_channels_untested_without_go_runs():
    summary = table(summary_cell("gil", "channels", "threads"))
    runs = pd.DataFrame(columns=["runtime", "workload", "params", "workers", "checksum", "loops"])
    assert claims.channels_share_safely(table(), summary, runs).verdict == UNTESTED


def go_rows(cpus, loop_ratio, hash_ratio=0.98, io_ratio=1.0):
    return table(
        comp("runtime", "cpu_loop", "free-threaded", "threads", loop_ratio, cpus=cpus),
        comp("runtime", "cpu_loop", "free-threaded", "processes", loop_ratio * 0.9, cpus=cpus),
        comp("runtime", "hash", "free-threaded", "threads", hash_ratio, cpus=cpus),
        comp("runtime", "io_wait", "free-threaded", "threads", io_ratio, cpus=cpus),
    )


def test_go_150x_is_not_testable_on_2_cpus():
    result = claims.go_is_150x_faster(go_rows(2, 71.43))
    assert result.verdict == "not testable on 2 CPUs"
    assert "3.13t threads / Go 71.43×" in result.key_figure and "16 workers pinned to 16 cores" in result.key_figure
    assert "hash (C library, releases the GIL) 0.98×" in result.context and "io_wait (sleep-bound)" in result.context


@pytest.mark.parametrize("loop, verdict", [(147.0, HOLDS), (40.0, FAILS)])
def test_go_150x_on_16_cpus_decided_by_the_cpu_loop_alone(loop, verdict):
    result = claims.go_is_150x_faster(go_rows(16, loop, hash_ratio=1.0, io_ratio=1.0))
    assert result.verdict == verdict  # hash and io_wait at ~1x never pull it down
    assert "threads" in result.scope and "processes" not in result.key_figure


def test_every_claim_untested_on_an_empty_run():
    summary = table(summary_cell("gil", "alloc", "sequential"))
    runs = pd.DataFrame(columns=["runtime", "workload", "params", "workers", "checksum", "loops"])
    empty = pd.DataFrame(columns=list(comp("build", "alloc", "gil", "threads", 1.0)))
    assert all(c.verdict.startswith(UNTESTED) for c in claims.all_claims(empty, summary, runs))


def test_a_speedup_claim_no_speedup_decided_says_why():
    # One CPU set of 2 CPUs with a worker per CPU: no 1-worker cell to take a speedup from.
    summary = table(summary_cell("gil", "cpu_loop", "threads"), summary_cell("free-threaded", "cpu_loop", "threads"))
    runs = pd.DataFrame(columns=["runtime", "workload", "params", "workers", "checksum", "loops"])
    empty = pd.DataFrame(columns=list(comp("build", "alloc", "gil", "threads", 1.0)))
    verdicts = [c.verdict for c in claims.all_claims(empty, summary, runs)]
    speedups = verdicts[1:5]  # claims 2 to 5 rest on speedups
    assert speedups == [f"{UNTESTED}: a speedup needs a 1-worker cell: add a 1-CPU set to cpusets, or 1 to workers"] * 4
    assert verdicts[0] == UNTESTED  # the single-thread claim is not a speedup's
    one_cpu = table(summary_cell("gil", "cpu_loop", "threads", cpus=1, workers=1))
    assert [c.verdict for c in claims.all_claims(empty, one_cpu, runs)][1:5] == ["not testable on 1 CPU"] * 4
    with_base = table(
        summary_cell("gil", "cpu_loop", "threads", cpus=1, workers=1), summary_cell("go", "x", "goroutines")
    )
    assert [c.verdict for c in claims.all_claims(empty, with_base, runs)][1:5] == [UNTESTED] * 4  # no reason known


def test_claims_table_has_one_row_per_claim_with_scope_and_key_figure():
    result = claims.go_is_150x_faster(go_rows(2, 71.43))
    frame = claims.claims_table([result])
    assert list(frame.columns[:5]) == ["claim", "kind", "verdict", "scope", "key_figure"]
    assert frame.iloc[0]["verdict"] == "not testable on 2 CPUs"


def test_average_time_per_thread_is_explained_with_this_runs_figures():
    summary = table(summary_cell("free-threaded", "cpu_loop", "threads", median=4.0, worker_seconds_median=3.9))
    text = claims.average_time_per_thread(summary)
    assert "wall 4.000 s / 2 = 2.000 s" in text and "busy 3.900 s" in text
    assert claims.average_time_per_thread(table(summary_cell("gil", "alloc", "sequential"))) is None


def test_without_intervals_nothing_is_decided_on_the_point_estimate():
    """A ratio with no interval (an older table's single containers) was too few to test, as `testable` says now."""
    rows = single("cpu_loop", 1.5, 1.0)
    for row in rows:
        row.update(ci_low=math.nan, ci_high=math.nan)
    assert claims.gil_speeds_single_threads(table(*rows)).verdict == rules.TOO_FEW


def too_few(row: dict) -> dict:
    """A row as comparisons.csv writes it for 3 containers against 3: no interval, not testable, not significant."""
    return dict(row, ci_low=math.nan, ci_high=math.nan, significant=False, testable=False, a_n=3, b_n=3)


def scaling(flavour, workload, mode, speedup, **extra):
    return comp("scaling", workload, flavour, mode, speedup, **extra)


TOO_FEW_CASES = {
    "single thread": (claims.gil_speeds_single_threads, single("cpu_loop", 1.65, 1.0)),
    "gil threads": (claims.gil_threads_do_not_scale, [scaling("gil", "cpu_loop", "threads", 0.95)]),
    "io": (claims.gil_threads_suit_io, [scaling("gil", "io_wait", "threads", 12.0, workers=16)]),
    "processes": (
        claims.python_needs_processes,
        [scaling("gil", "cpu_loop", "processes", 1.9), scaling("gil", "cpu_loop", "threads", 0.9)],
    ),
    "free threads": (claims.free_threading_scales, [scaling("free-threaded", "cpu_loop", "threads", 1.9)]),
    "go 150x": (
        claims.go_is_150x_faster,
        [comp("runtime", "cpu_loop", "free-threaded", "threads", 160.0, cpus=16)],
    ),
}


@pytest.mark.parametrize("case", sorted(TOO_FEW_CASES))
def test_a_comparison_too_few_to_test_neither_confirms_nor_refutes_its_claim(case):
    rule, rows = TOO_FEW_CASES[case]
    decided = rule(table(*rows)).verdict
    assert decided.startswith((HOLDS, FAILS, "depends"))  # tested, the same rows decide
    undecided = rule(table(*[too_few(row) for row in rows])).verdict
    assert undecided.startswith(rules.TOO_FEW) and not undecided.startswith((HOLDS, FAILS, "depends"))
    if case != "single thread":  # the single-thread pair names no sizes: two rows decide it
        assert "3 against 3 containers" in undecided


# ---- the deciding figure as numbers (claims.csv's ratio, ci_low, ci_high, threshold) ----


def test_a_speedup_claim_carries_its_deciding_speedup_interval_and_threshold():
    result = claims.gil_threads_do_not_scale(table(comp("scaling", "cpu_loop", "gil", "threads", 0.95, ci=0.1)))
    assert (result.ratio, result.threshold) == (pytest.approx(0.95), rules.NO_SPEEDUP)
    assert (result.ci_low, result.ci_high) == (pytest.approx(0.855), pytest.approx(1.045))
    assert result.ci_high < result.threshold and result.verdict == HOLDS  # the numbers say why it holds


def test_the_single_thread_claim_is_decided_by_the_build_ratio():
    result = claims.gil_speeds_single_threads(table(*single("cpu_loop", 1.5, 1.0)))
    assert (result.ratio, result.threshold) == (pytest.approx(1.5), rules.SLOWER)
    assert result.ci_low == pytest.approx(1.485) and result.ci_low > 1


def test_io_is_decided_by_efficiency_against_its_threshold():
    rows = table(comp("scaling", "io_wait", "gil", "threads", 12.0, workers=16))
    result = claims.gil_threads_suit_io(rows)
    assert (result.ratio, result.threshold) == (pytest.approx(0.75), rules.SCALES_EFFICIENCY)
    assert result.ci_low == pytest.approx(12.0 * 0.99 / 16) and result.verdict == HOLDS


def test_per_task_claims_carry_their_figure_and_no_interval():
    small = claims.goroutines_are_small(table(summary_cell("go", "spawn", "goroutines", rss_kb_per_task=3.0)))
    assert (small.ratio, small.threshold) == (pytest.approx(1.5), rules.ABOUT_FACTOR)  # 3 KB is 1.5x the 2 KB claimed
    assert math.isnan(small.ci_low) and math.isnan(small.ci_high)
    threads = claims.goroutines_need_no_os_thread(
        table(summary_cell("go", "spawn", "goroutines", os_threads_per_task=0.01))
    )
    assert (threads.ratio, threads.threshold) == (pytest.approx(0.01), rules.OS_THREADS_PER_TASK)


def test_claims_without_one_deciding_figure_leave_the_ratio_empty():
    rows = table(
        comp("scaling", "cpu_loop", "gil", "processes", 1.9),
        comp("scaling", "cpu_loop", "gil", "threads", 0.9),
    )
    processes = claims.python_needs_processes(rows)  # two speedups decide together
    assert math.isnan(processes.ratio) and processes.threshold == rules.NO_SPEEDUP
    empty = pd.DataFrame(columns=list(comp("runtime", "cpu_loop", "free-threaded", "threads", 1.0)))
    untested = claims.go_is_150x_faster(empty)
    assert math.isnan(untested.ratio) and math.isnan(untested.threshold)


def test_claims_csv_has_the_numbers_beside_the_text():
    frame = claims.claims_table([claims.go_is_150x_faster(go_rows(2, 71.43))])
    assert list(frame.columns[:9]) == [
        "claim",
        "kind",
        "verdict",
        "scope",
        "key_figure",
        "ratio",
        "ci_low",
        "ci_high",
        "threshold",
    ]
    row = frame.iloc[0]
    assert (row["ratio"], row["ci_low"], row["ci_high"]) == pytest.approx((71.43, 71.43 * 0.99, 71.43 * 1.01))
    assert row["threshold"] == rules.NEARLY_FACTOR and frame["ratio"].dtype == float
