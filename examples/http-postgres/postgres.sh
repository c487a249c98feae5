#!/bin/sh
# Starts a throwaway PostgreSQL on 127.0.0.1:$PORT: data in a temporary folder, trust authentication,
# removed on exit. PostgreSQL refuses to run as root, so as root it runs as the "postgres" user.
set -eu
PORT="${PORT:?PORT must be set}"
DIR="$(mktemp -d /tmp/faultbox-example-pg-XXXXXX)"
AS=""
if [ "$(id -u)" = "0" ]; then
  chown postgres "$DIR"
  AS="setpriv --reuid=postgres --regid=postgres --clear-groups --"
fi
cleanup() { rm -rf "$DIR"; }
trap cleanup EXIT
$AS initdb -D "$DIR/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
$AS postgres -D "$DIR/data" -p "$PORT" -k "$DIR" -h 127.0.0.1 -c fsync=off -c synchronous_commit=off &
PG=$!
# Fast shutdown on SIGTERM (the default "smart" mode would wait for clients to leave).
trap 'kill -INT $PG 2>/dev/null' TERM INT
wait $PG || true
wait $PG 2>/dev/null || true
