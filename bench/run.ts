/**
 * `npm run bench`: the product against its floors, side by side in ONE run on this machine, with a real Temporal dev
 * server (SQLite file, tuned as scripts/start.sh runs it) and a real PostgreSQL server. Only Lark (the emulator)
 * and the model (a zero-latency scripted Anthropic wire server) are stand-ins. The entry points run compiled
 * (`npm run build` first, as production does), the worker with MALLOC_ARENA_MAX=2 as in the Dockerfile.
 *   (a) the webhook's ack and the long connection's ack vs the bare StartWorkflowExecution loop on the same server,
 *       all three at --rate/s, interleaved (--ack-only: this part alone)
 *   (b) one user's event -> reply, --one messages one after another
 *   (c) --users users at once x --messages messages: p50/p99, replies per second, loss
 *   (b)(c) CPU ms per message of the worker, the Temporal server and the webhook, from /proc/<pid>/stat
 *   (d) worker RSS after GC with --idle idle users; then an evicted user's reply vs a cached user's
 *   (e) memory variants (--variants, on by default): the worker as it ran before (tsx, every workflow cached,
 *       glibc's default arenas) and compiled + capped without MALLOC_ARENA_MAX, each with --idle idle users
 *   (f) the cost of one message against the durable floor (bench/cost.ts, bench/floor/): server and worker CPU,
 *       history events, workflow tasks and bytes per message, replies/s, in interleaved rounds (--cost-rounds,
 *       --cost-one, --cost-users, --cost-messages); --baseline <git ref> adds that commit's product beside the
 *       current one; --cost-only: this part alone; --no-cost: without it;
 *       --model-delay-ms N: the scripted model answers every call N ms late (both products), as a real one is slow
 *   --profile: instead, (b) and (c) with the worker under --cpu-prof; prints its top costs per message.
 * Prints one table with each target and writes bench/results/bench-<time>.json; `npm run bench:median` gives the
 * medians of the last runs. BENCH_DATABASE_URL uses your PostgreSQL instead of a throwaway server.
 * --temporal=server: the older comparison with the official Temporal server on PostgreSQL (bench/server-compare.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../src/temporal/cli';
import { freePort, startDevServer, type DevServer } from '../src/temporal/dev-server';
import { LarkChatId, LarkEventType, LarkOpenId } from '../workflows/contract';
import { encryptedRequest, v2MessageEvent } from '../test/support/lark-requests';
import { startPostgresServer } from '../test/support/postgres-server';
import {
  checkLoss,
  ReplyWatcher,
  runConcurrentUsers,
  runOnePerUser,
  sendAndFollow,
  summarize,
  type LatencySummary,
  type LossCheck,
  type Tracked,
} from './lib/conversations';
import { startEntry, procCpuMs } from './lib/child';
import { summarizeProfile } from './lib/cpu-profile';
import { benchUsers, startProduct, type Product, type ProductOptions } from './lib/product';
import { writeResult } from './lib/results';
import { costTable, runCostComparison, type CostResult } from './cost';
import { runServerComparison } from './server-compare';
import { arg, flag, mb, pct, round2, sleep, waitUntil } from './lib/stats';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const ROOT = path.resolve(__dirname, '..');

/** Waits until `n` per-user workflows on the run's task queue report AgentState idle. */
async function waitIdle(p: Product, n: number, timeoutMs: number): Promise<void> {
  const q = `WorkflowType = 'larkUserWorkflow' AND AgentState = 'idle' AND TaskQueue = '${p.taskQueue}' AND ExecutionStatus = 'Running'`;
  await waitUntil(`${n} idle per-user workflows`, async () => (await p.client.workflow.count(q)).count >= n, timeoutMs, 500);
}

interface Dist {
  n: number;
  ok: number;
  p50: number;
  p99: number;
}
const dist = (ms: number[], n: number): Dist => {
  const s = [...ms].sort((a, b) => a - b);
  return { n, ok: s.length, p50: round2(pct(s, 50)), p99: round2(pct(s, 99)) };
};

/** CPU of the processes that do the work, sampled around a phase. */
class CpuMeter {
  constructor(private readonly pids: Record<string, number>) {}
  sample(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.pids).map(([k, pid]) => [k, procCpuMs(pid)]));
  }
  perMessage(before: Record<string, number>, messages: number): Record<string, number> {
    const after = this.sample();
    return Object.fromEntries(Object.keys(this.pids).map((k) => [k, round2((after[k]! - before[k]!) / Math.max(1, messages))]));
  }
}

/** Open loop at `rate`/s for `seconds`: each call leaves on schedule whatever the earlier ones do. */
async function openLoop(rate: number, seconds: number, call: (i: number) => Promise<boolean>): Promise<{ ms: number[]; n: number }> {
  const total = Math.round(rate * seconds);
  const ms: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    inflight.push(
      (async () => {
        const t0 = performance.now();
        if (await call(i).catch(() => false)) ms.push(performance.now() - t0);
      })(),
    );
  }
  await Promise.all(inflight);
  return { ms, n: total };
}

/**
 * (a) The webhook's ack (HTTP, signature, decryption, normalization, the start, the 200) and the long connection's
 * (the emulator pushes a pbbp2 frame, the SDK hands the event to the same normalization and start, its ack frame
 * comes back) against the bare StartWorkflowExecution RPC with the same request on the same server, at the same
 * rate, interleaved in rounds so the machine's noise falls on all three. One webhook process in
 * LARK_EVENT_MODE=both serves both paths. Everything starts runs on a task queue no worker polls: the figure is
 * the start, not the work it causes. Each ack is timed where Lark would time it: the HTTP answer at the sender,
 * the ack frame at the emulator's socket.
 */
async function ackVsFloor(p: Product, rate: number, seconds: number, rounds: number) {
  const taskQueue = `bench-unpolled-${Date.now()}`;
  const port = await freePort();
  const hook = startEntry('src/webhook/server.ts', { ...p.env, PORT: String(port), TEMPORAL_TASK_QUEUE: taskQueue, LARK_EVENT_MODE: 'both' });
  const url = `http://127.0.0.1:${port}`;
  try {
    const ready = async () => {
      if (hook.child.exitCode !== null) throw new Error(`the ack webhook exited:\n${hook.tail()}`);
      const r = await fetch(`${url}/webhook/health`).catch(() => undefined);
      const body = (await r?.json().catch(() => undefined)) as { details?: { long_connection?: { connected?: boolean } } } | undefined;
      return Boolean(r?.ok && body?.details?.long_connection?.connected);
    };
    await waitUntil('the ack webhook and its long connection', ready, 60_000, 200);
    const client = new Client({ connection: await Connection.connect({ address: p.env.TEMPORAL_ADDRESS! }), namespace: 'default' });
    const token = p.env.LARK_VERIFICATION_TOKEN!;
    let seq = 0;
    const bare = async () => {
      const ev = v2MessageEvent({ openId: `ou_floor_${seq % 20}`, token, text: `floor ${seq}` });
      seq++;
      const event = {
        kind: 'message',
        eventId: ev.header.event_id,
        eventType: 'im.message.receive_v1',
        createTimeMs: Date.now(),
        sender: { openId: ev.event.sender.sender_id.open_id },
        message: ev.event.message,
      };
      await client.workflow.start('larkEventWorkflow', {
        workflowId: `lark-event-${ev.header.event_id}`,
        taskQueue,
        args: [event, { maxMessageAgeMs: 1_800_000 }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowTaskTimeout: '4 seconds',
        typedSearchAttributes: [
          { key: LarkEventType, value: 'im.message.receive_v1' },
          { key: LarkOpenId, value: event.sender.openId },
          { key: LarkChatId, value: String(ev.event.message.chat_id) },
        ],
        staticSummary: `Lark im.message.receive_v1 from ${event.sender.openId}`,
        staticDetails: `One delivery of Lark event ${event.eventId}: hands message ${ev.event.message.message_id} to lark-user-${event.sender.openId}, then ends.`,
      });
      return true;
    };
    const viaWebhook = async () => {
      const ev = v2MessageEvent({ openId: `ou_ack_${seq % 20}`, token, text: `ack ${seq}` });
      seq++;
      const req = encryptedRequest(ev, p.encryptKey);
      const res = await fetch(`${url}/webhook/event`, { method: 'POST', body: req.body, headers: req.headers });
      await res.arrayBuffer();
      return res.status === 200;
    };
    // The push's own clock: from the frame leaving the emulator to its ack frame arriving (DeliveryAttempt.ms).
    const socketMs: number[] = [];
    const viaSocket = async () => {
      const ev = v2MessageEvent({ openId: `ou_ws_${seq % 20}`, token, text: `socket ${seq}` });
      seq++;
      const a = await p.emu.longConnection.deliver(ev as never, { redeliver: false }).done;
      if (a.status === 200) socketMs.push(a.ms);
      return a.status === 200;
    };
    // Warm the three paths (JIT, connections), then the rounds.
    await openLoop(20, 1, bare);
    await openLoop(20, 1, viaWebhook);
    await openLoop(20, 1, viaSocket);
    socketMs.length = 0;
    const floorMs: number[] = [];
    const ackMs: number[] = [];
    let [floorN, ackN, socketN] = [0, 0, 0];
    for (let r = 0; r < rounds; r++) {
      log(`(a) round ${r + 1}/${rounds}: bare start, webhook, long connection, ${rate}/s for ${seconds} s each`);
      const f = await openLoop(rate, seconds, bare);
      floorMs.push(...f.ms);
      floorN += f.n;
      const a = await openLoop(rate, seconds, viaWebhook);
      ackMs.push(...a.ms);
      ackN += a.n;
      socketN += (await openLoop(rate, seconds, viaSocket)).n;
    }
    await client.connection.close();
    const floor = dist(floorMs, floorN);
    const ack = dist(ackMs, ackN);
    const socket = dist(socketMs, socketN);
    return {
      rate,
      seconds: seconds * rounds,
      floor,
      ack,
      ratioP50: round2(ack.p50 / floor.p50),
      ratioP99: round2(ack.p99 / floor.p99),
      socket,
      socketRatioP50: round2(socket.p50 / floor.p50),
      socketRatioP99: round2(socket.p99 / floor.p99),
    };
  } finally {
    await hook.stop();
  }
}

/** One message at a time from `users` (round robin), each sent once the previous reply is stored. */
async function sequential(p: Product, watcher: ReplyWatcher, users: string[], n: number, label: string): Promise<Tracked[]> {
  const out: Tracked[] = [];
  for (let i = 0; i < n; i++) out.push(await sendAndFollow(p, watcher, users[i % users.length]!, `${label} ${i}`, Date.now() + 60_000));
  return out;
}

const replyMs = (t: Tracked[]) => t.flatMap((x) => (x.replyMs === undefined ? [] : [x.replyMs]));

interface IdleMemory {
  label: string;
  users: number;
  rssMb: number;
  heapMb: number;
  cached?: number;
  startRssMb: number;
}

/** Starts `n` users at `rate`/s (one message each), waits until they are idle, and reads the worker's memory. */
async function idleUsers(p: Product, watcher: ReplyWatcher, keys: string[], rate: number, label: string, alreadyIdle: number) {
  const c = await runOnePerUser(p, watcher, keys, rate, 15 * 60_000);
  await waitIdle(p, alreadyIdle + keys.length, 5 * 60_000);
  await sleep(2000); // the last workflow tasks and activity slots settle
  const m = await p.worker.memory();
  return {
    tracked: c,
    memory: { label, users: keys.length, rssMb: mb(m.rss), heapMb: mb(m.heapUsed), cached: await p.workerMetric('temporal_sticky_cache_size') },
  };
}

async function variant(
  base: Omit<ProductOptions, 'users'>,
  opts: Partial<ProductOptions>,
  label: string,
  prefix: string,
  idle: number,
  rate: number,
): Promise<IdleMemory & { lost: number }> {
  const users = benchUsers(prefix, idle + 1);
  log(`(e) variant "${label}": ${idle} users`);
  const p = await startProduct({ ...base, ...opts, users });
  const watcher = new ReplyWatcher(p.emu);
  try {
    await p.authorize(users.map((u) => u.key));
    await sendAndFollow(p, watcher, users[0]!.key, 'warm up', Date.now() + 120_000);
    await waitIdle(p, 1, 60_000);
    const startRssMb = mb((await p.worker.memory()).rss);
    const r = await idleUsers(
      p,
      watcher,
      users.slice(1).map((u) => u.key),
      rate,
      label,
      1,
    );
    const loss = await checkLoss(p, watcher, r.tracked);
    return { ...r.memory, startRssMb, lost: loss.lost };
  } finally {
    watcher.stop();
    await p.stop();
  }
}

async function main() {
  const temporalMode = process.argv.find((a) => a.startsWith('--temporal='))?.split('=')[1] ?? arg('temporal', 'dev');
  if (temporalMode === 'server') return runServerComparison();
  if (temporalMode !== 'dev') throw new Error(`--temporal must be dev or server (got "${temporalMode}")`);
  const quick = flag('quick');
  const profile = flag('profile');
  const rate = Number(arg('rate', '100'));
  const seconds = Number(arg('seconds', quick ? '2' : '5'));
  const rounds = Number(arg('rounds', quick ? '1' : '3'));
  const one = Number(arg('one', quick ? '10' : '40'));
  const concurrentUsers = Number(arg('users', '20'));
  const perUser = Number(arg('messages', quick ? '3' : '10'));
  const idle = Number(arg('idle', quick ? '150' : '1000'));
  const idleRate = Number(arg('idle-rate', '50'));
  const probes = Number(arg('probes', quick ? '6' : '20'));
  const ackOnly = flag('ack-only');
  const variants = !quick && !profile && !ackOnly && !flag('no-variants');
  if (!flag('no-build')) {
    log('npm run build (the entry points run compiled, as in production)');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const profDir = path.join(workDir, 'prof');
  const started = Date.now();
  const cleanup: (() => Promise<void>)[] = [];

  try {
    const pg = process.env.BENCH_DATABASE_URL ? undefined : await startPostgresServer();
    if (pg) cleanup.push(() => pg.stop());
    const dev: DevServer = await startDevServer({ cliPath, dbFile: path.join(workDir, 'temporal.db') });
    cleanup.unshift(() => dev.stop());
    const databaseUrl = process.env.BENCH_DATABASE_URL ?? pg!.url;
    const base = { address: dev.address, databaseUrl };
    // As the Dockerfile runs it: compiled, default cache cap, two malloc arenas.
    const shipped: Partial<ProductOptions> = { workerEnv: { MALLOC_ARENA_MAX: '2' } };
    const costOptions = {
      ...base,
      serverPid: dev.process.pid!,
      one: Number(arg('cost-one', quick ? '10' : '20')),
      users: Number(arg('cost-users', '20')),
      perUser: Number(arg('cost-messages', quick ? '3' : '5')),
      rounds: Number(arg('cost-rounds', quick ? '1' : '3')),
      ...(arg('baseline', '') ? { baseline: arg('baseline', '') } : {}),
      // The scripted model answers each call this much later, on every side (the baseline's product included).
      ...(Number(arg('model-delay-ms', '0')) > 0 ? { product: { modelDelayMs: Number(arg('model-delay-ms', '0')) } } : {}),
    };
    if (flag('cost-only')) {
      const cost = await runCostComparison(costOptions);
      console.log(
        [
          '',
          `(f) one message against the durable floor, ${cost.rounds} interleaved rounds${cost.modelDelayMs ? `, model answers ${cost.modelDelayMs} ms late` : ''}`,
          ...costTable(cost),
        ].join('\n'),
      );
      console.log(`wrote ${path.relative(process.cwd(), writeResult('cost', { quick, cost }))}`);
      return;
    }

    const warmUser = benchUsers('w', 1);
    const oneUser = benchUsers('o', 1);
    const bUsers = benchUsers('b', concurrentUsers);
    const cUsers = benchUsers('c', profile || ackOnly ? 0 : idle);
    const all = [...warmUser, ...oneUser, ...bUsers, ...cUsers];
    log(`starting the product (compiled webhook and worker processes), ${all.length} Lark users`);
    if (profile) mkdirSync(profDir, { recursive: true });
    const p = await startProduct({ ...base, ...shipped, users: all, ...(profile ? { workerNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] } : {}) });
    let stopped = false;
    cleanup.unshift(async () => {
      if (!stopped) await p.stop();
    });
    const watcher = new ReplyWatcher(p.emu);
    cleanup.unshift(async () => watcher.stop());
    await p.authorize(all.map((u) => u.key));
    const cpu = new CpuMeter({ worker: p.worker.child.pid!, server: dev.process.pid!, webhook: p.webhook.child.pid! });

    const warm = await sendAndFollow(p, watcher, 'w0', 'warm up', Date.now() + 120_000);
    if (warm.replyMs === undefined) throw new Error(`no reply to the warm-up message:\n${p.worker.tail()}\n${p.webhook.tail()}`);
    await sequential(p, watcher, ['w0'], 5, 'warm'); // JIT
    await waitIdle(p, 1, 30_000);

    const ack = profile ? undefined : await ackVsFloor(p, rate, seconds, rounds);
    await sleep(1000);
    if (ackOnly && ack) {
      console.log(['', ...ackTable(ack)].join('\n'));
      console.log(`wrote ${path.relative(process.cwd(), writeResult('ack', { quick, ack }))}`);
      return;
    }

    log(`(b) one user, ${one} messages one after another`);
    let before = cpu.sample();
    const b = await sequential(p, watcher, ['o0'], one, 'one user');
    const bCpu = cpu.perMessage(before, one);
    const bLat = dist(replyMs(b), one);

    log(`(c) ${concurrentUsers} users at once x ${perUser} messages`);
    before = cpu.sample();
    const c = await runConcurrentUsers(
      p,
      watcher,
      bUsers.map((u) => u.key),
      perUser,
      10 * 60_000,
    );
    const cCpu = cpu.perMessage(before, c.length);
    const cLat = summarize(c);
    await waitIdle(p, 2 + concurrentUsers, 60_000);
    const lossBC = await checkLoss(p, watcher, [...b, ...c]);

    if (profile) {
      stopped = true;
      await p.stop(); // the worker writes its profile on exit
      const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
      const top = summarizeProfile(
        files.map((f) => path.join(profDir, f)),
        one + c.length + 6,
      );
      console.log(
        [
          '',
          `Worker CPU profile, ${one + c.length + 6} messages (one user, ${concurrentUsers} users x ${perUser}, warm-up): ms per message`,
          ...top.lines,
        ].join('\n'),
      );
      const file = writeResult('profile', {
        messages: one + c.length + 6,
        oneUser: { latencyMs: bLat, cpuMsPerMessage: bCpu },
        concurrent: { latencyMs: cLat, cpuMsPerMessage: cCpu },
        profile: top.data,
      });
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
      return;
    }

    log(`(d) ${idle} users, one message each at ${idleRate}/s, then idle`);
    const memStart = mb((await p.worker.memory()).rss);
    const d = await idleUsers(
      p,
      watcher,
      cUsers.map((u) => u.key),
      idleRate,
      'shipped: compiled, prebuilt bundle, cache cap, MALLOC_ARENA_MAX=2',
      2 + concurrentUsers,
    );
    const lossD = await checkLoss(p, watcher, d.tracked);
    // The earliest idle users were evicted long ago (cache cap); the latest are still cached. One at a time,
    // alternating, so both see the same machine.
    log(`(d) ${probes} evicted and ${probes} cached users, alternating`);
    const evictedKeys = cUsers.slice(0, probes).map((u) => u.key);
    const cachedKeys = cUsers.slice(-probes).map((u) => u.key);
    const evicted: Tracked[] = [];
    const cached: Tracked[] = [];
    for (let i = 0; i < probes; i++) {
      cached.push(await sendAndFollow(p, watcher, cachedKeys[i]!, 'again, cached', Date.now() + 60_000));
      evicted.push(await sendAndFollow(p, watcher, evictedKeys[i]!, 'again, evicted', Date.now() + 60_000));
    }
    const ev = dist(replyMs(evicted), probes);
    const ca = dist(replyMs(cached), probes);
    const lossProbes = await checkLoss(p, watcher, [...evicted, ...cached]);
    stopped = true;
    await p.stop();
    watcher.stop();

    const memory: (IdleMemory & { lost?: number })[] = [{ ...d.memory, startRssMb: memStart }];
    if (variants) {
      memory.push(
        await variant(
          base,
          { workerTsx: true, workerEnv: { WORKER_MAX_CACHED_WORKFLOWS: '100000' } },
          'before: tsx, every workflow cached, default malloc arenas',
          'v1',
          idle,
          idleRate,
        ),
      );
      memory.push(await variant(base, { workerEnv: {} }, 'compiled, prebuilt bundle, cache cap, default malloc arenas', 'v2', idle, idleRate));
    }

    const cost: CostResult | undefined = flag('no-cost') ? undefined : await runCostComparison(costOptions);
    const lost = lossBC.lost + lossD.lost + lossProbes.lost + memory.reduce((s, m) => s + (m.lost ?? 0), 0);
    const result = {
      cost,
      quick,
      seconds: Math.round((Date.now() - started) / 1000),
      ack,
      oneUser: { messages: one, latencyMs: bLat, cpuMsPerMessage: bCpu },
      concurrent: { users: concurrentUsers, messagesPerUser: perUser, latencyMs: cLat, cpuMsPerMessage: cCpu, loss: lossBC },
      idle: { users: idle, rate: idleRate, latencyMs: summarize(d.tracked), loss: lossD, evicted: ev, cached: ca, ratioP50: round2(ev.p50 / ca.p50) },
      memory,
      lost,
    };
    console.log(['', ...table(result)].join('\n'));
    if (cost)
      console.log(
        [
          '',
          `(f) one message against the durable floor, ${cost.rounds} interleaved rounds${cost.modelDelayMs ? `, model answers ${cost.modelDelayMs} ms late` : ''}`,
          ...costTable(cost),
        ].join('\n'),
      );
    const file = writeResult('bench', result);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
    if (lost > 0) process.exitCode = 1;
  } finally {
    for (const stop of cleanup) await stop().catch((err) => log(`cleanup: ${err instanceof Error ? err.message : err}`));
    rmSync(workDir, { recursive: true, force: true });
  }
}

type AckResult = {
  rate: number;
  seconds: number;
  floor: Dist;
  ack: Dist;
  ratioP50: number;
  ratioP99: number;
  socket?: Dist;
  socketRatioP50?: number;
  socketRatioP99?: number;
};

export interface BenchResult {
  ack?: AckResult;
  oneUser: { messages: number; latencyMs: Dist; cpuMsPerMessage: Record<string, number> };
  concurrent: { users: number; messagesPerUser: number; latencyMs: LatencySummary; cpuMsPerMessage: Record<string, number>; loss: LossCheck };
  idle: { users: number; evicted: Dist; cached: Dist; ratioP50: number };
  memory: (IdleMemory & { lost?: number })[];
  lost: number;
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const yes = (ok: boolean) => (ok ? 'met' : 'NOT met');

function ackRows(a: AckResult): [string, string, string][] {
  const rows: [string, string, string][] = [
    [`(a) bare StartWorkflowExecution at ${a.rate}/s, p50 / p99 (${a.floor.ok}/${a.floor.n})`, `${ms(a.floor.p50)} / ${ms(a.floor.p99)}`, ''],
    [
      `(a) webhook ack at ${a.rate}/s, p50 / p99 (${a.ack.ok}/${a.ack.n} acknowledged)`,
      `${ms(a.ack.p50)} / ${ms(a.ack.p99)}; x${a.ratioP50} / x${a.ratioP99} the bare start`,
      `p50 <= 1.5x bare: ${yes(a.ratioP50 <= 1.5)}`,
    ],
  ];
  if (a.socket) {
    rows.push([
      `(a) long-connection ack at ${a.rate}/s, p50 / p99 (${a.socket.ok}/${a.socket.n} acknowledged)`,
      `${ms(a.socket.p50)} / ${ms(a.socket.p99)}; x${a.socketRatioP50} / x${a.socketRatioP99} the bare start`,
      `p50 <= 1.5x bare: ${yes((a.socketRatioP50 ?? Infinity) <= 1.5)}`,
    ]);
  }
  return rows;
}

function render(rows: [string, string, string][]): string[] {
  const w = Math.max(...rows.map(([k]) => k.length));
  const v = Math.max(...rows.map(([, x]) => x.length));
  return [
    `| ${'measure'.padEnd(w)} | ${'value'.padEnd(v)} | target |`,
    `|${'-'.repeat(w + 2)}|${'-'.repeat(v + 2)}|--------|`,
    ...rows.map(([k, x, t]) => `| ${k.padEnd(w)} | ${x.padEnd(v)} | ${t} |`),
  ];
}

/** Part (a) alone (--ack-only). */
export function ackTable(a: AckResult): string[] {
  return render(ackRows(a));
}

/** One Markdown table: each figure, its floor or comparison, and the issue's target. */
export function table(r: BenchResult): string[] {
  const rows: [string, string, string][] = [];
  if (r.ack) rows.push(...ackRows(r.ack));
  const o = r.oneUser;
  rows.push([
    `(b) one user, event -> reply, p50 / p99 (${o.latencyMs.ok}/${o.messages})`,
    `${ms(o.latencyMs.p50)} / ${ms(o.latencyMs.p99)}`,
    `<= 100 / 300 ms: ${yes(o.latencyMs.p50 <= 100 && o.latencyMs.p99 <= 300)}`,
  ]);
  rows.push([
    `(b) CPU per message, one user: worker / server / webhook`,
    `${ms(o.cpuMsPerMessage.worker!)} / ${ms(o.cpuMsPerMessage.server!)} / ${ms(o.cpuMsPerMessage.webhook!)}`,
    `worker <= 15 ms: ${yes(o.cpuMsPerMessage.worker! <= 15)}`,
  ]);
  const c = r.concurrent;
  rows.push([
    `(c) ${c.users} users x ${c.messagesPerUser}, p50 / p99, replies/s`,
    `${ms(c.latencyMs.p50)} / ${ms(c.latencyMs.p99)}, ${c.latencyMs.perSecond}/s (${c.latencyMs.replied}/${c.latencyMs.messages} replied, ${c.loss.lost} lost)`,
    `>= 25/s, 0 lost: ${yes(c.latencyMs.perSecond >= 25 && c.loss.lost === 0)}`,
  ]);
  rows.push([
    `(c) CPU per message, ${c.users} users: worker / server / webhook`,
    `${ms(c.cpuMsPerMessage.worker!)} / ${ms(c.cpuMsPerMessage.server!)} / ${ms(c.cpuMsPerMessage.webhook!)}`,
    `worker <= 15 ms: ${yes(c.cpuMsPerMessage.worker! <= 15)}`,
  ]);
  for (const [i, m] of r.memory.entries()) {
    rows.push([
      `(${i ? 'e' : 'd'}) worker RSS after GC, started / +${m.users} idle users: ${m.label}`,
      `${m.startRssMb} / ${m.rssMb} MB (heap ${m.heapMb} MB, ${m.cached ?? 'n/a'} cached)`,
      i ? '' : `<= 300 MB: ${yes(m.rssMb <= 300)}`,
    ]);
  }
  const d = r.idle;
  rows.push([
    `(d) reply of an evicted vs a cached user, p50 / p99 (${d.evicted.ok} + ${d.cached.ok})`,
    `${ms(d.evicted.p50)} / ${ms(d.evicted.p99)} vs ${ms(d.cached.p50)} / ${ms(d.cached.p99)}; x${d.ratioP50}`,
    `p50 <= 1.2x: ${yes(d.ratioP50 <= 1.2)}`,
  ]);
  rows.push(['lost (acknowledged without workflow, unanswered, answered twice)', String(r.lost), `0: ${yes(r.lost === 0)}`]);
  return render(rows);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  });
}
