/**
 * Part (f) of `npm run bench` (alone: `npm run bench -- --cost-only`): what one message costs the product against
 * the durable floor (bench/floor/), side by side in one run. Each round runs every side in turn, so all of them see
 * the same machine (it is shared and noisy; a ratio from one run means more than a figure from another day):
 * - CPU ms per message of the Temporal server and of each side's worker (and the product's webhook), from /proc;
 * - history events, workflow tasks and history bytes per message (the floor's runs, the product's event runs plus
 *   its per-user run's growth), read from the histories themselves;
 * - replies per second with --cost-users users at once.
 * --baseline <git ref>: that commit's product too (extracted into .releases/ and built), so a change is measured
 * against the code without it in the same run.
 * --model-delay-ms N (CostOptions.product.modelDelayMs): the scripted model answers each call N ms late, on both
 * products, so the history a slow model step costs (a local step's task heartbeats) shows in the figures.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { parsePayloadKeys } from '../src/config';
import { payloadCodecs } from '../src/temporal/payload-codec';
import { userWorkflowId } from '../workflows/contract';
import { releaseTree } from '../test/upgrade/releases';
import { startEntry, procCpuMs, type EntryProcess } from './lib/child';
import { ReplyWatcher, sendAndFollow } from './lib/conversations';
import { benchUsers, startProduct, type Product, type ProductOptions } from './lib/product';
import { round2, sleep, waitUntil } from './lib/stats';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const ROOT = path.resolve(__dirname, '..');

export interface CostOptions {
  address: string;
  databaseUrl: string;
  /** The Temporal server's pid (its CPU is shared by every side: only one side runs at a time). */
  serverPid: number;
  /** Messages one user sends one after another, per side and round. */
  one: number;
  /** Users at once, and messages each, per side and round. */
  users: number;
  perUser: number;
  rounds: number;
  /** A git ref whose product runs beside the current one. */
  baseline?: string;
  /** Extra product options (worker environment). */
  product?: Partial<ProductOptions>;
}

export interface HistoryCost {
  events: number;
  tasks: number;
  bytes: number;
}

export interface SideCost {
  label: string;
  oneUser: { messages: number; replied: number; cpuMs: Record<string, number> };
  concurrent: { messages: number; replied: number; cpuMs: Record<string, number>; perSecond: number };
  history: HistoryCost;
}

export interface CostResult {
  rounds: number;
  /** The scripted model's delay before each answer (--model-delay-ms), on every product side. */
  modelDelayMs: number;
  sides: SideCost[];
}

interface Side {
  label: string;
  pids: Record<string, number>;
  seqUser: string;
  concUsers: string[];
  /** ms from send to the stored reply, or undefined when none came by the deadline. */
  send(user: string, text: string, deadline: number): Promise<number | undefined>;
  /** The history written for the messages `seqUser` sent since `mark()`. */
  mark(): Promise<void>;
  history(): Promise<HistoryCost & { messages: number }>;
  stop(): Promise<void>;
}

/** Events, workflow tasks and encoded bytes of one run's history (from event `fromId` on). */
async function historyOf(client: Client, workflowId: string, runId: string | undefined, fromId = 0): Promise<HistoryCost> {
  const h = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = (h.events ?? []).filter((e) => Number(e.eventId) > fromId);
  return {
    events: events.length,
    tasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    bytes: events.reduce((s, e) => s + temporal.api.history.v1.HistoryEvent.encode(temporal.api.history.v1.HistoryEvent.fromObject(e)).finish().length, 0),
  };
}

const add = (a: HistoryCost, b: HistoryCost): HistoryCost => ({ events: a.events + b.events, tasks: a.tasks + b.tasks, bytes: a.bytes + b.bytes });
const ZERO: HistoryCost = { events: 0, tasks: 0, bytes: 0 };

/** Runs of `type` on `taskQueue` started since `since`, once visibility lists `n` of them. */
async function runsSince(client: Client, type: string, taskQueue: string, since: Date, n: number): Promise<{ workflowId: string; runId: string }[]> {
  const query = `WorkflowType = '${type}' AND TaskQueue = '${taskQueue}' AND StartTime >= '${since.toISOString()}'`;
  let runs: { workflowId: string; runId: string }[] = [];
  await waitUntil(
    `${n} ${type} runs listed`,
    async () => {
      runs = [];
      for await (const w of client.workflow.list({ query })) runs.push({ workflowId: w.workflowId, runId: w.runId });
      return runs.length >= n;
    },
    30_000,
    300,
  );
  return runs;
}

function productSide(label: string, p: Product, watcher: ReplyWatcher, seqUser: string, concUsers: string[]): Side {
  let since = new Date();
  let sent = 0;
  let before: { runId: string; length: number } | undefined;
  const userId = () => userWorkflowId(p.emu.user(seqUser).open_id);
  return {
    label,
    pids: { worker: p.worker.child.pid!, webhook: p.webhook.child.pid! },
    seqUser,
    concUsers,
    async send(user, text, deadline) {
      if (user === seqUser) sent++;
      return (await sendAndFollow(p, watcher, user, text, deadline)).replyMs;
    },
    async mark() {
      since = new Date();
      sent = 0;
      const d = await p.client.workflow.getHandle(userId()).describe();
      before = { runId: d.runId, length: d.historyLength };
    },
    async history() {
      const events = await runsSince(p.client, 'larkEventWorkflow', p.taskQueue, since, sent);
      let total = ZERO;
      for (const r of events) total = add(total, await historyOf(p.client, r.workflowId, r.runId));
      const d = await p.client.workflow.getHandle(userId()).describe();
      if (d.runId !== before!.runId) throw new Error(`${label}: the per-user run continued as new during the phase; lower --cost-one`);
      total = add(total, await historyOf(p.client, userId(), d.runId, before!.length));
      return { ...total, messages: sent };
    },
    async stop() {
      watcher.stop();
      await p.stop();
    },
  };
}

/** The floor: a worker of bench/floor/workflow.ts on its own task queue, fed by signal-with-start from here. */
async function floorSide(p: Product, watcher: ReplyWatcher, seqUser: string, concUsers: string[]): Promise<Side> {
  const taskQueue = `bench-floor-${Date.now()}`;
  const keys = p.env.PAYLOAD_ENCRYPTION_KEYS!;
  const worker: EntryProcess = startEntry(
    'bench/floor/worker.ts',
    {
      TEMPORAL_ADDRESS: p.env.TEMPORAL_ADDRESS!,
      FLOOR_TASK_QUEUE: taskQueue,
      LARK_BASE_URL: p.env.LARK_BASE_URL!,
      LARK_APP_ID: p.env.LARK_APP_ID!,
      LARK_APP_SECRET: p.env.LARK_APP_SECRET!,
      PAYLOAD_ENCRYPTION_KEYS: keys,
      MALLOC_ARENA_MAX: '2',
    },
    { tsx: true },
  );
  await waitUntil(
    'the floor worker',
    async () => {
      if (worker.child.exitCode !== null) throw new Error(`floor worker exited:\n${worker.tail()}`);
      return worker.tail().includes('floor worker ready');
    },
    120_000,
    200,
  );
  const client = new Client({
    connection: await Connection.connect({ address: p.env.TEMPORAL_ADDRESS! }),
    dataConverter: { payloadCodecs: payloadCodecs(parsePayloadKeys(keys).keys) },
  });
  let since = new Date();
  let sent = 0;
  return {
    label: 'floor',
    pids: { worker: worker.child.pid! },
    seqUser,
    concUsers,
    async send(user, text, deadline) {
      if (user === seqUser) sent++;
      const payload = p.emu.events.message({ from: user, text }) as { event: { message: { message_id: string } } };
      const messageId = payload.event.message.message_id;
      const sentAt = Date.now();
      await client.workflow.signalWithStart('floorWorkflow', { workflowId: `floor-${messageId}`, taskQueue, signal: 'message', signalArgs: [{ messageId }] });
      for (;;) {
        const r = watcher.replies(messageId)[0];
        if (r) return Number(r.create_time) - sentAt;
        if (Date.now() > deadline) return undefined;
        await sleep(10);
      }
    },
    async mark() {
      since = new Date();
      sent = 0;
    },
    async history() {
      let total = ZERO;
      for (const r of await runsSince(client, 'floorWorkflow', taskQueue, since, sent)) total = add(total, await historyOf(client, r.workflowId, r.runId));
      return { ...total, messages: sent };
    },
    async stop() {
      await worker.stop();
      await client.connection.close();
    },
  };
}

/** The baseline's tree: extracted from git once, built once (`npm run build`, as production runs it). */
function baselineTree(ref: string): string {
  const commit = execFileSync('git', ['rev-parse', `${ref}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = releaseTree({ name: 'bench', commit, date: '', note: '' }, log);
  if (!existsSync(path.join(dir, 'dist', 'workflow-bundle.js'))) {
    log(`building the baseline ${ref} (${commit.slice(0, 12)})`);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return dir;
}

const cpuOf = (pids: Record<string, number>) => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuMs(pid)]));

export async function runCostComparison(o: CostOptions): Promise<CostResult> {
  const users = (prefix: string) => benchUsers(prefix, 1 + o.users);
  const sides: Side[] = [];
  try {
    const shipped: Partial<ProductOptions> = { workerEnv: { MALLOC_ARENA_MAX: '2' }, webhookEnv: { MALLOC_ARENA_MAX: '2' }, ...o.product };
    const floorUsers = users('f');
    const currentUsers = users('p');
    log('(f) starting the current product and the floor');
    const p = await startProduct({ address: o.address, databaseUrl: o.databaseUrl, users: [...currentUsers, ...floorUsers], ...shipped });
    const watcher = new ReplyWatcher(p.emu);
    const current = productSide(
      'current',
      p,
      watcher,
      currentUsers[0]!.key,
      currentUsers.slice(1).map((u) => u.key),
    );
    sides.push(current);
    sides.unshift(
      await floorSide(
        p,
        watcher,
        floorUsers[0]!.key,
        floorUsers.slice(1).map((u) => u.key),
      ),
    );
    await p.authorize(currentUsers.map((u) => u.key));
    if (o.baseline) {
      const root = baselineTree(o.baseline);
      const baseUsers = users('q');
      log(`(f) starting the baseline ${o.baseline}`);
      const b = await startProduct({ address: o.address, databaseUrl: o.databaseUrl, users: baseUsers, ...shipped, root });
      const bw = new ReplyWatcher(b.emu);
      sides.splice(
        1,
        0,
        productSide(
          `baseline ${o.baseline}`,
          b,
          bw,
          baseUsers[0]!.key,
          baseUsers.slice(1).map((u) => u.key),
        ),
      );
      await b.authorize(baseUsers.map((u) => u.key));
    }
    // Warm-up: JIT, first runs, caches; not measured.
    for (const s of sides) {
      for (let i = 0; i < 5; i++) await s.send(s.seqUser, `warm ${i}`, Date.now() + 120_000);
      await Promise.all(s.concUsers.map((u) => s.send(u, 'warm', Date.now() + 120_000)));
    }
    const acc = sides.map((s) => ({
      side: s,
      one: { messages: 0, replied: 0, cpu: {} as Record<string, number> },
      conc: { messages: 0, replied: 0, cpu: {} as Record<string, number>, ms: 0 },
      history: ZERO,
      historyMessages: 0,
    }));
    const addCpu = (into: Record<string, number>, before: Record<string, number>, after: Record<string, number>) => {
      for (const k of Object.keys(after)) into[k] = (into[k] ?? 0) + after[k]! - before[k]!;
    };
    for (let r = 0; r < o.rounds; r++) {
      for (const a of acc) {
        const s = a.side;
        log(`(f) round ${r + 1}/${o.rounds}: ${s.label}, one user x ${o.one}`);
        await s.mark();
        await sleep(500);
        const pids = { ...s.pids, server: o.serverPid };
        let before = cpuOf(pids);
        for (let i = 0; i < o.one; i++) {
          a.one.messages++;
          if ((await s.send(s.seqUser, `cost ${r}.${i}`, Date.now() + 60_000)) !== undefined) a.one.replied++;
        }
        await sleep(500); // the run's last task after the reply (turn log, idle state)
        addCpu(a.one.cpu, before, cpuOf(pids));
        const h = await s.history();
        a.history = add(a.history, h);
        a.historyMessages += h.messages;

        log(`(f) round ${r + 1}/${o.rounds}: ${s.label}, ${o.users} users x ${o.perUser}`);
        before = cpuOf(pids);
        const t0 = Date.now();
        const replies = await Promise.all(
          s.concUsers.map(async (u) => {
            let ok = 0;
            for (let i = 0; i < o.perUser; i++) if ((await s.send(u, `cost ${r}.${i} from ${u}`, Date.now() + 120_000)) !== undefined) ok++;
            return ok;
          }),
        );
        a.conc.ms += Date.now() - t0;
        await sleep(500);
        addCpu(a.conc.cpu, before, cpuOf(pids));
        a.conc.messages += s.concUsers.length * o.perUser;
        a.conc.replied += replies.reduce((x, y) => x + y, 0);
      }
    }
    const per = (cpu: Record<string, number>, n: number) => Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round2(v / Math.max(1, n))]));
    return {
      rounds: o.rounds,
      modelDelayMs: o.product?.modelDelayMs ?? 0,
      sides: acc.map((a) => ({
        label: a.side.label,
        oneUser: { messages: a.one.messages, replied: a.one.replied, cpuMs: per(a.one.cpu, a.one.messages) },
        concurrent: {
          messages: a.conc.messages,
          replied: a.conc.replied,
          cpuMs: per(a.conc.cpu, a.conc.messages),
          perSecond: round2((a.conc.replied * 1000) / Math.max(1, a.conc.ms)),
        },
        history: {
          events: round2(a.history.events / a.historyMessages),
          tasks: round2(a.history.tasks / a.historyMessages),
          bytes: Math.round(a.history.bytes / a.historyMessages),
        },
      })),
    };
  } finally {
    for (const s of sides.reverse()) await s.stop().catch((err) => log(`cleanup: ${err instanceof Error ? err.message : err}`));
  }
}

/** The table: each side's figure, and each product side's ratio to the floor. */
export function costTable(r: CostResult): string[] {
  const floor = r.sides[0]!;
  const products = r.sides.slice(1);
  const x = (v: number, f: number) => (f > 0 ? `x${round2(v / f)}` : 'n/a');
  const rows: [string, (s: SideCost) => number, string][] = [
    ['server CPU ms/msg, one user', (s) => s.oneUser.cpuMs.server ?? NaN, '<= 2x floor'],
    ['worker CPU ms/msg, one user', (s) => s.oneUser.cpuMs.worker ?? NaN, '<= 2x floor'],
    ['webhook CPU ms/msg, one user', (s) => s.oneUser.cpuMs.webhook ?? NaN, ''],
    ['server CPU ms/msg, users at once', (s) => s.concurrent.cpuMs.server ?? NaN, '<= 2x floor'],
    ['worker CPU ms/msg, users at once', (s) => s.concurrent.cpuMs.worker ?? NaN, '<= 2x floor'],
    ['webhook CPU ms/msg, users at once', (s) => s.concurrent.cpuMs.webhook ?? NaN, ''],
    ['replies/s, users at once', (s) => s.concurrent.perSecond, '>= 35/s'],
    ['history events/msg', (s) => s.history.events, ''],
    ['workflow tasks/msg', (s) => s.history.tasks, ''],
    ['history bytes/msg', (s) => s.history.bytes, ''],
  ];
  const head = ['measure', ...r.sides.map((s) => s.label), ...products.map((s) => `${s.label} / floor`), 'target'];
  const body = rows.map(([name, get, target]) => {
    const f = get(floor);
    return [
      name,
      ...r.sides.map((s) => (Number.isNaN(get(s)) ? '-' : String(get(s)))),
      ...products.map((s) => (Number.isNaN(get(s)) || Number.isNaN(f) ? '-' : x(get(s), f))),
      target,
    ];
  });
  const all = [head, ...body];
  const w = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)];
}
