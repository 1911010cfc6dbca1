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
  /** PostgreSQL transactions committed per message during (b), by database (pg_stat_database.xact_commit). */
  commitsPerMessage: Record<string, number>;
  /** Rows added to the server's history_node table per message during (b) (one row per appended batch of events). */
  historyBatchesPerMessage?: number;
}

/** Committed transactions so far, by database; plus history_node rows when the server's database is there. */
async function dbStats(adminUrl: string): Promise<{ commits: Record<string, number>; historyNodes?: number }> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    // pg_stat_database lags by up to 500 ms (stats flush interval): the caller waits before reading it.
    const rows = (await c.query<{ datname: string; xact_commit: string }>('select datname, xact_commit from pg_stat_database where datname is not null')).rows;
    const commits = Object.fromEntries(rows.map((r) => [r.datname, Number(r.xact_commit)]));
    let historyNodes: number | undefined;
    if ('temporal' in commits) {
      const u = new URL(adminUrl);
      u.pathname = '/temporal';
      const t = new pg.Client({ connectionString: u.toString() });
      await t.connect();
      historyNodes = Number((await t.query<{ n: string }>('select count(*) as n from history_node')).rows[0]!.n);
      await t.end();
    }
    return { commits, historyNodes };
  } finally {
    await c.end();
  }
}

async function measure(
  name: string,
  address: string,
  appDbUrl: string,
  o: { rates: number[]; seconds: number; users: number; messages: number; workDir: string; adminUrl: string },
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
    await new Promise((r) => setTimeout(r, 3000)); // the warm-up's last tasks, and a stats flush
    const before = await dbStats(o.adminUrl);
    const tracked = await runConcurrentUsers(
      p,
      watcher,
      users.map((u) => u.key),
      o.messages,
      10 * 60_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    const after = await dbStats(o.adminUrl);
    const n = tracked.length;
    const appDb = new URL(appDbUrl).pathname.slice(1);
    const commitsPerMessage: Record<string, number> = {};
    for (const db of ['temporal', 'temporal_visibility', appDb]) {
      if (db in after.commits) commitsPerMessage[db === appDb ? 'app' : db] = Math.round(((after.commits[db]! - (before.commits[db] ?? 0)) / n) * 10) / 10;
    }
    return {
      name,
      ack,
      conversations: { latencyMs: summarize(tracked), loss: await checkLoss(p, watcher, tracked) },
      commitsPerMessage,
      ...(after.historyNodes !== undefined ? { historyBatchesPerMessage: Math.round(((after.historyNodes - before.historyNodes!) / n) * 10) / 10 } : {}),
    };
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
  const rates = arg('rates', quick ? '50' : '50,100,200')
    .split(',')
    .map(Number);
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
    const opts = { rates, seconds, users, messages, workDir, adminUrl: pgServer.url };
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
  const commits = (r: TargetResult) =>
    Object.entries(r.commitsPerMessage)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') + (r.historyBatchesPerMessage !== undefined ? `; history_node rows ${r.historyBatchesPerMessage}` : '');
  rows.push(['(b) PostgreSQL commits per message, by database', commits(d), commits(s)]);
  const w0 = Math.max(...rows.map(([k]) => k.length));
  const w1 = Math.max('dev server (SQLite file)'.length, ...rows.map(([, a]) => a.length));
  return [
    `| ${'measure'.padEnd(w0)} | ${'dev server (SQLite file)'.padEnd(w1)} | official server (PostgreSQL, ${o.shards} history shards) |`,
    `|${'-'.repeat(w0 + 2)}|${'-'.repeat(w1 + 2)}|------|`,
    ...rows.map(([k, a, b]) => `| ${k.padEnd(w0)} | ${a.padEnd(w1)} | ${b} |`),
  ];
}
