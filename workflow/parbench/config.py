"""Checks a configuration before anything is built or measured.

The JSON schema catches shape errors; the checks here catch what a schema
cannot (a runtime missing from the catalogue, a CPU set this machine lacks).
Every problem becomes one line that names the config key and what is allowed.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .cpusets import format_cpuset, parse_cpuset
from .errors import ParbenchError
from .schemawords import VALIDATOR, schema_problem
from .specs import WORKLOADS, default_units, units_problem
from .userworkloads import entry_problem, is_user_entry, user_workloads

KNOWN_WORKLOADS = tuple(sorted(WORKLOADS))
WORKLOAD_SETTINGS = ("workers", "units")  # keys of a workload entry that are not parameters


BUDGET_FORMS = "whole hours, minutes and seconds such as 90s, 15m, 1h or 1h30m; null for no budget"
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def budget_problems(config: dict) -> list[str]:
    """A budget that is no duration (with `hosts`, each node fits its own session into it)."""
    budget = config.get("budget")
    if budget is None:
        return []
    try:
        parse_duration(budget)
    except ParbenchError as error:
        return [str(error)]
    return []


def parse_duration(value: object) -> float:
    """Seconds in a duration written as hours, minutes and seconds, each a whole number: `1h30m`, `90s`."""
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if not match or not any(match.groups()):
        raise ParbenchError(f"config key 'budget': {value!r} is not a duration (accepted: {BUDGET_FORMS})")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise ParbenchError(f"config key 'budget': {value!r} is no time at all (accepted: {BUDGET_FORMS})")
    return float(total)


# Snakemake reads a `--config` value's nested parts as text ("1000", "null"); these are what
# YAML would have made of them. Only these exact forms: "1:30" or "on" stay text.
_WHOLE = re.compile(r"^[-+]?(0|[1-9]\d*)$")  # "010" stays text: YAML 1.1 would read it as octal
_DECIMAL = re.compile(r"^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$")
_LITERALS = {
    **dict.fromkeys(("null", "Null", "NULL", "~"), None),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
}


def typed_text(value: object) -> object:
    """A command line's text leaf as YAML would have read it: '1000' -> 1000, 'null' -> None; else unchanged."""
    if not isinstance(value, str):
        return value
    if value in _LITERALS:
        return _LITERALS[value]
    if _WHOLE.match(value):
        return int(value)
    if _DECIMAL.match(value):
        return float(value)
    return value


def typed_overrides(config: dict, overrides: dict, schema: dict) -> dict:
    """The config with each text leaf that came from `--config` (`overrides`) read as YAML would.

    Snakemake merges `--config` over the config files key by key, so each
    leaf of `overrides` sits at the same path in `config`; only those are
    retyped, and nothing a config file gave is touched. Where the schema
    wants text (the CPU sets of `cpusets=[0,0-1]`), the leaves it judges
    stay text if that leaves fewer errors there; a number out of range
    stays a number, so its error says so.
    """
    out = copy.deepcopy(config)
    changed: list[tuple] = []

    def visit(merged: object, given: object, path: tuple) -> None:
        if isinstance(given, dict) and isinstance(merged, dict):
            for key in given.keys() & merged.keys():
                visit(merged[key], given[key], (*path, key))
        elif isinstance(given, list) and isinstance(merged, list) and len(given) == len(merged):
            for index, (m, g) in enumerate(zip(merged, given)):
                visit(m, g, (*path, index))
        elif isinstance(given, str) and merged == given and typed_text(given) != given:
            changed.append(path)

    visit(config, overrides, ())
    if not changed:  # most runs: nothing to retype, so no schema pass (1.3 ms of every parse)
        return out
    for path in changed:
        _put(out, path, typed_text(_get(config, path)))
    validator = VALIDATOR(schema)

    def errors_at(tree: dict, where: tuple) -> int:
        return sum(tuple(error.absolute_path)[: len(where)] == where for error in validator.iter_errors(tree))

    for where in sorted({tuple(error.absolute_path) for error in validator.iter_errors(out)} - {()}, key=len):
        under = [path for path in changed if path[: len(where)] == where]
        if under:
            as_text = copy.deepcopy(out)
            for path in under:
                _put(as_text, path, _get(config, path))
            if errors_at(as_text, where) < errors_at(out, where):
                out, changed = as_text, [path for path in changed if path not in under]
    return out


def _get(tree: Any, path: tuple) -> Any:
    for step in path:
        tree = tree[step]
    return tree


def _put(tree: Any, path: tuple, value: Any) -> None:
    _get(tree, path[:-1])[path[-1]] = value


def cluster_problems(config: dict) -> list[str]:
    """With hosts: an account to submit with, and engines only for nodes that are measured."""
    problems = []
    hosts = config.get("hosts") or []
    if hosts and not (config.get("cluster") or {}).get("account"):
        problems.append(
            "config key 'cluster.account': required when 'hosts' names SLURM nodes "
            "(an account `sacctmgr show assoc user=$USER` lists)"
        )
    for host in config.get("host_engines") or {}:
        if host not in hosts:
            problems.append(
                f"config key 'host_engines': {host!r} is not one of 'hosts' "
                f"({', '.join(hosts) or 'none'}); name a node of hosts, or remove it"
            )
    return problems


def semantic_problems(config: dict, available: list[int]) -> list[str]:
    """Problems the schema cannot see, each one line naming its key."""
    problems = []
    catalogue = config.get("catalogue", {})
    for name in config["runtimes"]:
        if name not in catalogue:
            problems.append(
                f"config key 'runtimes': unknown runtime {name!r} "
                f"(allowed: {', '.join(sorted(catalogue))}; add it under 'catalogue')"
            )
    for variant, spec in (config.get("variants") or {}).items():
        for runtime in spec["runtimes"]:
            if runtime not in catalogue:
                problems.append(
                    f"config key 'variants.{variant}.runtimes': unknown runtime {runtime!r} "
                    f"(allowed: {', '.join(sorted(catalogue))})"
                )
    problems += cluster_problems(config)
    for name in config.get("remeasure") or []:
        if name not in config["runtimes"]:
            problems.append(
                f"config key 'remeasure': {name!r} is not an enabled runtime (allowed: {', '.join(config['runtimes'])})"
            )
    for name, entry in catalogue.items():
        source = entry.get("source")
        if source is not None and source not in config.get("sources", {}):
            problems.append(
                f"config key 'catalogue.{name}.source': {source!r} is not listed under 'sources' "
                f"(listed: {', '.join(sorted(config.get('sources', {}))) or 'none'})"
            )
    for workload, entry in config["workloads"].items():
        if is_user_entry(entry):
            problems += [p for p in [entry_problem(workload, entry)] if p]
        elif workload not in KNOWN_WORKLOADS:
            problems.append(
                f"config key 'workloads': unknown workload {workload!r} "
                f"(built-in: {', '.join(KNOWN_WORKLOADS)}; a workload of yours needs a 'path')"
            )
        elif entry is not None:
            problems += workload_param_problems(workload, entry)
    if not problems and not enabled_workloads(config):
        problems.append(
            "config key 'workloads': every workload is switched off (null)"
            + (
                ", and builtin_workloads is false: give yours a 'path'"
                if not config.get("builtin_workloads", True)
                else ""
            )
            + "; enable at least one"
        )
    if not problems:
        try:
            user_workloads(enabled_workloads(config))
        except ParbenchError as error:
            problems.append(str(error))
    return problems + cpuset_problems(config, available) + budget_problems(config)


def cpuset_problems(config: dict, available: list[int]) -> list[str]:
    """Malformed, duplicate or (here, without hosts) unavailable explicit CPU sets."""
    problems: list[str] = []
    if config.get("cpusets", "auto") == "auto":
        return problems
    seen: dict[str, str] = {}
    for text in config["cpusets"]:
        try:
            cpus = parse_cpuset(text)
        except ValueError as error:
            problems.append(f"config key 'cpusets': {error}")
            continue
        missing = sorted(set(cpus) - set(available))
        # With hosts, each node checks its own CPUs when its session starts (hostsession).
        if missing and not config.get("hosts"):
            problems.append(
                f"config key 'cpusets': CPU set {text!r} names CPU(s) {format_cpuset(missing)} "
                f"that this machine does not offer (available: {format_cpuset(available)})"
            )
        canonical = format_cpuset(cpus)
        if canonical in seen:
            problems.append(f"config key 'cpusets': {text!r} is the same CPU set as {seen[canonical]!r}")
        seen[canonical] = text
    return problems


def workload_param_problems(workload: str, entry: dict) -> list[str]:
    """Unknown, missing or too small parameters of one workload entry, judged by the harness's own rule."""
    spec = WORKLOADS[workload]
    given = workload_params(entry)
    lines = []
    for kind, name in spec.params_problems(given):
        minimum = spec.params.get(name)
        what = {
            "unknown": f"{workload} has no such parameter "
            f"(parameters: {', '.join(spec.params)}; settings: {', '.join(WORKLOAD_SETTINGS)})",
            "missing": f"missing; {workload} needs it (a whole number >= {minimum})",
            "below": f"{given.get(name)} is below {minimum}",
        }[kind]
        lines.append(f"config key 'workloads.{workload}.{name}': {what}")
    if not lines and "units" in entry:
        problem = units_problem(spec, given, entry["units"])
        if problem:
            fix = "give a number of units that divides it, or 1 for whole loops" if spec.division else "remove it"
            lines.append(f"config key 'workloads.{workload}.units': {problem}; {fix}")
    return lines


def workload_units(name: str, entry: dict) -> int:
    """How many units a loop of this workload divides into: the entry's `units`, else the registry's default.

    A user's workload is not divided (its code does not say how its work splits).
    """
    if is_user_entry(entry):
        return 1
    return entry.get("units") or default_units(WORKLOADS[name], workload_params(entry))


def enabled_workloads(config: dict) -> dict[str, dict]:
    """The configured workloads, without those set to null.

    Snakemake merges a --configfile over config.yaml key by key, so null is how
    a smaller config leaves one of the default workloads out, and
    `builtin_workloads: false` leaves out every one without a `path`.
    """
    builtins = config.get("builtin_workloads", True)
    return {
        name: entry
        for name, entry in config["workloads"].items()
        if entry is not None and (builtins or is_user_entry(entry))
    }


def workload_params(entry: dict) -> dict[str, int]:
    """A workload entry's parameters, without its settings (such as its own worker counts)."""
    if is_user_entry(entry):
        return dict(entry.get("params") or {})
    return {k: v for k, v in entry.items() if k not in WORKLOAD_SETTINGS}


def check_config(config: dict[str, Any], schema: dict, available: list[int]) -> None:
    """Raise ParbenchError with the first problem found, if any.

    A user workload's entry is checked before the schema, whose words for a
    misspelt key of it ("is not a whole number") would mislead.
    """
    workloads = config.get("workloads")
    entries = workloads.items() if isinstance(workloads, dict) else []
    early = [entry_problem(name, entry) for name, entry in entries if is_user_entry(entry)]
    problem = next((p for p in early if p), None) or schema_problem(config, schema)
    if problem:
        raise ParbenchError(problem)
    problems = semantic_problems(config, available)
    if problems:
        raise ParbenchError(problems[0])
