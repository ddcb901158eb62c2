#!/usr/bin/env bash
# Webhooks checked from outside (issue 28, notifications): `cryoledger serve` on a private embedded cluster loaded with
# the demo; a Python receiver on a loopback port; every webhook received is verified with `standardwebhooks` (PyPI),
# an implementation independent of ours. Includes a kill -9 of the server with deliveries pending.
#   Tests/Notify/run.sh [pytest args]   NOTIFY_PORT (API, default 18960), NOTIFY_RECEIVER_PORT (default 18961),
#                                       NOTIFY_VENV (default /tmp/cryoledger-notify-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
ensure_swift
VENV="${NOTIFY_VENV:-/tmp/cryoledger-notify-venv}"
ensure_venv "$VENV" "standardwebhooks, pytest, requests" 'standardwebhooks>=1.0,<2' 'pytest>=8,<9' 'requests>=2.31,<3'
swift build --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build --show-bin-path)/cryoledger"
PORT="${NOTIFY_PORT:-18960}"
start_demo "$BIN" notify
serve_demo "$PORT"
export NOTIFY_BASE_URL="http://127.0.0.1:$PORT"
export NOTIFY_PORT="$PORT"
export NOTIFY_RECEIVER_PORT="${NOTIFY_RECEIVER_PORT:-18961}"
export NOTIFY_BIN="$BIN"
export NOTIFY_API_PID="$API_PID"
NOTIFY_DB_URL=$("$BIN" db url --admin)
export NOTIFY_DB_URL
export NOTIFY_TOKENS_FILE="$CRYOLEDGER_HOME/demo-tokens.env"
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider Tests/Notify "$@"
status=$?
set -e
# The test may have restarted the server (kill -9); stop the one it left running.
if [ -f "$CRYOLEDGER_HOME/notify-api.pid" ]; then kill "$(cat "$CRYOLEDGER_HOME/notify-api.pid")" 2>/dev/null || true; fi
if [ "$status" -ne 0 ]; then log "notification tests failed; the server's log tail:"; tail -n 30 "$CRYOLEDGER_HOME/api.log" >&2; fi
exit "$status"
