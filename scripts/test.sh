#!/usr/bin/env bash
# Set up (see setup.sh), lint (ruff), and run the whole test suite, Docker tests included.
# Extra arguments go to pytest, e.g. `scripts/test.sh -m "not docker"` for the fast ones.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
exec .venv/bin/pytest "$@"
