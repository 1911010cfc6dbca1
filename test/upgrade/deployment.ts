/**
 * A deployment as an operator runs one: the worker and the webhook of one source tree (a release's or the
 * current checkout's) as their own OS processes, started from their real entry points (src/worker.ts,
 * src/webhook/server.ts), on a database and task queue that outlive them. Around them, in this process, what
 * stays the same across a deploy: Lark (the emulator), Anthropic (the offline model), PostgreSQL, Temporal.
 * `swap()` is `docker compose up -d` with a new image: the old processes stop, the new ones start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { startLarkEmulator, type LarkEmulator } from '../../dev/emulator';
import { DEFAULT_USERS, type Message, type SeedUser } from '../../dev/emulator/state';
import { startOfflineModel, type OfflineModelServer } from '../../dev/llm/offline-model';
import { freePort } from '../../src/temporal/dev-server';
import { stopGracefully } from '../support/child-process';
import { appEnv, newTestSecrets } from '../support/app-env';
import { emptyDatabase } from '../support/env';

/** The users the in-flight scenarios act as, besides the seeded colleagues (Lan, Minh, Alice). */
export const ACTORS: SeedUser[] = [
  { key: 'an', name: 'Phạm Văn An', enName: 'An Pham', email: 'an@example.com', mobile: '+84900000001', timezone: 'Asia/Ho_Chi_Minh' },
  { key: 'binh', name: 'Lê Thị Bình', enName: 'Binh Le', email: 'binh@example.com', mobile: '+84900000002', timezone: 'Asia/Ho_Chi_Minh' },
  { key: 'chi', name: 'Chi Vo', enName: 'Chi Vo', email: 'chi@example.com', mobile: '+84900000003', timezone: 'Asia/Ho_Chi_Minh' },
  { key: 'dung', name: 'Dung Ho', enName: 'Dung Ho', email: 'dung@example.com', mobile: '+84900000004', timezone: 'Asia/Ho_Chi_Minh' },
  { key: 'giang', name: 'Giang Do', enName: 'Giang Do', email: 'giang@example.com', mobile: '+84900000005', timezone: 'Asia/Ho_Chi_Minh' },
  { key: 'hanh', name: 'Hanh Bui', enName: 'Hanh Bui', email: 'hanh@example.com', mobile: '+84900000006', timezone: 'Asia/Ho_Chi_Minh' },
  { key: 'khanh', name: 'Khanh Ngo', enName: 'Khanh Ngo', email: 'khanh@example.com', mobile: '+84900000007', timezone: 'Asia/Ho_Chi_Minh' },
];

export interface DeploymentWorld {
  emu: LarkEmulator;
  model: OfflineModelServer;
  client: Client;
  taskQueue: string;
  webhookUrl: string;
  databaseUrl: string;
  /** Environment of both processes (the same settings before and after a deploy). */
  env: Record<string, string>;
  /** The running release's processes. */
  running?: { tree: string; worker: ChildProcess; webhook: ChildProcess; tail: string[] };
  deploy(tree: string): Promise<void>;
  stopProcesses(): Promise<void>;
  close(): Promise<void>;
  botMessages(): Message[];
  log(line: string): void;
}

/** The world around a deployment. `extraEnv` overrides settings for both processes (e.g. a small history cap). */
export async function openWorld(opts: {
  temporalAddress: string;
  adminDatabaseUrl: string;
  extraEnv?: Record<string, string>;
  verbose?: boolean;
}): Promise<DeploymentWorld> {
  // Empty: the release's own worker runs its migrations, as it would on a deploy.
  const db = await emptyDatabase(opts.adminDatabaseUrl, 'up');
  const model = await startOfflineModel({});
  const port = await freePort();
  const secrets = newTestSecrets();
  const emu = await startLarkEmulator({
    users: [...DEFAULT_USERS, ...ACTORS],
    webhook: { url: `http://127.0.0.1:${port}/webhook/event`, encryptKey: secrets.encryptKey, verificationToken: 'vt-upgrade' },
    delivery: { timeScale: 0.001 },
    seedCalendars: true,
  });
  const taskQueue = `upgrade-${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    ...appEnv({ emu, modelUrl: model.url, port, secrets, taskQueue, verificationToken: 'vt-upgrade' }),
    TEMPORAL_ADDRESS: opts.temporalAddress,
    DATABASE_URL: db.url,
    LOG_LEVEL: 'info',
    // The world reads histories and queries runs with a keyless client (and r1, r2 know no such variable).
    PAYLOAD_ALLOW_UNENCRYPTED: 'true',
    ...opts.extraEnv,
  };
  const connection = await Connection.connect({ address: opts.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  const log = (line: string) => {
    if (opts.verbose) process.stderr.write(`[upgrade] ${line}\n`);
  };

  const world: DeploymentWorld = {
    emu,
    model,
    client,
    taskQueue,
    webhookUrl: `http://127.0.0.1:${port}`,
    databaseUrl: db.url,
    env,
    log,
    botMessages: () => emu.state.messageList().filter((m) => m.sender.sender_type === 'app'),
    async deploy(tree) {
      if (world.running) throw new Error('a deployment is running: stop it first');
      const tail: string[] = [];
      const spawnEntry = (entry: string, name: string) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(tree, entry)], {
          cwd: tree,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const keep = (b: Buffer) => {
          for (const l of b.toString().split('\n').filter(Boolean)) {
            tail.push(`${name}: ${l.slice(0, 500)}`);
            if (tail.length > 400) tail.shift();
          }
        };
        child.stdout!.on('data', keep);
        child.stderr!.on('data', keep);
        return child;
      };
      const t0 = Date.now();
      const worker = spawnEntry('src/worker.ts', 'worker');
      const webhook = spawnEntry('src/webhook/server.ts', 'webhook');
      world.running = { tree, worker, webhook, tail };
      const deadline = Date.now() + 120_000;
      const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
      for (;;) {
        if (exited(worker) || exited(webhook)) throw new Error(`deployment of ${tree} exited during start:\n${tail.slice(-30).join('\n')}`);
        const workerUp = tail.some((l) => l.startsWith('worker:') && l.includes('worker running'));
        const webhookUp = await fetch(`${world.webhookUrl}/webhook/health`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (workerUp && webhookUp) break;
        if (Date.now() > deadline) throw new Error(`deployment of ${tree} not ready in 120 s:\n${tail.slice(-30).join('\n')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      log(`deployed ${path.basename(tree)} in ${Date.now() - t0} ms`);
    },
    async stopProcesses() {
      const r = world.running;
      if (!r) return;
      world.running = undefined;
      await Promise.all([stopGracefully(r.webhook, 10_000), stopGracefully(r.worker, 20_000)]);
      log(`stopped ${path.basename(r.tree)}`);
    },
    async close() {
      await world.stopProcesses();
      await connection.close();
      await model.close();
      await emu.stop();
      await db.drop();
    },
  };
  return world;
}

/** Process logs that say a workflow task failed for nondeterminism (must be none after a deploy). */
export function nondeterminismLines(world: DeploymentWorld): string[] {
  return (world.running?.tail ?? []).filter((l) => /nondetermin/i.test(l));
}
