#!/usr/bin/env bash
# The Node versions users have, beside the one `npm test` runs on: for each of 22 and 24 (Node binaries
# from the npm registry's `node` package, cached by npx), one spec on real Apache Kafka
# (examples/seed/publish_consume.star: a local KRaft broker, publish and consume through the proxy) and,
# unless --spec-only, the unit tests.
#   bash scripts/node-versions.sh [--spec-only] [VERSION...]     (default: 22 24)
#   bash scripts/node-versions.sh --print-binaries [VERSION...]  (the Node binaries' paths, one a line)
# .ci/run uses --spec-only and gives the binaries to `npm test -- --unit-also-on NODE`, which runs the
# unit tests on them beside its one-at-a-time integration files instead of before them.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=all
case "${1:-}" in
--spec-only | --print-binaries)
  mode=${1#--}
  shift
  ;;
esac
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
  if [ "$mode" = print-binaries ]; then
    echo "$node_bin"
    continue
  fi
  if [ "$mode" = all ]; then
    printf '\n== Node %s (%s): unit tests\n' "$("$node_bin" --version)" "$node_bin"
    step "$node_bin" scripts/test.mjs --unit
  fi
  printf '\n== Node %s (%s): examples/seed/publish_consume.star on real Kafka\n' "$("$node_bin" --version)" "$node_bin"
  step "$node_bin" bin/faultbox.js test examples/seed/publish_consume.star
done
