#!/usr/bin/env bash
# Run the test suite with a throwaway PostgreSQL server on loopback (when one can be started),
# so the web app's storage is tested against SQLite and PostgreSQL alike.
set -uo pipefail
cd "$(dirname "$0")/.."
setup="$(scripts/postgres-for-tests.sh start 2>/dev/null)" || setup=""
if [ -n "$setup" ]; then eval "$setup"; fi
if [ -n "${LLMTCO_PG_DIR:-}" ]; then trap 'scripts/postgres-for-tests.sh stop "$LLMTCO_PG_DIR"' EXIT; fi
"$@"
