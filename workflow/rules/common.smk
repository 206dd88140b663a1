# Shared set-up: config checks, the experiment matrix, and helpers the rules use.
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

PARBENCH_PKG = str(Path(workflow.basedir) / "workflow")
sys.path.insert(0, PARBENCH_PKG)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [PARBENCH_PKG, os.environ.get("PYTHONPATH")]))

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
        "cells": [cell.raw_path for cell in MEASURED_CELLS],
        "repeats": config["repeats"],
        "warmup": config["warmup"],
        "min_time": config["min_time"],
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


def mark_pruned_images():
    """Make an image rule rerun when its image was removed behind our back.

    An ID file whose image the engine no longer has names nothing: it and
    the identity found in that image are removed, so Snakemake plans the
    build again wherever the image is needed (a dry run says so too).
    """
    from parbench.docker import find_image

    for iid in Path("results/images").glob("*.iid"):
        image = iid.read_text().strip()
        try:
            found = find_image(image, timeout=10)
        except ParbenchError:
            return  # no engine to ask; the onstart check reports that
        if found is None:
            print(f"parbench: image {image[:19]} of {iid} is gone from the engine; it will be rebuilt", file=sys.stderr)
            iid.unlink()
            iid.with_suffix(".identity.json").unlink(missing_ok=True)


mark_pruned_images()


onstart:
    from parbench.docker import daemon_problem

    problem = daemon_problem()
    if problem:
        workflow.persistence.unlock()  # stop() skips Snakemake's own clean-up
        stop(problem)
