"""The experiment a cluster node works out its cells from: results/hosts/experiment.json.

A file of its own, not results/config.json, which every setting changes.
Snakemake does not judge the jobs downstream of a job that must run: it
reaches them only through that job's outputs. Read from config.json, a new
warning threshold or host would have made the experiment's job run and so
either rerun every node's session or (through an `ancient()` input) hidden
each node's own reasons to run, a resume or `--forcerun measure`. This file
changes only with what a node reads.
"""

from __future__ import annotations

NODE_EXPERIMENT = "results/hosts/experiment.json"
# What a node never reads of the experiment: who measures and where (its engine and account reach its jobs
# as parameters and resources), how long to wait for a container, and how the reports word their warnings;
# nor what reaches it in the settings file (results/hosts/settings.json), which says when a change of them
# measures again (budgetplan.kept_alike), nor the budget, which reaches it on its command line (a new one
# measures again only the nodes whose choice it changes: rule measure). A key not named here is a node's:
# a new setting measures every node again until it is added.
NOT_FOR_NODES = frozenset(
    {
        *("hosts", "host_engines", "cluster", "host_label", "record_hostname", "retries", "timeout_seconds"),
        "warnings",
        *("repeats", "min_rounds", "precision", "warmup", "min_time", "values_time", "max_values", "seed"),
        *("limits", "engine", "cells_per_container", "budget"),
    }
)


def node_experiment(experiment: dict) -> dict:
    """The experiment without what a node never reads."""
    return {key: value for key, value in experiment.items() if key not in NOT_FOR_NODES}
