#!/usr/bin/env bash
# The web console's tests in a real browser: headless Chromium from Debian driven by Selenium (PyPI), against
# `cryoledger serve` on a private embedded cluster loaded with the demo. Each test checks the database too.
#   Tests/Console/run.sh [pytest args]      SCREENSHOTS=DIR keeps the screenshots the tests take.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
ensure_swift
export DEBIAN_FRONTEND=noninteractive
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing chromium and chromium-driver (Debian)"
    [ "$(id -u)" -eq 0 ] && sudo="" || sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
if ! command -v firefox-esr >/dev/null; then
    log "installing firefox-esr (Debian; driven over WebDriver BiDi, no geckodriver)"
    [ "$(id -u)" -eq 0 ] && sudo="" || sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends firefox-esr >/dev/null
fi
VENV="${CONSOLE_VENV:-/tmp/cryoledger-console-venv}"
if ! "$VENV/bin/python" -c 'import selenium, pytest, requests, websockets, axe_selenium_python' 2>/dev/null; then
    log "installing selenium, pytest, requests, websockets and axe-selenium-python (axe-core) into $VENV"
    python3 -m venv "$VENV" 2>/dev/null || { apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; rm -rf "$VENV"; python3 -m venv "$VENV"; }
    "$VENV/bin/pip" install -q --disable-pip-version-check 'selenium>=4.20,<5' 'pytest>=8,<9' 'requests>=2.31,<3' 'websockets>=12,<16' 'axe-selenium-python>=2.1,<3'
fi
swift build --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build --show-bin-path)/cryoledger"
PORT="${CONSOLE_PORT:-18281}"
start_demo "$BIN" console
# A user of its own for the lock-out test, so the demo users stay usable.
echo "lockout-test-password" | "$BIN" user create --name "Lee Lockout" --role manufacturing --login lee --password-stdin >/dev/null
serve_demo "$PORT"
export CONSOLE_URL="http://127.0.0.1:$PORT"
CONSOLE_DB_URL=$("$BIN" db url --admin)
export CONSOLE_DB_URL
export CONSOLE_USERS_FILE="$CRYOLEDGER_HOME/demo-users.env"
set +e
# The demo story first: it needs the demo's SLE DL1 cohort as the demo leaves it. (Given a file and its folder,
# pytest keeps only the file: the files are listed one by one.)
files=(Tests/Console/test_story.py)
for f in Tests/Console/test_*.py; do [ "$f" = Tests/Console/test_story.py ] || files+=("$f"); done
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "${files[@]}" "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then log "console tests failed; the server's log tail:"; tail -n 30 "$CRYOLEDGER_HOME/api.log" >&2; fi
# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
exit "$status"
