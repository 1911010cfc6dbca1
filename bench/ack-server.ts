/**
 * The process under test for bench/webhook-ack.ts: a worker plus two webhook servers in one process,
 * one that starts the Temporal workflow (durable) and one with the same handler but a no-op start.
 * Prints one JSON line with their URLs, then runs until killed.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { createPool } from '../src/db/pool';
import { createLogger } from '../src/logger';
import { createTemporalClient } from '../src/temporal/client';
import { installTemporalLogger } from '../src/temporal/runtime-logger';
import { createAgentWorker } from '../src/temporal/worker';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookApp } from '../src/webhook/app';
import { startWebhook } from '../src/webhook/start';

async function main() {
  const address = process.env.TEMPORAL_ADDRESS!;
  const taskQueue = process.env.TEMPORAL_TASK_QUEUE!;
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error' });
  const log = createLogger('error', 'bench');
  installTemporalLogger(log);
  const pg = await startEmbeddedPostgres(process.env.BENCH_PG_DIR!);
  const pool = createPool(pg.url, 1);
  const client = createTemporalClient(address, 'default');
  const connection = await NativeConnection.connect({ address });
  const worker = await createAgentWorker({ connection, client, namespace: 'default', taskQueue, config });
  void worker.run();
  const durable = await startWebhook(config, client, pool, log);

  const noopApp = createWebhookApp({
    verify: { encryptKey: config.lark.encryptKey, verificationToken: config.lark.verificationToken, timestampToleranceSeconds: 300 },
    maxBodyBytes: config.webhook.maxBodyBytes,
    starter: { start: async () => 'started' },
    health: [],
    log,
  });
  const noop = http.createServer(noopApp.callback());
  await new Promise<void>((r) => noop.listen(0, '127.0.0.1', r));
  const noopUrl = `http://127.0.0.1:${(noop.address() as AddressInfo).port}`;
  process.stdout.write(JSON.stringify({ durable: durable.url, noop: noopUrl }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
