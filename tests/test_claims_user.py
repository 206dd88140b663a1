"""A user workload gets the blog's answers: its claims, decided from the reference run's own figures.

The user workloads here are reference-run workloads under other names:
cpu_loop_strong as mywork (interpreter-bound, with a Go twin) and hash without
its Go cells as numpyish (C library, no twin), registered as a user's folders
would be. Their rows go through aggregation, comparisons and claims as the
workflow's rules run them; a test that needs a figure on the other side of a
threshold changes the runs, or the comparison rows the claims read.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from parbench import specs
from parbench.aggregate import read_table, summary_table
from parbench.claim_rules import HOLDS, NO_SPEEDUP, SLOWER, UNTESTED
from parbench.claims import CLAIM_COLUMNS, all_claims, claims_table
from parbench.claims_user import ASPECTS, user_claim_id, user_claims, user_workload_of
from parbench.comparisons import COLUMNS, comparisons_table
from parbench.decide import read_claims
from parbench.flavours import with_flavours
from parbench.report import prepare, render, workload_rows
from parbench.specs import UserWorkload

REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"
WARNINGS = {"cv_limit": 0.05, "min_seconds": 0.1, "busy_limit": 0.1}
CATALOGUE = {
    "cpython-3.13": {"kind": "cpython", "free_threading": False},
    "cpython-3.13t": {"kind": "cpython", "free_threading": True},
    "go": {"kind": "go"},
}
MYWORK = UserWorkload(
    name="mywork", path="/x", about="Sums its share of a range", scaling="strong", kind="interpreter", go=True
)
NUMPYISH = UserWorkload(name="numpyish", path="/y", about="Chained digests in C", kind="c_library")
CONFIG = {
    "repeats": 6,
    "seed": 1,
    "warmup": 1,
    "catalogue": CATALOGUE,
    "workloads": {"cpu_loop": {"iterations": 1000}, "mywork": {"path": "../mine", "params": {"lines": 200}}},
}


@pytest.fixture(autouse=True)
def no_user_workloads_afterwards():
    """The registry is the process's: every test leaves it empty, as the built-in tests expect it."""
    yield
    specs.use_user_workloads([])


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return read_table(REFERENCE / "runs.csv")


def copied(runs: pd.DataFrame, source: str = "cpu_loop_strong", name: str = "mywork") -> pd.DataFrame:
    """A built-in's rows under a user workload's name."""
    return runs[runs["workload"] == source].assign(workload=name).reset_index(drop=True)


def user_runs(reference: pd.DataFrame) -> pd.DataFrame:
    numpyish = copied(reference, "hash", "numpyish")
    return pd.concat([copied(reference), numpyish[numpyish["runtime"] != "go"]], ignore_index=True)


def decided(runs: pd.DataFrame, *workloads: UserWorkload) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """(summary with flavours, comparisons, every claim) as the aggregate, comparisons and claims rules make them."""
    specs.use_user_workloads(workloads)
    summary = summary_table(runs, **WARNINGS)
    comparisons = comparisons_table(runs, summary)
    summary = with_flavours(summary, CATALOGUE)
    return summary, comparisons, all_claims(comparisons, summary, runs)


def by_id(claims: list) -> dict:
    return {user_claim_id(c): c for c in claims if user_claim_id(c)}


@pytest.fixture(scope="module")
def made(reference) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """Both user workloads through the pipeline once (the registry emptied again after)."""
    tables = decided(user_runs(reference), MYWORK, NUMPYISH)
    specs.use_user_workloads([])
    return tables


def claims_from(comparisons: pd.DataFrame, summary: pd.DataFrame, *workloads: UserWorkload) -> dict:
    specs.use_user_workloads(workloads or (MYWORK, NUMPYISH))
    return by_id(user_claims(comparisons, summary))


def changed(comparisons: pd.DataFrame, factor: float, **equal) -> pd.DataFrame:
    """The comparisons with the matching rows' ratio, interval and efficiency multiplied by `factor`."""
    mask = pd.Series(True, index=comparisons.index)
    for column, value in equal.items():
        mask &= comparisons[column] == value
    assert mask.any(), equal
    comparisons = comparisons.copy()
    figures = ["ratio", "ci_low", "ci_high", "efficiency", "efficiency_low", "efficiency_high"]
    comparisons.loc[mask, figures] *= factor
    return comparisons


# ---- comparisons.csv has the generic rows for a user's name ------------------------------------------------


def test_a_user_workload_gets_every_generic_comparison_of_its_built_in_twin(reference, made):
    _, comparisons, _ = made
    specs.use_user_workloads([MYWORK])
    twin = reference[reference["workload"] == "cpu_loop_strong"]
    built_in = comparisons_table(twin, summary_table(twin, **WARNINGS))
    built_in = built_in[built_in["workload"] == "cpu_loop_strong"].drop(columns="workload").reset_index(drop=True)
    user = comparisons[comparisons["workload"] == "mywork"].drop(columns="workload").reset_index(drop=True)
    assert set(user["kind"]) == {"build", "gil", "variant", "runtime", "scaling", "fastest"}
    pd.testing.assert_frame_equal(built_in, user)
    assert set(comparisons.loc[comparisons["workload"] == "numpyish", "workload_kind"]) == {"c_library"}


# ---- the answers on the reference run -----------------------------------------------------------------------


def test_the_reference_run_answers_all_four_questions_for_the_user_workload(made):
    claims = by_id(made[2])
    assert [i for i in claims if i.startswith("user:mywork:")] == [f"user:mywork:{a}" for a in ASPECTS]
    scaling, single, modes, go = (claims[f"user:mywork:{a}"] for a in ASPECTS)
    assert scaling.verdict == HOLDS and scaling.scope == "cpython-3.13t threads; mywork; 2 workers on 2 CPUs"
    assert "99% of ideal" in scaling.key_figure and "with the GIL: mywork ~ 0.89×" in scaling.context
    assert scaling.threshold == NO_SPEEDUP and scaling.ci_low > NO_SPEEDUP
    assert single.verdict.startswith("does not hold: the free-threaded build carries the cost")
    assert single.key_figure.startswith("mywork (1 worker, threads): 3.13t / 3.13 1.52×")
    assert single.ratio == pytest.approx(1.52, abs=0.01) and single.threshold == SLOWER
    assert modes.verdict == (
        "depends on the build (cpython-3.13: processes gain, threads do not; cpython-3.13t: threads gain as well)"
    )
    # Gaining is not being fastest: beside the verdict, each way's time against the fastest's.
    assert modes.context.startswith("fastest here: cpython-3.13 processes; the others' time over its time: ")
    assert "cpython-3.13t threads 1.54× (1.50–1.65)" in modes.context
    assert go.verdict == HOLDS and go.key_figure.startswith("3.13t threads / Go 70.77×") and go.ci_low > 1
    assert "cpython-3.13 threads / Go goroutines" in go.context


def test_user_claims_keep_claims_csv_columns_and_carry_their_ids_in_shown_in(made):
    frame = claims_table(made[2])
    assert list(frame.columns) == CLAIM_COLUMNS and frame["ratio"].dtype == float
    mine = frame[frame["shown_in"].str.startswith("user:mywork:")]
    assert mine["shown_in"].iloc[0] == "user:mywork:scaling;figure:mywork;table:Scaling"
    assert [user_workload_of(c) for c in made[2][:9]] == [""] * 9  # the blog's claims first, as before


# ---- verdicts follow the figures ---------------------------------------------------------------------------


def test_threads_that_stop_scaling_refute_the_scaling_claim(reference):
    runs = copied(reference)
    slow = (runs["runtime"] == "cpython-3.13t") & (runs["mode"] == "threads") & (runs["cpus"] == 2)
    runs.loc[slow & (runs["variant"] == ""), ["seconds", "total_seconds"]] *= 2.0
    claim = by_id(decided(runs, MYWORK)[2])["user:mywork:scaling"]
    assert claim.verdict == "does not hold" and claim.ci_high < NO_SPEEDUP


def test_an_interval_across_the_no_gain_line_leaves_the_scaling_claim_to_the_threshold(made):
    summary, comparisons, _ = made
    # 1.98x (1.84-2.12) times 0.65: 1.29x (1.19-1.38), straddling 1.25
    rows = changed(comparisons, 0.65, kind="scaling", workload="mywork", a_flavour="free-threaded", a_variant="")
    claim = claims_from(rows, summary)["user:mywork:scaling"]
    assert claim.ci_low < NO_SPEEDUP < claim.ci_high and claim.verdict.startswith("depends on the threshold")


@pytest.mark.parametrize(
    "kind, factor, verdict",
    [
        ("build", 1 / 1.52, "does not hold: no single-thread cost"),  # the builds as fast as each other
        ("gil", 0.6, "holds: switching the GIL back on"),  # PYTHON_GIL=1 makes the same binary faster
    ],
)
def test_the_one_worker_cost_is_split_between_the_build_and_the_gil(made, kind, factor, verdict):
    summary, comparisons, _ = made
    rows = changed(comparisons, factor, kind=kind, workload="mywork", a_workers=1)
    assert claims_from(rows, summary)["user:mywork:single_thread"].verdict.startswith(verdict)


def test_gil_threads_that_scale_mean_no_processes_are_needed(made):
    summary, comparisons, _ = made
    rows = changed(comparisons, 2.0, kind="scaling", workload="mywork", a_flavour="gil", a_mode="threads")
    claim = claims_from(rows, summary)["user:mywork:threads_processes"]
    assert claim.verdict == "does not hold: threads gain as well" and math.isnan(claim.ratio)
    rows = changed(comparisons, 0.5, kind="scaling", workload="mywork", a_flavour="free-threaded", a_mode="threads")
    assert claims_from(rows, summary)["user:mywork:threads_processes"].verdict == HOLDS


def test_a_build_left_undecided_keeps_threads_against_processes_open(made):
    # A new user's budget run: GIL processes 1.89x (1.05-2.01), across the line; 3.13t threads gain.
    summary, comparisons, _ = made
    mask = dict(kind="scaling", workload="mywork", a_flavour="gil", a_mode="processes")
    rows = changed(comparisons, 0.63, **mask)  # 2.00x (1.95-2.03) becomes 1.26x (1.23-1.28)
    gil = rows.loc[(rows[list(mask)] == pd.Series(mask)).all(axis=1)]
    assert len(gil) == 1 and gil["ci_low"].iloc[0] < NO_SPEEDUP < gil["ci_high"].iloc[0]
    claim = claims_from(rows, summary)["user:mywork:threads_processes"]
    assert claim.verdict == (
        "depends on the threshold on cpython-3.13: an interval straddles a speedup of 1.25 "
        "(cpython-3.13t: threads gain as well)"
    )


def test_threads_against_processes_is_not_measured_without_processes(made):
    """A workload whose MODES leave processes out has nothing to set its threads against."""
    summary, comparisons, _ = made
    rows = comparisons[(comparisons["workload"] != "mywork") | (comparisons["a_mode"] != "processes")]
    claim = claims_from(rows, summary)["user:mywork:threads_processes"]
    assert claim.verdict == UNTESTED and claim.evidence == ""


def test_a_go_twin_slower_than_free_threaded_threads_refutes_the_go_claim(made):
    summary, comparisons, _ = made
    rows = changed(comparisons, 0.01, kind="runtime", workload="mywork")
    claim = claims_from(rows, summary)["user:mywork:go"]
    assert claim.verdict == "does not hold: free-threaded threads are faster" and claim.ci_high < 1


@pytest.mark.parametrize(
    "ratio, low, high, verdict",
    [
        (1.50, 1.20, 1.80, "holds"),
        (1.50, 0.90, 2.10, "depends on the threshold: the interval reaches 1"),
        (1.00, 0.95, 1.05, "does not hold: about as fast"),
    ],
)
def test_a_go_twin_claim_on_either_side_of_its_line(made, ratio, low, high, verdict):
    summary, comparisons, _ = made
    rows = comparisons.copy()
    mask = (rows["kind"] == "runtime") & (rows["workload"] == "mywork")
    rows.loc[mask, ["ratio", "ci_low", "ci_high"]] = [ratio, low, high]
    assert claims_from(rows, summary)["user:mywork:go"].verdict == verdict


def test_speedup_and_efficiency_are_given_at_each_cpu_count(reference):
    runs = copied(reference)
    wider = runs[runs["cpus"] == 2].assign(cpuset="0-3", cpus=4, workers=4)
    wider = wider.assign(seconds=wider["seconds"] / 2, total_seconds=wider["total_seconds"] / 2)
    claim = by_id(decided(pd.concat([runs, wider], ignore_index=True), MYWORK)[2])["user:mywork:scaling"]
    assert "with 2 workers on 2 CPUs" in claim.evidence and "with 4 workers on 4 CPUs" in claim.evidence
    assert claim.scope.endswith("4 workers on 4 CPUs") and "Amdahl serial fraction" in claim.key_figure


# ---- scope: CPUs, Go cells, KIND ---------------------------------------------------------------------------


def test_one_cpu_makes_the_parallel_claims_not_testable_never_refuted(reference):
    runs = copied(reference)
    claims = by_id(decided(runs[runs["cpus"] == 1], MYWORK)[2])
    assert claims["user:mywork:scaling"].verdict == "not testable on 1 CPU"
    assert claims["user:mywork:threads_processes"].verdict == "not testable on 1 CPU"
    assert claims["user:mywork:single_thread"].verdict.startswith("does not hold: the free-threaded build")
    assert claims["user:mywork:go"].scope.endswith("1 worker on 1 CPU")


def test_no_go_claim_without_go_cells(made):
    summary, comparisons, claims = made
    assert [i for i in by_id(claims) if i.startswith("user:numpyish:")] == [
        "user:numpyish:scaling",
        "user:numpyish:single_thread",
        "user:numpyish:threads_processes",
    ]
    without_go = claims_from(comparisons, summary[summary["flavour"] != "go"], MYWORK)
    assert "user:mywork:go" not in without_go and len(without_go) == 3


def test_c_library_makes_the_interpreter_claims_context_only(made):
    summary, comparisons, claims = made
    as_c = claims_from(comparisons, summary, replace(MYWORK, kind="c_library"))  # the same figures, another KIND
    for claims_of, name in ((as_c, "mywork"), (by_id(claims), "numpyish")):
        for aspect in ("scaling", "single_thread"):
            claim = claims_of[f"user:{name}:{aspect}"]
            assert claim.verdict == (
                f"context only: {name} (C library, releases the GIL) is not interpreter-bound, "
                "so it decides nothing about the interpreter"
            )
            assert claim.evidence == "" and f"{name} (C library, releases the GIL)" in claim.context
            assert math.isnan(claim.ratio) and math.isnan(claim.threshold)
    # threads or processes, Python or Go: the user's own choices, decided whatever bounds the work
    assert as_c["user:mywork:threads_processes"].verdict.startswith("depends on the build")
    assert as_c["user:mywork:go"].verdict == HOLDS
    assert by_id(claims)["user:numpyish:threads_processes"].verdict == "does not hold: threads gain as well"


def test_a_registered_workload_without_cells_is_not_measured():
    claims = claims_from(pd.DataFrame(columns=COLUMNS), pd.DataFrame(columns=["workload", "flavour", "cpus"]), MYWORK)
    assert [c.verdict for c in claims.values()] == [UNTESTED] * 3  # and no Go claim: Go measured nothing


def test_without_user_workloads_there_are_no_user_claims(made):
    summary, comparisons, _ = made
    specs.use_user_workloads([])
    assert user_claims(comparisons, summary) == []


def test_the_blogs_claims_are_untouched_by_a_user_workload(reference, made):
    built_in = reference[reference["workload"] == "cpu_loop"]
    summary = with_flavours(summary_table(built_in, **WARNINGS), CATALOGUE)
    blog = all_claims(comparisons_table(built_in, summary), summary, built_in)
    runs = pd.concat([built_in, copied(reference)], ignore_index=True)
    claims = decided(runs, MYWORK)[2]
    assert [user_claim_id(c) for c in claims[len(blog) :]] == [f"user:mywork:{a}" for a in ASPECTS]
    assert [(c.verdict, c.key_figure, c.evidence, c.context) for c in claims[: len(blog)]] == [
        (c.verdict, c.key_figure, c.evidence, c.context) for c in blog
    ]  # the 150x claim's context names no user workload


# ---- the report ---------------------------------------------------------------------------------------------


def rendered(made, claims: list, runs: pd.DataFrame) -> str:
    summary, comparisons, _ = made
    specs.use_user_workloads([MYWORK, NUMPYISH])
    return render(prepare(summary, runs, comparisons, claims, CONFIG))


@pytest.fixture(scope="module")
def beside_cpu_loop(reference) -> tuple[tuple, pd.DataFrame]:
    """The user workloads measured beside the built-in cpu_loop: (tables, runs)."""
    runs = pd.concat([reference[reference["workload"] == "cpu_loop"], user_runs(reference)], ignore_index=True)
    tables = decided(runs, MYWORK, NUMPYISH)
    specs.use_user_workloads([])
    return tables, runs


def test_the_report_answers_each_user_workload_after_the_blogs_claims(beside_cpu_loop, tmp_path):
    made, runs = beside_cpu_loop
    claims_table(made[2]).to_csv(tmp_path / "claims.csv", index=False)
    read = read_claims(tmp_path / "claims.csv")  # as the report reads them: from claims.csv
    text = rendered(made, read, runs)
    blog = text[text.index("## Claims of the blog, tested") : text.index("## Your workloads")]
    yours = text[text.index("## Your workloads") : text.index("## Claims in detail")]  # no figures drawn here
    assert "mywork" not in blog and "numpyish" not in blog
    assert yours.index("### mywork") < yours.index("### numpyish")
    assert "Sums its share of a range (interpreter-bound, strong scaling, with a Go twin)." in yours
    assert "Chained digests in C (C library, releases the GIL, weak scaling)." in yours
    for claim in made[2][9:]:
        assert f"| {claim.claim} " in yours and claim.verdict in yours
    assert "#### 4. mywork's Go twin is faster than free-threaded Python threads." in yours
    assert "[mywork figure]" not in yours  # no figures were drawn here, so none is linked
    # The direct answer: cpu_loop_strong's figures, where GIL processes beat free-threaded threads on 2 CPUs.
    fastest = [line for line in yours.splitlines() if line.startswith("Fastest in Python")]
    assert fastest[0].startswith(
        "Fastest in Python with one worker per CPU (2 CPUs, set 0-1): cpython-3.13 processes, "
    ), fastest
    assert "cpython-3.13t threads 1.54× (1.50–1.65)" in fastest[0] and len(fastest) == 2
    detail = text[text.index("## Claims in detail") : text.index("## Ratios of median times")]
    assert len(re.findall(r"^### \d+\. ", detail, flags=re.MULTILINE)) == 9 and "mywork" not in detail


def test_the_fastest_way_in_python_is_a_table_of_comparisons_rows(reference, made):
    text = rendered(made, made[2], user_runs(reference))
    section = text[text.index("## The fastest way in Python") : text.index("## Scaling")]
    header = next(line for line in section.splitlines() if line.startswith("| workload"))
    assert [c.strip() for c in header.strip("|").split("|")][:3] == ["workload", "CPU set", "fastest"]
    mywork = next(line for line in section.splitlines() if line.startswith("| mywork "))
    cells = [c.strip() for c in mywork.strip("|").split("|")]
    assert cells[2] == "cpython-3.13 processes" and "1" in cells and "1.54× (1.50–1.65)" in cells
    rows = made[1][(made[1]["kind"] == "fastest") & (made[1]["workload"] == "mywork")]
    assert len(rows) == 3 and (rows["b_runtime"] + " " + rows["b_mode"] == "cpython-3.13 processes").all()


def test_without_user_claims_the_report_has_no_section_for_them(beside_cpu_loop):
    made, runs = beside_cpu_loop
    text = rendered(made, made[2][:9], runs)
    assert "Your workloads" not in text and "## Claims of the blog, tested" in text


def test_a_run_of_user_workloads_alone_leaves_the_blogs_claims_out_in_one_paragraph(reference, made):
    text = rendered(made, made[2], user_runs(reference))
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[:2] == ["## The blog's claims", "## Your workloads"], headings
    assert "## Claims of the blog, tested" not in text and "## Claims in detail" not in text
    assert "`builtin_workloads: false`" in text and "not measured" not in text.split("## Your workloads")[0]
    ratios = text[text.index("## Ratios of median times") : text.index("## The fastest way in Python")]
    assert "| mywork " in ratios and "blog (cpu_loop)" not in ratios


def test_the_appendix_describes_a_user_workload_from_its_folder():
    specs.use_user_workloads([MYWORK])
    rows = workload_rows(CONFIG).set_index("workload")
    assert rows.loc["mywork", "what it does"] == "Sums its share of a range (your workload)"
    assert rows.loc["mywork", "parameters"] == "lines=200" and rows.loc["mywork", "scaling"] == "strong"
    assert rows.loc["cpu_loop", "parameters"] == "iterations=1000"


def test_three_rounds_leave_every_user_claim_too_few_to_test(reference):
    """3 containers against 3 cannot reach p <= 0.05: no claim is confirmed or refuted on such comparisons."""
    from parbench.claim_rules import TOO_FEW

    runs = copied(reference)
    claims = by_id(decided(runs[runs["round"] < 3].reset_index(drop=True), MYWORK)[2])
    for aspect in ASPECTS:
        assert claims[f"user:mywork:{aspect}"].verdict.startswith(TOO_FEW), aspect
    tested = by_id(decided(runs, MYWORK)[2])
    assert not any(tested[f"user:mywork:{aspect}"].verdict.startswith(TOO_FEW) for aspect in ASPECTS)
