/** Per-test-file access to the run's real Temporal server and PostgreSQL (see test/run.ts). */
import { loadConfig, type UserSettings } from '../../src/config';
import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pg from 'pg';
import { runMigrations } from '../../src/db/migrate';
import { createPool, type Pool } from '../../src/db/pool';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';
import { installTemporalLogger } from '../../src/temporal/runtime-logger';
import { createLogger } from '../../src/logger';
import { silentLogger } from './silent-logger';

export function requireEnv(name: 'TEST_TEMPORAL_ADDRESS' | 'TEST_DATABASE_URL'): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with \`npm test\` (test/run.ts starts the servers)`);
  return v;
}

export const uniqueId = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** The run's Temporal server, or another one (a test that needs its own, e.g. with the Web UI). */
export async function temporalTestEnv(address?: string): Promise<TestWorkflowEnvironment> {
  installTemporalLogger(createLogger(process.env.LOG_LEVEL ?? 'silent', 'temporal-sdk'));
  return TestWorkflowEnvironment.createFromExistingServer({ address: address ?? requireEnv('TEST_TEMPORAL_ADDRESS'), namespace: 'default' });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundle the workflows once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silentLogger });
  return bundle;
}

/** An empty database on the run's PostgreSQL server (or the one at adminUrl): no migrations run. */
export async function emptyDatabase(adminUrl = requireEnv('TEST_DATABASE_URL'), prefix = 't'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueId(prefix).replace(/-/g, '_');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A fresh database on the run's PostgreSQL server (or the one at adminUrl), migrated. */
export async function freshDatabase(adminUrl = requireEnv('TEST_DATABASE_URL')): Promise<{ url: string; pool: Pool; drop(): Promise<void> }> {
  const db = await emptyDatabase(adminUrl);
  const pool = createPool(db.url, 10);
  await runMigrations(pool);
  return {
    url: db.url,
    pool,
    async drop() {
      await pool.end();
      await db.drop();
    },
  };
}

/** The per-user workflow's settings as a deployment with no overrides has them (config's defaults), plus the test's own. */
export function userSettings(overrides: Partial<UserSettings> = {}): UserSettings {
  return { ...loadConfig({}).user, ...overrides };
}
