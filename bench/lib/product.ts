/**
 * The product as it runs in production, for parts (b)-(d): the real webhook and the real worker entry
 * points, each in its own process, on a real Temporal dev server and real PostgreSQL. This process plays
 * the outside world: the Lark emulator (Open API + event delivery) and a zero-latency scripted model
 * behind the real Anthropic SDK.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { runMigrations } from '../../src/db/migrate';
import { createPool, type Pool } from '../../src/db/pool';
import { startLarkEmulator, type LarkEmulator, type Retention, type SeedUser } from '../../dev/emulator';
import { scriptedMessage, startOfflineModel, type OfflineModelServer } from '../../dev/llm/offline-model';
import { createLogger } from '../../src/logger';
import { buildLarkServices, type LarkServices } from '../../src/services';
import { freePort } from '../../src/temporal/dev-server';
import { startEntry, type EntryProcess } from './child';
import { waitUntil } from './stats';

export interface Product {
  emu: LarkEmulator;
  model: OfflineModelServer;
  client: Client;
  taskQueue: string;
  worker: EntryProcess;
  webhook: EntryProcess;
  /** The environment both entry points run with (another webhook can be started with it). */
  env: Record<string, string>;
  encryptKey: string;
  /** Gives users OAuth tokens directly, so their requests go straight to the model. */
  authorize(keys: string[]): Promise<void>;
  /** A gauge or counter from the worker's Temporal SDK metrics (summed over label sets). */
  workerMetric(name: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

export const benchUsers = (prefix: string, n: number): SeedUser[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, name: `Bench ${prefix}${i}`, email: `${prefix}${i}@bench.example` }));

export interface ProductOptions {
  address: string;
  databaseUrl: string;
  users: SeedUser[];
  /** Extra environment for the worker (WORKER_MAX_CACHED_WORKFLOWS, MALLOC_ARENA_MAX). */
  workerEnv?: Record<string, string>;
  /** Run the worker from TypeScript under tsx (the way it ran before dist/), not the compiled file. */
  workerTsx?: boolean;
  /** Node flags for the worker (--cpu-prof ...). */
  workerNodeArgs?: string[];
  /** Extra environment for the webhook (MALLOC_ARENA_MAX, as the Dockerfile sets it). */
  webhookEnv?: Record<string, string>;
  /**
   * 'scripted' (default): every model call answers "ok" at once, so the figures are the product's. 'rules': the
   * offline model's rules (dev/llm/offline-model.ts), which call the tools (calendar, tasks, directory) as a model would.
   */
  model?: 'scripted' | 'rules';
  /**
   * The scripted model waits this long before it answers each call (default 0), as a real model step takes seconds:
   * the HTTP answer itself is late, so the worker's model step (local or regular activity) runs this long.
   */
  modelDelayMs?: number;
  /** Emulator retention (messages per chat, call log ...): its defaults unless given. */
  retention?: Partial<Retention>;
  /** Another checkout's built tree to run the entry points from (a baseline commit, bench/cost.ts). */
  root?: string;
}

export async function startProduct(opts: ProductOptions): Promise<Product> {
  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  // Zero-latency model: every call answers at once with a short text (end_turn), so the figure is the product's;
  // or, with modelDelayMs, that much later.
  if (opts.modelDelayMs && opts.model === 'rules') throw new Error('modelDelayMs applies to the scripted model only');
  const delayMs = Math.max(0, opts.modelDelayMs ?? 0);
  const model = await startOfflineModel(
    opts.model === 'rules'
      ? { keepRequests: 0 }
      : { script: () => ({ ...scriptedMessage([{ type: 'text', text: 'ok' }]), ...(delayMs ? { delayMs } : {}) }), keepRequests: 0 },
  );
  const encryptKey = `ek-${randomBytes(8).toString('hex')}`;
  const emu = await startLarkEmulator({
    // cli_ and 16 hex digits, as Lark issues them: the long connection's client (part (a)) refuses other forms.
    appId: `cli_${randomBytes(8).toString('hex')}`,
    users: opts.users,
    webhook: { url: `http://127.0.0.1:${webhookPort}/webhook/event`, encryptKey, verificationToken: 'vt-bench' },
    ...(opts.retention ? { retention: opts.retention } : {}),
    // Reconnect at once should a bench connection drop (Lark's own ClientConfig says 120 s plus up to 30 s).
    longConnection: { reconnectIntervalS: 1, reconnectNonceS: 0 },
  });
  const taskQueue = `bench-e2e-${Date.now()}`;
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(webhookPort),
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: opts.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: opts.databaseUrl,
    LARK_APP_ID: emu.appId,
    LARK_APP_SECRET: emu.appSecret,
    LARK_BASE_URL: emu.url,
    LARK_ENCRYPT_KEY: encryptKey,
    LARK_VERIFICATION_TOKEN: 'vt-bench',
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    OAUTH_STATE_SECRET: randomBytes(24).toString('hex'),
    LARK_OAUTH_REDIRECT_URI: `http://127.0.0.1:${webhookPort}/oauth/callback`,
    ANTHROPIC_API_KEY: 'sk-bench-not-a-real-key',
    ANTHROPIC_BASE_URL: model.url,
    // As production must: Temporal stores chat text only encrypted (the processes refuse to start without a key).
    PAYLOAD_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    // Each bench user sends its next message as soon as the last is answered (60+ a minute on a quiet machine);
    // the per-sender intake limit (20 at once, then 30 a minute) would refuse most of them, unanswered by design.
    // Every message still takes its decision (the same row lock and insert), so its cost stays in the figures; the
    // limit itself is proven by test/intake-limits.test.ts and test/flood.test.ts.
    INTAKE_USER_BURST: '100000',
  };
  const config = loadConfig(env);
  const pool: Pool = createPool(opts.databaseUrl, 4);
  await runMigrations(pool);
  const services: LarkServices = buildLarkServices(config, pool, createLogger('silent', 'bench'))!;

  const worker = startEntry(
    'src/worker.ts',
    { ...env, ...opts.workerEnv, TEMPORAL_METRICS_PORT: String(metricsPort) },
    {
      probe: true,
      ...(opts.root ? { root: opts.root } : {}),
      ...(opts.workerTsx ? { tsx: true } : {}),
      ...(opts.workerNodeArgs ? { nodeArgs: opts.workerNodeArgs } : {}),
    },
  );
  const webhook = startEntry('src/webhook/server.ts', { ...env, ...opts.webhookEnv }, opts.root ? { root: opts.root } : {});
  const client = new Client({ connection: await Connection.connect({ address: opts.address }), namespace: 'default' });
  const product: Product = {
    emu,
    model,
    client,
    taskQueue,
    worker,
    webhook,
    env,
    encryptKey,
    async authorize(keys) {
      for (const key of keys) {
        const u = emu.user(key);
        const t = emu.issueUserToken(u.open_id, config.oauth.scopes.join(' '));
        await services.tokens.save(
          u.open_id,
          { accessToken: t.accessToken, refreshToken: t.refreshToken!, expiresAt: Date.now() + 7_000_000, scopes: config.oauth.scopes },
          { name: u.name },
        );
      }
    },
    async workerMetric(name) {
      const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      const values = text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
      return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
    },
    async stop() {
      await Promise.all([webhook.stop(), worker.stop()]);
      await client.connection.close();
      await pool.end();
      await model.close();
      await emu.stop();
    },
  };
  try {
    await waitUntil(
      'the webhook to answer /webhook/health',
      async () => {
        if (webhook.child.exitCode !== null) throw new Error(`webhook exited:\n${webhook.tail()}`);
        return fetch(`http://127.0.0.1:${webhookPort}/webhook/health`).then(
          (r) => r.ok,
          () => false,
        );
      },
      60_000,
      200,
    );
    if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.tail()}`);
  } catch (err) {
    await product.stop();
    throw err;
  }
  return product;
}
