/**
 * The chaos suite's short form (test/chaos/run.ts --short, fixed seed unless CHAOS_SEED is set), on the run's
 * Temporal dev server and PostgreSQL; part 2 starts its own dev server, part 6 its own PostgreSQL server.
 * The full form: npm run chaos.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveTemporalCli } from '../src/temporal/cli';
import { runChaos } from './chaos/run';
import { requireEnv } from './support/env';

test('chaos, short: kill -9, Temporal restart, 30% Lark faults, token expiry, 5x delivery, poison: one outcome per message', { timeout: 240_000 }, async () => {
  const lines: string[] = [];
  const report = await runChaos({
    short: true,
    seed: Number(process.env.CHAOS_SEED ?? 20240601),
    parts: [1, 2, 3, 4, 5, 6],
    temporalAddress: requireEnv('TEST_TEMPORAL_ADDRESS'),
    cliPath: process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli(),
    print: (l) => lines.push(l),
  });
  console.log(lines.join('\n'));
  assert.equal(report.parts.length, 6);
  assert.ok(report.ok, report.parts.flatMap((p) => p.failures).join('\n'));
});
