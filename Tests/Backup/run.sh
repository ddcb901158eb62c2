#!/usr/bin/env bash
# Continuous backups and point-in-time recovery of the embedded cluster (issue 29), end to end with the built binary and
# pgBackRest (Debian): a full backup, custody events written in three batches, then restores into new homes to a
# timestamp, to just before an event, and to the end of the archive; each restored custody log must equal the source's
# rows up to that point (ids and hashes), `serve` must refuse the restored database until `audit verify` passes, and a
# corrupted file in the repository must make `db backup-verify` fail, and /metrics show it. BACKUP_PORT (default 18971)
# and the next port, on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
ensure_swift
swift build --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build --show-bin-path)/cryoledger"
PORT="${BACKUP_PORT:-18971}"
RESTORES=$(mktemp -d /tmp/cryoledger-restores.XXXXXX)
chmod 755 "$RESTORES"
# A second repository (another disk in real life): every WAL segment goes to both.
export CRYOLEDGER_BACKUP_REPO2="$RESTORES/repo2"
start_demo "$BIN" backup
echo "demo loaded (${SECONDS}s)"
cleanup() {
    for h in "$RESTORES"/*/; do [ -d "$h" ] && CRYOLEDGER_HOME="$h" "$BIN" db stop >/dev/null 2>&1 || true; done
    rm -rf "$RESTORES"
    stop_demo
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "$CRYOLEDGER_HOME/demo-tokens.env"
PSQL="$(pg_bindir)/psql"
q() { "$PSQL" "$("$BIN" db url --admin)" -tAq -v ON_ERROR_STOP=1 -c "$1"; }
qh() { "$PSQL" "$(CRYOLEDGER_HOME="$1" "$BIN" db url --admin)" -tAq -v ON_ERROR_STOP=1 -c "$2"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok (${SECONDS}s): $*"; }
rows() { echo "SELECT id || ' ' || encode(hash, 'hex') FROM custody_event $1 ORDER BY id"; }
site() { "$BIN" storage add-site --token "$CRYOLEDGER_TOKEN_MANUFACTURING" --code "$1" --name "Backup test $1" --kind depot >/dev/null; }

"$BIN" db backup --type full
# pgBackRest states a backup's end to the second: T1 must fall in a later second than the backup's end, or no backup
# provably ends before it (the restore then refuses, rightly).
sleep 2
for s in A1 A2 A3; do site "$s"; done
LAST_A=$(q "SELECT max(id) FROM custody_event")
T1=$(q "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US\"Z\"')")
for s in B1 B2 B3; do site "$s"; done
N=$(q "SELECT min(id) FROM custody_event WHERE id > $LAST_A")
for s in C1 C2; do site "$s"; done
LAST_C=$(q "SELECT max(id) FROM custody_event")
"$BIN" db backup --type full --repo 2 >/dev/null
"$BIN" db backups --repo 2 --output json | grep -q '"type" : "full"' || fail "no full backup in the second repository"
"$BIN" db backup --type incr >/dev/null
pass "a full backup in the second repository, an incremental in the first"
[ "$N" -gt "$LAST_A" ] && [ "$LAST_C" -gt "$N" ] || fail "the batches wrote no events ($LAST_A, $N, $LAST_C)"
"$BIN" db backups

# 1. To a timestamp: exactly the events committed by T1.
"$BIN" db restore --to "$T1" --target-dir "$RESTORES/to-time"
[ "$(qh "$RESTORES/to-time" "$(rows "")")" = "$(q "$(rows "WHERE id <= $LAST_A")")" ] \
    || fail "restore to $T1 does not hold exactly events 1..$LAST_A"
pass "restore to $T1 holds exactly the $LAST_A events committed by then"

# The server refuses the restored database until audit verify passes.
if out=$(CRYOLEDGER_HOME="$RESTORES/to-time" timeout 60 "$BIN" serve --host 127.0.0.1 --port "$PORT" </dev/null 2>&1); then
    fail "serve started on an unverified restore"
fi
grep -q "audit verify" <<<"$out" || fail "serve's refusal does not say what to do: $out"
pass "serve refuses the unverified restore"
CRYOLEDGER_HOME="$RESTORES/to-time" "$BIN" audit verify --token "$CRYOLEDGER_TOKEN_AUDITOR" | tee /dev/stderr | grep -q '^intact' \
    || fail "audit verify on the restored database"
[ ! -e "$RESTORES/to-time/RESTORED-NOT-VERIFIED" ] || fail "a passing audit verify left the restore marker"
(umask 077; : >"$RESTORES/api.log")
CRYOLEDGER_HOME="$RESTORES/to-time" "$BIN" serve --host 127.0.0.1 --port "$PORT" </dev/null >>"$RESTORES/api.log" 2>&1 &
API_PID=$!
ready=no
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && { ready=yes; break; }; sleep 0.2; done
kill "$API_PID"; wait "$API_PID" 2>/dev/null || true
API_PID=
[ "$ready" = yes ] || { tail -20 "$RESTORES/api.log" >&2; fail "serve did not start on the verified restore"; }
pass "audit verify passes on the restore and then the server starts"

# 2. Just before event N: every event before it, nothing from its transaction on.
"$BIN" db restore --before-event "$N" --target-dir "$RESTORES/before-event"
[ "$(qh "$RESTORES/before-event" "$(rows "")")" = "$(q "$(rows "WHERE id < $N")")" ] \
    || fail "restore before event $N does not hold exactly events before $N"
CRYOLEDGER_HOME="$RESTORES/before-event" "$BIN" audit verify --token "$CRYOLEDGER_TOKEN_AUDITOR" | grep -q '^intact' \
    || fail "audit verify on the restore before event $N"
pass "restore before event $N holds exactly events 1..$((N - 1)) and verifies"

# 3. The end of the archive: every event.
"$BIN" db restore --to-latest --target-dir "$RESTORES/latest"
[ "$(qh "$RESTORES/latest" "$(rows "")")" = "$(q "$(rows "")")" ] || fail "restore to the latest point lost events"
pass "restore to the end of the archive holds all $LAST_C events"

# Bad requests are refused with a sentence.
if "$BIN" db restore --before-event 999999999 --target-dir "$RESTORES/none" 2>"$RESTORES/err"; then fail "restore before a missing event"; fi
grep -q "no custody event 999999999" "$RESTORES/err" || fail "missing event: $(cat "$RESTORES/err")"
if "$BIN" db restore --to-latest --target-dir "$RESTORES/latest" 2>"$RESTORES/err"; then fail "restore into a used directory"; fi
grep -q "not empty" "$RESTORES/err" || fail "used directory: $(cat "$RESTORES/err")"
pass "a missing event and a used directory are refused"

# 4. A corrupted backup file is found by verify.
"$BIN" db backup-verify || fail "verify of a sound repository"
REPO="$CRYOLEDGER_HOME/backup/repo1/backup/cryoledger"
victim=$(find "$REPO" -path '*/pg_data/base/*' -type f -size +1k -print -quit)
[ -n "$victim" ] || fail "no backup file to corrupt under $REPO"
printf 'corrupt' | dd of="$victim" bs=1 seek=100 conv=notrunc status=none
status=0
"$BIN" db backup-verify 2>"$RESTORES/err" || status=$?
[ "$status" -eq 2 ] || fail "verify of a corrupted file ($victim) exited $status, not 2: $(cat "$RESTORES/err")"
if ! grep -q "BROKEN" "$RESTORES/err" || ! grep -qF "${victim#"$REPO"/}" "$RESTORES/err"; then
    fail "verify does not name the bad file: $(cat "$RESTORES/err")"
fi
pass "verify detects the corrupted backup file ${victim#"$REPO"/}"
[ "$(q "SELECT count(*) FROM custody_event e JOIN notification n ON n.event_id = e.id WHERE e.action = 'backup.failed' AND e.details->>'operation' = 'verify' AND n.kind = 'backup.failed'")" = "1" ] \
    || fail "the failed verify is not a custody event that notifies (backup.failed)"
pass "the failed verify is a custody event (backup.failed) and notifies administrators"

# 5. /metrics shows the last backup succeeded and the last verify failed.
serve_demo "$PORT" --metrics-port "$((PORT + 1))"
metrics=$(curl -fs "http://127.0.0.1:$((PORT + 1))/metrics")
grep -q '^cryoledger_backup_last_run_succeeded{operation="verify"} 0' <<<"$metrics" || fail "/metrics does not show the failed verify"
grep -q '^cryoledger_backup_last_run_succeeded{operation="backup"} 1' <<<"$metrics" || fail "/metrics does not show the good backup"
grep -q '^cryoledger_wal_archive_failing 0' <<<"$metrics" || fail "/metrics does not show archiving's state"
pass "/metrics: the failed verify, the good backup, archiving healthy"
echo "backup tests passed"
