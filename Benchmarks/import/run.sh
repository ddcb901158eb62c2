#!/usr/bin/env bash
# Bulk import benchmark (issue 8), on a private embedded cluster, release build:
# generates N vial rows (default 100,000) over lots of up to 10,000 vials, imports the lots with
# `cryoledger import lots`, then times `cryoledger import vials` and reports vials/s and the custody
# events written. A second run of the same file shows the idempotent path.
#   Benchmarks/import/run.sh [N] [BATCH_SIZE]
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
N="${1:-100000}"
BATCH="${2:-2000}"
swift build -c release --product cryoledger 2>&1 | grep -E 'error' || true
BIN="$(swift build -c release --show-bin-path)/cryoledger"
export CRYOLEDGER_HOME
CRYOLEDGER_HOME=$(mktemp -d /tmp/cryoledger-import-bench.XXXXXX)
chmod 755 "$CRYOLEDGER_HOME"
export CRYOLEDGER_AUDIT_KEY=benchmark-audit-key
unset DATABASE_URL
cleanup() { "$BIN" db stop >/dev/null 2>&1 || true; rm -rf "$CRYOLEDGER_HOME"; }
trap cleanup EXIT
"$BIN" db start >/dev/null
"$BIN" db migrate >/dev/null
"$BIN" demo load >/dev/null
# shellcheck disable=SC1091
source "$CRYOLEDGER_HOME/demo-tokens.env"
export CRYOLEDGER_TOKEN="$CRYOLEDGER_TOKEN_MANUFACTURING"
ADMIN=$("$BIN" db url --admin)

python3 Benchmarks/import/make_csv.py "$N" "$CRYOLEDGER_HOME" BENCH 5000000
"$BIN" import lots --input "$CRYOLEDGER_HOME/lots.csv" >/dev/null
before=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM custody_event")
echo "== import $N vials (batches of $BATCH rows, one transaction each)"
start=$(date +%s.%N)
"$BIN" import vials --input "$CRYOLEDGER_HOME/vials.csv" --batch-size "$BATCH" </dev/null
end=$(date +%s.%N)
after=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM custody_event")
vials=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM vial WHERE lot_number LIKE 'BENCH-%'")
created=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM custody_event WHERE action = 'vial.created' AND details->>'lot' LIKE 'BENCH-%'")
python3 -c "
n, secs = $vials, $end - $start
print(f'vials imported: {n:,}; custody events written: {$after - $before:,} (vial.created for them: {$created:,})')
print(f'wall time of the command (parse, validate, write, commit): {secs:.2f} s = {n / secs:,.0f} vials/s')"
echo "== the same file again (idempotent: nothing added)"
start=$(date +%s.%N)
"$BIN" import vials --input "$CRYOLEDGER_HOME/vials.csv" --batch-size "$BATCH" </dev/null
end=$(date +%s.%N)
again=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM custody_event")
python3 -c "print(f'second run: {$end - $start:.2f} s, custody events added: {$again - $after}')"
