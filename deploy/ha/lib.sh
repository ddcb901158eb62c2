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

HA_PACKAGES=(patroni etcd-server etcd-client python3-psycopg2 python3-etcd haproxy postgresql-15 postgresql-client-15 pgbackrest curl)

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

# Continuous archiving (pgBackRest): one repository on a host path every node writes to, encrypted with a passphrase
# made once per cluster (backup.key, root only; each node's pgbackrest.conf, 0600 postgres, carries it).
STANZA=cryoledger
BACKUP_DIR="$HA_DIR/backup"                # repo/ (the repository); it outlives the nodes' data directories
ARCHIVE_TIMEOUT=5                         # seconds: the recovery point of a site lost under light load

pgbr_config() { echo "$HA_DIR/$1/pgbackrest.conf"; }

# write_pgbackrest_config NODE: the node's own configuration (its data directory, socket and port; its lock, log
# and spool directories) over the shared repository.
write_pgbackrest_config() {
    local n=$1 d="$HA_DIR/$1"
    [ -f "$HA_DIR/backup.key" ] || ( umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$HA_DIR/backup.key" )
    mkdir -p "$BACKUP_DIR/repo" "$d/pgbackrest/lock" "$d/pgbackrest/log" "$d/pgbackrest/spool"
    chown postgres "$BACKUP_DIR" "$BACKUP_DIR/repo"
    chmod 700 "$BACKUP_DIR" "$BACKUP_DIR/repo"
    ( umask 077; cat >"$(pgbr_config "$n")" <<CONF
[global]
repo1-path=$BACKUP_DIR/repo
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=$(cat "$HA_DIR/backup.key")
repo1-retention-full=2
lock-path=$d/pgbackrest/lock
log-path=$d/pgbackrest/log
spool-path=$d/pgbackrest/spool
log-level-console=warn
log-level-file=info
compress-type=lz4
process-max=2
start-fast=y
archive-check=y

[$STANZA]
pg1-path=$d/data
pg1-socket-path=$d/run
pg1-port=$(pg_port "$n")
pg1-user=postgres
CONF
    )
    chown -R postgres "$d/pgbackrest" "$(pgbr_config "$n")"
}

# pgbr NODE ARGS...: pgBackRest with NODE's configuration, as postgres.
pgbr() {
    local n=$1; shift
    runuser -u postgres -- pgbackrest --config="$(pgbr_config "$n")" --stanza="$STANZA" "$@"
}

# write_patroni_config NODE [restore]: the node's Patroni configuration. With `restore` the node bootstraps a new
# cluster from the repository (pgbackrest restore to the end of the archive, then PostgreSQL promotes) instead of initdb.
write_patroni_config() {
    local n=$1 mode=${2:-} d="$HA_DIR/$1" method=""
    mkdir -p "$d/run"
    write_pgbackrest_config "$n"
    if [ "$mode" = restore ]; then
        cat >"$d/restore.sh" <<SH
#!/bin/sh
# Patroni's bootstrap method for a lost site: the latest backup and every archived WAL segment after it.
set -e
mkdir -p -m 700 '$d/data'
exec pgbackrest --config='$(pgbr_config "$n")' --stanza=$STANZA --type=default restore
SH
        chmod 755 "$d/restore.sh"
        method="  method: pgbackrest
  pgbackrest:
    command: /bin/sh $d/restore.sh
    keep_existing_recovery_conf: true
    no_params: true"
    fi
    cat >"$d/patroni.yml" <<YML
scope: $SCOPE
name: $n
restapi:
  listen: 127.0.0.1:$(rest_port "$n")
  connect_address: 127.0.0.1:$(rest_port "$n")
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
bootstrap:
$method
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_connections: 300
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        archive_mode: "on"
        archive_timeout: $ARCHIVE_TIMEOUT
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
postgresql:
  listen: 127.0.0.1:$(pg_port "$n")
  connect_address: 127.0.0.1:$(pg_port "$n")
  data_dir: $d/data
  bin_dir: $PG_BIN
  pgpass: $d/pgpass
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
  parameters:
    unix_socket_directories: $d/run
    # Only the primary archives (archive_mode on); each node pushes with its own configuration, so whichever is
    # primary after a failover carries on, on its new timeline.
    archive_command: pgbackrest --config=$(pgbr_config "$n") --stanza=$STANZA archive-push %p
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
YML
    chown -R postgres "$d"
    chmod 700 "$d"
}

# start_etcd: a single etcd member (its data under HA_DIR/etcd), waited for.
start_etcd() {
    mkdir -p "$HA_DIR/etcd"
    chown postgres "$HA_DIR/etcd"
    chmod 700 "$HA_DIR/etcd"
    start_daemon etcd postgres "$HA_DIR/etcd.log" etcd --name e1 --data-dir "$HA_DIR/etcd/data" \
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster "e1=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new
    for _ in $(seq 1 100); do
        ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$ETCD_PORT" endpoint health >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "etcd did not start; see $HA_DIR/etcd.log" >&2
    return 1
}

# start_cluster [restore]: pg1 bootstraps (initdb, or from the repository), pg2 and pg3 clone it.
start_cluster() {
    start_patroni pg1
    for _ in $(seq 1 600); do [ "$(ha_py leader 2>/dev/null || true)" = pg1 ] && break; sleep 0.2; done
    [ "$(ha_py leader 2>/dev/null || true)" = pg1 ] || { echo "pg1 did not become the leader; see $HA_DIR/pg1/patroni.log" >&2; return 1; }
    start_patroni pg2
    start_patroni pg3
}

ha_py() { HA_DIR="$HA_DIR" REST_PORT_1="$REST_PORT_1" STATS_PORT="$STATS_PORT" FRONT="$FRONT" "$PY" "$HA_REPO/deploy/ha/ha.py" "$@"; }

ha_env() {
    export HA_DIR HA_PORT_BASE FRONT ADMIN_URL REST_PORT_1 PRIMARY_PORT REPLICA_PORT STATS_PORT SCOPE
}
