# Shared by the fault scripts (kill9.sh, pg_outage.sh): a release build, a private embedded cluster in a
# throwaway CRYOLEDGER_HOME, the demo, an API on a free loopback port, PASS/FAIL bookkeeping and the
# SQL invariants every fault must leave intact.
# shellcheck shell=bash

FAULTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$FAULTS_DIR/../.."
# shellcheck source=../../deploy/local/lib.sh
source deploy/local/lib.sh

FAILURES=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; FAILURES=$((FAILURES + 1)); }
info() { printf '      %s\n' "$*"; }
# check NAME OK_CONDITION_EXIT_STATUS DETAIL
check() { local name=$1 ok=$2; shift 2; if [ "$ok" -eq 0 ]; then pass "$name: $*"; else fail "$name: $*"; fi; }

build_release() {
    ensure_packages
    log "swift build -c release --product cryoledger"
    swift build -c release --product cryoledger 2>&1 | grep -E 'error:' && { echo "build failed" >&2; exit 1; }
    BIN="$(swift build -c release --show-bin-path)/cryoledger"
    [ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }
}

# A private cluster, migrated, with the demo loaded; the tokens in the environment.
fresh_home() {
    export CRYOLEDGER_HOME
    CRYOLEDGER_HOME=$(mktemp -d "/tmp/cryoledger-$1.XXXXXX")
    chmod 755 "$CRYOLEDGER_HOME"
    unset DATABASE_URL
    trap cleanup EXIT
    "$BIN" db start >/dev/null
    "$BIN" db migrate >/dev/null
    "$BIN" demo load >/dev/null
    # shellcheck disable=SC1091
    source "$CRYOLEDGER_HOME/demo-tokens.env"
    export CRYOLEDGER_TOKEN_ADMIN CRYOLEDGER_TOKEN_MANUFACTURING CRYOLEDGER_TOKEN_QC CRYOLEDGER_TOKEN_QA \
           CRYOLEDGER_TOKEN_CLINICAL CRYOLEDGER_TOKEN_PHARMACY CRYOLEDGER_TOKEN_AUDITOR
    export ADMIN_URL
    ADMIN_URL=$("$BIN" db url --admin)
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    BASE="http://127.0.0.1:$PORT"
    export BASE PORT
}

# SIGTERM, then SIGKILL if the API has not exited within 10 s. Sets STOP_SECONDS; non-zero if SIGKILL was needed.
stop_api() {
    STOP_SECONDS=0
    [ -n "${API_PID:-}" ] || return 0
    local t0 rc=0
    t0=$(date +%s.%N)
    kill "$API_PID" 2>/dev/null || { API_PID=; return 0; }
    for _ in $(seq 1 200); do kill -0 "$API_PID" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$API_PID" 2>/dev/null; then
        kill -9 "$API_PID" 2>/dev/null
        rc=1
    fi
    wait "$API_PID" 2>/dev/null || true
    STOP_SECONDS=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$t0" "$(date +%s.%N)")
    API_PID=
    return "$rc"
}

# The API stops on SIGTERM within 10 s (graceful shutdown does not wait on a stuck request or a service's sleep).
check_sigterm() {
    if stop_api; then pass "the API exits on SIGTERM: ${STOP_SECONDS} s"; else fail "the API ignored SIGTERM for 10 s (killed)"; fi
}

cleanup() {
    local rc=$?
    stop_api
    if [ -n "${CRYOLEDGER_HOME:-}" ]; then
        "$BIN" db stop >/dev/null 2>&1 || true
        if [ -n "${KEEP_HOME:-}" ]; then echo "kept $CRYOLEDGER_HOME" >&2; else rm -rf "$CRYOLEDGER_HOME"; fi
    fi
    exit "$rc"
}

# Starts `cryoledger serve` in the background (API_PID) and waits until /health/ready says 200.
start_api() {
    "$BIN" serve --host 127.0.0.1 --port "$PORT" </dev/null >>"$CRYOLEDGER_HOME/api.log" 2>&1 &
    API_PID=$!
    wait_ready 30
}

# wait_ready SECONDS [SINCE_EPOCH]: prints the seconds it took (since SINCE_EPOCH if given); non-zero if not ready in time.
wait_ready() {
    python3 - "$BASE" "$1" "${2:-}" <<'EOF'
import sys, time, urllib.request
base, limit = sys.argv[1], float(sys.argv[2])
t0 = time.monotonic() - (time.time() - float(sys.argv[3]) if sys.argv[3] else 0)
while time.monotonic() - t0 < limit:
    try:
        with urllib.request.urlopen(base + "/health/ready", timeout=1) as r:
            if r.status == 200:
                print(f"{time.monotonic() - t0:.2f}")
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.05)
print(f"{time.monotonic() - t0:.2f}")
sys.exit(1)
EOF
}

sql() { psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -tAqc "$1"; }

# invariant NAME SQL: SQL returns the offending rows (one line each, at most 5 shown); none = PASS.
invariant() {
    local name=$1 out n
    out=$(sql "$2") || { fail "$name: query failed"; return; }
    n=$(printf '%s' "$out" | grep -c . || true)
    if [ "$n" -eq 0 ]; then pass "$name"; else fail "$name: $n offending rows, e.g.:"; printf '%s\n' "$out" | head -5 | sed 's/^/        /'; fi
}

# Whole-or-absent over the whole database: every change left its rows and its custody events together.
custody_invariants() {
    invariant "every lot has its lot.registered custody event" "
        SELECT l.lot_number FROM lot l WHERE NOT EXISTS (SELECT 1 FROM custody_event e
          WHERE e.subject_type = 'lot' AND e.subject_id = l.lot_number AND e.action = 'lot.registered')"
    invariant "every lot.registered event has its lot" "
        SELECT e.subject_id FROM custody_event e WHERE e.action = 'lot.registered'
          AND NOT EXISTS (SELECT 1 FROM lot l WHERE l.lot_number = e.subject_id)"
    invariant "every vial has its vial.created custody event (and only one)" "
        SELECT v.id, count(e.id) FROM vial v LEFT JOIN custody_event e
          ON e.subject_type = 'vial' AND e.subject_id = v.id AND e.action IN ('vial.created', 'vial.imported')
        GROUP BY v.id HAVING count(e.id) <> 1"
    invariant "every vial.created event has its vial" "
        SELECT e.subject_id FROM custody_event e WHERE e.action = 'vial.created'
          AND NOT EXISTS (SELECT 1 FROM vial v WHERE v.id = e.subject_id)"
    invariant "every vial's status is the to_state of its last state-changing custody event" "
        SELECT v.id, v.status, last.to_state FROM vial v LEFT JOIN LATERAL (
          SELECT e.to_state FROM custody_event e WHERE e.subject_type = 'vial' AND e.subject_id = v.id AND e.to_state IS NOT NULL
          ORDER BY e.seq DESC LIMIT 1) last ON true
        WHERE last.to_state IS DISTINCT FROM v.status"
    invariant "every lot's status is the to_state of its last state-changing custody event" "
        SELECT l.lot_number, l.status, last.to_state FROM lot l LEFT JOIN LATERAL (
          SELECT e.to_state FROM custody_event e WHERE e.subject_type = 'lot' AND e.subject_id = l.lot_number AND e.to_state IS NOT NULL
          ORDER BY e.seq DESC LIMIT 1) last ON true
        WHERE last.to_state IS DISTINCT FROM l.status"
    invariant "every placed vial's position is where its last custody event put it" "
        SELECT p.vial_id, last.to_location FROM vial_position p LEFT JOIN LATERAL (
          SELECT e.to_location FROM custody_event e WHERE e.subject_type = 'vial' AND e.subject_id = p.vial_id AND e.to_location IS NOT NULL
          ORDER BY e.seq DESC LIMIT 1) last ON true
        WHERE last.to_location IS DISTINCT FROM p.box_id || ':' || chr(64 + p.row_no) || p.column_no"
    invariant "no half-reserved allocation: each live allocation has vial_count live reservations on reserved vials" "
        SELECT a.id, a.vial_count, count(r.id), count(*) FILTER (WHERE v.status = 'reserved') FROM allocation a
          LEFT JOIN reservation r ON r.allocation_id = a.id AND r.cancelled_at IS NULL LEFT JOIN vial v ON v.id = r.vial_id
        WHERE a.status = 'reserved' GROUP BY a.id, a.vial_count
        HAVING count(r.id) <> a.vial_count OR count(*) FILTER (WHERE v.status = 'reserved') <> a.vial_count"
    invariant "no vial reserved without a live reservation of a live allocation" "
        SELECT v.id FROM vial v WHERE v.status = 'reserved' AND (SELECT count(*) FROM reservation r JOIN allocation a ON a.id = r.allocation_id
          WHERE r.vial_id = v.id AND r.cancelled_at IS NULL AND a.status = 'reserved') <> 1"
    invariant "no live reservation on a stored vial" "
        SELECT r.vial_id FROM reservation r JOIN vial v ON v.id = r.vial_id WHERE r.cancelled_at IS NULL AND v.status = 'stored'"
    invariant "every reservation has its vial.reserved custody event naming its allocation" "
        SELECT r.id, r.vial_id FROM reservation r WHERE NOT EXISTS (SELECT 1 FROM custody_event e
          WHERE e.subject_type = 'vial' AND e.subject_id = r.vial_id AND e.action = 'vial.reserved'
            AND e.details->>'allocation' = r.allocation_id::text)"
    invariant "every allocation has its allocation.committed and patient.allocated events" "
        SELECT a.id FROM allocation a WHERE
          NOT EXISTS (SELECT 1 FROM custody_event e WHERE e.subject_type = 'allocation' AND e.subject_id = a.id::text AND e.action = 'allocation.committed')
          OR NOT EXISTS (SELECT 1 FROM custody_event e WHERE e.subject_type = 'patient' AND e.subject_id = a.subject_id
                           AND e.action = 'patient.allocated' AND e.details->>'allocation' = a.id::text)"
    invariant "every allocation.committed event has its allocation" "
        SELECT e.subject_id FROM custody_event e WHERE e.action = 'allocation.committed'
          AND NOT EXISTS (SELECT 1 FROM allocation a WHERE a.id::text = e.subject_id)"
    invariant "custody chain heads agree with the events (seq and count per subject)" "
        SELECT h.subject_type, h.subject_id FROM custody_head h LEFT JOIN LATERAL (
          SELECT count(*) AS n, max(seq) AS m FROM custody_event e WHERE e.subject_type = h.subject_type AND e.subject_id = h.subject_id) c ON true
        WHERE c.n <> h.seq OR c.m <> h.seq"
}

# An audit checkpoint now, so that verification also checks a seal over what the fault may have touched.
seal() { info "audit checkpoint ($1): $("$BIN" audit checkpoint 2>&1)"; }

audit_verify() {
    local out rc=0
    out=$(CRYOLEDGER_TOKEN=$CRYOLEDGER_TOKEN_AUDITOR "$BIN" audit verify 2>&1) || rc=$?
    check "cryoledger audit verify" "$rc" "exit $rc; $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-200)"
}

finish() {
    echo
    if [ "$FAILURES" -eq 0 ]; then echo "RESULT: PASS ($1)"; exit 0; fi
    echo "RESULT: FAIL ($FAILURES checks failed; $1)"
    exit 1
}
