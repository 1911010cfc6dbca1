/**
 * Webhook acknowledgement latency at fixed rates, signed and encrypted events, against a real
 * Temporal dev server: the durable handler (ack after Temporal accepted the start) beside the same
 * handler without the start, measured in the same run. Also checks that no acknowledged event is lost.
 *
 *   npm run bench:webhook -- --rates 100,200,500 --seconds 20
 * Prints a table and writes bench/results/webhook-ack-<time>.json. `npm run bench` runs it as part (a).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../src/temporal/cli';
import { startDevServer } from '../src/temporal/dev-server';
import { encryptedRequest, v2MessageEvent } from '../test/support/lark-requests';
import { writeResult } from './lib/results';
import { arg, pct, round2 } from './lib/stats';

const ENCRYPT_KEY = 'bench-encrypt-key';
const TOKEN = 'verification-token';

export const DEFAULT_RATES = [100, 200, 500];
export const DEFAULT_SECONDS = 20;

export interface AckRow {
  handler: 'durable' | 'no-start';
  rate: number;
  seconds: number;
  sent: number;
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

export interface AckResult {
  seconds: number;
  users: number;
  rows: AckRow[];
  /** Durable events answered 200. */
  acknowledged: number;
  /** Of those, how many have no workflow (must be 0). */
  lost: number;
}

async function runAtRate(
  url: string,
  handler: AckRow['handler'],
  rate: number,
  seconds: number,
  users: number,
): Promise<AckRow & { acknowledgedEventIds: string[] }> {
  const total = rate * seconds;
  const latencies: number[] = [];
  const acknowledged: string[] = [];
  let failed = 0;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    // Open loop: each request leaves at its scheduled time whatever the previous ones are doing.
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const ev = v2MessageEvent({ openId: `ou_bench_${i % users}`, token: TOKEN, text: `bench ${i}` });
    const req = encryptedRequest(ev, ENCRYPT_KEY);
    inflight.push(
      (async () => {
        const t0 = performance.now();
        try {
          const res = await fetch(`${url}/webhook/event`, { method: 'POST', body: req.body, headers: req.headers });
          await res.arrayBuffer();
          latencies.push(performance.now() - t0);
          if (res.status === 200) acknowledged.push(ev.header.event_id);
          else failed++;
        } catch {
          failed++;
        }
      })(),
    );
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  return {
    handler,
    rate,
    seconds,
    sent: total,
    ok: acknowledged.length,
    failed,
    p50: round2(pct(latencies, 50)),
    p99: round2(pct(latencies, 99)),
    max: round2(latencies.at(-1) ?? NaN),
    acknowledgedEventIds: acknowledged,
  };
}

/** Counts event ids with no `lark-event-<id>` workflow on the server. */
export async function countMissingEventWorkflows(client: Client, eventIds: string[]): Promise<number> {
  let missing = 0;
  for (let i = 0; i < eventIds.length; i += 200) {
    await Promise.all(
      eventIds.slice(i, i + 200).map((id) =>
        client.workflow
          .getHandle(`lark-event-${id}`)
          .describe()
          .catch(() => {
            missing++;
          }),
      ),
    );
  }
  return missing;
}

/**
 * Part (a): the ack server (worker + durable webhook + no-start webhook) in a child process on the given
 * Temporal server, both handlers at each rate, then the lost check.
 */
export async function runWebhookAck(opts: {
  address: string;
  rates: number[];
  seconds: number;
  users: number;
  workDir: string;
  warmupSeconds?: number;
}): Promise<AckResult> {
  const taskQueue = `bench-ack-${Date.now()}`;
  const server = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'ack-server.ts')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: opts.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LARK_ENCRYPT_KEY: ENCRYPT_KEY,
      LARK_VERIFICATION_TOKEN: TOKEN,
      BENCH_PG_DIR: path.join(opts.workDir, 'ack-pg'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const urls = await new Promise<{ durable: string; noop: string }>((resolve, reject) => {
      readline.createInterface({ input: server.stdout! }).once('line', (l) => resolve(JSON.parse(l)));
      server.once('exit', (c) => reject(new Error(`bench server exited with ${c}`)));
    });
    // Warm up both paths (JIT, connection pools, worker bundle).
    const warm = opts.warmupSeconds ?? 2;
    await runAtRate(urls.noop, 'no-start', 20, warm, opts.users);
    await runAtRate(urls.durable, 'durable', 20, warm, opts.users);
    const runs: Awaited<ReturnType<typeof runAtRate>>[] = [];
    for (const rate of opts.rates) {
      for (const [handler, url] of [
        ['no-start', urls.noop],
        ['durable', urls.durable],
      ] as const) {
        process.stderr.write(`[bench] (a) ${handler} at ${rate}/s for ${opts.seconds}s...\n`);
        runs.push(await runAtRate(url, handler, rate, opts.seconds, opts.users));
      }
    }
    // Lost = acknowledged with 200 but no workflow recorded.
    const client = new Client({ connection: await Connection.connect({ address: opts.address }), namespace: 'default' });
    const acked = runs.filter((r) => r.handler === 'durable').flatMap((r) => r.acknowledgedEventIds);
    const lost = await countMissingEventWorkflows(client, acked);
    await client.connection.close();
    return { seconds: opts.seconds, users: opts.users, rows: runs.map(({ acknowledgedEventIds, ...r }) => r), acknowledged: acked.length, lost };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    server.kill('SIGKILL');
  }
}

export function ackTable(result: AckResult): string[] {
  const lines = [
    'Webhook acknowledgement latency (ms), signed + encrypted events, open-loop fixed rate',
    'handler   | rate/s | sent  | 200   | failed | p50    | p99    | max',
    '----------|--------|-------|-------|--------|--------|--------|--------',
  ];
  for (const r of result.rows) {
    lines.push(
      `${r.handler.padEnd(9)} | ${String(r.rate).padStart(6)} | ${String(r.sent).padStart(5)} | ${String(r.ok).padStart(5)} | ${String(r.failed).padStart(6)} | ${r.p50.toFixed(2).padStart(6)} | ${r.p99.toFixed(2).padStart(6)} | ${r.max.toFixed(2).padStart(6)}`,
    );
  }
  for (const rate of new Set(result.rows.map((r) => r.rate))) {
    const d = result.rows.find((r) => r.rate === rate && r.handler === 'durable')!;
    const n = result.rows.find((r) => r.rate === rate && r.handler === 'no-start')!;
    lines.push(`price of durability at ${rate}/s: p50 x${(d.p50 / n.p50).toFixed(1)}, p99 x${(d.p99 / n.p99).toFixed(1)}`);
  }
  lines.push(`acknowledged durable events: ${result.acknowledged}, lost (acknowledged but no workflow): ${result.lost}`);
  return lines;
}

async function main() {
  const rates = arg('rates', DEFAULT_RATES.join(',')).split(',').map(Number);
  const seconds = Number(arg('seconds', String(DEFAULT_SECONDS)));
  const users = Number(arg('users', '20'));
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-ack-'));
  const dev = process.env.TEMPORAL_ADDRESS
    ? undefined
    : await startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli(), dbFile: path.join(workDir, 'temporal.db') });
  try {
    const result = await runWebhookAck({ address: process.env.TEMPORAL_ADDRESS ?? dev!.address, rates, seconds, users, workDir });
    console.log(['', ...ackTable(result)].join('\n'));
    const file = writeResult('webhook-ack', result);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
    if (result.lost > 0) process.exitCode = 1;
  } finally {
    await dev?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (require.main === module) void main();
