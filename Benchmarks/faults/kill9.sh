#!/usr/bin/env bash
# Fault: kill -9 of the API in the middle of 50 concurrent allocation commits, 25 lot registrations and
# 15 vial creations (40 vials placed each). After a restart of the API: every acknowledged (2xx) write is
# there, every change is whole or absent (no half-reserved plan, no lot or vial without its custody event),
# and `cryoledger audit verify` passes. Private embedded cluster, API on a free 127.0.0.1 port.
#   Benchmarks/faults/kill9.sh          (KILL_FRACTION=0.3: kill once 30 % of the requests have their answer)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
timeout_at=$((SECONDS + 600))

build_release
fresh_home kill9
log "API on $BASE; preparing patients, a released lot and the plan"
start_api >/dev/null
STATE="$CRYOLEDGER_HOME/kill9-state.json"
OUT="$CRYOLEDGER_HOME/kill9-requests.json"
python3 Benchmarks/faults/faults.py prepare-kill9 "$STATE"
seal "before the kill"

log "firing the requests; kill -9 of the API (pid $API_PID) mid-flight"
rc=0
timeout 120 python3 Benchmarks/faults/faults.py kill9 "$STATE" "$API_PID" "$OUT" || rc=$?
[ "$rc" -eq 0 ] || FAILURES=$((FAILURES + 1))
wait "$API_PID" 2>/dev/null && api_rc=0 || api_rc=$?
check "the API died of SIGKILL" "$([ "$api_rc" -eq 137 ] && echo 0 || echo 1)" "exit status $api_rc"
API_PID=

log "restarting the API"
restart_at=$(date +%s.%N)
"$BIN" serve --host 127.0.0.1 --port "$PORT" </dev/null >>"$CRYOLEDGER_HOME/api.log" 2>&1 &
API_PID=$!
if secs=$(wait_ready 30 "$restart_at"); then pass "API ready again ${secs} s after the restart"; else fail "API not ready within 30 s of the restart"; fi

timeout 120 python3 Benchmarks/faults/faults.py verify-kill9 "$STATE" "$OUT" || FAILURES=$((FAILURES + 1))
check_sigterm
seal "after the restart"
custody_invariants
audit_verify
[ "$SECONDS" -lt "$timeout_at" ] || fail "took longer than 600 s"
finish "kill -9 mid-flight, ${SECONDS} s"
