/**
 * Webhook fuzz: seeded hostile requests against real webhooks (in a child process) wired to a real Temporal
 * dev server. Every request must get a 4xx (no 5xx, no connection error, no crash), no workflow may start on
 * the run's task queue, no card click may reach the handler that signals a user's workflow, and the
 * webhook's memory after GC must not grow beyond a bound.
 *
 *   npm run fuzz -- --count 10000 [--seed 1234] [--concurrency 16]
 * Uses TEMPORAL_ADDRESS (or TEST_TEMPORAL_ADDRESS) when set, else starts a dev server. Replays: same --seed;
 * a failing case is reported by index, and generateCase(seed, index) rebuilds it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../../src/temporal/cli';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { generateCase, prng, validCardControlCase, validControlCase, type FuzzCase } from './cases';

export interface FuzzOptions {
  count: number;
  seed: number;
  temporalAddress: string;
  concurrency?: number;
  /** Heap (after GC) may grow at most this much from after the warm-up to the end. */
  heapBoundBytes?: number;
  /** RSS may grow at most this much (allocator slack for the 1 MB bodies included). */
  rssBoundBytes?: number;
  print?: (line: string) => void;
}

export interface FuzzReport {
  ok: boolean;
  failures: string[];
  seed: number;
  count: number;
  seconds: number;
  requestsPerSecond: number;
  statuses: Record<string, number>;
  byCategory: Record<string, Record<string, number>>;
  memory: { before: NodeJS.MemoryUsage; after: NodeJS.MemoryUsage };
  workflowsBefore: number;
  workflowsAfter: number;
  /** Card clicks that reached the handler (each would signal a user's workflow); must be 0. */
  cardActions: number;
}

const MB = 1024 * 1024;

interface Outcome {
  status?: number;
  error?: string;
  body: string;
}

function send(baseUrl: string, c: FuzzCase, agent: http.Agent): Promise<Outcome> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const headers: Record<string, string> = { ...c.headers };
    if (!c.chunked && c.body.length) headers['content-length'] = String(c.body.length);
    let req: http.ClientRequest;
    try {
      req = http.request({ hostname, port, path: c.path, method: c.method, headers, agent });
    } catch (err) {
      // The client refused to build it (a header Node will not send): a generator bug, reported as such.
      return resolve({ error: `client refused: ${(err as Error).message}`, body: '' });
    }
    req.setTimeout(20_000, () => req.destroy(new Error('timeout after 20 s')));
    req.on('error', (err) => resolve({ error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim(), body: '' }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        if (size < 2048) chunks.push(d);
        size += d.length;
      });
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8').slice(0, 300) }));
      res.on('error', (err) => resolve({ error: `response: ${err.message}`, body: '' }));
    });
    if (c.chunked) {
      // No Content-Length: the server learns the size only while reading.
      for (let i = 0; i < c.body.length; i += 64 * 1024) req.write(c.body.subarray(i, i + 64 * 1024));
      req.end();
    } else {
      req.end(c.body.length ? c.body : undefined);
    }
  });
}

async function startChild(temporalAddress: string, taskQueue: string, stderrTail: string[]) {
  const child = fork(path.join(__dirname, 'webhook-child.ts'), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, FUZZ_TEMPORAL_ADDRESS: temporalAddress, FUZZ_TASK_QUEUE: taskQueue },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderrTail.push(...d.toString().split('\n').filter(Boolean));
    if (stderrTail.length > 40) stderrTail.splice(0, stderrTail.length - 40);
  });
  const urls = await new Promise<{ secure: string; plain: string }>((resolve, reject) => {
    child.once('message', (m: any) => resolve(m.urls));
    child.once('exit', (code) => reject(new Error(`webhook child exited with ${code} before listening: ${stderrTail.join('\n')}`)));
  });
  return { child, urls };
}

let lastCardActions = 0;

function memoryOf(child: ChildProcess): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: any) => {
      if (m?.mem) {
        child.off('message', onMsg);
        lastCardActions = m.cardActions ?? 0;
        resolve(m.mem);
      }
    };
    child.on('message', onMsg);
    if (!child.connected) return reject(new Error('webhook child is gone'));
    child.send({ cmd: 'mem' });
  });
}

const fmtMb = (n: number) => `${(n / MB).toFixed(1)} MB`;

export async function runWebhookFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  const concurrency = opts.concurrency ?? 16;
  const heapBound = opts.heapBoundBytes ?? 16 * MB;
  const rssBound = opts.rssBoundBytes ?? 128 * MB;
  const taskQueue = `fuzz-${opts.seed}-${process.pid}-${Date.now()}`;
  print(`[fuzz] seed ${opts.seed}, ${opts.count} cases, concurrency ${concurrency}, Temporal ${opts.temporalAddress}, task queue ${taskQueue}`);

  const connection = await Connection.connect({ address: opts.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  const countWorkflows = () => client.workflow.count(`TaskQueue = "${taskQueue}"`).then((r) => r.count);
  const stderrTail: string[] = [];
  const { child, urls } = await startChild(opts.temporalAddress, taskQueue, stderrTail);
  let crashed: string | undefined;
  child.on('exit', (code, signal) => {
    crashed ??= `webhook process exited (code ${code}, signal ${signal})`;
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

  const failures: string[] = [];
  let failureCount = 0;
  const failureKinds: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const byCategory: Record<string, Record<string, number>> = {};
  const record = (i: number, c: FuzzCase, o: Outcome) => {
    const key = o.status !== undefined ? String(o.status) : 'conn-error';
    statuses[key] = (statuses[key] ?? 0) + 1;
    (byCategory[c.category] ??= {})[key] = (byCategory[c.category]![key] ?? 0) + 1;
    if (o.status === undefined || o.status < 400 || o.status >= 500) {
      failureCount++;
      // A few examples of each (category, answer) pair, so one noisy kind does not hide another.
      const kind = `${c.category} -> ${key}`;
      const seen = (failureKinds[kind] = (failureKinds[kind] ?? 0) + 1);
      if (seen <= 3) {
        failures.push(
          `case #${i} ${c.category} ${c.target} ${c.method} ${c.path.slice(0, 60)} (${c.body.length} B${c.chunked ? ', chunked' : ''}) -> ${o.status ?? o.error} ${o.body.slice(0, 160)}`,
        );
      }
    }
  };

  const runRange = async (from: number, to: number) => {
    let next = from;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < to && !crashed) {
          const i = next++;
          const c = generateCase(opts.seed, i);
          record(i, c, await send(c.target === 'secure' ? urls.secure : urls.plain, c, agent));
        }
      }),
    );
  };

  let report: FuzzReport | undefined;
  try {
    const workflowsBefore = await countWorkflows();
    const warmup = Math.min(300, Math.floor(opts.count / 10));
    const t0 = performance.now();
    await runRange(0, warmup); // JIT, pools, first allocations: not counted as growth
    const before = await memoryOf(child);
    await runRange(warmup, opts.count);
    const seconds = (performance.now() - t0) / 1000;
    const after = crashed ? before : await memoryOf(child);
    await new Promise((r) => setTimeout(r, 500)); // visibility catches up with any start that slipped through
    const workflowsAfter = await countWorkflows();

    if (crashed) failures.push(`${crashed}; last stderr:\n${stderrTail.join('\n')}`);
    if (failureCount > failures.length) failures.push(`... ${failureCount} non-4xx answers in all: ${JSON.stringify(failureKinds)}`);
    if (workflowsAfter !== workflowsBefore) failures.push(`${workflowsAfter - workflowsBefore} workflow(s) started by hostile requests`);
    const cardActions = crashed ? 0 : lastCardActions;
    if (cardActions !== 0) failures.push(`${cardActions} hostile card callback(s) reached the click handler (a signal to a user's workflow)`);
    const heapGrowth = after.heapUsed - before.heapUsed;
    const rssGrowth = after.rss - before.rss;
    if (heapGrowth > heapBound) failures.push(`heap grew ${fmtMb(heapGrowth)} (bound ${fmtMb(heapBound)})`);
    if (rssGrowth > rssBound) failures.push(`RSS grew ${fmtMb(rssGrowth)} (bound ${fmtMb(rssBound)})`);

    // The control: one valid signed event must be accepted and start exactly one workflow, or the
    // "no workflow started" above proves nothing.
    if (!crashed) {
      const control = await send(urls.secure, validControlCase(prng(opts.seed)), agent);
      let n = workflowsAfter;
      for (let t = 0; t < 40 && n === workflowsAfter; t++) {
        await new Promise((r) => setTimeout(r, 250));
        n = await countWorkflows();
      }
      if (control.status !== 200 || n !== workflowsAfter + 1) {
        failures.push(`control: a valid event got ${control.status ?? control.error} and ${n - workflowsAfter} workflow(s) (expected 200 and 1)`);
      }
      // Same for clicks: a valid signed one must reach the handler, or "none reached it" proves nothing.
      const cardControl = await send(urls.secure, validCardControlCase(prng(opts.seed)), agent);
      await memoryOf(child);
      if (lastCardActions !== cardActions + 1) {
        failures.push(
          `control: a valid card click got ${cardControl.status ?? cardControl.error} and reached the handler ${lastCardActions - cardActions} time(s) (expected 1)`,
        );
      }
    }

    report = {
      ok: failures.length === 0,
      failures,
      seed: opts.seed,
      count: opts.count,
      seconds,
      requestsPerSecond: opts.count / seconds,
      statuses,
      byCategory,
      memory: { before, after },
      workflowsBefore,
      workflowsAfter,
      cardActions,
    };
    printSummary(report, print, heapBound, rssBound);
    return report;
  } finally {
    agent.destroy();
    if (child.connected) child.send({ cmd: 'stop' });
    await new Promise<void>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r();
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        r();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        r();
      });
    });
    await connection.close();
  }
}

function printSummary(r: FuzzReport, print: (l: string) => void, heapBound: number, rssBound: number) {
  const codes = Object.keys(r.statuses).sort();
  const col = (s: string, w: number) => s.padStart(w);
  print('');
  print(`Webhook fuzz, seed ${r.seed}: ${r.count} requests in ${r.seconds.toFixed(1)} s (${r.requestsPerSecond.toFixed(0)} req/s)`);
  print(`${'category'.padEnd(28)} ${col('cases', 6)}  ${codes.map((c) => col(c, 6)).join(' ')}`);
  for (const [cat, s] of Object.entries(r.byCategory).sort()) {
    const n = Object.values(s).reduce((a, b) => a + b, 0);
    print(`${cat.padEnd(28)} ${col(String(n), 6)}  ${codes.map((c) => col(String(s[c] ?? ''), 6)).join(' ')}`);
  }
  print(`${'all'.padEnd(28)} ${col(String(r.count), 6)}  ${codes.map((c) => col(String(r.statuses[c]), 6)).join(' ')}`);
  const m = r.memory;
  print(
    `memory after GC (webhook process): before ${fmtMb(m.before.rss)} RSS / ${fmtMb(m.before.heapUsed)} heap, after ${fmtMb(m.after.rss)} RSS / ${fmtMb(m.after.heapUsed)} heap`,
  );
  print(
    `  growth: RSS ${fmtMb(m.after.rss - m.before.rss)} (bound ${fmtMb(rssBound)}), heap ${fmtMb(m.after.heapUsed - m.before.heapUsed)} (bound ${fmtMb(heapBound)})`,
  );
  print(`workflows on the run's task queue: before ${r.workflowsBefore}, after ${r.workflowsAfter}; card clicks that reached the handler: ${r.cardActions}`);
  print(r.ok ? 'RESULT: ok (every request 4xx, no workflow started, nothing signalled, memory stable)' : `RESULT: FAILED\n  ${r.failures.join('\n  ')}`);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const count = Number(arg('count') ?? 10_000);
  const seed = Number(arg('seed') ?? process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  const concurrency = Number(arg('concurrency') ?? 16);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed) || !Number.isInteger(concurrency) || concurrency < 1) {
    console.error('usage: npm run fuzz -- --count 10000 [--seed N] [--concurrency 16]');
    process.exit(2);
  }
  let dev: DevServer | undefined;
  const address =
    process.env.TEMPORAL_ADDRESS ??
    process.env.TEST_TEMPORAL_ADDRESS ??
    (dev = await startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli() })).address;
  try {
    const report = await runWebhookFuzz({ count, seed, concurrency, temporalAddress: address });
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    await dev?.stop();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
