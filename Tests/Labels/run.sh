#!/usr/bin/env bash
# Vial labels checked from outside (issue 28): the ZPL that `cryoledger vial labels --zpl` writes and `--print` sends to
# a printer is parsed in Python; every ^BX Data Matrix payload is rendered by zint (Debian `zint`) and decoded by
# pylibdmtx (PyPI, on Debian's libdmtx0b), and compared with the vial ids and with the ISBT 128 compound message
# recomputed independently (test_labels.py). The demo on a private embedded cluster; a venv of its own.
#   Tests/Labels/run.sh [pytest args]        LABELS_PORT (fake printer, default 18950), LABELS_VENV (default /tmp/cryoledger-labels-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
ensure_swift
for p in zint libdmtx0b; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || {
        log "installing Debian package $p"; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null; }
done
VENV="${LABELS_VENV:-/tmp/cryoledger-labels-venv}"
ensure_venv "$VENV" "pylibdmtx.pylibdmtx, PIL, pytest" 'pylibdmtx>=0.1.10,<0.2' 'Pillow>=10,<12' 'pytest>=8,<9'
swift build --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build --show-bin-path)/cryoledger"
start_demo "$BIN" labels
export LABELS_BIN="$BIN"
export LABELS_TOKENS_FILE="$CRYOLEDGER_HOME/demo-tokens.env"
export LABELS_PORT="${LABELS_PORT:-18950}"
export CRYOLEDGER_ISBT128_FIN=W1234
LABELS_DB_URL=$("$BIN" db url --admin)
export LABELS_DB_URL
LABELS_LOT=$(psql -Atq "$LABELS_DB_URL" -c \
    "SELECT lot_number FROM vial GROUP BY lot_number HAVING count(*) >= 3 ORDER BY lot_number LIMIT 1")
export LABELS_LOT
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider Tests/Labels "$@"
status=$?
set -e
# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
exit "$status"
