#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the test suite and print the URL to use.
# Installs Debian's postgresql package when missing (as root). Usage:
#   eval "$(scripts/postgres-for-tests.sh start)"   # exports LLMTCO_TEST_POSTGRES_URL and LLMTCO_PG_DIR
#   scripts/postgres-for-tests.sh stop "$LLMTCO_PG_DIR"
set -euo pipefail
PORT="${LLMTCO_PG_PORT:-54329}"
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
case "${1:-start}" in
  start)
    if [ -z "$(pgbin)" ]; then
      if [ "$(id -u)" = 0 ]; then
        (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql) >&2
      else
        echo "echo 'postgresql is not installed: PostgreSQL tests will be skipped' >&2"; exit 0
      fi
    fi
    BIN="$(pgbin)"
    DIR="$(mktemp -d /tmp/llmtco-pg.XXXXXX)"
    RUN=()
    if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; RUN=(runuser -u postgres --); fi
    "${RUN[@]}" "$BIN/initdb" -D "$DIR/data" -A trust -U postgres >/dev/null
    "${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=200" start >/dev/null
    "${RUN[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres llmtco_test
    echo "export LLMTCO_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/llmtco_test LLMTCO_PG_DIR=$DIR"
    ;;
  stop)
    DIR="${2:?directory}"
    RUN=(); if [ "$(id -u)" = 0 ]; then RUN=(runuser -u postgres --); fi
    "${RUN[@]}" "$(pgbin)/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null || true
    rm -rf "$DIR"
    ;;
esac
