#!/usr/bin/env bash
# The test suite on a real Temporal dev server and a real PostgreSQL server, installing what is missing.
# Extra arguments select test files: scripts/test.sh test/webhook.test.ts
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh --postgres --browser
export TEMPORAL_CLI_PATH="${TEMPORAL_CLI_PATH:-$(scripts/ensure-temporal-cli.sh)}"
npx tsc --noEmit -p .
exec node --import tsx test/run.ts "$@"
