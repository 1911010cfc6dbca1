/**
 * The process under fuzz: two real webhooks (Encrypt Key + token, and token only) on a real Temporal client,
 * in a child process so its memory is measured alone and a crash is seen as a crash.
 * IPC: sends {urls} when listening; answers {cmd:'mem'} with memoryUsage() after full GCs and the number of card
 * clicks that reached the handler; {cmd:'stop'} exits.
 */
import { loadConfig } from '../../src/config';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/logger';
import { createTemporalClient } from '../../src/temporal/client';
import type { CardActionHandler } from '../../src/webhook/app';
import { startWebhook } from '../../src/webhook/start';
import { ENCRYPT_KEY, TOKEN } from './cases';

async function main() {
  const address = process.env.FUZZ_TEMPORAL_ADDRESS!;
  const taskQueue = process.env.FUZZ_TASK_QUEUE!;
  // Warn and above only: 5xx and unexpected errors are logged (to stderr, which the parent keeps).
  const log = createLogger('warn', 'fuzz-webhook', process.stderr);
  const client = createTemporalClient(address, 'default');
  // Health is not fuzzed; a pool that never connects is enough for the wiring.
  const pool = createPool(process.env.FUZZ_DATABASE_URL ?? 'postgres://fuzz@127.0.0.1:1/none', 1);
  const base = { PORT: '0', HOST: '127.0.0.1', TEMPORAL_TASK_QUEUE: taskQueue, LARK_VERIFICATION_TOKEN: TOKEN, WEBHOOK_START_TIMEOUT_MS: '3000' };
  // Every click that reaches the handler (which signals a user's workflow) is counted: hostile ones must not.
  let cardActions = 0;
  const counting = {
    wrapCardAction:
      (inner: CardActionHandler): CardActionHandler =>
      async (e) => (cardActions++, inner(e)),
  };
  const secure = await startWebhook(loadConfig({ ...base, LARK_ENCRYPT_KEY: ENCRYPT_KEY }), client, pool, log, undefined, counting);
  const plain = await startWebhook(loadConfig(base), client, pool, log, undefined, counting);
  process.on('message', async (msg: { cmd: string }) => {
    if (msg.cmd === 'mem') {
      for (let i = 0; i < 3; i++) {
        global.gc?.();
        await new Promise((r) => setImmediate(r));
      }
      process.send!({ mem: process.memoryUsage(), cardActions });
    } else if (msg.cmd === 'stop') {
      await Promise.all([secure.close(), plain.close()]);
      await pool.end().catch(() => undefined);
      await client.connection.close().catch(() => undefined);
      process.exit(0);
    }
  });
  process.send!({ urls: { secure: secure.url, plain: plain.url } });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
