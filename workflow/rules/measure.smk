# Measurements: one session job that runs every cell in interleaved rounds,
# one pinned `docker run` per round for up to `cells_per_container` cells. It takes all cores the workflow
# has (on a cluster: every CPU of its node, alone on it), so nothing else runs
# beside it. Remeasure one runtime alone, here or on every host, with
#   snakemake --cores all --forcerun measure --config remeasure=[go]
# which makes the session measure that runtime's cells only.

import shlex

from parbench.budgetplan import CLUSTER_SETTINGS, SETTINGS
from parbench.due import choice_change, kept_apart, older_outputs, replaced_line, session_due
from parbench.slurm import node_options
from parbench.nodeexperiment import NODE_EXPERIMENT, node_experiment

FOR_NODES = json.dumps(node_experiment(PLAN.experiment), sort_keys=True, indent=1)  # its file's text


# The experiment and what the session measures, in files whose dates change
# only with their content. A rule's params are one short line per setting
# (plan.fingerprint), so a changed setting is what a rerun's reason names.
rule experiment_files:
    output:
        config="results/config.json",
        cells="results/session/cells.txt",
    params:
        *fingerprint({"config": PLAN.experiment, "cells": PLAN.raw_paths}),
    log:
        "logs/experiment_files.log",
    run:
        write_if_changed(output.config, json.dumps(PLAN.experiment, sort_keys=True, indent=1))
        write_if_changed(output.cells, "".join(path + "\n" for path in PLAN.raw_paths))


# A cluster node's experiment (it works out its own cells): apart from config.json, whose every change
# would otherwise rerun each node's session or hide its own reasons to run (parbench.nodeexperiment).
rule node_experiment:
    output:
        NODE_EXPERIMENT,
    params:
        *fingerprint(json.loads(FOR_NODES)),
    log:
        "logs/node_experiment.log",
    run:
        write_if_changed(output[0], FOR_NODES)


def settings_renewal(wildcards):
    """The always-newer input where the settings file does not hold the plan's text.

    Its params alone would not do: a run that failed before measuring puts the
    earlier file back (onerror, parbench.settingsfile) while Snakemake's record
    of the params keeps the failed run's.
    """
    try:
        return [] if Path(SETTINGS_FILE).read_text() == PLAN.settings else [ALWAYS_NEWER]
    except OSError:
        return [ALWAYS_NEWER]


SETTINGS_FILE = str(CLUSTER_SETTINGS if HOSTS else SETTINGS)


rule session_settings:
    input:
        settings_renewal,
    output:
        SETTINGS_FILE,
    params:
        *fingerprint(json.loads(PLAN.settings)),
    log:
        "logs/session_settings.log",
    run:
        write_if_changed(output[0], PLAN.settings)


# What a time budget asked and chose here (parbench.budgetplan), kept for the
# next plan; what it chose is in the settings, the budget is not, so one that
# cut nothing measures nothing again. No rule reads it: the session gets the
# record on its command line (NARROWING), and only `all` asks for the file.
rule session_budget:
    output:
        "results/session/budget.json",
    params:
        *fingerprint({"budget": json.loads(PLAN.budget)}),
    log:
        "logs/session_budget.log",
    run:
        write_if_changed(output[0], PLAN.budget)


# The predicted session, said once as the DAG takes in a session job that
# surely runs (parbench.due), before anything is measured (a dry run says it
# too); so neither a run whose targets do not depend on the session
# (`snakemake images`) nor one that finds its results up to date predicts
# one. On a cluster each host's job says its node's.
SAID = set()


def say_estimate(wildcards):
    """No input: prints the predicted session of this job (the host's, on a cluster) once, if it is due."""
    host = wildcards.get("host")
    estimate = PLAN.host_estimates.get(host)
    line = estimate.line() if estimate else PLAN.estimate
    outputs = [LAYOUT.result("raw.json").format(host=host)] if host else [cell.raw_path for cell in PLAN.measured]
    # Snakemake's settings are known by the time the DAG is built (not while the Snakefile is read).
    forced = workflow.dag_settings.forceall or "measure" in workflow.dag_settings.forcerun
    # On a cluster, results/hosts/settings.json is every host job's input: new settings rerun each node.
    # A node reads the node experiment too: a new one reruns its session.
    experiment = FOR_NODES if host else None
    choice = estimate.choice if estimate else None  # what the budget chooses on the node (session_renewal)
    due = session_due(Path.cwd(), outputs, PLAN.settings, bool(session_renewal(wildcards)), forced, host, experiment)
    if workflow.is_main_process and PLAN.remeasure and not forced and "remeasure" not in SAID:
        SAID.add("remeasure")  # it narrows a session that runs; only --forcerun measure makes one run for it
        named = ",".join(PLAN.remeasure)
        said = f"remeasure=[{named}] without --forcerun measure measures none of their cells that are up to date"
        print(f"parbench: {said}", file=sys.stderr)
    if workflow.is_main_process and due and line and line not in SAID:
        SAID.add(line)
        # The cells not measured now (remeasure, a repair), which keep their results.
        left = len(PLAN.cells) - len(PLAN.measured)
        if host:
            left = kept_apart(Path.cwd(), outputs[0], PLAN.remeasure) if PLAN.remeasure else 0
        limit = config.get("budget") if host else None  # a node's budget: the config's, on its command line
        replaced = replaced_line(Path.cwd(), outputs, PLAN.settings, host, PLAN.budget, left, experiment, choice, limit)
        respent = f"host {host}: {estimate.respent}" if estimate and estimate.respent else None
        for said in [text for text in (respent, replaced, line) if text]:
            print(f"parbench: {said}", file=sys.stderr)
    return []


def session_renewal(wildcards):
    """The always-newer input where the session must run though Snakemake sees its outputs up to date.

    A renewal of the plan's (a repair, a resumed session, a spent budget's
    results), or on a cluster a node whose raw files are older than the
    settings (a run narrowed by `remeasure` wrote new settings and measured
    only some of its cells with them; here each raw file is an output, and
    Snakemake reruns the session for them itself), whose results its spent
    budget stopped short, now asked for a larger one, or where the budget now
    chooses otherwise than its last session did (due.choice_change).
    """
    host = wildcards.get("host")
    if not host:
        return SESSION_RENEWAL
    manifest = [LAYOUT.result("raw.json").format(host=host)]
    estimate = PLAN.host_estimates.get(host)
    stale = older_outputs(Path.cwd(), manifest, host)
    chosen = estimate and (estimate.respent or choice_change(Path.cwd(), manifest, estimate.choice))
    return [ALWAYS_NEWER] if stale or chosen else []


# Timeout, retries and host label change nothing that is measured, so they
# are in the command, not in params (a changed param remeasures). They and the
# narrowing are placeholders, filled in per job: Snakemake compares the
# command's text before filling in, and a changed text would remeasure too.
HOST_LABEL = PLAN.host_label
# Here a budget's record rides with the narrowing: a placeholder Snakemake does not compare, so a budget that
# cut nothing reruns nothing (the session needs its limit, to stop once it is spent, and the stamp its choice).
# On a cluster the limit alone: each node fits it to its own cells, and a node whose choice it changes is
# renewed (session_renewal).
if HOSTS:
    BUDGET_OPTION = " --budget " + shlex.quote(config["budget"]) if config.get("budget") else ""
else:
    BUDGET_OPTION = "" if PLAN.budget == "null" else " --budget " + shlex.quote(PLAN.budget_line)
NARROWING = PLAN.narrowing + BUDGET_OPTION
OPTIONS = "--timeout {config[timeout_seconds]} --retries {config[retries]} --log {log}{NARROWING}"


# Another engine than Docker measures here from the images loaded into it (rule engine_images).
LOCAL_LOADED = [] if HOSTS or config["engine"] == "docker" else [f"results/images/loaded-{config['engine']}.json"]
if HOSTS:
    SESSION = dict(
        output=update(LAYOUT.result("raw.json")),  # the host's manifest, written last
        message=None,  # Snakemake then shows the job, with the sbatch options that put it alone on its node
        params={"engine": host_engine},  # the node's own: changing it remeasures that node alone
        command="{PY} parbench.hostsession measure --host {wildcards.host} --engine {params.engine} "
        "--images results/images --loaded {input.loaded} "
        "--config {input.config} --settings {input.settings} --out results/hosts/{wildcards.host}/raw "
        "--state results/hosts/{wildcards.host}/session --manifest {output} " + OPTIONS,
        resources={
            **CLUSTER_RESOURCES,
            "slurm_extra": lambda w: node_options(w.host, exclusive=True),
            # The job's time limit follows the node's predicted session (hostlimits.py), where SLURM
            # said every node's CPU count; otherwise the profile's default.
            **({"runtime": lambda w: PLAN.host_estimates[w.host].minutes} if set(HOSTS) <= set(PLAN.host_estimates) else {}),
        },
    )
else:
    SESSION = dict(
        output=[update(cell.raw_path) for cell in PLAN.measured],
        # Said only where the job runs: the prediction, for a session due for a reason only Snakemake sees.
        message=f"Measuring {PLAN.estimate}; up to {json.loads(PLAN.settings)['repeats']} interleaved round(s), detail: {{log}}",
        command="{PY} parbench.measure --settings {input.settings} --images results/images "
        "--host-label {HOST_LABEL} " + ("--loaded {input.loaded} " if LOCAL_LOADED else "") + OPTIONS,
        params={},  # the engine is in the settings here
        resources={},
    )


def session_threads(wildcards):
    """All cores here; on a cluster every CPU of the node (SLURM confines a job to its threads)."""
    return PLAN.host_cpus.get(wildcards.get("host"), workflow.cores)


rule measure:
    input:
        say_estimate,
        renew=session_renewal,
        settings=rules.session_settings.output[0],
        # A host works out its cells from the experiment, on the node, after loading the images.
        config=rules.node_experiment.output if HOSTS else [],
        loaded=rules.load_images.output if HOSTS else LOCAL_LOADED,
        iids=expand("results/images/{runtime}.iid", runtime=RUNTIMES + PLAN.derived),
        identities=IDENTITIES + DERIVED_IDENTITIES,
    output:
        SESSION["output"],
    params:
        **SESSION["params"],
    threads: session_threads
    resources:
        **SESSION["resources"],
    log:
        LAYOUT.log("measure"),
    message:
        SESSION["message"]
    shell:
        SESSION["command"]


rule measurements:
    input:
        expand(LAYOUT.result("raw.json"), host=HOSTS) if HOSTS else PLAN.raw_paths,
