#!/usr/bin/env bash
# Set up (see setup.sh) and run the whole pipeline on config.yaml.
# Extra arguments go to snakemake, e.g. `scripts/run.sh --configfile configs/quick.yaml`.
# Run it again after an interruption: it resumes the measurement session.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/snakemake --cores all "$@"
