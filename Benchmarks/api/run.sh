#!/usr/bin/env bash
# API benchmark, each operation beside its pgbench twin in the same run (issue 18).
#   Benchmarks/api/run.sh [ITERATIONS] [GET_SECONDS] [POST_SECONDS]      (defaults 100, 20, 90)
#   BUILD=0 skips the release build; BENCH_PORT (default 18080) is the API's port.
# For GET /vials/{id}, GET /lots?product=ALLO-501&limit=20 and POST /lots: wrk at 200 connections, each run with a
# token of its own that the server has never seen (cold token cache), then pgbench running the same SQL statements
# the server runs for that request (Benchmarks/api/pgbench/*.sql, prepared), with as many clients as the API's pool.
# The POST run is longer than the 30 s token cache lifetime, so the token is re-verified under load. Every lot the
# API acknowledged (201) is then looked up with its registration custody event. Last, lot + 100 placed vials through
# the API, ITERATIONS times in sequence (p50).
# Release build, private embedded cluster (Unix socket), API on 127.0.0.1. Prints every command it runs (tokens as
# $TOKEN) and a table at the end. Server CPU per request is read from /proc (user + system time of the API process).
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
ITER="${1:-100}"
SECS="${2:-20}"
POST_SECS="${3:-90}"
CONNS=200
POOL=40
PORT="${BENCH_PORT:-18080}"
LATE_MS=2000

# Prints a command as it can be pasted (arguments with spaces or shell characters quoted).
show() {
    local out='$' a
    for a in "$@"; do
        if [[ $a =~ [[:space:]\&\?\;\(\)] ]]; then out+=" '$a'"; else out+=" $a"; fi
    done
    printf '%s\n' "$out"
}
if [ "${BUILD:-1}" != 0 ]; then  # BUILD=0: use the release binary already built
    show swift build -c release --scratch-path .build-release --product cryoledger
    swift build -c release --scratch-path .build-release --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
fi
BIN="$PWD/.build-release/release/cryoledger"
start_demo "$BIN" bench   # deploy/local/lib.sh: private cluster with the demo, removed on exit
URL=$("$BIN" db url)
echo "\$ URL=\$(cryoledger db url)   # $URL"
# shellcheck disable=SC1091
source "$CRYOLEDGER_HOME/demo-tokens.env"
show cryoledger serve --host 127.0.0.1 --port "$PORT" --max-connections "$POOL"
start_api() { serve_demo "$PORT" --max-connections "$POOL"; }
# The API is stopped while pgbench runs: its checkpoint (every 60 s) locks custody_event against appends until the
# appends in flight commit, and pgbench prepares each statement with a blocking call on first use, so a checkpoint
# at the start of a pgbench run deadlocks pgbench (seen once: 38 sessions idle in transaction for 11 minutes).
stop_api() { kill "$API_PID" && wait "$API_PID" 2>/dev/null || true; API_PID=; }
start_api
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $(psql "$URL" -tAc 'SHOW server_version')"

# A new user with a token the server has not verified yet (so its cache is cold for this run).
fresh_token() {
    "$BIN" user create --name "bench $1 $(date +%s%N)" --role "$2" --output json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
# User + system CPU seconds of the API process so far.
api_cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$API_PID/stat"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

declare -A API PGB CPU
# wrk against the API: NAME SECONDS TOKEN WRK-ARGS...; keeps the RESULT line and the server CPU per request.
api_run() {
    local name=$1 secs=$2 token=$3; shift 3
    show TOKEN='$TOKEN' LATE_MS=$LATE_MS wrk -t2 -c$CONNS -d${secs}s --timeout 10s --latency "$@"
    local cpu0 out
    cpu0=$(api_cpu)
    out=$(TOKEN="$token" LATE_MS=$LATE_MS wrk -t2 -c$CONNS -d"${secs}s" --timeout 10s --latency "$@")
    sed -n '/Latency Distribution/,/Requests\/sec/p' <<<"$out" | grep -vE 'Transfer|Requests/sec'
    API[$name]=$(grep '^RESULT' <<<"$out")
    echo "${API[$name]}"
    CPU[$name]=$(awk -v a="$cpu0" -v b="$(api_cpu)" -v n="$(field requests "${API[$name]}")" 'BEGIN { printf "%.0f", (b - a) / n * 1e6 }')
    echo "API process CPU: ${CPU[$name]} µs per request"
}
# pgbench twin: NAME SECONDS PGBENCH-ARGS...
pgbench_run() {
    local name=$1 secs=$2; shift 2
    show pgbench -n -M prepared -c $POOL -j 2 -T "$secs" "$@" '"$URL"'
    local out
    stop_api
    out=$(pgbench -n -M prepared -c "$POOL" -j 2 -T "$secs" "$@" "$URL" 2>&1)
    start_api
    grep -E 'failed|latency average|^tps' <<<"$out"
    PGB[$name]=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")
}

VIAL=$(psql "$URL" -tAc "SELECT id FROM vial ORDER BY id LIMIT 1")
echo
echo "== GET /vials/$VIAL, $CONNS connections, ${SECS}s, cold token cache"
api_run vial "$SECS" "$(fresh_token vial auditor)" -s Benchmarks/api/report.lua "http://127.0.0.1:$PORT/vials/$VIAL"
pgbench_run vial "$SECS" -f Benchmarks/api/pgbench/get_vial.sql -D "vial=$VIAL"

echo
echo "== GET /lots?product=ALLO-501&limit=20, $CONNS connections, ${SECS}s, cold token cache"
api_run lots "$SECS" "$(fresh_token lots auditor)" -s Benchmarks/api/report.lua "http://127.0.0.1:$PORT/lots?product=ALLO-501&limit=20"
pgbench_run lots "$SECS" -f Benchmarks/api/pgbench/list_lots.sql -D product=ALLO-501

echo
echo "== POST /lots (lot row + custody event in one transaction), $CONNS connections, ${POST_SECS}s, cold token cache"
ACK_DIR="$CRYOLEDGER_HOME/acks"; mkdir -p "$ACK_DIR"
TAG="$(date +%H%M%S)"
TOKEN_POST=$(fresh_token post manufacturing)
ACTOR_ID=$(psql "$URL" -tAc "SELECT max(id) FROM app_user WHERE role = 'manufacturing'")
ACTOR_NAME=$(psql "$URL" -tAc "SELECT name FROM app_user WHERE id = $ACTOR_ID")
export RUN_TAG="$TAG" ACK_DIR
show RUN_TAG="$TAG" ACK_DIR="$ACK_DIR"
api_run post "$POST_SECS" "$TOKEN_POST" -s Benchmarks/api/register_lot.lua "http://127.0.0.1:$PORT"
cat "$ACK_DIR"/acks-* >"$ACK_DIR/all"
CHECK=$(psql "$URL" -tA -F' ' <<SQL
CREATE TEMP TABLE acked (lot_number text PRIMARY KEY);
\copy acked FROM '$ACK_DIR/all'
SELECT (SELECT count(*) FROM acked),
       (SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM lot l WHERE l.lot_number = a.lot_number)),
       (SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM custody_event e WHERE e.subject_type = 'lot'
            AND e.subject_id = a.lot_number AND e.action = 'lot.registered')),
       (SELECT count(*) FROM lot WHERE lot_number LIKE 'WRK-$TAG-%');
SQL
)
read -r ACKED NO_LOT NO_EVENT ON_RECORD <<<"$(tail -n 1 <<<"$CHECK")"
echo "acknowledged (201): $ACKED; of them without their lot row: $NO_LOT, without their lot.registered event: $NO_EVENT; lots of this run on record: $ON_RECORD"
pgbench_run post "$POST_SECS" -f Benchmarks/api/pgbench/register_lot.sql -D "actor_id=$ACTOR_ID" -D "actor_name=$ACTOR_NAME"

echo
echo "== lot + 100 placed vials through the API, $ITER times in sequence"
show python3 Benchmarks/api/lot_registration.py "http://127.0.0.1:$PORT" '$TOKEN' "$ITER"
REG=$(python3 Benchmarks/api/lot_registration.py "http://127.0.0.1:$PORT" "$CRYOLEDGER_TOKEN_MANUFACTURING" "$ITER" 2>&1 || true)
echo "$REG"
REG_P50=$(sed -n 's/.*lot + 100 vials placed *p50 *\([0-9.]*\) ms.*/\1/p' <<<"$REG")

row() {  # NAME LABEL
    local r=${API[$1]} p50 p99 rps
    rps=$(field rps "$r"); p50=$(field p50_ms "$r"); p99=$(field p99_ms "$r")
    awk -v label="$2" -v rps="$rps" -v pg="${PGB[$1]}" -v p50="$p50" -v p99="$p99" -v late="$(field late "$r")" \
        -v to="$(field timeouts "$r")" -v bad="$(field non2xx "$r")" -v cpu="${CPU[$1]}" 'BEGIN {
        ratio = rps / pg; tail = p99 / p50
        printf "| %s | %.0f req/s | %.0f tps | %.2f %s | %.1f ms | %.1f ms (%.1f × p50) %s | %d late, %d timeouts, %d non-2xx %s | %s µs |\n",
            label, rps, pg, ratio, (ratio >= 0.5 ? "" : "(goal 0.5: not met)"), p50, p99, tail, (tail <= 4 ? "" : "(goal ≤ 4: not met)"),
            late, to, bad, (late + to + bad == 0 ? "" : "(goal 0: not met)"), cpu }'
}
echo
echo "## Results ($(date -u +%Y-%m-%dT%H:%MZ), $CONNS connections, API pool $POOL, pgbench -c $POOL -M prepared, same run)"
echo
echo "| operation | API | pgbench, same SQL | ratio | API p50 | API p99 | answers > 2 s, timeouts (10 s), errors | API CPU per request |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
row vial "GET /vials/{id}, ${SECS} s"
row lots "GET /lots?product=ALLO-501&limit=20, ${SECS} s"
row post "POST /lots, ${POST_SECS} s ($ACKED acknowledged: $NO_LOT without lot row, $NO_EVENT without event)"
echo "| lot + 100 placed vials via API, $ITER in sequence | | | | ${REG_P50:-?} ms (goal < 20 ms) | | | |"
