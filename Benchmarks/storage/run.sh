#!/usr/bin/env bash
# Evacuation benchmark (issue 19): a freezer of 10 full 9×9 boxes (810 vials) evacuated into a freezer of the same
# geometry, same positions, through `cryoledger storage evacuate` (one transaction, 810 custody events), after a dry
# run that must write nothing; then `audit verify`. Release build, private embedded cluster, no network.
#   Benchmarks/storage/run.sh          SCRATCH=.build-release (default) keeps the release build apart from the debug one
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
ensure_swift
SCRATCH="${SCRATCH:-.build-release}"
swift build -c release --scratch-path "$SCRATCH" --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/cryoledger"
export CRYOLEDGER_HOME
CRYOLEDGER_HOME=$(mktemp -d /tmp/cryoledger-storage-bench.XXXXXX)
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
DB=$("$BIN" db url --admin)
"$BIN" lot register --lot-number EVAC-LOT-1 --product ALLO-501 --donor DN-000101 --manufactured-on "$(date -u +%F)" \
    --cells-per-vial 40000000 --vials 810 >/dev/null
for f in EVAC-SRC EVAC-DST; do
    "$BIN" storage add-freezer --id "$f" --site SSF --kind ln2-dewar --name "Benchmark $f" --max-celsius=-150 >/dev/null
    "$BIN" storage add-rack --id "$f-R1" --freezer "$f" --label R1 >/dev/null
    for b in $(seq -w 1 10); do
        "$BIN" storage add-box --id "$f-R1-B$b" --rack "$f-R1" --label "B$b" --rows 9 --columns 9 >/dev/null
        [ "$f" = EVAC-SRC ] && "$BIN" vial create --lot EVAC-LOT-1 --count 81 --box "$f-R1-B$b" >/dev/null
    done
done
placed() { psql -tA "$DB" -c "SELECT count(*) FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id WHERE r.freezer_id = '$1'"; }
moved() { psql -tA "$DB" -c "SELECT count(*) FROM custody_event WHERE action = 'vial.moved' AND details->>'evacuation' = 'freezer:EVAC-SRC -> freezer:EVAC-DST'"; }
echo "source freezer EVAC-SRC: $(placed EVAC-SRC) vials in 10 boxes of 9x9; target EVAC-DST: $(placed EVAC-DST) vials"

start=$(date +%s%N)
"$BIN" storage evacuate --from freezer:EVAC-SRC --to freezer:EVAC-DST --mode same-positions --reason "benchmark: dry run" --dry-run | tail -1
echo "dry run, whole command (process start, connect, plan): $(( ($(date +%s%N) - start) / 1000000 )) ms; after it: source $(placed EVAC-SRC), target $(placed EVAC-DST), events $(moved)"

start=$(date +%s%N)
"$BIN" storage evacuate --from freezer:EVAC-SRC --to freezer:EVAC-DST --mode same-positions --reason "benchmark: LN2 alarm" | tail -1
echo "evacuation, whole command: $(( ($(date +%s%N) - start) / 1000000 )) ms; after it: source $(placed EVAC-SRC), target $(placed EVAC-DST), vial.moved events $(moved)"

"$BIN" audit checkpoint >/dev/null
CRYOLEDGER_TOKEN="$CRYOLEDGER_TOKEN_AUDITOR" "$BIN" audit verify | head -3
