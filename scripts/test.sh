#!/usr/bin/env bash
# Set up (see setup.sh), lint (ruff), and run the whole test suite, Docker tests included.
# Extra arguments go to pytest, e.g. `scripts/test.sh -m "not docker"` for the fast ones.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Where SLURM's commands are installed, Snakemake's SLURM plugin asks for the
# controller each time snakemake starts, about 10 s when none answers. Where
# an earlier test run made the test cluster (its slurm.conf says so), start it
# now (seconds) rather than when the SLURM tests reach it; a machine with a
# SLURM of its own is left alone. Without SLURM nothing waits.
if command -v sinfo > /dev/null && grep -qs "^# Written by parbench's scripts/slurm-test-cluster.sh" /etc/slurm/slurm.conf; then
    scripts/slurm-test-cluster.sh > /dev/null || echo "test.sh: the SLURM test cluster did not start; its tests will say why" >&2
fi
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
exec .venv/bin/pytest "$@"
