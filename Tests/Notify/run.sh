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
ensure_venv "$VENV" "standardwebhooks, pytest, requests, aiosmtpd" 'standardwebhooks>=1.0,<2' 'pytest>=8,<9' 'requests>=2.31,<3' 'aiosmtpd>=1.4,<2'
swift build --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build --show-bin-path)/cryoledger"
PORT="${NOTIFY_PORT:-18960}"
SMTP_PORT="${NOTIFY_SMTP_PORT:-18962}"
start_demo "$BIN" notify
# The test's SMTP relay (aiosmtpd) demands STARTTLS and a login: a certificate for it, and msmtp's configuration.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$CRYOLEDGER_HOME/smtp-key.pem" -out "$CRYOLEDGER_HOME/smtp-cert.pem" 2>/dev/null
(umask 077
 printf 'cryoledger %s\n' "$(openssl rand -hex 16)" >"$CRYOLEDGER_HOME/smtp-credentials"
 read -r smtp_user smtp_password <"$CRYOLEDGER_HOME/smtp-credentials"
 cat >"$CRYOLEDGER_HOME/msmtprc" <<EOF
defaults
tls on
tls_starttls on
tls_trust_file $CRYOLEDGER_HOME/smtp-cert.pem
account default
host 127.0.0.1
port $SMTP_PORT
auth plain
user $smtp_user
password $smtp_password
from cryoledger@site.example
EOF
)
serve_demo "$PORT" --sendmail "/usr/bin/msmtp -C $CRYOLEDGER_HOME/msmtprc" --mail-from cryoledger@site.example --console-url "http://127.0.0.1:$PORT"
export NOTIFY_BASE_URL="http://127.0.0.1:$PORT"
export NOTIFY_PORT="$PORT"
export NOTIFY_RECEIVER_PORT="${NOTIFY_RECEIVER_PORT:-18961}"
export NOTIFY_BIN="$BIN"
export NOTIFY_SMTP_PORT="$SMTP_PORT"
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
