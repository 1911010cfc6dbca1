#!/bin/sh
# Creates (when missing) and migrates Temporal's two PostgreSQL databases with the server's own schema tool,
# to the schema version of that tool (its schemas are embedded: --schema-name). Safe to run on every start.
# One script for both ways the project runs the server: docker-compose.yml's temporal-admin-tools container
# and test/support/temporal-server.ts (with the tool built by scripts/ensure-temporal-server.sh).
# Environment (the names of deploy/temporal/config/server.yaml): POSTGRES_SEEDS, DB_PORT, POSTGRES_USER,
# POSTGRES_PWD, DBNAME (temporal), VISIBILITY_DBNAME (temporal_visibility), DB (postgres12), and
# TEMPORAL_SQL_TOOL (default: temporal-sql-tool on PATH). The password reaches the tool through its own
# environment variable (SQL_PASSWORD), never on a command line.
set -eu
tool="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
export SQL_PLUGIN="${DB:-postgres12}"
export SQL_HOST="${POSTGRES_SEEDS:-127.0.0.1}"
export SQL_PORT="${DB_PORT:-5432}"
export SQL_USER="${POSTGRES_USER:-temporal}"
export SQL_PASSWORD="${POSTGRES_PWD:-}"

setup() { # database, embedded schema (temporal | visibility)
  # create-database fails when the database exists; a real problem (no server, bad password) fails the next step.
  "$tool" --db "$1" create-database >/dev/null 2>&1 || true
  "$tool" --db "$1" setup-schema -v 0.0
  "$tool" --db "$1" update-schema --schema-name "postgresql/v12/$2"
}
setup "${DBNAME:-temporal}" temporal
setup "${VISIBILITY_DBNAME:-temporal_visibility}" visibility
echo "temporal schema: ${DBNAME:-temporal} and ${VISIBILITY_DBNAME:-temporal_visibility} are up to date"
