#!/usr/bin/env bash
# The transparency log over the custody events (issue 27), checked from outside the Swift code:
#   1. the server's tree hashes and proofs against an independent RFC 9162 implementation (vectors written by the Swift
#      test TransparencyVectors, compared in test_interop.py), and a real export through the independent verifier;
#   2. the verifier's tampering cases, the witness mode and the 10,000-event timing (test_tampering/witness/speed.py);
#   3. end to end: `cryoledger serve` on a private embedded cluster loaded with the demo, with a witness (the same
#      Python program in witness mode) it submits its heads to; exports checked with only the export and the public key.
#   Tests/Audit/run.sh [pytest args]     AUDIT_PORT (default 18310; the witness listens on AUDIT_PORT+1), AUDIT_VENV
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
ensure_swift
VENV="${AUDIT_VENV:-/tmp/cryoledger-audit-venv}"
ensure_venv "$VENV" "cryptography, pytest, requests" 'cryptography>=42,<51' 'pytest>=8,<9' 'requests>=2.31,<3'
swift build --build-tests 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build --show-bin-path)/cryoledger"
WORK=$(mktemp -d /tmp/cryoledger-audit-work.XXXXXX)
export CRYOLEDGER_TLOG_VECTORS="$WORK/vectors.json"
log "writing the server's tree vectors"
swift test --skip-build --filter TransparencyVectors 2>&1 | grep -E 'error|✘' || true

PORT="${AUDIT_PORT:-18310}"
WPORT=$((PORT + 1))
start_demo "$BIN" audit
WITNESS_PID=""
trap '[ -n "$WITNESS_PID" ] && kill "$WITNESS_PID" 2>/dev/null; stop_demo; rm -rf "$WORK"' EXIT
"$BIN" audit public-key >"$WORK/log.pub"
"$VENV/bin/python" tools/verify_export.py witness keygen --name sponsor.example/witness --key-file "$WORK/witness.key" >"$WORK/witness.pub"
"$VENV/bin/python" tools/verify_export.py witness serve --key-file "$WORK/witness.key" --state "$WORK/witness.state" \
    --log-key "$WORK/log.pub" --listen "127.0.0.1:$WPORT" &
WITNESS_PID=$!
export CRYOLEDGER_WITNESSES="http://127.0.0.1:$WPORT $(cat "$WORK/witness.pub")"
serve_demo "$PORT" --head-interval-seconds 2
export AUDIT_BASE_URL="http://127.0.0.1:$PORT"
export AUDIT_TOKENS_FILE="$CRYOLEDGER_HOME/demo-tokens.env"
export AUDIT_LOG_KEY="$WORK/log.pub" AUDIT_WITNESS_KEY="$WORK/witness.pub" AUDIT_WITNESS_STATE="$WORK/witness.state"
export AUDIT_SIGNING_KEY="$CRYOLEDGER_HOME/tlog.key" AUDIT_BIN="$BIN"
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider Tests/Audit "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then log "audit tests failed; the server's log tail:"; tail -n 30 "$CRYOLEDGER_HOME/api.log" >&2; fi
# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
exit "$status"
