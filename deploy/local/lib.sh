# Shared by deploy/local/demo and deploy/local/test: install what is missing, from Debian packages.
# shellcheck shell=bash

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Debian packages the build, the tests and the demo need.
REQUIRED_PACKAGES=(postgresql postgresql-contrib coinor-libcbc-dev libhpdf-dev pkg-config curl poppler-utils fonts-dejavu-core libzint-dev zbar-tools dmtx-utils)

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
