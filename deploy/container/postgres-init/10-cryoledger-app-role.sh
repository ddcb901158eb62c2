#!/bin/sh
# Run by the postgres image once, when it initialises an empty data directory (compose.yaml mounts
# this directory at /docker-entrypoint-initdb.d). Creates the role the API connects as, with a
# password, before `cryoledger db migrate` runs: migration 002 creates cryoledger_app only if it is
# missing (without a password) and grants it what the application may do, and nothing more.
# This mirrors the Kubernetes set-up, where CloudNativePG creates the role (spec.managed.roles).
set -eu
: "${CRYOLEDGER_APP_DB_PASSWORD:?CRYOLEDGER_APP_DB_PASSWORD must be set}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=app_password="$CRYOLEDGER_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE cryoledger_app LOGIN PASSWORD :'app_password';
SQL
