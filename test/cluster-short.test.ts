/**
 * The cluster test's short form (test/cluster/cluster.ts, CLUSTER_SIZES.short, about 35 s): the official Temporal
 * server on its own PostgreSQL, started empty (the product registers namespace and search attributes), two
 * workers, two webhook replicas; kill -9 of a webhook, kill -9 of the server, PostgreSQL restarted.
 * It needs the server binary, which scripts/test.sh does not build (a few minutes the first time): .ci/run
 * builds it; locally run `scripts/ensure-temporal-server.sh` once, or `npm run test:cluster` (the full form).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPart } from './chaos/report';
import { CLUSTER_SIZES, runCluster } from './cluster/cluster';
import { resolveTemporalServerDir } from './support/temporal-server';

const binDir = resolveTemporalServerDir({ build: false });
const skip = binDir
  ? false
  : 'SKIPPED: the Temporal server binary is not built; run scripts/ensure-temporal-server.sh once (a few minutes, cached) or npm run test:cluster';
if (skip) console.log(`# cluster-short: ${skip}`);

test(
  'cluster, short: official server on PostgreSQL, 2 workers, 2 webhooks; webhook, server and database restarts: one answer per message',
  { timeout: 240_000, skip },
  async () => {
    const lines: string[] = [];
    const result = await runCluster({ ...CLUSTER_SIZES.short, binDir: binDir!, print: (l) => lines.push(l) });
    console.log([...lines, formatPart(result)].join('\n'));
    assert.ok(result.ok, result.failures.join('\n'));
  },
);
