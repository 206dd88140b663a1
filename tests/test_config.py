"""Config errors: one line naming the key and what is allowed, before anything runs."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.cli import parse_config
from snakemake.utils import update_config

from parbench.config import KNOWN_WORKLOADS, check_config, schema_problem, typed_overrides, typed_text
from parbench.errors import ParbenchError

REPO = Path(__file__).resolve().parent.parent
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())


def problem_with(change, available=(0, 1)) -> str:
    config = copy.deepcopy(DEFAULT)
    change(config)
    with pytest.raises(ParbenchError) as raised:
        check_config(config, SCHEMA, list(available))
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_default_config_is_valid():
    check_config(copy.deepcopy(DEFAULT), SCHEMA, [0, 1])


def test_quick_config_is_valid_and_shrinks_every_workload():
    quick = yaml.safe_load((REPO / "configs/quick.yaml").read_text())
    merged = copy.deepcopy(DEFAULT)
    update_config(merged, quick)  # as Snakemake merges a --configfile
    check_config(merged, SCHEMA, [0, 1])
    # Snakemake merges --configfile over config.yaml key by key: a workload the
    # quick config forgot would run at full size.
    assert set(quick["workloads"]) == set(DEFAULT["workloads"])


def test_units_default_to_the_registry_size_and_an_explicit_count_wins():
    from parbench.config import workload_units

    assert workload_units("cpu_loop", {"iterations": 50_000_000}) == 1000  # units of 50,000 iterations
    assert workload_units("cpu_loop", {"iterations": 300_001}) == 1  # 13 x 47 x 491: no divisor leaves 50,000
    assert workload_units("cpu_loop", {"iterations": 1000, "units": 4}) == 4
    assert workload_units("spawn", {"count": 2000}) == 1


def test_default_config_runs_every_workload():
    assert set(DEFAULT["workloads"]) == set(KNOWN_WORKLOADS)


@pytest.mark.parametrize(
    "change, mentions",
    [
        (lambda w: w["hash"].pop("rounds"), ["'workloads.hash.rounds'", "missing"]),
        (lambda w: w["hash"].update(size=3), ["'workloads.hash.size'", "no such parameter", "megabytes, rounds"]),
        (lambda w: w["channels"].update(capacity=0), ["'workloads.channels.capacity'", "0 is below 1"]),
        (
            lambda w: w["io_wait"].update(sleep_us=-5),
            ["'workloads.io_wait.sleep_us'", "-5 is out of range: at least 0"],
        ),
        (lambda w: w["io_wait"].update(workers=["all"]), ["'workloads.io_wait.workers.0'"]),
        (lambda w: w["spawn"].update(count="many"), ["'workloads.spawn.count'", "not a whole number"]),
        (lambda w: w["cpu_loop"].update(units=7), ["'workloads.cpu_loop.units'", "7 does not divide iterations"]),
        (lambda w: w["hash"].update(units=0), ["'workloads.hash.units'", "0 is out of range: at least 1"]),
        (lambda w: w["spawn"].update(units=2), ["'workloads.spawn.units'", "cannot be divided", "remove it"]),
    ],
)
def test_bad_workload_parameters_name_their_key(change, mentions):
    message = problem_with(lambda c: change(c["workloads"]))
    assert all(m in message for m in mentions), message


def test_unknown_runtime_names_key_and_allowed_values():
    message = problem_with(lambda c: c.update(runtimes=["cpyton-3.13"]))
    assert "'runtimes'" in message and "cpyton-3.13" in message
    assert "cpython-3.13, cpython-3.13t, go" in message


def test_unknown_workload():
    message = problem_with(lambda c: c["workloads"].update(matmul={"iterations": 5}))
    assert "'workloads'" in message and "matmul" in message and "cpu_loop" in message


def test_cpuset_this_machine_lacks():
    message = problem_with(lambda c: c.update(cpusets=["0", "0-3"]), available=[0, 1])
    assert "'cpusets'" in message and "0-3" in message and "2-3" in message and "available: 0-1" in message


def test_malformed_cpuset():
    message = problem_with(lambda c: c.update(cpusets=["0-"]))
    assert "'cpusets'" in message and "Docker's syntax" in message


def test_duplicate_cpuset():
    message = problem_with(lambda c: c.update(cpusets=["0,1", "0-1"]))
    assert "same CPU set" in message


@pytest.mark.parametrize("value", [0, -1])
def test_repeats_below_one(value):
    message = problem_with(lambda c: c.update(repeats=value))
    assert message.startswith("config key 'repeats'")


def test_bad_sha256_shape():
    def change(c):
        c["sources"]["Python-3.13.5.tar.xz"]["sha256"] = "abc"

    assert "sources.Python-3.13.5.tar.xz.sha256" in problem_with(change)


def test_catalogue_source_must_be_listed():
    def change(c):
        c["catalogue"]["cpython-3.13"]["source"] = "Python-9.9.9.tar.xz"

    message = problem_with(change)
    assert "catalogue.cpython-3.13.source" in message and "Python-3.13.5.tar.xz" in message


def test_unknown_mode_lists_allowed():
    message = problem_with(lambda c: c["modes"].update(go=["threads"]))
    assert "modes.go" in message and "goroutines" in message


def test_unknown_top_level_key_names_the_nearest():
    message = problem_with(lambda c: c.update(repeat=3))
    assert message == (
        "config key 'repeat': no such key (did you mean 'repeats'? the keys are in docs/configuration.md and "
        "config.yaml)"
    )
    # Left out, it would measure every built-in workload: a quarter of an hour for one's own.
    assert "did you mean 'builtin_workloads'?" in problem_with(lambda c: c.update(builtin_workload=False))
    # --config 'cluster={account:parbench}' arrives as the one key "account:parbench".
    squeezed = problem_with(lambda c: c.update(cluster={"account:parbench": None}))
    assert squeezed.startswith("config key 'cluster.account:parbench': no such key (YAML needs a space after the colon")
    assert "'account: parbench'" in squeezed
    far = problem_with(lambda c: c.update(zzz=1))
    assert far == "config key 'zzz': no such key (the keys are in docs/configuration.md and config.yaml)"


def test_a_number_out_of_range_names_the_range():
    message = problem_with(lambda c: c.update(precision=1))
    assert message.startswith("config key 'precision': 1 is out of range: at least 0 and below 1 (a fraction (0.02 ")
    assert problem_with(lambda c: c.update(precision="2%")).startswith(
        "config key 'precision': '2%' is not a number (a fraction (0.02 for ±2 %); "
    )


def test_known_workloads_match_the_harness_registry():
    from workloads import WORKLOADS

    assert set(KNOWN_WORKLOADS) == set(WORKLOADS)


def test_null_leaves_a_workload_out_but_not_all_of_them():
    config = copy.deepcopy(DEFAULT)
    config["workloads"]["spawn"] = None
    check_config(config, SCHEMA, [0, 1])
    message = problem_with(lambda c: c.update(workloads={name: None for name in c["workloads"]}))
    assert "'workloads'" in message and "enable at least one" in message


def from_command_line(*pairs: str, config: dict | None = None) -> dict:
    """`config` (config.yaml's) with `--config PAIRS` as Snakemake parses and merges them, as parbench reads them."""
    overrides = parse_config(list(pairs))
    merged = copy.deepcopy(config if config is not None else DEFAULT)
    update_config(merged, copy.deepcopy(overrides))
    return typed_overrides(merged, overrides, SCHEMA)


def test_command_line_text_is_read_as_yaml_would_read_it():
    config = from_command_line("workloads={cpu_loop: {iterations: 1000000}, spawn: null}", "budget=null")
    assert config["workloads"]["cpu_loop"] == {"iterations": 1000000}
    assert config["workloads"]["spawn"] is None and config["budget"] is None
    assert config["workloads"]["hash"] == DEFAULT["workloads"]["hash"]  # what --config did not name is untouched
    check_config(config, SCHEMA, [0, 1])


def test_a_label_snakemake_reads_as_a_number_is_told_how_to_keep_it_text():
    bare = from_command_line("host_label=7")
    assert bare["host_label"] == 7 and from_command_line('host_label="7"')["host_label"] == 7  # Snakemake's reading
    message = schema_problem(bare, SCHEMA)
    hint = """write host_label: "7" in a config file, or --config 'host_label=!!str 7'"""
    assert message == f"config key 'host_label': 7 is not text: {hint}", message
    tagged = from_command_line("host_label=!!str 7")  # what the line says to write
    assert tagged["host_label"] == "7" and schema_problem(tagged, SCHEMA) is None
    assert from_command_line("host_label=true")["host_label"] == "true"  # text, as the schema wants
    assert "is not text" not in schema_problem({**DEFAULT, "host_label": True}, SCHEMA)
    # Deeper down only a config file gives a number (--config's text stays text there), so no --config hint.
    assert from_command_line("hosts=[7]")["hosts"] == ["7"]
    nested = schema_problem({**DEFAULT, "hosts": [7]}, SCHEMA)
    assert nested == """config key 'hosts.0': 7 is not text: write "7" in the config file""", nested


def test_command_line_text_stays_text_where_the_schema_wants_text():
    config = from_command_line("cpusets=[0, 1, 0-1]")
    assert config["cpusets"] == ["0", "1", "0-1"]
    check_config(config, SCHEMA, [0, 1])


def test_a_number_out_of_range_stays_a_number_so_its_error_says_so():
    with pytest.raises(ParbenchError) as refused:
        check_config(from_command_line("limits={pids: 10}"), SCHEMA, [0, 1])
    assert str(refused.value).startswith("config key 'limits.pids': 10 is out of range: at least 64")


def test_config_file_text_is_never_retyped():
    """Only the leaves --config named are read again: a config file's text stays text, and is refused as such."""
    from_file = copy.deepcopy(DEFAULT)
    from_file["workloads"]["cpu_loop"]["iterations"] = "1000000"  # quoted in a config file
    config = from_command_line("budget=null", config=from_file)
    assert config["workloads"]["cpu_loop"]["iterations"] == "1000000" and config["budget"] is None


def test_only_yaml_spellings_are_retyped():
    assert [typed_text(t) for t in ("NULL", "nULL", "True", "tRUE", "010", "-3", "1.5", "1:30", "0-1")] == [
        None,
        "nULL",
        True,
        "tRUE",
        "010",
        -3,
        1.5,
        "1:30",
        "0-1",
    ]


def test_a_misspelt_parameter_from_the_command_line_is_named_as_unknown():
    config = from_command_line("workloads={cpu_loop: {iteration: 100}}")
    with pytest.raises(ParbenchError, match="cpu_loop.iteration': cpu_loop has no such parameter"):
        check_config(config, SCHEMA, [0, 1])


@pytest.mark.parametrize("key", ["repeats", "min_rounds", "warmup"])
def test_a_count_written_with_a_decimal_point_is_refused_with_the_fix(key):
    message = problem_with(lambda c: c.update({key: 6.0}))
    assert message == f"config key '{key}': 6.0 is not a whole number as written: write 6"


@pytest.mark.parametrize(
    "change, expected",
    [
        # A value of the wrong kind: the schema's own words, with an example of the list form.
        (
            {"cpusets": "0-1"},
            "config key 'cpusets': '0-1' is not allowed "
            '(expected "auto" or a list of CPU sets in Docker syntax, such as ["0", "0-1"])',
        ),
        ({"workers": ["cpus", "x"]}, "config key 'workers.1': 'x' is not allowed (allowed: cpus, a whole number)"),
        ({"engine": "dokker"}, "config key 'engine': 'dokker' is not allowed (allowed: docker, podman, apptainer)"),
    ],
)
def test_a_value_outside_its_forms_names_the_forms(change, expected):
    assert problem_with(lambda c: c.update(change)) == expected


def test_a_name_that_does_not_fit_says_what_names_fit():
    message = problem_with(lambda c: c["workloads"].update(Collatz={"path": "x"}))
    assert message == (
        "config key 'workloads': 'Collatz' is not a name parbench takes: "
        "use lower-case letters, digits and '_', starting with a letter (as a Python name)"
    )
    assert problem_with(lambda c: c["limits"].update(memory="8 GB")).endswith("with k, m or g after it (8g)")
