/**
 * `npm run bench`: the whole benchmark on this machine with real Temporal dev servers (SQLite file, as
 * scripts/start.sh runs it) and a real PostgreSQL server.
 *   (a) webhook acknowledgement latency at fixed rates, durable vs the same handler without the start
 *   (b) event -> reply time with a zero-latency model, N users at once
 *   (c) worker RSS and heap (all threads, after GC) with 1,000 idle per-user workflows
 *   (d) events lost: acknowledged without a workflow, or messages without exactly one reply (must be 0)
 * Options: --quick (smoke run), --rates 100,200,500, --seconds 20, --users 20, --messages 10, --idle 1000,
 * --idle-rate 50. BENCH_DATABASE_URL uses your PostgreSQL instead of a throwaway server.
 * --temporal=server: parts (a), (b) and the loss check on the official Temporal server on PostgreSQL beside the
 * dev server, in one run (bench/server-compare.ts).
 * Prints one summary table and writes bench/results/bench-<time>.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli } from '../src/temporal/cli';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { startPostgresServer } from '../test/support/postgres-server';
import { ackTable, DEFAULT_RATES, DEFAULT_SECONDS, runWebhookAck, type AckResult } from './webhook-ack';
import { checkLoss, ReplyWatcher, runConcurrentUsers, runOnePerUser, sendAndFollow, summarize, type LatencySummary, type LossCheck } from './lib/conversations';
import type { MemoryReport } from './lib/memory-report';
import { benchUsers, startProduct, type Product } from './lib/product';
import { writeResult } from './lib/results';
import { runServerComparison } from './server-compare';
import { arg, flag, mb, sleep, waitUntil } from './lib/stats';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

interface MemoryPoint {
  rssMb: number;
  heapUsedMb: number;
  threads: number;
}
const point = (m: MemoryReport): MemoryPoint => ({ rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), threads: m.threads.length });

async function devServer(cliPath: string, workDir: string, name: string): Promise<DevServer> {
  return startDevServer({ cliPath, dbFile: path.join(workDir, `${name}.db`) });
}

/** Waits until `n` per-user workflows on the run's task queue report AgentState idle. */
async function waitIdle(p: Product, n: number, timeoutMs: number): Promise<void> {
  const q = `WorkflowType = 'larkUserWorkflow' AND AgentState = 'idle' AND TaskQueue = '${p.taskQueue}' AND ExecutionStatus = 'Running'`;
  await waitUntil(`${n} idle per-user workflows`, async () => (await p.client.workflow.count(q)).count >= n, timeoutMs, 500);
}

async function main() {
  // --temporal=server (or --temporal server): (a) and (b) on the official server beside the dev server.
  const temporalMode = process.argv.find((a) => a.startsWith('--temporal='))?.split('=')[1] ?? arg('temporal', 'dev');
  if (temporalMode === 'server') return runServerComparison();
  if (temporalMode !== 'dev') throw new Error(`--temporal must be dev or server (got "${temporalMode}")`);
  const quick = flag('quick');
  const rates = arg('rates', quick ? '100' : DEFAULT_RATES.join(',')).split(',').map(Number);
  const seconds = Number(arg('seconds', quick ? '3' : String(DEFAULT_SECONDS)));
  const concurrentUsers = Number(arg('users', '20'));
  const perUser = Number(arg('messages', quick ? '2' : '10'));
  const idleUsers = Number(arg('idle', quick ? '100' : '1000'));
  const idleRate = Number(arg('idle-rate', '50'));
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const started = Date.now();
  const cleanup: (() => Promise<void>)[] = [];

  try {
    // (a) on its own dev server, so its thousands of event workflows do not weigh on (b) and (c).
    const devA = await devServer(cliPath, workDir, 'temporal-a');
    let ack: AckResult;
    try {
      ack = await runWebhookAck({ address: devA.address, rates, seconds, users: 20, workDir });
    } finally {
      await devA.stop();
    }

    const pg = process.env.BENCH_DATABASE_URL ? undefined : await startPostgresServer();
    if (pg) cleanup.push(() => pg.stop());
    const devB = await devServer(cliPath, workDir, 'temporal-b');
    cleanup.push(() => devB.stop());
    const warmUser = benchUsers('w', 1);
    const bUsers = benchUsers('b', concurrentUsers);
    const cUsers = benchUsers('c', idleUsers);
    log(`(b)-(d) starting the product: webhook and worker processes, ${warmUser.length + bUsers.length + cUsers.length} Lark users`);
    const p = await startProduct({ address: devB.address, databaseUrl: process.env.BENCH_DATABASE_URL ?? pg!.url, users: [...warmUser, ...bUsers, ...cUsers] });
    cleanup.unshift(() => p.stop());
    const watcher = new ReplyWatcher(p.emu);
    cleanup.unshift(async () => watcher.stop());
    await p.authorize([...warmUser, ...bUsers, ...cUsers].map((u) => u.key));

    // Warm-up: the worker bundles its workflows at start; the first reply also warms every code path.
    const warm = await sendAndFollow(p, watcher, 'w0', 'warm up', Date.now() + 120_000);
    if (warm.replyMs === undefined) throw new Error(`no reply to the warm-up message:\n${p.worker.tail()}\n${p.webhook.tail()}`);
    await waitIdle(p, 1, 30_000);
    const memStart = point(await p.worker.memory());

    log(`(b) ${concurrentUsers} users at once, ${perUser} messages each`);
    const b = await runConcurrentUsers(p, watcher, bUsers.map((u) => u.key), perUser, 10 * 60_000);
    const bLatency = summarize(b);
    await waitIdle(p, 1 + concurrentUsers, 60_000);
    const memBefore = point(await p.worker.memory());

    log(`(c) ${idleUsers} users, one message each at ${idleRate}/s, then idle`);
    const c = await runOnePerUser(p, watcher, cUsers.map((u) => u.key), idleRate, 15 * 60_000);
    const cLatency = summarize(c);
    await waitIdle(p, 1 + concurrentUsers + idleUsers, 5 * 60_000);
    await sleep(2000); // let the last workflow tasks and activity slots settle
    const memAfter = point(await p.worker.memory());
    const cached = await p.workerMetric('temporal_sticky_cache_size');
    const running = (await p.client.workflow.count(`WorkflowType = 'larkUserWorkflow' AND TaskQueue = '${p.taskQueue}' AND ExecutionStatus = 'Running'`)).count;

    log('(d) checking every acknowledged event and every reply');
    const lossB = await checkLoss(p, watcher, b);
    const lossC = await checkLoss(p, watcher, c);
    const lost = ack.lost + lossB.lost + lossC.lost;

    const perWorkflowKb = (a: number, z: number) => Math.round(((z - a) * 1024) / idleUsers);
    const result = {
      quick,
      seconds: Math.round((Date.now() - started) / 1000),
      ack,
      conversations: { users: concurrentUsers, messagesPerUser: perUser, latencyMs: bLatency, loss: lossB },
      idle: {
        users: idleUsers,
        rate: idleRate,
        latencyMs: cLatency,
        loss: lossC,
        runningUserWorkflows: running,
        stickyCacheSize: cached,
        worker: { start: memStart, before: memBefore, after: memAfter, rssPerWorkflowKb: perWorkflowKb(memBefore.rssMb, memAfter.rssMb), heapPerWorkflowKb: perWorkflowKb(memBefore.heapUsedMb, memAfter.heapUsedMb) },
      },
      lost,
    };
    console.log(['', ...ackTable(ack), '', ...summaryTable(result)].join('\n'));
    const file = writeResult('bench', result);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
    if (lost > 0) process.exitCode = 1;
  } finally {
    for (const stop of cleanup) await stop().catch((err) => log(`cleanup: ${err instanceof Error ? err.message : err}`));
    rmSync(workDir, { recursive: true, force: true });
  }
}

interface Summary {
  ack: AckResult;
  conversations: { users: number; messagesPerUser: number; latencyMs: LatencySummary; loss: LossCheck };
  idle: { users: number; rate: number; latencyMs: LatencySummary; loss: LossCheck; runningUserWorkflows: number; stickyCacheSize?: number; worker: Record<'start' | 'before' | 'after', MemoryPoint> & { rssPerWorkflowKb: number; heapPerWorkflowKb: number } };
  lost: number;
}

/** One table, in Markdown so it can go into the README as printed. */
function summaryTable(r: Summary): string[] {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const rows: [string, string][] = [];
  for (const rate of new Set(r.ack.rows.map((x) => x.rate))) {
    const d = r.ack.rows.find((x) => x.rate === rate && x.handler === 'durable')!;
    const n = r.ack.rows.find((x) => x.rate === rate && x.handler === 'no-start')!;
    rows.push([`(a) ack at ${rate}/s for ${d.seconds} s, p50 / p99 / max`, `${ms(d.p50)} / ${ms(d.p99)} / ${ms(d.max)} (without the start: ${ms(n.p50)} / ${ms(n.p99)} / ${ms(n.max)}); ${d.ok}/${d.sent} acknowledged`]);
  }
  const b = r.conversations;
  rows.push([`(b) event -> reply, ${b.users} users at once x ${b.messagesPerUser} messages, p50 / p99 / max`, `${ms(b.latencyMs.p50)} / ${ms(b.latencyMs.p99)} / ${ms(b.latencyMs.max)} (${b.latencyMs.replied}/${b.latencyMs.messages} replied, ${b.latencyMs.perSecond}/s)`]);
  const c = r.idle;
  rows.push([`(c) event -> reply while starting ${c.users} users at ${c.rate}/s, p50 / p99`, `${ms(c.latencyMs.p50)} / ${ms(c.latencyMs.p99)} (${c.latencyMs.replied}/${c.latencyMs.messages} replied, ${c.latencyMs.perSecond}/s)`]);
  const w = c.worker;
  rows.push([`(c) worker RSS: started / ${1 + b.users} users / +${c.users} idle users`, `${w.start.rssMb} / ${w.before.rssMb} / ${w.after.rssMb} MB (${w.rssPerWorkflowKb} KB per idle workflow)`]);
  rows.push([`(c) worker heap after GC, ${w.after.threads} threads: started / ${1 + b.users} / +${c.users}`, `${w.start.heapUsedMb} / ${w.before.heapUsedMb} / ${w.after.heapUsedMb} MB (${w.heapPerWorkflowKb} KB per idle workflow)`]);
  rows.push(['(c) per-user workflows running / in the worker cache', `${c.runningUserWorkflows} / ${c.stickyCacheSize ?? 'n/a'}`]);
  const l = [b.loss, c.loss];
  rows.push([
    '(d) events lost (must be 0)',
    `${r.lost}: ack ${r.ack.lost}/${r.ack.acknowledged} without workflow; messages ${l.reduce((s, x) => s + x.sent, 0)} sent, ${l.reduce((s, x) => s + x.acknowledged, 0)} acknowledged, ${l.reduce((s, x) => s + x.eventsWithoutWorkflow, 0)} without workflow, ${l.reduce((s, x) => s + x.messagesWithoutReply, 0)} without reply, ${l.reduce((s, x) => s + x.duplicateReplies, 0)} answered twice, ${l.reduce((s, x) => s + x.redeliveries, 0)} redelivered`,
  ]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`| ${'measure'.padEnd(width)} | value |`, `|${'-'.repeat(width + 2)}|-------|`, ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`)];
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
