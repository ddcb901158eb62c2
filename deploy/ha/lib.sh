# Shared by deploy/ha/up, down, scenario and container: where things live, which ports, how to start and stop
# the processes of the loopback HA cluster (etcd, three Patroni/PostgreSQL 15 nodes, HAProxy, two API replicas).
# shellcheck shell=bash
# shellcheck disable=SC2034  # the settings are read by the scripts that source this file

HA_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$HA_REPO/deploy/local/lib.sh"

# Everything the cluster writes lives here; `down` removes it (KEEP=1 keeps it).
HA_DIR="${HA_DIR:-/tmp/cryoledger-ha}"
# All ports are HA_PORT_BASE + a fixed offset, all on 127.0.0.1.
HA_PORT_BASE="${HA_PORT_BASE:-15400}"
ETCD_PORT=$((HA_PORT_BASE + 79))           # etcd clients
ETCD_PEER_PORT=$((HA_PORT_BASE + 80))      # etcd peers
PG_PORT_1=$((HA_PORT_BASE + 31))           # PostgreSQL node n listens on +30+n
REST_PORT_1=$((HA_PORT_BASE + 11))         # its Patroni REST API on +10+n
PRIMARY_PORT=$((HA_PORT_BASE + 40))        # HAProxy: the primary (Patroni /primary)
REPLICA_PORT=$((HA_PORT_BASE + 41))        # HAProxy: the replicas (Patroni /replica)
STATS_PORT=$((HA_PORT_BASE + 49))          # HAProxy statistics page
FRONT_PORT=$((HA_PORT_BASE + 50))          # HAProxy: HTTP front over the API replicas
API_PORT_1=$((HA_PORT_BASE + 51))          # API replica n on +50+n
NODES=(pg1 pg2 pg3)
APIS=(api1 api2)
SCOPE=cryoledger-ha
DBNAME=cryoledger
PG_BIN=/usr/lib/postgresql/15/bin
PY=/usr/bin/python3                       # Debian's: it sees python3-psycopg2 and python3-etcd

HA_PACKAGES=(patroni etcd-server etcd-client python3-psycopg2 python3-etcd haproxy postgresql-15 postgresql-client-15 curl)

node_index() { local n=$1; echo "${n#pg}"; }
pg_port() { echo $((PG_PORT_1 + $(node_index "$1") - 1)); }
rest_port() { echo $((REST_PORT_1 + $(node_index "$1") - 1)); }
api_port() { local a=$1; echo $((API_PORT_1 + ${a#api} - 1)); }

ADMIN_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DBNAME?sslmode=disable"
APP_URL="postgres://cryoledger_app@127.0.0.1:$PRIMARY_PORT/$DBNAME?sslmode=disable"
APP_READ_URL="postgres://cryoledger_app@127.0.0.1:$REPLICA_PORT/$DBNAME?sslmode=disable"
FRONT="http://127.0.0.1:$FRONT_PORT"
export ADMIN_URL

ensure_ha_packages() {
    REQUIRED_PACKAGES=("${HA_PACKAGES[@]}")
    ensure_packages
}

# The cryoledger executable: CRYOLEDGER_BIN, else the debug build of this checkout. Its resource bundles
# (*.resources) must sit next to it.
find_bin() {
    BIN="${CRYOLEDGER_BIN:-$HA_REPO/.build/debug/cryoledger}"
    [ -x "$BIN" ] || { echo "no cryoledger executable at $BIN: run 'swift build --product cryoledger' or set CRYOLEDGER_BIN" >&2; exit 1; }
    export CRYOLEDGER_MIGRATIONS="$HA_REPO/db/migrations"
}

# The audit key: made once per cluster, kept in a file readable by root only, never printed.
audit_key_env() {
    CRYOLEDGER_AUDIT_KEY=$(cat "$HA_DIR/audit.key")
    export CRYOLEDGER_AUDIT_KEY
}

pidfile() { echo "$HA_DIR/pids/$1.pid"; }

# start NAME USER LOGFILE COMMAND...: a daemon in its own session, its pid in pids/NAME.pid.
start_daemon() {
    local name=$1 user=$2 logfile=$3; shift 3
    mkdir -p "$HA_DIR/pids"
    if [ "$user" = root ]; then
        setsid "$@" </dev/null >>"$logfile" 2>&1 &
    else
        setsid runuser -u "$user" -- "$@" </dev/null >>"$logfile" 2>&1 &
    fi
    echo $! >"$(pidfile "$name")"
}

# The process behind a pid file (runuser execs nothing: its child is the daemon).
daemon_pid() {
    local f pid child
    f=$(pidfile "$1")
    [ -f "$f" ] || return 1
    pid=$(cat "$f")
    kill -0 "$pid" 2>/dev/null || return 1
    child=$(pgrep -P "$pid" | head -n 1 || true)
    if [ -n "$child" ] && [ "$(ps -o comm= -p "$pid")" = runuser ]; then echo "$child"; else echo "$pid"; fi
}

# stop_daemon NAME [SIGNAL]: SIGTERM (or SIGNAL), then SIGKILL after 15 s.
stop_daemon() {
    local name=$1 sig=${2:-TERM} f pid
    f=$(pidfile "$name")
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
        for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
    fi
    rm -f "$f"
}

# The postmaster of a node, from its data directory.
postmaster_pid() {
    local f="$HA_DIR/$1/data/postmaster.pid"
    [ -f "$f" ] || return 1
    local pid
    pid=$(head -n 1 "$f")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

patroni_config() { echo "$HA_DIR/$1/patroni.yml"; }
patronictl_() { patronictl -c "$(patroni_config pg1)" "$@"; }

start_patroni() {
    start_daemon "$1" postgres "$HA_DIR/$1/patroni.log" patroni "$(patroni_config "$1")"
}

start_api() {
    local a=$1
    mkdir -p "$HA_DIR/$a"
    audit_key_env
    start_daemon "$a" root "$HA_DIR/$a/api.log" env DATABASE_URL="$APP_URL" DATABASE_READ_URL="$APP_READ_URL" \
        CRYOLEDGER_HOME="$HA_DIR/$a" LOG_LEVEL=info "$BIN" serve --host 127.0.0.1 --port "$(api_port "$a")" --max-connections 30
}

# wait_http URL SECONDS [STATUS]: until URL answers STATUS (default 200).
wait_http() {
    local url=$1 limit=$2 want=${3:-200} end code
    end=$((SECONDS + limit))
    while [ "$SECONDS" -lt "$end" ]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
        [ "$code" = "$want" ] && return 0
        sleep 0.2
    done
    return 1
}

ha_py() { HA_DIR="$HA_DIR" REST_PORT_1="$REST_PORT_1" STATS_PORT="$STATS_PORT" FRONT="$FRONT" "$PY" "$HA_REPO/deploy/ha/ha.py" "$@"; }

ha_env() {
    export HA_DIR HA_PORT_BASE FRONT ADMIN_URL REST_PORT_1 PRIMARY_PORT REPLICA_PORT STATS_PORT SCOPE
}
