#!/usr/bin/env bash
# Recovery time of the embedded cluster at scale (issue 29): N custody events (default 1,000,000) loaded in bulk through
# the chain trigger, a full pgBackRest backup, 20,000 more events after it (WAL to replay), then the clock starts:
# `db restore --to-latest` into a new home (restore, replay, promotion, start) and `audit verify` there, which the
# server needs before it starts. Prints each step's time and the repository's size.
#   Benchmarks/backup/run.sh [EVENTS]      BIN (default: the debug build)
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
N="${1:-1000000}"
if [ -z "${BIN:-}" ]; then
    swift build --product cryoledger 2>&1 | grep -E 'error' || true
    BIN="$(swift build --show-bin-path)/cryoledger"
fi
export CRYOLEDGER_HOME
CRYOLEDGER_HOME=$(mktemp -d /tmp/cryoledger-backup-bench.XXXXXX)
RESTORED=$(mktemp -d /tmp/cryoledger-backup-bench-restored.XXXXXX)
chmod 755 "$CRYOLEDGER_HOME" "$RESTORED"
rmdir "$RESTORED"
unset DATABASE_URL
cleanup() {
    CRYOLEDGER_HOME="$RESTORED" "$BIN" db stop >/dev/null 2>&1 || true
    "$BIN" db stop >/dev/null 2>&1 || true
    rm -rf "$CRYOLEDGER_HOME" "$RESTORED"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
"$BIN" db start >/dev/null
"$BIN" db migrate >/dev/null
ADMIN=$("$BIN" db url --admin)
TOKEN=$("$BIN" user create --name "Bench Auditor" --role auditor --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
load() {
    psql -q "$ADMIN" -c "INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, to_location, reason, prev_hash, hash)
      SELECT 'vial', 'LOAD' || (g % 10000), 'vial.moved', 'loader', 'manufacturing', 'BOX-' || (g % 97) || ':A' || (g % 9 + 1), 'bulk load', '\x', '\x'
      FROM generate_series(1, $1) g"
}
echo "# Benchmarks/backup/run.sh $N, $(nproc) cores, $(date -u), BIN=$BIN"
uptime
t=$(now); load "$((N - 20000))"; echo "load $((N - 20000)) events: $(since "$t") s"
t=$(now); "$BIN" db backup --type full; echo "full backup: $(since "$t") s"
t=$(now); load 20000; echo "20,000 more events after the backup: $(since "$t") s"
"$BIN" db backups | sed 's/^/  /'
echo "repository: $(du -sh "$CRYOLEDGER_HOME/backup/repo1" | cut -f1) (lz4, aes-256-cbc); database: $(psql -tA "$ADMIN" -c "SELECT pg_size_pretty(pg_database_size('cryoledger'))")"
t0=$(now)
"$BIN" db restore --to-latest --target-dir "$RESTORED" | sed 's/^/  /'
restore=$(since "$t0")
t=$(now)
CRYOLEDGER_HOME="$RESTORED" "$BIN" audit verify --token "$TOKEN" | head -1 | sed 's/^/  /'
verify=$(since "$t")
echo "restore (incl. forcing the last WAL segment out, replay, promotion, start): $restore s; audit verify: $verify s; recovery time to a verified database: $(since "$t0") s"
