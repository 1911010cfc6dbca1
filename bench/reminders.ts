/**
 * `npm run bench:reminders`: reminders at scale on a real Temporal dev server (SQLite file, as scripts/start.sh
 * runs it), a real PostgreSQL server and the real worker entry point in its own process.
 *   (1) N pending reminders (default 10,000, due in two hours): the worker's RSS and heap (all threads, after
 *       GC) before and after, and the Temporal server's database file (+ WAL) before and after;
 *   (2) M reminders (default 1,000) due in the same instant: the firing delay (card stored in the emulator
 *       minus the due time) p50 / p99 / max, and that each fired exactly once.
 * Options: --pending 10000 --burst 1000 --rate 200 (starts per second). BENCH_DATABASE_URL uses your PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createReminderService } from '../activities/reminders';
import { loadConfig } from '../src/config';
import { createPool } from '../src/db/pool';
import { createLogger } from '../src/logger';
import { buildLarkServices } from '../src/services';
import { resolveTemporalCli } from '../src/temporal/cli';
import { startDevServer } from '../src/temporal/dev-server';
import { startPostgresServer } from '../test/support/postgres-server';
import { benchUsers, startProduct } from './lib/product';
import { writeResult } from './lib/results';
import { arg, mb, pct, sleep, waitUntil } from './lib/stats';

const log = (s: string) => process.stderr.write(`[bench:reminders] ${s}\n`);
const TZ = 'Asia/Ho_Chi_Minh';

async function main() {
  const pending = Number(arg('pending', '10000'));
  const burst = Number(arg('burst', '1000'));
  const rate = Number(arg('rate', '200'));
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-rem-'));
  const dbFile = path.join(workDir, 'temporal.db');
  const diskBytes = () => ['', '-wal', '-shm'].reduce((n, ext) => n + (statSync(dbFile + ext, { throwIfNoEntry: false })?.size ?? 0), 0);
  const server = await startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli(), dbFile });
  const pg = process.env.BENCH_DATABASE_URL ? undefined : await startPostgresServer();
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? pg!.url;
  const users = benchUsers('r', 20);
  const p = await startProduct({ address: server.address, databaseUrl, users });
  try {
    // This process writes the index rows and starts the workflows, as the set_reminder tool does in a worker.
    const config = loadConfig({
      LARK_APP_ID: p.emu.appId,
      LARK_APP_SECRET: p.emu.appSecret,
      LARK_BASE_URL: p.emu.url,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      OAUTH_STATE_SECRET: 'x'.repeat(32),
      LARK_VERIFICATION_TOKEN: 'vt',
      LARK_ENCRYPT_KEY: 'ek',
    });
    const pool = createPool(databaseUrl, 8);
    const services = buildLarkServices(config, pool, createLogger('silent', 'bench'))!;
    const svc = createReminderService({
      temporal: p.client,
      taskQueue: p.taskQueue,
      store: services.reminders,
      lark: services.lark,
      tokens: services.tokens,
      settings: config.reminders.settings,
      maxActive: 1_000_000,
    });
    const create = async (n: number, prefix: string, atMs: (i: number) => number) => {
      const t0 = Date.now();
      let next = 0;
      const one = async () => {
        for (let i = next++; i < n; i = next++) {
          const u = p.emu.user(users[i % users.length]!.key);
          await svc.create({
            id: `${prefix}-${i}`,
            openId: u.open_id,
            chatId: u.p2pChatId,
            kind: 'reminder',
            text: `bench ${prefix} ${i}`,
            lang: 'en',
            timezone: TZ,
            schedule: { kind: 'once', atMs: atMs(i) },
            nowMs: Date.now(),
          });
          const ahead = t0 + (i * 1000) / rate - Date.now();
          if (ahead > 0) await sleep(ahead);
        }
      };
      await Promise.all(Array.from({ length: 16 }, one));
      return (Date.now() - t0) / 1000;
    };
    const running = async () =>
      (await p.client.workflow.count(`WorkflowType = 'larkReminderWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${p.taskQueue}'`)).count;

    await sleep(3000);
    const memBefore = await p.worker.memory();
    const diskBefore = diskBytes();
    log(`(1) starting ${pending} pending reminders at ${rate}/s`);
    const later = Date.now() + 2 * 3600_000;
    const createSeconds = await create(pending, `pend-${Date.now()}`, () => later);
    await waitUntil(`${pending} running`, async () => (await running()) >= pending, 600_000, 1000);
    // Every workflow has run its first task (index update, then its timer): wait for the queue to drain.
    await waitUntil(
      'index caught up',
      async () => Number((await pool.query('select count(*) as n from reminders where fired_count = 0 and updated_at > created_at')).rows[0].n) >= pending,
      600_000,
      1000,
    ).catch(() => log('index did not catch up within 10 minutes'));
    await sleep(5000);
    const memAfter = await p.worker.memory();
    const diskAfter = diskBytes();
    log(
      `(1) worker RSS ${mb(memBefore.rss)} -> ${mb(memAfter.rss)} MB, heap ${mb(memBefore.heapUsed)} -> ${mb(memAfter.heapUsed)} MB; server disk ${mb(diskBefore)} -> ${mb(diskAfter)} MB; started in ${createSeconds.toFixed(1)} s`,
    );

    log(`(2) ${burst} reminders due in the same instant`);
    const chats = new Set(users.map((u) => p.emu.user(u.key).p2pChatId));
    const cards = () => p.emu.state.messageList().filter((m) => m.msg_type === 'interactive' && chats.has(m.chat_id) && m.content.includes('bench burst'));
    // Due well after the last of them is started (starting them is slower than --rate on a busy machine).
    const dueAt = Date.now() + Math.max(120_000, (burst / rate) * 4000 + 60_000);
    const burstCreate = await create(burst, `burst-${Date.now()}`, () => dueAt);
    await waitUntil(`${burst} fired`, () => cards().length >= burst, 900_000, 500);
    await sleep(5000);
    const fired = cards();
    const perReminder = new Map<string, number>();
    for (const m of fired) {
      const text = /bench burst-\d+ \d+/.exec(m.content)?.[0] ?? m.message_id;
      perReminder.set(text, (perReminder.get(text) ?? 0) + 1);
    }
    const delays = fired.map((m) => Number(m.create_time) - dueAt).sort((a, b) => a - b);
    const result = {
      pending,
      createSeconds,
      workerRssMb: {
        before: mb(memBefore.rss),
        after: mb(memAfter.rss),
        perReminderKb: Math.round(((memAfter.rss - memBefore.rss) / pending / 1024) * 10) / 10,
      },
      workerHeapMb: { before: mb(memBefore.heapUsed), after: mb(memAfter.heapUsed) },
      serverDiskMb: { before: mb(diskBefore), after: mb(diskAfter), perReminderKb: Math.round(((diskAfter - diskBefore) / pending / 1024) * 10) / 10 },
      burst,
      burstCreateSeconds: burstCreate,
      firingDelayMs: { p50: pct(delays, 50), p99: pct(delays, 99), max: delays.at(-1), min: delays[0] },
      firedCards: fired.length,
      firedTwice: [...perReminder.values()].filter((n) => n > 1).length,
    };
    console.log('\nReminders benchmark');
    console.log(`  ${pending} pending reminders started in ${createSeconds.toFixed(1)} s`);
    console.log(
      `  worker RSS ${result.workerRssMb.before} -> ${result.workerRssMb.after} MB (${result.workerRssMb.perReminderKb} KB per pending reminder); heap ${result.workerHeapMb.before} -> ${result.workerHeapMb.after} MB`,
    );
    console.log(
      `  Temporal server disk (SQLite + WAL) ${result.serverDiskMb.before} -> ${result.serverDiskMb.after} MB (${result.serverDiskMb.perReminderKb} KB per reminder)`,
    );
    console.log(
      `  ${burst} due in the same instant: firing delay p50 ${result.firingDelayMs.p50} ms, p99 ${result.firingDelayMs.p99} ms, max ${result.firingDelayMs.max} ms; ${result.firedCards} cards, ${result.firedTwice} fired twice`,
    );
    console.log(`  results: ${writeResult('reminders', result)}`);
    await pool.end();
  } finally {
    await p.stop();
    await pg?.stop();
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
