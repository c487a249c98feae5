#!/usr/bin/env bash
# The Node versions users have, beside the one `npm test` runs on: for each of 22 and 24 (Node binaries
# from the npm registry's `node` package, cached by npx), the unit tests and one spec on real Apache
# Kafka (examples/seed/publish_consume.star: a local KRaft broker, publish and consume through the
# proxy). Run by .ci/run before the main `npm test`, whose summary must stay the last line.
#   bash scripts/node-versions.sh [VERSION...]     (default: 22 24)
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(22 24)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Shows the last lines of a step, or all that matters of it when it failed.
step() {
  if "$@" >"$log" 2>&1; then
    tail -n 2 "$log"
  else
    code=$?
    grep -E '^(not ok|✖)|Error|error' "$log" | head -n 60 || true
    tail -n 40 "$log"
    echo "failed (exit $code): $*"
    exit 1
  fi
}
for v in "${versions[@]}"; do
  node_bin=$(npx --yes -p "node@$v" which node)
  printf '\n== Node %s (%s): unit tests\n' "$("$node_bin" --version)" "$node_bin"
  step "$node_bin" scripts/test.mjs --unit
  printf '\n== Node %s: examples/seed/publish_consume.star on real Kafka\n' "$("$node_bin" --version)"
  step "$node_bin" bin/faultbox.js test examples/seed/publish_consume.star
done
