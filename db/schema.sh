#!/usr/bin/env bash
# Regenerates db/schema.sql (the schema of a freshly migrated database) against a throwaway PostgreSQL; run it after adding a migration.
cd "$(dirname "$0")/.." && CRYOLEDGER_WRITE_SCHEMA=1 exec deploy/local/test --filter OnePlaceTests/schemaMatchesMigrations
