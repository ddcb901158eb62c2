#!/usr/bin/env bash
# API benchmark: (1) register a lot, create 100 vials and place them, through the API, N times: p50/p95;
# (2) wrk at 200 connections, each for WRK_SECONDS: GET a vial, GET a page of lots, POST a lot
# (a write: the lot row and its custody event in one transaction): throughput and p50/p99.
# Runs against a release build, on a private embedded cluster, on 127.0.0.1 only.
#   Benchmarks/api/run.sh [ITERATIONS] [WRK_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
ITER="${1:-200}"
SECS="${2:-20}"
PORT=18080

swift build -c release --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build -c release --show-bin-path)/cryoledger"
export CRYOLEDGER_HOME
CRYOLEDGER_HOME=$(mktemp -d /tmp/cryoledger-bench.XXXXXX)
chmod 755 "$CRYOLEDGER_HOME"
unset DATABASE_URL
cleanup() { [ -n "${API_PID:-}" ] && kill "$API_PID" 2>/dev/null; "$BIN" db stop >/dev/null 2>&1 || true; rm -rf "$CRYOLEDGER_HOME"; }
trap cleanup EXIT

"$BIN" db start >/dev/null
"$BIN" db migrate >/dev/null
"$BIN" demo load >/dev/null
# shellcheck disable=SC1091
source "$CRYOLEDGER_HOME/demo-tokens.env"
"$BIN" serve --host 127.0.0.1 --port "$PORT" --max-connections 40 </dev/null >"$CRYOLEDGER_HOME/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done

python3 Benchmarks/api/lot_registration.py "http://127.0.0.1:$PORT" "$CRYOLEDGER_TOKEN_MANUFACTURING" "$ITER"

VIAL=$(psql "$("$BIN" db url)" -tAc "SELECT id FROM vial ORDER BY id LIMIT 1")
echo
echo "wrk: GET /vials/$VIAL, 2 threads, 200 connections, ${SECS}s"
wrk -t2 -c200 -d"${SECS}s" --latency -H "Authorization: Bearer $CRYOLEDGER_TOKEN_AUDITOR" "http://127.0.0.1:$PORT/vials/$VIAL" | sed -n '1,20p'
echo
echo "wrk: GET /lots?product=ALLO-501&limit=20, 2 threads, 200 connections, ${SECS}s"
wrk -t2 -c200 -d"${SECS}s" --latency -H "Authorization: Bearer $CRYOLEDGER_TOKEN_AUDITOR" "http://127.0.0.1:$PORT/lots?product=ALLO-501&limit=20" | sed -n '1,20p'
echo
echo "wrk: POST /lots (register a lot: one row, one custody event), 2 threads, 200 connections, ${SECS}s"
LOTS_BEFORE=$(psql "$("$BIN" db url)" -tAc "SELECT count(*) FROM lot")
TOKEN="$CRYOLEDGER_TOKEN_MANUFACTURING" RUN_TAG="$(date +%H%M%S)" \
    wrk -t2 -c200 -d"${SECS}s" --latency -s Benchmarks/api/register_lot.lua "http://127.0.0.1:$PORT" | sed -n '1,21p'
psql "$("$BIN" db url)" -tAc "SELECT 'lots registered: ' || (count(*) - $LOTS_BEFORE) || ', their registration events: ' ||
    (SELECT count(*) FROM custody_event e WHERE e.subject_type = 'lot' AND e.action = 'lot.registered' AND e.subject_id LIKE 'WRK-%') FROM lot"
echo
echo "wrk: GET /vials/$VIAL, 1 thread, 10 connections, ${SECS}s (latency floor)"
wrk -t1 -c10 -d"${SECS}s" --latency -H "Authorization: Bearer $CRYOLEDGER_TOKEN_AUDITOR" "http://127.0.0.1:$PORT/vials/$VIAL" | sed -n '1,20p'
