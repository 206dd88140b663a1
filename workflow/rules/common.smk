# Shared set-up: config checks, the experiment matrix, and helpers the rules use.
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from snakemake.utils import validate

from parbench.config import check_config, enabled_workloads, workload_params
from parbench.cpusets import available_cpus
from parbench.environment import host_label
from parbench.errors import ParbenchError
from parbench.matrix import all_cells, measured_cells


def stop(message):
    """Stop the workflow with one line, not a traceback."""
    print(f"parbench: {message}", file=sys.stderr)
    sys.stderr.flush()
    os._exit(1)


SCHEMA_PATH = Path(workflow.basedir, "workflow/schemas/config.schema.yaml")
SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text())
try:
    check_config(config, SCHEMA, available_cpus())
except ParbenchError as error:
    stop(str(error))
validate(config, str(SCHEMA_PATH))  # fills in the schema's defaults

PY = f"{sys.executable} -m"
CATALOGUE = config["catalogue"]
RUNTIMES = list(config["runtimes"])
# Every raw file the tables are made from, and the ones this invocation measures.
CELLS = all_cells(config, available_cpus())
MEASURED_CELLS = measured_cells(config, available_cpus())
HOST_LABEL = host_label(config.get("host_label"), config.get("record_hostname", False))
# The experiment as recorded in reports and bundles: `remeasure` only says what
# this invocation measures, so it must not make the report look out of date.
EXPERIMENT_CONFIG = {key: value for key, value in config.items() if key != "remeasure"}
# Everything that decides what the measurement session measures (and nothing
# that does not, such as timeouts or the host label), as the settings file.
SESSION_SETTINGS = json.dumps(
    {
        "cells": [cell.raw_path for cell in CELLS],  # the whole plan; `remeasure` narrows it per invocation
        "repeats": config["repeats"],
        "warmup": config["warmup"],
        "min_time": config["min_time"],
        "values_time": config["values_time"],
        "max_values": config["max_values"],
        "seed": config["seed"],
        "params": {name: workload_params(w) for name, w in enabled_workloads(config).items()},
        "env": {name: v["env"] for name, v in config["variants"].items()},
    },
    sort_keys=True,
    indent=1,
)


def write_if_changed(path, text):
    """Write text unless the file already holds it, so its date says when it last changed."""
    target = Path(path)
    if target.exists() and target.read_text() == text:
        return
    from parbench.atomic import write_text_atomic

    write_text_atomic(target, text)


def short_commit():
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=workflow.basedir)
    except OSError:
        return "nogit"
    return done.stdout.strip() if done.returncode == 0 else "nogit"


# The published bundle's name: parbench-HOST-DATE-COMMIT.
from parbench.bundle import bundle_stem
from datetime import date

BUNDLE_STEM = bundle_stem(HOST_LABEL, date.today().strftime("%Y%m%d"), short_commit())


def runtime_entry(runtime):
    return CATALOGUE[runtime]


def runtimes_of_kind(kind):
    return [r for r in RUNTIMES if CATALOGUE[r]["kind"] == kind]


def alternation(names):
    """A wildcard constraint matching exactly these names."""
    return "|".join(re.escape(n) for n in names) or "(?!)"


def tell(line):
    """One line for the user, from Snakemake's own process only: jobs with a `run:`
    block re-read this file in a subprocess, which would print the line again."""
    if workflow.is_main_process:
        print(f"parbench: {line}", file=sys.stderr)


# An input whose date is always "now" (procfs dates a file when it is first
# looked at), so a job that has it is older than its input and runs again. It
# is given only while a job must run for a reason Snakemake cannot see itself:
# an image the engine lost (its ID file still exists), a raw file that is
# damaged but present, a session that failed and left its journal (Snakemake
# restored the earlier raw files). Planning so changes no file: a dry run shows
# the plan and leaves everything as it was. (profiles/default drops the
# "input" rerun trigger, so the input's going away afterwards reruns nothing.)
ALWAYS_NEWER = "/proc/self/stat"


def pruned_images():
    """ID files ("results/images/go.iid", ...) naming an image the engine no longer has."""
    from parbench.docker import find_image

    gone = []
    for iid in sorted(Path("results/images").glob("*.iid")):
        image = iid.read_text().strip()
        try:
            found = find_image(image, timeout=10)
        except ParbenchError:
            return []  # no engine to ask; the onstart check reports that
        if found is None:
            tell(f"image {image[:19]} of {iid} is gone from the engine; it will be rebuilt")
            gone.append(iid.stem)
    return gone


GONE_IMAGES = pruned_images() if workflow.is_main_process else []


def renewal(name):
    """The always-newer input while image `name` ("base", "go", ...) must be rebuilt, else nothing."""
    return [ALWAYS_NEWER] if name in GONE_IMAGES else []


# A journal left by a session that did not finish (interrupted, or failed on a
# lost daemon): a plain run takes the session up again (measure.py resumes the
# journal when the plan is the same, and starts afresh, saying so, when it is
# not), even where Snakemake, having restored the earlier raw files, would see
# nothing to do.
def unfinished_session(journal=Path("results/session/journal.jsonl")):
    """The session ID in an unfinished session's journal, or None."""
    try:
        return json.loads(journal.read_text().splitlines()[0])["session"]
    except (OSError, IndexError, ValueError, KeyError):
        return None


RESUMING = unfinished_session()
if RESUMING:
    tell(f"session {RESUMING} did not finish: this run takes it up again")

# Raw files of the last session's plan that are missing or damaged: a plain
# run measures exactly these again (a repair session), not the whole plan. Not
# while a session is unfinished: its plan (perhaps a new one, with new cells)
# is what the next session measures.
from parbench.control import cells_to_repair

REPAIR = {} if RESUMING else cells_to_repair(
    [cell.raw_path for cell in CELLS], Path("results/session/settings.json"), SESSION_SETTINGS, config["repeats"]
)
if REPAIR:
    tell(f"{len(REPAIR)} raw file(s) missing or damaged, measuring just those again: "
         + "; ".join(f"{path} ({why})" for path, why in sorted(REPAIR.items())))
    MEASURED_CELLS = [cell for cell in CELLS if cell.raw_path in REPAIR]
SESSION_RENEWAL = [ALWAYS_NEWER] if REPAIR or RESUMING else []
# What this invocation measures, when not the whole plan: a repair, or the runtimes named in `remeasure`.
if REPAIR:
    NARROWING = " --repair"
elif config.get("remeasure"):
    NARROWING = " --runtimes " + ",".join(config["remeasure"])
else:
    NARROWING = ""


# A cluster run (config `hosts`): one exclusive session per SLURM node.
HOSTS = list(config.get("hosts") or [])
RUNTIMES_ARG = ",".join(RUNTIMES)
CLUSTER_RESOURCES = {
    f"slurm_{key}": value for key, value in (config.get("cluster") or {}).items() if value
}


def cluster_cpus():
    """CPUs of each SLURM node, asked once while planning; empty where SLURM does not answer (a dry run on paper)."""
    if not HOSTS:
        return {}
    from parbench.slurm import cluster_nodes

    try:
        return {name: node.cpus for name, node in cluster_nodes().items()}
    except ParbenchError:
        return {}


HOST_CPUS = cluster_cpus()


def host_cpus(host):
    """A host session's threads: all the node's CPUs (SLURM confines a job to its threads)."""
    return HOST_CPUS.get(host, workflow.cores)


def final_targets():
    """What `snakemake` makes: this machine's tables and report, or every host's and their merge."""
    if HOSTS:
        per_host = ["runs.csv", "summary.csv", "comparisons.csv", "claims.csv", "report.md"]
        return [f"results/hosts/{host}/{name}" for host in HOSTS for name in per_host] + [
            "results/merged/runs.csv", "results/merged/summary.csv", "results/merged/report.md"]
    return ["results/runs.csv", "results/summary.csv", "results/report.md", "results/comparisons.csv",
            "results/claims.csv", *EXPORTS]


# Entry points keep their one-line error here (errors.main_guard); onerror repeats it last.
ERROR_FILE = Path("logs/parbench-errors.txt").resolve()
os.environ["PARBENCH_ERROR_FILE"] = str(ERROR_FILE)


onstart:
    from parbench.docker import daemon_problem

    ERROR_FILE.parent.mkdir(parents=True, exist_ok=True)
    ERROR_FILE.unlink(missing_ok=True)

    problem = daemon_problem()
    if problem:
        workflow.persistence.unlock()  # stop() skips Snakemake's own clean-up
        stop(problem)
    if HOSTS:
        from parbench.slurm import slurm_problem

        for host in HOSTS:
            problem = slurm_problem(host, config["cluster"]["account"])
            if problem:
                workflow.persistence.unlock()
                stop(f"host {host}: {problem}")
    from parbench.control import forward_stop_signals

    # Snakemake lets running jobs finish when interrupted; a measurement
    # session could run for hours, so it is told to stop (it keeps its journal).
    forward_stop_signals(Path("results/session/measure.lock"))


onerror:
    # Snakemake's own account of the failure ends with a pointer to its log;
    # the line the user needs is parbench's, so it comes last. Snakemake 9
    # reports "At least one job did not complete successfully." after this
    # hook, so the line is printed when the process exits.
    if ERROR_FILE.exists():
        lines = ERROR_FILE.read_text().splitlines()
        if lines:
            import atexit

            atexit.register(lambda line=lines[-1]: print(line, file=sys.stderr, flush=True))
