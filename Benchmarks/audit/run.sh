#!/usr/bin/env bash
# Audit-trail benchmark, on a private embedded cluster (release build):
#  1. custody appends from 32 concurrent writers on different vials vs plain single-row INSERTs into a
#     similar table without the chain trigger, side by side with pgbench;
#  2. `cryoledger audit verify` over N events (default 1,000,000);
#  3. `cryoledger audit export --format csv` of all N events: rows/s and peak memory.
#   Benchmarks/audit/run.sh [EVENTS] [PGBENCH_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
N="${1:-1000000}"
SECS="${2:-15}"
swift build -c release --product cryoledger 2>&1 | grep -E 'error' || true
BIN="$(swift build -c release --show-bin-path)/cryoledger"
PGBIN=$(pg_bindir)
export CRYOLEDGER_HOME
CRYOLEDGER_HOME=$(mktemp -d /tmp/cryoledger-audit-bench.XXXXXX)
chmod 755 "$CRYOLEDGER_HOME"
export CRYOLEDGER_AUDIT_KEY=benchmark-audit-key
unset DATABASE_URL
cleanup() { "$BIN" db stop >/dev/null 2>&1 || true; rm -rf "$CRYOLEDGER_HOME"; }
trap cleanup EXIT
"$BIN" db start >/dev/null
"$BIN" db migrate >/dev/null
ADMIN=$("$BIN" db url --admin)
TOKEN=$("$BIN" user create --name "Bench Auditor" --role auditor --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
export CRYOLEDGER_TOKEN="$TOKEN"

echo "== 1. appends: 32 clients, ${SECS}s each, pgbench"
psql -q "$ADMIN" <<'SQL'
CREATE TABLE bench_plain (LIKE custody_event INCLUDING DEFAULTS);
ALTER TABLE bench_plain ALTER COLUMN id DROP NOT NULL;
ALTER TABLE bench_plain ADD COLUMN pk bigserial PRIMARY KEY;
CREATE INDEX ON bench_plain (subject_type, subject_id, seq);
CREATE INDEX ON bench_plain (occurred_at, pk);
SQL
cat >"$CRYOLEDGER_HOME/append.sql" <<'SQL'
\set v random(1, 100000)
INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, reason, prev_hash, hash)
VALUES ('vial', 'BENCH' || :v, 'vial.moved', 'bench', 'manufacturing', 'benchmark', '\x', '\x');
SQL
cat >"$CRYOLEDGER_HOME/plain.sql" <<'SQL'
\set v random(1, 100000)
INSERT INTO bench_plain (subject_type, subject_id, seq, action, actor_name, actor_role, reason, prev_hash, hash)
VALUES ('vial', 'BENCH' || :v, 1, 'vial.moved', 'bench', 'manufacturing', 'benchmark', '\x', sha256('\x'));
SQL
plain=$("$PGBIN/pgbench" -n -c 32 -j 2 -T "$SECS" -f "$CRYOLEDGER_HOME/plain.sql" "$ADMIN" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
chain=$("$PGBIN/pgbench" -n -c 32 -j 2 -T "$SECS" -f "$CRYOLEDGER_HOME/append.sql" "$ADMIN" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
one=$("$PGBIN/pgbench" -n -c 1 -j 1 -T "$SECS" -f "$CRYOLEDGER_HOME/append.sql" "$ADMIN" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
python3 - "$plain" "$chain" "$one" <<'PY'
import sys
plain, chain, one = map(float, sys.argv[1:])
print(f"plain single-row INSERT, 32 clients: {plain:9.0f} rows/s")
print(f"custody append (chained), 32 clients: {chain:9.0f} events/s  = {chain/plain:.2f} x plain")
print(f"custody append (chained),  1 client : {one:9.0f} events/s  (32 clients = {chain/one:.1f} x one)")
PY

echo "== 2. loading $N events (10,000 subjects), then checkpoint"
existing=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM custody_event")
psql -q "$ADMIN" -c "INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, to_location, reason, prev_hash, hash)
  SELECT 'vial', 'LOAD' || (g % 10000), 'vial.moved', 'loader', 'manufacturing', 'BOX-' || (g % 97) || ':A' || (g % 9 + 1), 'bulk load', '\x', '\x'
  FROM generate_series(1, GREATEST($N - $existing, 0)) g"
total=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM custody_event")
/usr/bin/time -f "checkpoint: %e s, %M KB peak" "$BIN" audit checkpoint
echo "== verify $total events"
/usr/bin/time -f "verify: %e s wall, %M KB peak" "$BIN" audit verify | head -2
echo "== export $total events as CSV"
start=$(date +%s.%N)
/usr/bin/time -f "export: %e s wall, %M KB peak" "$BIN" audit export --from 2000-01-01 --to 2100-01-01 --format csv --output "$CRYOLEDGER_HOME/all.csv"
end=$(date +%s.%N)
rows=$(($(wc -l <"$CRYOLEDGER_HOME/all.csv") - 1))
python3 -c "print(f'export: {$rows} rows in {$end-$start:.2f} s = {$rows/($end-$start):,.0f} rows/s')"
