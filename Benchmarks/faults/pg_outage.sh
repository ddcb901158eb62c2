#!/usr/bin/env bash
# Fault: PostgreSQL stops for DOWN seconds (default 10) under a steady load of lot registrations, vial
# creations and GETs, then starts again; the API is not restarted. Checks: while down the API answers
# 503 application/problem+json in under 1 s, /health/ready is 503 and /health 200; after the start the
# API answers 2xx again within 5 s; every acknowledged write is there, whole (custody invariants), and
# `cryoledger audit verify` passes. Private embedded cluster, API on a free 127.0.0.1 port.
#   Benchmarks/faults/pg_outage.sh [DOWN_SECONDS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DOWN="${1:-10}"

build_release
fresh_home outage
start_api >/dev/null
VIAL=$(sql "SELECT id FROM vial WHERE lot_number = 'A501-26001' ORDER BY id LIMIT 1")
export READ_PATHS="/lots/A501-26001 /vials/$VIAL /lots/A329-26006"
seal "before the outage"
log "API on $BASE (pid $API_PID); load for 4 s, PostgreSQL down for ${DOWN} s, load for 8 s more"
timeout 180 python3 Benchmarks/faults/faults.py outage "$BIN" "$DOWN" "$CRYOLEDGER_HOME/outage-requests.json" || FAILURES=$((FAILURES + 1))
if kill -0 "$API_PID" 2>/dev/null; then pass "the API process ran through the outage (pid $API_PID, not restarted)"; else fail "the API process died"; fi
grep -E 'database unreachable|database reachable again' "$CRYOLEDGER_HOME/api.log" | sed 's/^/      api.log: /' || true
stuck=$(grep -c 'stuck on a closed connection' "$CRYOLEDGER_HOME/api.log" || true)
check "no database call stuck on a closed connection (api.log)" "$([ "$stuck" -eq 0 ] && echo 0 || echo 1)" "$stuck reported"
check_sigterm
seal "after the outage"
custody_invariants
audit_verify
finish "PostgreSQL down ${DOWN} s, ${SECONDS} s"
