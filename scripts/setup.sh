#!/usr/bin/env bash
# Set up everything parbench needs on a Debian machine, idempotently:
# Debian's docker.io, mmdebstrap and podman, a running Docker engine, and the Python
# virtual environment in .venv. Safe to run again; a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }
die() { echo "setup: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# 1. System packages.
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
command -v podman >/dev/null 2>&1 || missing+=(podman)  # engine: podman (docs/engines.md); no daemon
command -v git >/dev/null 2>&1 || missing+=(git)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if is_root && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" ca-certificates xz-utils >/dev/null
  else
    die "missing ${missing[*]}: as root on Debian run 'apt-get install ${missing[*]}' (or run scripts/setup.sh as root)"
  fi
fi

# 2. A running Docker engine.
engine_up() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }
if ! engine_up; then
  is_root || die "the Docker daemon is not running and only root can start it: run 'sudo systemctl start docker' or scripts/setup.sh as root"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    say "starting docker with systemctl"
    systemctl start docker || true
  fi
  if ! engine_up; then
    # A pid file left by a daemon that died makes dockerd refuse to start.
    for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
      if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then
        say "removing stale $pidfile"
        rm -f "$pidfile"
      fi
    done
    say "starting dockerd (log: /var/log/parbench-dockerd.log)"
    setsid dockerd >/var/log/parbench-dockerd.log 2>&1 </dev/null &
    for _ in $(seq 1 60); do engine_up && break; sleep 1; done
  fi
  engine_up || die "dockerd did not come up within 60 s; see /var/log/parbench-dockerd.log"
fi

# 3. The Python environment: the pinned requirements, then parbench itself
# (editable, so the checkout is what runs); redone only when either file changes.
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "creating .venv from requirements.txt and pyproject.toml"
  python3 -m venv .venv
  # pip compiles every module on one CPU, compileall on all of them: a clean
  # clone's set-up took 51 s with pip's compiling and 44 s with this on
  # 2 CPUs (`time bash scripts/setup.sh`). Compiled now, as where
  # PYTHONDONTWRITEBYTECODE is set nothing is compiled on import and every
  # snakemake start would take 3 s more. A module that will not compile is
  # pip's way too: skipped, not fatal.
  .venv/bin/pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt
  .venv/bin/python -m compileall -q -j 0 .venv/lib > /dev/null || true
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi
