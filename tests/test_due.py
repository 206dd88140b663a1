"""Whether a session surely runs (due.py), so its prediction is said only then."""

import os
import time

import pytest

from parbench.budgetplan import BUDGET, CLUSTER_SETTINGS, SETTINGS
from parbench.due import session_due

OUTPUTS = ["results/raw/a.jsonl", "results/raw/b.jsonl"]


def project(root, outputs=OUTPUTS, settings='{"repeats": 6}'):
    """Outputs measured under the settings: written after them (dated a minute on, past what a test writes)."""
    if settings is not None:
        (root / SETTINGS).parent.mkdir(parents=True, exist_ok=True)
        (root / SETTINGS).write_text(settings)
    later = time.time() + 60
    for path in outputs:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("{}\n")
        os.utime(root / path, (later, later))
    return root


@pytest.mark.parametrize(
    "written, settings, renew, forced, due",
    [
        (OUTPUTS, '{"repeats": 6}', False, False, False),  # up to date: a rerun of the analysis alone
        (OUTPUTS[:1], '{"repeats": 6}', False, False, True),  # an output missing
        ([], '{"repeats": 6}', False, False, True),  # a fresh project
        (OUTPUTS, '{"repeats": 3}', False, False, True),  # new settings: session_settings rewrites its file
        (OUTPUTS, '{"repeats": 6}', True, False, True),  # a repair or a resumed session
        (OUTPUTS, '{"repeats": 6}', False, True, True),  # --forcerun measure
    ],
)
def test_a_session_is_due_for_the_reasons_parbench_can_see(tmp_path, written, settings, renew, forced, due):
    project(tmp_path, written)
    assert session_due(tmp_path, OUTPUTS, settings, renew, forced) is due


def test_settings_never_written_make_the_session_due(tmp_path):
    project(tmp_path, settings=None)
    assert session_due(tmp_path, OUTPUTS, '{"repeats": 6}')


def test_new_settings_over_measured_cells_say_which_and_that_their_files_are_replaced(tmp_path):
    from parbench.due import replaced_line

    project(tmp_path, OUTPUTS[:1], settings='{"repeats": 6, "seed": 1, "min_time": 0.2}')
    line = replaced_line(tmp_path, OUTPUTS, '{"repeats": 4, "seed": 1, "min_time": 0.1}')
    assert line == (
        "the settings changed since the last session (min_time, repeats): this run measures the cells again and "
        "replaces the raw files of 1 (their earlier sessions' stamps stay in results/raw/sessions)"
    )
    assert replaced_line(tmp_path, OUTPUTS, '{"repeats": 6, "seed": 1, "min_time": 0.2}') is None  # same settings
    assert replaced_line(tmp_path, ["results/raw/none.jsonl"], '{"repeats": 4}') is None  # nothing measured yet


def test_on_a_cluster_new_settings_say_which_nodes_cells_are_measured_again(tmp_path):
    from parbench.due import replaced_line

    manifest = ["results/hosts/n1/raw.json"]
    project(tmp_path, manifest, settings='{"repeats": 6}')  # this machine's own session's: not the cluster's
    assert replaced_line(tmp_path, manifest, '{"repeats": 6, "budget": {"limit": "20m"}}', "n1") is None
    (tmp_path / CLUSTER_SETTINGS).write_text('{"repeats": 6, "budget": {"limit": "10m"}}')
    line = replaced_line(tmp_path, manifest, '{"repeats": 6, "budget": {"limit": "20m"}}', "n1")
    assert line == (
        "the settings changed since the last session (budget): this run measures host n1's cells again and "
        "replaces their raw files (their earlier sessions' stamps stay in results/hosts/n1/raw/sessions)"
    )
    assert replaced_line(tmp_path, ["results/hosts/n2/raw.json"], '{"repeats": 4}', "n2") is None  # never measured


def test_a_cluster_runs_settings_are_its_own_so_a_local_session_is_not_due_for_them(tmp_path):
    project(tmp_path, settings='{"repeats": 6}')
    (tmp_path / CLUSTER_SETTINGS).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / CLUSTER_SETTINGS).write_text('{"repeats": 6, "engine": "podman"}')
    assert not session_due(tmp_path, OUTPUTS, '{"repeats": 6}')
    manifest = ["results/hosts/n1/raw.json"]
    project(tmp_path, manifest, settings=None)
    assert not session_due(tmp_path, manifest, '{"repeats": 6, "engine": "podman"}', host="n1")
    assert session_due(tmp_path, manifest, '{"repeats": 6}', host="n1")


def test_a_budget_that_cut_the_rounds_is_named_as_why_they_changed(tmp_path):
    from parbench.due import replaced_line

    project(tmp_path, OUTPUTS, settings='{"repeats": 3, "seed": 1}')
    budget = '{"limit": "30s", "asked_repeats": 3, "repeats": 2}'
    line = replaced_line(tmp_path, OUTPUTS, '{"repeats": 2, "seed": 1}', budget=budget)
    assert line.startswith("the settings changed since the last session (repeats: budget 30s chose 2 of 3): ")
    plain = replaced_line(tmp_path, OUTPUTS, '{"repeats": 2, "seed": 1}')  # asked, not a budget's choice
    assert plain.startswith("the settings changed since the last session (repeats): ")
    (tmp_path / BUDGET).write_text(budget)  # that budget cut them last time; now it is dropped
    (tmp_path / SETTINGS).write_text('{"repeats": 2, "seed": 1}')
    back = replaced_line(tmp_path, OUTPUTS, '{"repeats": 3, "seed": 1}')
    assert back.startswith("the settings changed since the last session (repeats: budget 30s had chosen 2 of 3): ")


def test_raw_files_older_than_the_settings_make_the_session_due_and_say_so(tmp_path):
    """A run narrowed by `remeasure` that wrote new settings: Snakemake then reruns the whole session."""
    from parbench.due import older_outputs, replaced_line

    project(tmp_path)
    assert older_outputs(tmp_path, OUTPUTS) == 0 and not session_due(tmp_path, OUTPUTS, '{"repeats": 6}')
    os.utime(tmp_path / OUTPUTS[0], (0, 0))  # measured before the settings were last written
    assert older_outputs(tmp_path, OUTPUTS) == 1 and session_due(tmp_path, OUTPUTS, '{"repeats": 6}')
    assert replaced_line(tmp_path, OUTPUTS, '{"repeats": 6}') == (
        "1 raw file is older than the settings (written by a run that did not measure them): this run measures "
        "the cells again and replaces the raw files of 2 (their earlier sessions' stamps stay in results/raw/sessions)"
    )


def test_new_settings_in_a_run_narrowed_by_remeasure_say_the_other_cells_wait_for_a_plain_run(tmp_path):
    from parbench.due import replaced_line

    project(tmp_path, OUTPUTS, settings='{"repeats": 6, "seed": 1}')
    line = replaced_line(tmp_path, OUTPUTS, '{"repeats": 6, "seed": 2}', left=7)
    assert line.startswith("the settings changed since the last session (seed): ")
    assert line.endswith("; the other 7 keep earlier results, so the next plain run measures every cell again")
    assert not replaced_line(tmp_path, OUTPUTS, '{"repeats": 6, "seed": 2}').endswith("measures them")


def test_a_new_node_experiment_makes_a_nodes_session_due_and_is_named(tmp_path):
    from parbench.due import node_changes, replaced_line
    from parbench.nodeexperiment import NODE_EXPERIMENT

    manifest = ["results/hosts/n1/raw.json"]
    project(tmp_path, manifest, settings=None)
    (tmp_path / CLUSTER_SETTINGS).write_text('{"repeats": 6}')
    os.utime(tmp_path / CLUSTER_SETTINGS, (0, 0))
    experiment = '{"workloads": {"cpu_loop": {}}}'
    assert node_changes(tmp_path, None) == []  # off a cluster
    assert node_changes(tmp_path, experiment) == ["results/hosts/experiment.json is new"]
    assert session_due(tmp_path, manifest, '{"repeats": 6}', host="n1", experiment=experiment)
    (tmp_path / NODE_EXPERIMENT).write_text(experiment)
    assert not session_due(tmp_path, manifest, '{"repeats": 6}', host="n1", experiment=experiment)
    other = '{"workloads": {"alloc": {}}}'
    assert session_due(tmp_path, manifest, '{"repeats": 6}', host="n1", experiment=other)
    line = replaced_line(tmp_path, manifest, '{"repeats": 6}', "n1", experiment=other)
    assert line.startswith("the settings changed since the last session (workloads): this run measures host n1's")


def test_a_nodes_raw_files_older_than_the_cluster_settings_make_its_session_due_and_say_so(tmp_path):
    """On a cluster a run narrowed by `remeasure` with new settings leaves the node's other raw files so."""
    import json

    from parbench.due import kept_apart, manifest_files, older_outputs, replaced_line

    manifest = "results/hosts/n1/raw.json"
    raw = [f"results/hosts/n1/raw/{runtime}/cpu_loop/x.jsonl" for runtime in ("go", "cpython-3.13", "cpython-3.13t")]
    project(tmp_path, [manifest, *raw], settings=None)
    (tmp_path / manifest).write_text(json.dumps({"host": "n1", "raw": raw}))
    (tmp_path / CLUSTER_SETTINGS).write_text('{"repeats": 6}')
    assert manifest_files(tmp_path, manifest) == raw and kept_apart(tmp_path, manifest, ["go"]) == 2
    assert older_outputs(tmp_path, [manifest], "n1") == 0 and not session_due(
        tmp_path, [manifest], '{"repeats": 6}', host="n1"
    )
    for path in raw[1:]:
        os.utime(tmp_path / path, (0, 0))  # measured before the narrowed run wrote the settings
    assert older_outputs(tmp_path, [manifest], "n1") == 2 and session_due(
        tmp_path, [manifest], '{"repeats": 6}', host="n1"
    )
    assert replaced_line(tmp_path, [manifest], '{"repeats": 6}', "n1") == (
        "2 of host n1's raw files are older than the settings (written by a run that did not measure them): "
        "this run measures host n1's cells again and replaces their raw files "
        "(their earlier sessions' stamps stay in results/hosts/n1/raw/sessions)"
    )
    (tmp_path / manifest).write_text("{not json")  # a damaged manifest lists nothing
    assert manifest_files(tmp_path, manifest) == [] and older_outputs(tmp_path, [manifest], "n1") == 0


def test_a_new_budget_choice_for_a_node_makes_its_session_due_and_is_named(tmp_path):
    import json

    from parbench.due import choice_change, replaced_line

    manifest = "results/hosts/n1/raw.json"
    stamp = "results/hosts/n1/raw/sessions/s1.json"
    project(tmp_path, [manifest, stamp], settings=None)
    (tmp_path / CLUSTER_SETTINGS).write_text('{"repeats": 6}')
    os.utime(tmp_path / CLUSTER_SETTINGS, (0, 0))
    (tmp_path / manifest).write_text(json.dumps({"host": "n1", "stamp": stamp, "raw": []}))
    (tmp_path / stamp).write_text(json.dumps({"settings": {"repeats": 6}}))  # measured with no budget
    assert choice_change(tmp_path, [manifest], "6 rounds") is None and choice_change(tmp_path, [manifest], None) is None
    assert not session_due(tmp_path, [manifest], '{"repeats": 6}', host="n1")  # a budget that cuts nothing
    assert choice_change(tmp_path, [manifest], "4 rounds", "30m") == "budget 30m chose 4 rounds, was 6 rounds"
    assert replaced_line(tmp_path, [manifest], '{"repeats": 6}', "n1", choice="4 rounds", limit="30m").startswith(
        "the settings changed since the last session (budget 30m chose 4 rounds, was 6 rounds): "
        "this run measures host n1's cells again"
    )
    # Where `repeats` changed, that is why the rounds did: no budget is named, least of all one not set.
    line = replaced_line(tmp_path, [manifest], '{"repeats": 4}', "n1", choice="4 rounds")
    assert "(repeats)" in line and "budget" not in line
    (tmp_path / stamp).write_text(json.dumps({"settings": {"repeats": 4, "budget": {"limit": "90s"}}}))
    assert choice_change(tmp_path, [manifest], "6 rounds") == "no budget now: 6 rounds, was 4 rounds"  # budget dropped
    (tmp_path / stamp).write_text("{damaged")  # nothing to compare: the choice renews nothing
    assert choice_change(tmp_path, [manifest], "4 rounds") is None
