#!/usr/bin/env bash
# Notifications under load (issue 28): N holds (default 10,000), each a notification fanned out to 3 webhook endpoints
# and one e-mail to 50 recipients (msmtp → an aiosmtpd relay on loopback). Prints the delivery rate, the lag from the
# event's commit to its arrival (p50/p99, webhooks and e-mail apart), and the API's write rate with nobody to deliver
# to and under the delivery load, in the same run.
#   Benchmarks/notify/run.sh [N] [PORT]     BUILD=debug for a debug build (default release); BIN=… a prebuilt binary
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
N="${1:-10000}"
PORT="${2:-18330}"
CONF="${BUILD:-release}"
if [ -z "${BIN:-}" ]; then
    swift build -c "$CONF" --product cryoledger 2>&1 | grep -E 'error' || true
    BIN="$(swift build -c "$CONF" --show-bin-path)/cryoledger"
fi
VENV="${NOTIFY_VENV:-/tmp/cryoledger-notify-venv}"
ensure_venv "$VENV" "standardwebhooks, pytest, requests, aiosmtpd" 'standardwebhooks>=1.0,<2' 'pytest>=8,<9' 'requests>=2.31,<3' 'aiosmtpd>=1.4,<2'
start_demo "$BIN" notify-bench
SMTP_PORT=$((PORT + 10))
(umask 077; cat >"$CRYOLEDGER_HOME/msmtprc" <<CONF
account default
host 127.0.0.1
port $SMTP_PORT
auth off
tls off
from cryoledger@site.example
CONF
)
serve_demo "$PORT" --sendmail "/usr/bin/msmtp -C $CRYOLEDGER_HOME/msmtprc" --mail-from cryoledger@site.example
DB_URL=$("$BIN" db url --admin)
trap 'status=$?; if [ $status -ne 0 ]; then cp "$CRYOLEDGER_HOME/api.log" /tmp/notify-bench-api.log 2>/dev/null; echo "the server log is kept in /tmp/notify-bench-api.log" >&2; fi; stop_demo' EXIT
"$VENV/bin/python" Benchmarks/notify/bench.py --base "http://127.0.0.1:$PORT" --db "$DB_URL" --tokens "$CRYOLEDGER_HOME/demo-tokens.env" \
    --hooks "$((PORT + 1)),$((PORT + 2)),$((PORT + 3))" --smtp "$SMTP_PORT" --count "$N"
