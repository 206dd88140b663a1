# Shared set-up: the config, checked; the plan, asked once (parbench.plan); the rules' helpers.
import json
import os
import re
import sys
from pathlib import Path

import yaml
from snakemake.utils import validate

from parbench.config import check_config, typed_overrides
from parbench.control import dry_run_notices, say_notices
from parbench.errors import ParbenchError
from parbench.layout import Layout, logged
from parbench.plan import fingerprint, plan, this_machine, write_if_changed
from parbench.userworkloads import resolve_paths

SCHEMA_PATH = Path(workflow.basedir, "workflow/schemas/config.schema.yaml")
# A job run as a process of its own (a cluster's job step; a `run:` block where the profile's
# force-use-threads is not read) reads this file again, and must not ask the engine again.
MACHINE = this_machine(Path(workflow.basedir), ask_engine=workflow.is_main_process)
SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text())
# --config's nested values arrive as text ("1000", "null"): read them (config_settings.config, not the files') as YAML.
config.update(typed_overrides(config, dict(workflow.config_settings.config or {}), SCHEMA))
# A user workload's path is relative to the config file naming it (config.yaml, then --configfile).
config.update(resolve_paths(config, ["config.yaml", *workflow.overwrite_configfiles], Path.cwd()))
try:
    check_config(config, SCHEMA, MACHINE.cpus)
    validate(config, str(SCHEMA_PATH))  # fills in the schema's defaults
    PLAN = plan(config, Path.cwd(), MACHINE)
except ParbenchError as error:
    sys.exit(f"parbench: {error}")  # Python prints the one line; Snakemake has started nothing yet
if workflow.is_main_process:
    dry_run = workflow.output_settings.dryrun  # known now (workflow.dryrun asks the executor, chosen later)
    say_notices(PLAN.notices, dry_run_notices(config, PLAN.hosts, PLAN.unknown_hosts, dry_run))

PY = f"{sys.executable} -m"
CATALOGUE = config["catalogue"]
RUNTIMES = list(config["runtimes"])
HOSTS = PLAN.hosts
LAYOUT = Layout(cluster=bool(HOSTS))


def alternation(names):
    """A wildcard constraint matching exactly these names."""
    return "|".join(re.escape(n) for n in names) or "(?!)"


# An input dated "now" (procfs dates a file when it is first looked at), given
# only while a job must run for a reason Snakemake cannot see: an image the
# engine lost (its ID file remains), a damaged raw file, a session that left
# its journal. So planning changes no file, and a dry run shows the plan.
# (profiles/default drops the "input" trigger: its going away reruns nothing.)
ALWAYS_NEWER = "/proc/self/stat"
SESSION_RENEWAL = [ALWAYS_NEWER] if PLAN.renew_session else []


def renewal(name):
    """The always-newer input while image `name` ("base", "go", ...) must be rebuilt, else nothing."""
    return [ALWAYS_NEWER] if name in PLAN.gone_images else []


def final_targets():
    """What `snakemake` makes: this machine's tables and report, or every host's and their merge."""
    tables = ["runs.csv", "summary.csv", "report.md", "comparisons.csv", "claims.csv"]
    if HOSTS:
        merged = ["results/merged/runs.csv", "results/merged/summary.csv", "results/merged/report.md"]
        return expand([LAYOUT.result(name) for name in tables], host=HOSTS) + merged
    return [LAYOUT.result(name) for name in tables] + EXPORTS + ["results/session/budget.json"]  # read by a session
