/**
 * One chaos part's world: a fresh database, a Lark emulator with its own app id and users, the offline
 * model, the real webhook (in this process) and the real worker in a child process (worker-control.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config';
import { startLarkEmulator, type LarkEmulator, type SendOptions } from '../../dev/emulator';
import type { SeedUser } from '../../dev/emulator/state';
import { startOfflineModel, type OfflineModelServer } from '../../dev/llm/offline-model';
import { createLogger } from '../../src/logger';
import { buildLarkServices, type LarkServices } from '../../src/services';
import { freePort } from '../../src/temporal/dev-server';
import { startWebhook, type RunningWebhook } from '../../src/webhook/start';
import { appEnv, newTestSecrets } from '../support/app-env';
import { freshDatabase, uniqueId, workflowBundle } from '../support/env';
import { WorkerProcess } from './worker-control';

export interface HarnessOptions {
  temporalAddress: string;
  users: number;
  /** Extra config for both the webhook and the worker (e.g. LARK_REQUEST_TIMEOUT_MS). */
  env?: Record<string, string>;
  delivery?: SendOptions;
  /** Seeded randomness for the emulator's probabilistic faults. */
  random?: () => number;
  /** Worker processes polling the part's task queue (default 1). */
  workers?: number;
  /** The PostgreSQL server to create the part's database on (default: the run's, TEST_DATABASE_URL). */
  databaseAdminUrl?: string;
  /** Puts something between the worker and the offline model (e.g. a fault proxy); returns the URL to use. */
  wrapModel?: (modelUrl: string) => Promise<{ url: string; close(): Promise<void> }>;
}

export interface Harness {
  emu: LarkEmulator;
  model: OfflineModelServer;
  webhook: RunningWebhook;
  /** The first of `workers`. */
  worker: WorkerProcess;
  workers: WorkerProcess[];
  /** The webhook's Temporal client (also for listing the part's workflows). */
  client: Client;
  taskQueue: string;
  db: Awaited<ReturnType<typeof freshDatabase>>;
  services: LarkServices;
  config: Config;
  /** Seed keys of the part's users. */
  users: string[];
  stop(): Promise<void>;
}

const quiet = createLogger('silent', 'chaos');
let bundlePath: Promise<string> | undefined;

/** The workflow bundle, built once per run and written to a file the worker processes load. */
function bundleFile(): Promise<string> {
  bundlePath ??= workflowBundle().then((b) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'lark-chaos-')), 'workflows.js');
    writeFileSync(file, b.code);
    return file;
  });
  return bundlePath;
}

export function seedUsers(n: number): SeedUser[] {
  return Array.from({ length: n }, (_, i) => {
    const k = String(i + 1).padStart(2, '0');
    return { key: `u${k}`, name: `Chaos User ${k}`, email: `u${k}@example.com` };
  });
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const db = await freshDatabase(opts.databaseAdminUrl);
  const model = await startOfflineModel();
  const wrapped = opts.wrapModel ? await opts.wrapModel(model.url) : undefined;
  const taskQueue = uniqueId('chaos');
  const port = await freePort();
  const secrets = newTestSecrets();
  const seeds = seedUsers(opts.users);
  const emu = await startLarkEmulator({
    appId: uniqueId('cli'),
    users: seeds,
    webhook: { url: `http://127.0.0.1:${port}/webhook/event`, encryptKey: secrets.encryptKey, verificationToken: 'vt-chaos' },
    delivery: opts.delivery ?? { timeScale: 0.001 },
    ...(opts.random ? { random: opts.random } : {}),
  });
  const env: Record<string, string> = {
    ...appEnv({ emu, modelUrl: wrapped?.url ?? model.url, port, secrets, taskQueue, verificationToken: 'vt-chaos' }),
    LOG_LEVEL: 'silent',
    TEMPORAL_ADDRESS: opts.temporalAddress,
    DATABASE_URL: db.url,
    ...opts.env,
  };
  const config = loadConfig(env);
  const services = buildLarkServices(config, db.pool, quiet)!;
  const connection = await Connection.connect({ address: opts.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  const webhook = await startWebhook(config, client, db.pool, quiet, services);
  const codePath = await bundleFile();
  const workers = Array.from({ length: opts.workers ?? 1 }, () => new WorkerProcess({ ...env, CHAOS_WORKFLOW_BUNDLE: codePath }));

  const users = seeds.map((s) => s.key);
  for (const key of users) {
    const openId = emu.user(key).open_id;
    const t = emu.issueUserToken(openId, config.oauth.scopes.join(' '));
    await services.tokens.save(
      openId,
      { accessToken: t.accessToken, refreshToken: t.refreshToken!, expiresAt: Date.now() + 7_000_000, scopes: config.oauth.scopes },
      { name: emu.user(key).name },
    );
  }
  for (const w of workers) await w.start();

  return {
    emu,
    model,
    webhook,
    worker: workers[0]!,
    workers,
    client,
    taskQueue,
    db,
    services,
    config,
    users,
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await webhook.close();
      await connection.close();
      await wrapped?.close();
      await model.close();
      await emu.stop();
      await db.drop();
    },
  };
}
