/**
 * `npm run bench -- --temporal=server`: parts (a) and (b) of the benchmark on the official Temporal server
 * (scripts/ensure-temporal-server.sh; PostgreSQL persistence and visibility, deploy/temporal/config/server.yaml)
 * and, in the same run and on the same PostgreSQL server for the app's database, on the dev server (SQLite file),
 * printed side by side:
 *   (a) webhook acknowledgement latency at fixed rates (signed, encrypted events, open loop)
 *   (b) event -> reply, N users at once each sending M messages one after another, zero-latency model
 *   plus the loss check of both (every 200 has its workflow, every message exactly one reply).
 * Options: --rates 50,100,200 --seconds 10 --users 20 --messages 5 --shards 4, --quick for a smoke run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../src/temporal/cli';
import { startDevServer } from '../src/temporal/dev-server';
import { ensureTemporalSetup } from '../src/temporal/setup';
import { startPostgresServer } from '../test/support/postgres-server';
import { createTemporalServer, postgresTarget, resolveTemporalServerDir } from '../test/support/temporal-server';
import { runWebhookAck, type AckResult } from './webhook-ack';
import { checkLoss, ReplyWatcher, runConcurrentUsers, sendAndFollow, summarize, type LatencySummary, type LossCheck } from './lib/conversations';
import { benchUsers, startProduct } from './lib/product';
import { writeResult } from './lib/results';
import { arg, flag } from './lib/stats';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

interface TargetResult {
  name: string;
  ack: AckResult;
  conversations: { latencyMs: LatencySummary; loss: LossCheck };
}

async function measure(
  name: string,
  address: string,
  appDbUrl: string,
  o: { rates: number[]; seconds: number; users: number; messages: number; workDir: string },
): Promise<TargetResult> {
  log(`${name}: (a) acknowledgement latency at ${o.rates.join(', ')}/s`);
  const ack = await runWebhookAck({ address, rates: o.rates, seconds: o.seconds, users: 20, workDir: path.join(o.workDir, name) });
  const warmUser = benchUsers(`${name[0]}w`, 1);
  const users = benchUsers(`${name[0]}b`, o.users);
  log(`${name}: (b) ${o.users} users at once, ${o.messages} messages each`);
  const p = await startProduct({ address, databaseUrl: appDbUrl, users: [...warmUser, ...users] });
  const watcher = new ReplyWatcher(p.emu);
  try {
    await p.authorize([...warmUser, ...users].map((u) => u.key));
    const warm = await sendAndFollow(p, watcher, warmUser[0]!.key, 'warm up', Date.now() + 120_000);
    if (warm.replyMs === undefined) throw new Error(`${name}: no reply to the warm-up message:\n${p.worker.tail()}\n${p.webhook.tail()}`);
    const tracked = await runConcurrentUsers(p, watcher, users.map((u) => u.key), o.messages, 10 * 60_000);
    return { name, ack, conversations: { latencyMs: summarize(tracked), loss: await checkLoss(p, watcher, tracked) } };
  } finally {
    watcher.stop();
    await p.stop();
  }
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function runServerComparison(): Promise<void> {
  const quick = flag('quick');
  const rates = arg('rates', quick ? '50' : '50,100,200').split(',').map(Number);
  const seconds = Number(arg('seconds', quick ? '3' : '10'));
  const users = Number(arg('users', quick ? '5' : '20'));
  const messages = Number(arg('messages', quick ? '2' : '5'));
  const shards = Number(arg('shards', '4'));
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli();
  const binDir = resolveTemporalServerDir({ build: true })!;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-server-'));
  const started = Date.now();
  const pgServer = await startPostgresServer();
  const results: TargetResult[] = [];
  try {
    const opts = { rates, seconds, users, messages, workDir };
    // The dev server first, as `npm run bench` runs it (SQLite file); the app's database on the PostgreSQL server.
    const dev = await startDevServer({ cliPath, dbFile: path.join(workDir, 'dev.db') });
    try {
      results.push(await measure('dev', dev.address, await createDatabase(pgServer.url, 'app_dev'), opts));
    } finally {
      await dev.stop();
    }
    // The official server on the same PostgreSQL server (as docker-compose.yml: one PostgreSQL for both).
    const server = await createTemporalServer({ binDir, pg: postgresTarget(pgServer.url), numHistoryShards: shards });
    await server.start();
    try {
      const conn = await Connection.connect({ address: server.address });
      await ensureTemporalSetup(conn, { namespace: 'default', address: server.address, register: true });
      await conn.close();
      results.push(await measure('server', server.address, await createDatabase(pgServer.url, 'app_server'), opts));
    } finally {
      await server.stop();
    }
  } finally {
    await pgServer.stop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }
  const [d, s] = results as [TargetResult, TargetResult];
  console.log(['', ...comparisonTable(d, s, { shards, users, messages })].join('\n'));
  const lost = results.reduce((n, r) => n + r.ack.lost + r.conversations.loss.lost + r.conversations.loss.duplicateReplies, 0);
  const file = writeResult('bench-server', { quick, seconds: Math.round((Date.now() - started) / 1000), shards, results, lost });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  if (lost > 0) process.exitCode = 1;
}

function comparisonTable(d: TargetResult, s: TargetResult, o: { shards: number; users: number; messages: number }): string[] {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const rows: [string, string, string][] = [];
  for (const rate of new Set(d.ack.rows.map((x) => x.rate))) {
    const cell = (r: TargetResult) => {
      const x = r.ack.rows.find((y) => y.rate === rate && y.handler === 'durable')!;
      return `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.max)}; ${x.ok}/${x.sent} acknowledged`;
    };
    rows.push([`(a) ack at ${rate}/s for ${d.ack.seconds} s, p50 / p99 / max`, cell(d), cell(s)]);
  }
  const conv = (r: TargetResult) => {
    const l = r.conversations.latencyMs;
    return `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)} (${l.replied}/${l.messages} replied, ${l.perSecond}/s)`;
  };
  rows.push([`(b) event -> reply, ${o.users} users at once x ${o.messages} messages, p50 / p99 / max`, conv(d), conv(s)]);
  const loss = (r: TargetResult) => {
    const l = r.conversations.loss;
    return `${r.ack.lost + l.lost}: ack ${r.ack.lost}/${r.ack.acknowledged} without workflow; ${l.messagesWithoutReply} without reply, ${l.duplicateReplies} answered twice`;
  };
  rows.push(['(d) events lost (must be 0)', loss(d), loss(s)]);
  const w0 = Math.max(...rows.map(([k]) => k.length));
  const w1 = Math.max('dev server (SQLite file)'.length, ...rows.map(([, a]) => a.length));
  return [
    `| ${'measure'.padEnd(w0)} | ${'dev server (SQLite file)'.padEnd(w1)} | official server (PostgreSQL, ${o.shards} history shards) |`,
    `|${'-'.repeat(w0 + 2)}|${'-'.repeat(w1 + 2)}|------|`,
    ...rows.map(([k, a, b]) => `| ${k.padEnd(w0)} | ${a.padEnd(w1)} | ${b} |`),
  ];
}
