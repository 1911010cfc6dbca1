/**
 * Webhook acknowledgement latency at fixed rates, signed and encrypted events, against a real
 * Temporal dev server: the durable handler (ack after Temporal accepted the start) beside the same
 * handler without the start, measured in the same run. Also checks that no acknowledged event is lost.
 *
 *   npm run bench:webhook -- --rates 100,200,500 --seconds 20
 * Prints a table and writes bench/results/webhook-ack-<time>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../src/temporal/cli';
import { startDevServer } from '../src/temporal/dev-server';
import { encryptedRequest, v2MessageEvent } from '../test/support/lark-requests';

const ENCRYPT_KEY = 'bench-encrypt-key';
const TOKEN = 'verification-token';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);

interface RunResult {
  handler: 'durable' | 'no-start';
  rate: number;
  seconds: number;
  sent: number;
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
  acknowledgedEventIds: string[];
}

async function runAtRate(url: string, handler: RunResult['handler'], rate: number, seconds: number, users: number): Promise<RunResult> {
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
  const r2 = (n: number) => Math.round(n * 100) / 100;
  return { handler, rate, seconds, sent: total, ok: acknowledged.length, failed, p50: r2(pct(latencies, 50)), p99: r2(pct(latencies, 99)), max: r2(latencies.at(-1) ?? NaN), acknowledgedEventIds: acknowledged };
}

async function main() {
  const rates = arg('rates', '50,100').split(',').map(Number);
  const seconds = Number(arg('seconds', '10'));
  const users = Number(arg('users', '20'));
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-ack-'));
  const taskQueue = `bench-${Date.now()}`;

  const dev = process.env.TEMPORAL_ADDRESS
    ? undefined
    : await startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli(), dbFile: path.join(workDir, 'temporal.db') });
  const address = process.env.TEMPORAL_ADDRESS ?? dev!.address;
  const server = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'ack-server.ts')], {
    env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue, LARK_ENCRYPT_KEY: ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TOKEN, BENCH_PG_DIR: path.join(workDir, 'pg') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const urls = await new Promise<{ durable: string; noop: string }>((resolve, reject) => {
    readline.createInterface({ input: server.stdout! }).once('line', (l) => resolve(JSON.parse(l)));
    server.once('exit', (c) => reject(new Error(`bench server exited with ${c}`)));
  });

  const results: RunResult[] = [];
  try {
    // Warm up both paths (JIT, connection pools, worker bundle).
    await runAtRate(urls.noop, 'no-start', 20, 2, users);
    await runAtRate(urls.durable, 'durable', 20, 2, users);
    for (const rate of rates) {
      for (const [handler, url] of [['no-start', urls.noop], ['durable', urls.durable]] as const) {
        process.stderr.write(`[bench] ${handler} at ${rate}/s for ${seconds}s...\n`);
        results.push(await runAtRate(url, handler, rate, seconds, users));
      }
    }

    // Lost = acknowledged with 200 but no workflow recorded.
    const client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
    const acked = results.filter((r) => r.handler === 'durable').flatMap((r) => r.acknowledgedEventIds);
    let lost = 0;
    for (let i = 0; i < acked.length; i += 200) {
      await Promise.all(
        acked.slice(i, i + 200).map((id) =>
          client.workflow.getHandle(`lark-event-${id}`).describe().catch(() => {
            lost++;
          }),
        ),
      );
    }

    const rows = results.map(({ acknowledgedEventIds, ...r }) => r);
    console.log('\nWebhook acknowledgement latency (ms), signed + encrypted events, open-loop fixed rate');
    console.log('handler   | rate/s | sent  | 200   | failed | p50    | p99    | max');
    console.log('----------|--------|-------|-------|--------|--------|--------|--------');
    for (const r of rows) {
      console.log(
        `${r.handler.padEnd(9)} | ${String(r.rate).padStart(6)} | ${String(r.sent).padStart(5)} | ${String(r.ok).padStart(5)} | ${String(r.failed).padStart(6)} | ${r.p50.toFixed(2).padStart(6)} | ${r.p99.toFixed(2).padStart(6)} | ${r.max.toFixed(2).padStart(6)}`,
      );
    }
    for (const rate of rates) {
      const d = rows.find((r) => r.rate === rate && r.handler === 'durable')!;
      const n = rows.find((r) => r.rate === rate && r.handler === 'no-start')!;
      console.log(`price of durability at ${rate}/s: p50 x${(d.p50 / n.p50).toFixed(1)}, p99 x${(d.p99 / n.p99).toFixed(1)}`);
    }
    console.log(`acknowledged durable events: ${acked.length}, lost (acknowledged but no workflow): ${lost}`);
    const out = path.resolve(__dirname, 'results');
    mkdirSync(out, { recursive: true });
    const file = path.join(out, `webhook-ack-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ machine: { cpus: os.cpus().length, node: process.version }, seconds, users, rows, acknowledged: acked.length, lost }, null, 2));
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
    await client.connection.close();
    if (lost > 0) process.exitCode = 1;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    server.kill('SIGKILL');
    await dev?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

void main();
