#!/usr/bin/env bash
# The test suite on a real Temporal dev server and a real PostgreSQL server, installing what is missing.
# Extra arguments select test files: scripts/test.sh test/webhook.test.ts
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh --postgres --browser --java
export TEMPORAL_CLI_PATH="${TEMPORAL_CLI_PATH:-$(scripts/ensure-temporal-cli.sh)}"
# Temporal's time-skipping test server (Java) for test/time-skipping.test.ts, fetched by install-deps.sh; that
# file skips only where Java is missing.
export TEMPORAL_TEST_SERVER_PATH="${TEMPORAL_TEST_SERVER_PATH:-$(scripts/ensure-temporal-test-server.sh --check || true)}"
npx tsc --noEmit -p .
exec node --import tsx test/run.ts "$@"
