#!/usr/bin/env bash
# SIGTERM drains: with a bulk import of N vials in flight (one long request, one transaction per
# 2,000 rows), send SIGTERM to `cryoledger serve` and check that
#   - the listener closes at once (a new connection is refused within 1 s),
#   - the import in flight still completes with 200 and every vial with its custody event,
#   - the process exits 0 by itself, well inside Kubernetes' 30 s grace period,
#   - its last act was to seal a checkpoint over every custody event, the import's included,
#   - `cryoledger audit verify` passes afterwards.
# Loopback only, a private embedded cluster. CRYOLEDGER_BIN=path skips the release build.
#   Benchmarks/faults/sigterm.sh [N_VIALS]
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
N="${1:-40000}"
PORT=18383
if [ -z "${CRYOLEDGER_BIN:-}" ]; then
    swift build -c release --product cryoledger 2>&1 | grep -E 'error' || true
    CRYOLEDGER_BIN="$(swift build -c release --show-bin-path)/cryoledger"
fi
BIN="$CRYOLEDGER_BIN"
export CRYOLEDGER_HOME
CRYOLEDGER_HOME=$(mktemp -d /tmp/cryoledger-sigterm.XXXXXX)
chmod 755 "$CRYOLEDGER_HOME"
export CRYOLEDGER_AUDIT_KEY=sigterm-check-audit-key
unset DATABASE_URL
API_PID=""
cleanup() { [ -n "$API_PID" ] && kill -9 "$API_PID" 2>/dev/null; "$BIN" db stop >/dev/null 2>&1 || true; rm -rf "$CRYOLEDGER_HOME"; }
trap cleanup EXIT
fail=0
check() { if [ "$1" = ok ]; then echo "PASS  $2"; else echo "FAIL  $2"; fail=1; fi; }

"$BIN" db start >/dev/null
"$BIN" db migrate >/dev/null
"$BIN" demo load >/dev/null
# shellcheck disable=SC1091
source "$CRYOLEDGER_HOME/demo-tokens.env"
ADMIN=$("$BIN" db url --admin)

python3 Benchmarks/import/make_csv.py "$N" "$CRYOLEDGER_HOME" TERM 7000000
CRYOLEDGER_TOKEN="$CRYOLEDGER_TOKEN_MANUFACTURING" "$BIN" import lots --input "$CRYOLEDGER_HOME/lots.csv" >/dev/null

"$BIN" serve --host 127.0.0.1 --port "$PORT" </dev/null >"$CRYOLEDGER_HOME/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT"

# The long request: N vials in one POST /imports (batches of 2,000 rows, one transaction each).
curl -s -o "$CRYOLEDGER_HOME/import.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $CRYOLEDGER_TOKEN_MANUFACTURING" \
    -H 'Content-Type: text/csv' --data-binary "@$CRYOLEDGER_HOME/vials.csv" "$BASE/imports?kind=vials" >"$CRYOLEDGER_HOME/import.status" &
IMPORT_PID=$!
# Wait until the import has committed its first batches, so it is surely in flight.
for _ in $(seq 1 200); do
    done_rows=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM vial WHERE lot_number LIKE 'TERM-%'")
    [ "$done_rows" -gt 0 ] && break
    sleep 0.05
done
echo "vials committed when SIGTERM is sent: $done_rows of $N"
check "$([ "$done_rows" -gt 0 ] && [ "$done_rows" -lt "$N" ] && echo ok)" "the import is in flight at SIGTERM ($done_rows of $N rows committed)"

t0=$(date +%s.%N)
kill -TERM "$API_PID"
refused=""
for _ in $(seq 1 20); do
    if ! curl -s -o /dev/null --max-time 0.5 "$BASE/health"; then refused=$(date +%s.%N); break; fi
    sleep 0.05
done
check "$([ -n "$refused" ] && echo ok)" "new connections are refused after SIGTERM ($( [ -n "$refused" ] && python3 -c "print(f'{($refused - $t0) * 1000:.0f} ms')" || echo never))"

wait "$IMPORT_PID" || true
status=$(cat "$CRYOLEDGER_HOME/import.status")
set +e
wait "$API_PID"; exit_code=$?
set -e
API_PID=""
t1=$(date +%s.%N)
secs=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
check "$([ "$status" = 200 ] && echo ok)" "the import in flight completed with HTTP $status: $(cat "$CRYOLEDGER_HOME/import.json" | head -c 160)"
check "$([ "$exit_code" = 0 ] && echo ok)" "the server exited by itself with status $exit_code, ${secs}s after SIGTERM"
check "$(python3 -c "print('ok' if $secs < 30 else '')")" "drained inside the 30 s grace period (${secs}s)"

vials=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM vial WHERE lot_number LIKE 'TERM-%'")
events=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM custody_event WHERE action = 'vial.created' AND subject_id IN (SELECT id FROM vial WHERE lot_number LIKE 'TERM-%')")
check "$([ "$vials" = "$N" ] && [ "$events" = "$N" ] && echo ok)" "all $N vials are on record ($vials), each with its custody event ($events)"
sealed=$(psql -tA "$ADMIN" -c "SELECT (SELECT max(last_event_id) FROM custody_checkpoint) = (SELECT max(id) FROM custody_event)")
check "$([ "$sealed" = t ] && echo ok)" "the shutdown sealed a checkpoint over the last custody event"
grep -q "Shutting down\|shutdown" "$CRYOLEDGER_HOME/api.log" && echo "server log: $(grep -i "shut" "$CRYOLEDGER_HOME/api.log" | tail -1 | cut -c1-160)"

if CRYOLEDGER_TOKEN="$CRYOLEDGER_TOKEN_AUDITOR" "$BIN" audit verify >"$CRYOLEDGER_HOME/verify.txt" 2>&1; then
    check ok "audit verify: $(head -1 "$CRYOLEDGER_HOME/verify.txt")"
else
    check no "audit verify: $(head -3 "$CRYOLEDGER_HOME/verify.txt")"
fi
exit "$fail"
