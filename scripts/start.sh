#!/usr/bin/env bash
# The main job on embedded defaults: local Temporal dev server + Web UI, embedded PostgreSQL,
# worker and webhook. Set TEMPORAL_ADDRESS / DATABASE_URL / LARK_* to use real ones (see .env.example).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
if [ -f .env ]; then set -a; . ./.env; set +a; fi
# Two malloc arenas instead of up to 8 per core: the worker's threads keep less freed memory (docs/benchmark.md).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec node --import tsx dev/main.ts
