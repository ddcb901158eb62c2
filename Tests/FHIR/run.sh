#!/usr/bin/env bash
# The FHIR R5 read API (issue 19) checked from outside: every resource the server produces is validated with
# `fhir.resources` 8.x (PyPI), and every code against its R5 value set (value_sets.py). `cryoledger serve` on a
# private embedded cluster loaded with the demo, on 127.0.0.1 only; a venv of its own.
#   Tests/FHIR/run.sh [pytest args]        FHIR_PORT (default 18292), FHIR_VENV (default /tmp/cryoledger-fhir-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
ensure_swift
VENV="${FHIR_VENV:-/tmp/cryoledger-fhir-venv}"
ensure_venv "$VENV" "fhir.resources, pytest, requests" 'fhir.resources>=8,<9' 'pytest>=8,<9' 'requests>=2.31,<3'
swift build --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build --show-bin-path)/cryoledger"
PORT="${FHIR_PORT:-18292}"
start_demo "$BIN" fhir
serve_demo "$PORT"
export FHIR_BASE_URL="http://127.0.0.1:$PORT"
FHIR_DB_URL=$("$BIN" db url --admin)
export FHIR_DB_URL
export FHIR_TOKENS_FILE="$CRYOLEDGER_HOME/demo-tokens.env"
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider Tests/FHIR "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then log "FHIR tests failed; the server's log tail:"; tail -n 30 "$CRYOLEDGER_HOME/api.log" >&2; fi
# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
exit "$status"
