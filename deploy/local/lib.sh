# Shared by deploy/local/demo and deploy/local/test: install what is missing, from Debian packages.
# shellcheck shell=bash

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Debian packages the build, the tests and the demo need (pgbackrest: the embedded cluster's continuous backups;
# msmtp: notification e-mail through the sendmail interface; openssl: the e-mail test's certificate).
REQUIRED_PACKAGES=(postgresql postgresql-contrib pgbackrest coinor-libcbc-dev libhpdf-dev pkg-config curl poppler-utils fonts-dejavu-core libzint-dev zlib1g-dev zbar-tools dmtx-utils msmtp openssl)

ensure_packages() {
    local missing=()
    for p in "${REQUIRED_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then return 0; fi
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # Debian's postgresql package creates and starts a default cluster; we use our own clusters instead.
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_swift() {
    command -v swift >/dev/null || { echo "swift is not on PATH (Swift 6.3 is expected at /opt/swift)" >&2; exit 1; }
}

pg_bindir() {
    local d
    if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$d" ] || { echo "PostgreSQL server binaries not found" >&2; exit 1; }
    echo "$d"
}

# Runs a command as the unprivileged postgres user when we are root (initdb refuses root).
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Creates a PostgreSQL server log readable by its owner only (0600; pg_ctl -l would create it 0644 under
# the usual umask, and the log can hold statements and values), owned by the postgres user when we are root.
private_pg_log() {
    (umask 077; : >>"$1"); chmod 600 "$1"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$1"; fi
}

# A private embedded cluster loaded with the demo, under a fresh CRYOLEDGER_HOME that is removed on exit
# (with the cluster and any server started by serve_demo). Usage: start_demo BIN NAME
start_demo() {
    DEMO_BIN=$1
    export CRYOLEDGER_HOME
    CRYOLEDGER_HOME=$(mktemp -d "/tmp/cryoledger-$2.XXXXXX")
    chmod 755 "$CRYOLEDGER_HOME"
    unset DATABASE_URL
    trap stop_demo EXIT
    "$DEMO_BIN" db start >/dev/null
    "$DEMO_BIN" db migrate >/dev/null
    "$DEMO_BIN" demo load >/dev/null
}

stop_demo() {
    [ -n "${API_PID:-}" ] && { kill "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; }
    "$DEMO_BIN" db stop >/dev/null 2>&1 || true
    rm -rf "$CRYOLEDGER_HOME"
}

# `cryoledger serve` on 127.0.0.1:PORT (extra serve options after it), its log in $CRYOLEDGER_HOME/api.log (mode
# 0600); waits until it is ready. Sets API_PID. Usage: serve_demo PORT [OPTIONS...]
serve_demo() {
    local port=$1; shift
    (umask 077; : >"$CRYOLEDGER_HOME/api.log")
    "$DEMO_BIN" serve --host 127.0.0.1 --port "$port" "$@" </dev/null >>"$CRYOLEDGER_HOME/api.log" 2>&1 &
    API_PID=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && return 0; sleep 0.2; done
    tail -20 "$CRYOLEDGER_HOME/api.log" >&2
    return 1
}

# ensure_venv DIR "MODULES" PIP_SPEC...: a Python venv at DIR in which `import MODULES` works, made and filled from
# PyPI when it does not (the out-of-process test runners each keep one of their own).
ensure_venv() {
    local venv=$1 modules=$2
    shift 2
    "$venv/bin/python" -c "import $modules" 2>/dev/null && return 0
    log "installing $* into $venv"
    python3 -m venv "$venv" 2>/dev/null || { apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; rm -rf "$venv"; python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q --disable-pip-version-check "$@"
}
