"""A run that saw the wrong CPUs, interpreter or sums is rejected before it is written."""

from parbench.matrix import Cell
from parbench.recordchecks import Agreement, checksum_problems, record_problems

from fixtures import record

CELL = Cell("cpython-3.13t", "cpu_loop", "threads", "0-1", 2)
IDENTITY = {"version": "3.13.5", "gil_enabled": False}


def good(**changes):
    base = record("cpython-3.13t", "threads", "0-1", 2, 2, gil=False)
    base.update(changes)
    return base


def test_good_records_pass():
    assert record_problems([good(warmup=True), good(), good(repeat=1)], CELL, 2, IDENTITY) == []


def test_wrong_affinity_is_rejected():
    problems = record_problems([good(affinity="0")], CELL, 1, IDENTITY)
    assert problems == ["value 0: CPU set 0-1 requested, the harness could use 0"]


def test_missing_records_and_worker_mismatch():
    problems = record_problems([good(workers=1)], CELL, 2, IDENTITY)
    assert "expected 2 measured record(s), got 1" in problems
    assert any("workers is 1, expected 2" in p for p in problems)


def test_gil_state_must_match_identity():
    problems = record_problems([good(gil_enabled=True)], CELL, 1, IDENTITY)
    assert any("GIL enabled is True" in p for p in problems)


def test_version_must_match_the_image():
    problems = record_problems([good(runtime_version="3.13.4"), good(repeat=1)], CELL, 2, IDENTITY)
    assert any("runtime version 3.13.4" in p for p in problems)


def test_every_checksum_must_be_the_one_the_parameters_imply():
    records = [good(warmup=True), good(), good(repeat=1, checksum=2.0)]
    assert checksum_problems(records[:2], records[0]["checksum"]) == []
    problems = checksum_problems(records, records[0]["checksum"])
    assert problems == [f"value 1: checksum 2.0, expected {records[0]['checksum']!r}"]


def test_measured_values_must_run_the_calibrated_loops():
    records = [good(warmup=True, loops=1), good(loops=8)]
    assert record_problems(records, CELL, 1, IDENTITY, loops=8) == []
    assert record_problems(records, CELL, 1, IDENTITY, loops=16) == ["value 0: loops is 8, expected 16"]


def test_go_identity_version():
    cell = Cell("go", "cpu_loop", "goroutines", "0", 1)
    ok = record("go", "goroutines", "0", 1, 1)
    assert record_problems([ok], cell, 1, {"GOVERSION": "go1.24.4"}) == []
    assert record_problems([ok], cell, 1, {"GOVERSION": "go1.23.1"}) != []


def test_variant_environment_sets_what_must_be_seen():
    gil_on = [good(gil_enabled=True)]
    assert record_problems(gil_on, CELL, 1, IDENTITY, {"PYTHON_GIL": "1"}) == []
    assert any("expected True" in p for p in record_problems([good()], CELL, 1, IDENTITY, {"PYTHON_GIL": "1"}))
    cell = Cell("go", "cpu_loop", "goroutines", "0-1", 2, "gomaxprocs1")
    go = record("go", "goroutines", "0-1", 2, 2)
    assert any(
        "GOMAXPROCS is 2" in p for p in record_problems([go], cell, 1, {"GOVERSION": "go1.24.4"}, {"GOMAXPROCS": "1"})
    )
    assert record_problems([dict(go, gomaxprocs=1)], cell, 1, {"GOVERSION": "go1.24.4"}, {"GOMAXPROCS": "1"}) == []


def test_a_calibrating_container_may_measure_one_to_max_values():
    three = [good(warmup=True), good(repeat=0), good(repeat=1), good(repeat=2)]
    assert record_problems(three, CELL, range(1, 4), IDENTITY) == []
    assert record_problems(three[:2], CELL, range(1, 4), IDENTITY) == []
    assert record_problems(three + [good(repeat=3)], CELL, range(1, 4), IDENTITY) == [
        "expected 1 to 3 measured record(s), got 4"
    ]
    assert record_problems([good(loops=8), good(repeat=1, loops=16)], CELL, range(1, 4), IDENTITY) == [
        "the measured records ran different loops"
    ]


def test_every_record_must_have_divided_its_loop_into_the_units_asked():
    divided = [good(units=10), good(repeat=1, units=10)]
    assert record_problems(divided, CELL, 2, IDENTITY, units=10) == []
    problems = record_problems([good(units=10), good(repeat=1)], CELL, 2, IDENTITY, units=10)
    assert problems == ["value 1: units is None, expected 10"]
    assert record_problems(divided, CELL, 2, IDENTITY) == [f"value {i}: units is 10, expected 1" for i in (0, 1)]


def answers(checksum, workers, expected=None):
    """A user workload's container: a warm-up and one value, both with this answer."""
    one = {"checksum": checksum, "workers": workers, "repeat": 0}
    if expected is not None:
        one["expected_checksum"] = expected
    return [dict(one, warmup=True), one]


def user_cell(workers):
    return Cell("cpython-3.13t", "mine", "threads", "0-1" if workers > 1 else "0", workers)


def test_each_worker_count_is_held_to_its_first_answer_whatever_the_scaling():
    agreement = Agreement()
    assert agreement.problems(user_cell(1), answers(10.0, 1), strong=False) == []
    assert agreement.problems(user_cell(2), answers(20.0, 2), strong=False) == []  # weak: more work, more answer
    found = agreement.problems(user_cell(2), answers(21.0, 2), strong=False)
    assert len(found) == 2 and "21.0 differs from 20.0 of" in found[0] and "must return the same value" in found[0]


def test_a_strong_scaling_answer_must_not_change_with_the_worker_count():
    agreement = Agreement()
    assert agreement.problems(user_cell(1), answers(0.1 + 0.2, 1), strong=True) == []
    # Partial sums grouped another way differ in the last bits: that is the same answer.
    assert agreement.problems(user_cell(2), answers(0.3, 2), strong=True) == []
    found = agreement.problems(user_cell(4), answers(0.6, 4), strong=True)
    assert len(found) == 2 and found[1].startswith("value 0: checksum 0.6 with 4 worker(s) differs from 0.3")
    assert "strong-scaling" in found[1] and "\n" not in found[1]


def test_a_users_expected_answer_is_the_reference_where_it_gives_one():
    agreement = Agreement()
    assert agreement.problems(user_cell(1), answers(5.0, 1, expected=5.0), strong=True) == []
    found = agreement.problems(user_cell(2), answers(6.0, 2, expected=6.0), strong=True)
    assert found and "6.0 with 2 worker(s) differs from 5.0" in found[0]


def test_a_go_twin_that_disagrees_with_python_is_named_and_both_values_read_alike():
    agreement = Agreement()
    python = [dict(r, runtime_version="3.13.5") for r in answers(4369718.0, 2)]
    assert agreement.problems(user_cell(2), python, strong=False) == []
    go = [dict(r, runtime_version="go1.23.4") for r in answers(4369719, 2)]  # Go prints a whole float bare
    found = agreement.problems(Cell("go", "mine", "goroutines", "0-1", 2), go, strong=False)
    assert found[1].startswith(
        "value 0: the Go twin and workload.py disagree: checksum 4369719.0 differs from 4369718.0 of "
    ), found
    assert found[1].endswith("(the twin must compute what workload.py does, adding the same values in the same order)")


def test_a_strong_split_holds_an_answer_of_zero_and_names_a_go_twin_that_set_the_reference():
    agreement = Agreement()
    assert agreement.problems(user_cell(1), answers(0.0, 1), strong=True) == []
    assert agreement.problems(user_cell(2), answers(1e-17, 2), strong=True) == []  # partial sums that cancel
    twin_first = Agreement()
    go = [dict(r, runtime_version="go1.23.4") for r in answers(4369718, 1)]
    assert twin_first.problems(Cell("go", "mine", "goroutines", "0", 1), go, strong=True) == []
    python = [dict(r, runtime_version="3.13.5") for r in answers(4369719.0, 2)]
    found = twin_first.problems(user_cell(2), python, strong=True)
    assert found[1].startswith(
        "value 0: the Go twin and workload.py disagree: checksum 4369719.0 with 2 worker(s) differs from 4369718.0 of "
    ), found
