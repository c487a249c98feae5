#!/usr/bin/env bash
# Sets up a Debian machine (as root) to build and test faultbox, then proves it with a smoke run:
#   - apt packages: Java 17 (with javac: the proxy's Java example is compiled by its test), Maven,
#     PostgreSQL server, kcat, kafka-python, python3-venv, the zstd and lz4 tools (test fixtures of
#     compressed record batches), Podman with runc (the container tests start their own private
#     Podman API service), gcc, iproute2, Chromium (the HTML report's browser tests) (only those missing)
#   - npm dependencies (npm ci; skipped when node_modules exists, unless CI=true)
#   - a Python venv with pytest and confluent-kafka for the faultbox proxy examples (once)
#   - kafka-python (test/support/python-requirements.txt) from PyPI into a venv in ~/.cache/faultbox/python
#   - Apache Kafka 4.x and 3.9 jars from Maven Central into ~/.cache/faultbox (once)
#   - smoke run: a single-node Kafka and a PostgreSQL, a record through kcat, a query through psql,
#     both stopped again (skip with --no-smoke)
# Safe to run again: every step skips what is already done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

smoke=true
for arg in "$@"; do
  case "$arg" in
    --no-smoke) smoke=false ;;
    *) echo "usage: scripts/setup.sh [--no-smoke]" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }
t0=$SECONDS

step "node"
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "faultbox needs Node.js 20 or newer on PATH (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "Install it from your distribution or nodejs.org, then run this again." >&2
  exit 1
fi
node --version

step "apt packages"
# gcc and libc6-dev: the syscall supervisor is compiled on first use (and the tests' C fixtures);
# iproute2: `ss`, with which tests watch a client's connections; python3-venv: the venvs below;
# python3-kafka: kafka-python 2.0.2 in Debian's /usr/bin/python3, the client the proxy and SASL tests
# were written against (the kafka-python venv has kafka-python 3, with an idempotent producer);
# chromium: the HTML report's browser tests.
packages=(openjdk-17-jre-headless openjdk-17-jdk-headless maven postgresql kcat python3-kafka python3-confluent-kafka
  python3-venv util-linux procps zstd lz4 podman runc gcc libc6-dev iproute2 strace chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]}; run this script as root or install them with apt-get" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The package enables a system-wide Podman socket where systemd runs. faultbox would find it and send
  # image services there (no registry: pulls fail) instead of their local stand-ins; the container
  # tests start a private Podman service of their own. So when this script installed Podman, it
  # turns that socket off again (re-enable with: systemctl enable --now podman.socket).
  if [[ " ${missing[*]} " == *" podman "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now podman.socket podman.service >/dev/null 2>&1 || true
  fi
else
  echo "all present: ${packages[*]}"
fi

step "npm dependencies"
if [ "${CI:-}" = "true" ] || [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules present (run npm ci to refresh)"
fi

step "Python venv of the faultbox proxy examples (pytest, confluent-kafka from PyPI)"
scripts/python-examples-venv

step "kafka-python for the interop tests (PyPI, in a venv)"
# Debian's own /usr/bin/python3 makes the venv, whatever python3 comes first on PATH (pyenv, say); the
# tests run the venv's interpreter (test/support/tools.ts), which checks the pinned version.
cache="${FAULTBOX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/faultbox}"
venv="$cache/python"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r test/support/python-requirements.txt
"$venv/bin/python" -c 'import kafka; print("kafka-python", kafka.__version__, "in", __import__("sys").prefix)'

step "Apache Kafka jars (Maven Central)"
scripts/kafka/resolve --version 4
scripts/kafka/resolve --version 3.9

if $smoke; then
  step "smoke run: Kafka + PostgreSQL"
  kafka_json=$(scripts/kafka/start --nodes 1 --owner-pid $$)
  pg_json=$(scripts/postgres/start --owner-pid $$)
  field() { node -e 'const o=JSON.parse(process.argv[1]); console.log(o[process.argv[2]])' "$1" "$2"; }
  bootstrap=$(field "$kafka_json" bootstrap)
  kafka_dir=$(field "$kafka_json" dir)
  pg_url=$(field "$pg_json" connectionString)
  pg_dir=$(field "$pg_json" dir)
  trap 'scripts/kafka/stop "$kafka_dir" >/dev/null 2>&1 || true; scripts/postgres/stop "$pg_dir" >/dev/null 2>&1 || true' EXIT
  echo "Kafka $(field "$kafka_json" version) at $bootstrap; PostgreSQL at $pg_url"
  echo "hello from faultbox setup" | kcat -P -b "$bootstrap" -t setup-smoke
  got=$(kcat -C -b "$bootstrap" -t setup-smoke -o beginning -c 1 -e -q)
  echo "kcat read back: $got"
  [ "$got" = "hello from faultbox setup" ]
  psql "$pg_url" -tAc "SELECT 'PostgreSQL answers: ' || 6 * 7"
  scripts/kafka/stop "$kafka_dir"
  scripts/postgres/stop "$pg_dir"
  trap - EXIT
  echo "stopped both"
fi

step "setup done in $((SECONDS - t0))s"
