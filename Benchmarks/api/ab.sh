#!/usr/bin/env bash
# A/B of two builds of `cryoledger serve` on one database, alternating A and B ROUNDS times, so that both meet the
# same load from the rest of the machine: per run, the rate and the API process's CPU time per request
# (user + system, /proc) for GET /vials/{id}, GET /lots?product=ALLO-501&limit=20 and POST /lots at 200 connections.
#   Benchmarks/api/ab.sh BINARY_A BINARY_B [ROUNDS] [SECONDS]      (defaults 3, 15)
set -euo pipefail
cd "$(dirname "$0")/../.."
A="$1"; B="$2"; ROUNDS="${3:-3}"; SECS="${4:-15}"
PORT="${BENCH_PORT:-18082}"
source deploy/local/lib.sh
start_demo "$A" ab   # private cluster with the demo, removed on exit
# shellcheck disable=SC1091
source "$CRYOLEDGER_HOME/demo-tokens.env"
VIAL=$(psql "$("$A" db url)" -tAc "SELECT id FROM vial ORDER BY id LIMIT 1")
api_cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$API_PID/stat"; }
measure() {  # LABEL WRK-ARGS...: prints rate and CPU per request
    local label=$1; shift
    local cpu0 out n
    cpu0=$(api_cpu)
    out=$(wrk -t2 -c200 -d"${SECS}s" --timeout 10s "$@" | grep '^RESULT')
    n=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$out")
    awk -v l="$label" -v a="$cpu0" -v b="$(api_cpu)" -v n="$n" -v r="$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$out")" \
        -v p="$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' <<<"$out")" \
        'BEGIN { printf "%-28s %8.0f req/s  p99 %7.1f ms  %5.0f µs CPU per request\n", l, r, p, (b - a) / n * 1e6 }'
}
echo "A = $A"; echo "B = $B"; echo "\$ wrk -t2 -c200 -d${SECS}s --timeout 10s -s Benchmarks/api/report.lua|register_lot.lua ..."
for round in $(seq 1 "$ROUNDS"); do
    for which in A B; do
        bin=$A; [ "$which" = B ] && bin=$B
        DEMO_BIN=$bin serve_demo "$PORT" --max-connections 40
        curl -fs -o /dev/null -H "Authorization: Bearer $CRYOLEDGER_TOKEN_MANUFACTURING" "http://127.0.0.1:$PORT/vials/$VIAL"
        TOKEN=$CRYOLEDGER_TOKEN_MANUFACTURING measure "round $round $which GET /vials" -s Benchmarks/api/report.lua "http://127.0.0.1:$PORT/vials/$VIAL"
        TOKEN=$CRYOLEDGER_TOKEN_MANUFACTURING measure "round $round $which GET /lots" -s Benchmarks/api/report.lua \
            "http://127.0.0.1:$PORT/lots?product=ALLO-501&limit=20"
        TOKEN=$CRYOLEDGER_TOKEN_MANUFACTURING RUN_TAG="AB$round$which$(date +%s)" ACK_DIR="$CRYOLEDGER_HOME" \
            measure "round $round $which POST /lots" -s Benchmarks/api/register_lot.lua "http://127.0.0.1:$PORT"
        kill "$API_PID"; wait "$API_PID" 2>/dev/null || true; API_PID=
    done
done
