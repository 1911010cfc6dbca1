/**
 * `npm test`: starts ONE real Temporal dev server and ONE real PostgreSQL server for the whole run,
 * then runs every test file with node's test runner against them.
 *   TEST_DATABASE_URL / TEST_TEMPORAL_ADDRESS  use servers you already run instead
 *   npm test -- test/webhook.test.ts            run some files only
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { resolveTemporalCli } from '../src/temporal/cli';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { startPostgresServer, type PostgresServer } from './support/postgres-server';

async function main() {
  const root = path.resolve(__dirname, '..');
  const files = process.argv.slice(2).length
    ? process.argv.slice(2)
    : readdirSync(path.join(root, 'test'))
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => path.join('test', f));

  let temporal: DevServer | undefined;
  let postgres: PostgresServer | undefined;
  const stopAll = async () => {
    await temporal?.stop().catch(() => undefined);
    await postgres?.stop().catch(() => undefined);
  };
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
  process.on('SIGTERM', () => void stopAll().then(() => process.exit(143)));

  let code = 1;
  try {
    let temporalAddress = process.env.TEST_TEMPORAL_ADDRESS;
    if (!temporalAddress) {
      // liveSearchAttributes: temporal-setup.test.ts registers namespaces and attributes and uses them at once.
      temporal = await startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli(), logLevel: 'error', liveSearchAttributes: true });
      temporalAddress = temporal.address;
    }
    let databaseUrl = process.env.TEST_DATABASE_URL;
    if (!databaseUrl) {
      postgres = await startPostgresServer();
      databaseUrl = postgres.url;
    }
    console.log(`[test] Temporal dev server ${temporalAddress}, PostgreSQL ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}`);
    code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '1'}`, ...files], {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, TEST_TEMPORAL_ADDRESS: temporalAddress, TEST_DATABASE_URL: databaseUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
      });
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
  } catch (err) {
    console.error('[test] setup failed:', err instanceof Error ? err.message : err);
  } finally {
    await stopAll();
  }
  process.exit(code);
}

void main();
