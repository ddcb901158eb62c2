#!/usr/bin/env bash
# Memory of `cryoledger serve` under a mixed load (Benchmarks/api/mixed.lua: 45 % GET a vial, 45 % GET a page of
# 20 lots, 10 % POST a lot), CONNECTIONS connections for MINUTES minutes: RSS of the server process (VmRSS) at start,
# after the first minute, every minute, and at the end; a flat line from the first minute on means no leak.
#   Benchmarks/api/memory.sh [MINUTES] [CONNECTIONS]      (defaults 10, 50)
# Release build, private embedded cluster, API on 127.0.0.1; run Benchmarks/api/run.sh first (it builds).
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES="${1:-10}"
CONNS="${2:-50}"
PORT="${BENCH_PORT:-18081}"
BIN="${CRYOLEDGER_BIN:-$PWD/.build-release/release/cryoledger}"
[ -x "$BIN" ] || { echo "build first: swift build -c release --scratch-path .build-release --product cryoledger" >&2; exit 1; }
source deploy/local/lib.sh
start_demo "$BIN" mem   # private cluster with the demo, removed on exit
trap '[ -n "${WRK_PID:-}" ] && kill "$WRK_PID" 2>/dev/null; stop_demo' EXIT
# shellcheck disable=SC1091
source "$CRYOLEDGER_HOME/demo-tokens.env"
echo "\$ cryoledger serve --host 127.0.0.1 --port $PORT --max-connections 40"
serve_demo "$PORT" --max-connections 40
# VmRSS, then its anonymous part (heap, stacks) and its file-backed part (the executable's and libraries' pages,
# which grow as code paths are first run): a leak shows in the anonymous part.
rss() {
    awk '/^VmRSS/ { t = $2 } /^RssAnon/ { a = $2 } /^RssFile/ { f = $2 }
         END { printf "%.1f MB (anonymous %.1f MB, file-backed %.1f MB)", t / 1024, a / 1024, f / 1024 }' "/proc/$API_PID/status"
}
hwm() { awk '/^VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$API_PID/status"; }
export VIAL RUN_TAG TOKEN="$CRYOLEDGER_TOKEN_MANUFACTURING"
VIAL=$(psql "$("$BIN" db url)" -tAc "SELECT id FROM vial ORDER BY id LIMIT 1")
RUN_TAG=$(date +%H%M%S)
echo "RSS at start (idle, after start-up): $(rss)"
echo "\$ TOKEN=\$TOKEN VIAL=$VIAL wrk -t2 -c$CONNS -d${MINUTES}m --timeout 10s -s Benchmarks/api/mixed.lua http://127.0.0.1:$PORT"
wrk -t2 -c"$CONNS" -d"${MINUTES}m" --timeout 10s -s Benchmarks/api/mixed.lua "http://127.0.0.1:$PORT" >"$CRYOLEDGER_HOME/wrk.txt" 2>&1 &
WRK_PID=$!
for m in $(seq 1 "$MINUTES"); do
    sleep 60
    echo "minute $m: RSS $(rss)"
done
wait "$WRK_PID" || true
WRK_PID=
grep -E 'requests in|Requests/sec|Non-2xx|Socket errors|^RESULT' "$CRYOLEDGER_HOME/wrk.txt"
echo "RSS at end of load: $(rss) (peak $(hwm))"
sleep 5
echo "RSS 5 s after the load: $(rss)"
