#!/usr/bin/env bash
# The contract as an integrator meets it (issue 13): a Python client generated with openapi-python-client (PyPI)
# from the served /openapi.yaml, with zero generator warnings, runs the demo journey (donor -> lot -> QC -> release ->
# enrol -> plan -> commit -> ship -> receive -> thaw -> administer -> custody -> every export format -> verify, and an
# import as multipart and as raw CSV). Before generating, lint_spec.py checks the document for stray schema keywords,
# undeclared tags and open request schemas.
# Debug build, private embedded cluster with the demo data, API on 127.0.0.1 only; cleans up on exit.
#   Benchmarks/contract/run.sh
# Environment:
#   CONTRACT_PORT   the API's port on 127.0.0.1 (default 18282)
#   CONTRACT_VENV   where openapi-python-client is installed if missing (default /tmp/cryoledger-contract-venv)
#   CONTRACT_KEEP   a directory to keep the served spec, the generated client, the generator's output and the server log in
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
ensure_swift
HERE="$PWD/Benchmarks/contract"
VENV="${CONTRACT_VENV:-/tmp/cryoledger-contract-venv}"
PORT="${CONTRACT_PORT:-18282}"
BASE="http://127.0.0.1:$PORT"

# openapi-python-client in a private virtual environment (PyPI, through pip).
if ! "$VENV/bin/openapi-python-client" --version >/dev/null 2>&1 || ! "$VENV/bin/python" -c 'import yaml, httpx, attrs, dateutil' 2>/dev/null; then
    log "installing openapi-python-client into $VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        [ "$(id -u)" -eq 0 ] && sudo="" || sudo="sudo"
        $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
        rm -rf "$VENV"; python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install -q --disable-pip-version-check openapi-python-client httpx attrs python-dateutil pyyaml
fi
"$VENV/bin/openapi-python-client" --version

swift build --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build --show-bin-path)/cryoledger"
[ -x "$BIN" ] || { echo "build failed: $BIN missing" >&2; exit 1; }
WORK=$(mktemp -d /tmp/cryoledger-contract.XXXXXX)
chmod 755 "$WORK"
export CRYOLEDGER_HOME="$WORK/home"
mkdir -p "$CRYOLEDGER_HOME"
unset DATABASE_URL
cleanup() {
    if [ -n "${API_PID:-}" ]; then
        kill "$API_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$API_PID" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$API_PID" 2>/dev/null || true
        wait "$API_PID" 2>/dev/null || true
    fi
    "$BIN" db stop >/dev/null 2>&1 || true
    if [ -n "${CONTRACT_KEEP:-}" ]; then
        mkdir -p "$CONTRACT_KEEP"
        cp -r "$WORK/openapi.yaml" "$WORK/generator.log" "$WORK/client" "$CRYOLEDGER_HOME/api.log" "$CONTRACT_KEEP/" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" db start >/dev/null
"$BIN" db migrate >/dev/null
"$BIN" demo load >/dev/null
# shellcheck disable=SC1091
set -a; source "$CRYOLEDGER_HOME/demo-tokens.env"; set +a
"$BIN" serve --host 127.0.0.1 --port "$PORT" </dev/null >"$CRYOLEDGER_HOME/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/health/ready" >/dev/null && break; sleep 0.2; done
curl -fs "$BASE/health/ready" >/dev/null || { echo "the API did not come up" >&2; tail -20 "$CRYOLEDGER_HOME/api.log" >&2; exit 1; }

curl -fsS "$BASE/openapi.yaml" -o "$WORK/openapi.yaml"
log "lint of the served contract"
"$VENV/bin/python" "$HERE/lint_spec.py" "$WORK/openapi.yaml"

log "openapi-python-client generate (config: Benchmarks/contract/generator-config.yaml)"
mkdir -p "$WORK/client"
(cd "$WORK/client" && "$VENV/bin/openapi-python-client" generate --path "$WORK/openapi.yaml" --meta none \
    --config "$HERE/generator-config.yaml") >"$WORK/generator.log" 2>&1 || { cat "$WORK/generator.log"; echo "FAIL: the generator failed" >&2; exit 1; }
warnings=$(grep -c -i -E '^(WARNING|ERROR)|warning\(s\) encountered' "$WORK/generator.log" || true)
cat "$WORK/generator.log"
echo "generator warnings: $warnings"
[ "$warnings" -eq 0 ] || { echo "FAIL: the generator warned" >&2; exit 1; }
[ -d "$WORK/client/cryo_ledger_client" ] || { echo "FAIL: no client package generated" >&2; exit 1; }

log "the demo journey through the generated client"
PYTHONPATH="$WORK/client" "$VENV/bin/python" "$HERE/journey.py" "$BASE"
echo "PASS"
