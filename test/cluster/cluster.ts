/**
 * The production-shaped run: the official Temporal server (scripts/ensure-temporal-server.sh) on a real PostgreSQL,
 * configured by deploy/temporal/config/server.yaml; two worker processes (test/chaos/worker-process.ts: the real
 * worker with a prebuilt bundle) and two webhook processes (src/webhook/server.ts) behind a balancer that sends
 * events to them alternately and each redelivery to the other replica; the Lark emulator and the offline model.
 * The server starts empty: the webhooks and workers register the namespace and search attributes themselves.
 *
 * While conversations arrive at a steady rate, in order: kill -9 one worker (the other carries on; restarted
 * later), kill -9 one webhook replica and restart it, kill -9 the Temporal server and restart it, restart
 * PostgreSQL (immediate stop, as a crash). Then every message must have exactly one answer and every requested
 * task or calendar event must exist exactly once.
 */
import { isSideCard } from '../../src/cards/side-card';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { eventWorkflowId, userWorkflowId } from '../../workflows/contract';
import { loadConfig } from '../../src/config';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { startLarkEmulator } from '../../dev/emulator';
import { startOfflineModel } from '../../dev/llm/offline-model';
import { createLogger } from '../../src/logger';
import { buildLarkServices } from '../../src/services';
import { freePort } from '../../src/temporal/dev-server';
import { deliver, prepare, sleep, verify, type Conversation } from '../chaos/conversations';
import { seedUsers } from '../chaos/harness';
import { verificationFigures, type PartResult } from '../chaos/report';
import { WorkerProcess } from '../chaos/worker-control';
import { appEnv, newTestSecrets } from '../support/app-env';
import { workflowBundle } from '../support/env';
import { startPostgresServer } from '../support/postgres-server';
import { createTemporalServer, postgresTarget } from '../support/temporal-server';
import { startBalancer } from './balancer';
import { WebhookProcess } from './webhook-process';

export interface ClusterOptions {
  /** Folder with temporal-server and temporal-sql-tool. */
  binDir: string;
  conversations: number;
  users: number;
  /** Seconds over which the conversations are sent; the faults happen inside this window. */
  sendSeconds: number;
  /** Fault moments (s after the first send) and outage lengths. */
  /** killWorker unset: no worker kill (the suite's short form; see CLUSTER_SIZES). */
  at: { killWorker?: number; killWebhook: number; killTemporal: number; restartPostgres: number };
  workerDownSeconds: number;
  /** Conversations sent together just before the worker kill, so work is in flight on it when it dies. */
  burstAtWorkerKill: number;
  webhookDownSeconds: number;
  temporalDownSeconds: number;
  /** Longest wait for the last answers after the last send. */
  timeoutMs: number;
  print?: (line: string) => void;
}

export const CLUSTER_SIZES = {
  full: {
    conversations: 60,
    users: 15,
    sendSeconds: 40,
    at: { killWorker: 4, killWebhook: 12, killTemporal: 20, restartPostgres: 32 },
    workerDownSeconds: 15,
    burstAtWorkerKill: 12,
    webhookDownSeconds: 3,
    temporalDownSeconds: 5,
    timeoutMs: 240_000,
  },
  /**
   * The test suite's form (test/cluster-short.test.ts), about 30 s: everything but the worker kill. Work in flight
   * on a kill -9'd worker waits for its activity timeouts (30 s and more, workflows/), which would double the
   * time; worker kills are covered by the full run here and by the chaos suite's short form on the dev server.
   */
  short: {
    conversations: 20,
    users: 10,
    sendSeconds: 12,
    at: { killWebhook: 3, killTemporal: 6, restartPostgres: 9.5 },
    workerDownSeconds: 0,
    burstAtWorkerKill: 0,
    webhookDownSeconds: 1,
    temporalDownSeconds: 2,
    timeoutMs: 150_000,
  },
} satisfies Record<string, Omit<ClusterOptions, 'binDir' | 'print'>>;

const secs = (ms: number | undefined) => (ms === undefined ? 'n/a' : (ms / 1000).toFixed(1));

export async function runCluster(o: ClusterOptions): Promise<PartResult> {
  const print = o.print ?? ((l: string) => console.log(l));
  const t0 = Date.now();
  const cleanups: Array<() => Promise<unknown>> = [];
  const failures: string[] = [];
  const figures: Array<[string, string | number]> = [];
  const step = (s: string) => print(`cluster: ${s}`);
  try {
    // Durable commits: the test crashes PostgreSQL (immediate stop) under Temporal, which must not lose what was
    // acknowledged. With synchronous_commit=off, 2 of about 8 short runs left a workflow with a scheduled workflow
    // task that was never dispatched (lost acknowledged commits), as any database client would suffer.
    const pgServer = await startPostgresServer({ durableCommits: true });
    cleanups.push(() => pgServer.stop());
    const tServer = await createTemporalServer({ binDir: o.binDir, pg: postgresTarget(pgServer.url), numHistoryShards: 4 });
    cleanups.push(() => tServer.stop());
    const serverStartMs = await tServer.start();
    step(`Temporal server ${tServer.address} on PostgreSQL (schema set up, started in ${secs(serverStartMs)} s)`);

    // The app's database on the same PostgreSQL server, as in docker-compose.yml.
    const admin = new pg.Client({ connectionString: pgServer.url });
    await admin.connect();
    await admin.query('create database lark_agent');
    await admin.end();
    const dbUrl = new URL(pgServer.url);
    dbUrl.pathname = '/lark_agent';
    const pool = createPool(dbUrl.toString(), 4);
    cleanups.push(() => pool.end());
    await runMigrations(pool);

    const model = await startOfflineModel();
    cleanups.push(() => model.close());
    const secrets = newTestSecrets();
    const ports = [await freePort(), await freePort()];
    const hookUrls = ports.map((p) => `http://127.0.0.1:${p}`);
    const balancer = await startBalancer(hookUrls, secrets.encryptKey);
    cleanups.push(() => balancer.close());
    const seeds = seedUsers(o.users);
    const emu = await startLarkEmulator({
      appId: `cli_cluster${Date.now().toString(36)}`,
      users: seeds,
      webhook: { url: `${balancer.url}/webhook/event`, encryptKey: secrets.encryptKey, verificationToken: 'vt-cluster' },
      // Lark's 15 s / 5 min / 1 h / 6 h become 45 ms / 0.9 s / 11 s / 65 s.
      delivery: { timeScale: 0.003 },
    });
    cleanups.push(() => emu.stop());

    const baseEnv = (port: number): Record<string, string> => ({
      ...appEnv({ emu, modelUrl: model.url, port, secrets, taskQueue: 'lark-agent', verificationToken: 'vt-cluster' }),
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: tServer.address,
      TEMPORAL_NAMESPACE: 'default',
      DATABASE_URL: dbUrl.toString(),
      // The in-process workers run without payload keys: the webhook replicas must match them.
      PAYLOAD_ALLOW_UNENCRYPTED: 'true',
    });
    const config = loadConfig(baseEnv(ports[0]!));
    const services = buildLarkServices(config, pool, createLogger('silent', 'cluster'))!;
    for (const s of seeds) {
      const u = emu.user(s.key);
      const t = emu.issueUserToken(u.open_id, config.oauth.scopes.join(' '));
      await services.tokens.save(
        u.open_id,
        { accessToken: t.accessToken, refreshToken: t.refreshToken!, expiresAt: Date.now() + 7_000_000, scopes: config.oauth.scopes },
        { name: u.name },
      );
    }

    // Processes: both webhooks and both workers start at once against the empty server and race to register.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lark-cluster-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const bundleFile = path.join(dir, 'workflows.js');
    writeFileSync(bundleFile, (await workflowBundle()).code);
    const hooks = ports.map((p, i) => new WebhookProcess(hookUrls[i]!, baseEnv(p)));
    const workers = [0, 1].map(() => new WorkerProcess({ ...baseEnv(ports[0]!), CHAOS_WORKFLOW_BUNDLE: bundleFile }));
    cleanups.push(() => Promise.all([...hooks.map((h) => h.stop()), ...workers.map((w) => w.stop())]));
    const tProc = Date.now();
    await Promise.all([...hooks.map((h) => h.start()), ...workers.map((w) => w.start())]);
    step(`2 webhooks and 2 workers up in ${secs(Date.now() - tProc)} s (namespace "default" and 4 search attributes registered by them)`);
    for (const h of hooks) {
      const health = (await (await fetch(`${h.url}/webhook/health`)).json()) as { checks: Record<string, string> };
      if (health.checks.search_attributes !== 'ok') failures.push(`webhook health right after start: search_attributes ${health.checks.search_attributes}`);
    }

    // Reply times: the emulator stores each reply with its create_time (this process's clock).
    const firstReplyAt = new Map<string, number>();
    const allReplyTimes: number[] = [];
    // Each message as the emulator stores it (it forgets a chat's oldest past its retention: no rescans by index).
    const stopWatching = emu.state.onMessage((m) => {
      if (m.sender.sender_type !== 'app' || !m.parent_id) return;
      if (isSideCard(m)) return; // not answers
      const at = Number(m.create_time);
      allReplyTimes.push(at);
      if (!firstReplyAt.has(m.parent_id)) firstReplyAt.set(m.parent_id, at);
    });
    cleanups.push(async () => stopWatching());
    const nextReplyAfter = (t: number) => {
      const later = allReplyTimes.filter((x) => x > t);
      return later.length ? Math.min(...later) - t : undefined;
    };

    const h = { emu, users: seeds.map((s) => s.key) };
    const convs: Conversation[] = Array.from({ length: o.conversations + o.burstAtWorkerKill }, (_, i) => prepare(h, i));
    const steady = convs.slice(0, o.conversations);
    const burst = convs.slice(o.conversations);
    const sendStart = Date.now();
    const sending = (async () => {
      for (const [i, c] of steady.entries()) {
        const due = sendStart + (i * o.sendSeconds * 1000) / o.conversations;
        if (due > Date.now()) await sleep(due - Date.now());
        deliver(h, c);
      }
    })();
    const until = async (s: number) => {
      const due = sendStart + s * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    };
    const unanswered = () => convs.filter((c) => c.deliveries.length && !firstReplyAt.has(c.messageId));

    // 1. kill -9 one worker; the other carries on alone, then the first comes back.
    let inFlightAtWorkerKill: Conversation[] = [];
    let workerKilledAt: number | undefined;
    let workerBack: Promise<void> = Promise.resolve();
    if (o.at.killWorker !== undefined) {
      await until(o.at.killWorker - 0.4);
      for (const c of burst) deliver(h, c);
      await until(o.at.killWorker);
      inFlightAtWorkerKill = unanswered();
      workerKilledAt = Date.now();
      await workers[0]!.kill9();
      step(`kill -9 worker 1 (${inFlightAtWorkerKill.length} conversations unanswered)`);
      workerBack = (async () => {
        await sleep(o.workerDownSeconds * 1000);
        await workers[0]!.start();
        step(`worker 1 restarted (READY in ${secs(workers[0]!.lastStartMs)} s)`);
      })();
    }

    // 2. kill -9 one webhook replica under load; restart it.
    await until(o.at.killWebhook);
    const failedBefore = balancer.stats.upstreamFailures[0]!;
    await hooks[0]!.kill9();
    const webhookKilledAt = Date.now();
    step('kill -9 webhook 1');
    await sleep(o.webhookDownSeconds * 1000);
    await hooks[0]!.start();
    const webhookDownMs = Date.now() - webhookKilledAt;
    step(`webhook 1 restarted (answering in ${secs(hooks[0]!.lastStartMs)} s)`);
    const refusedByDeadReplica = balancer.stats.upstreamFailures[0]! - failedBefore;

    // 3. kill -9 the Temporal server; start it again on the same database.
    await until(o.at.killTemporal);
    const inFlightAtTemporalKill = unanswered();
    await tServer.kill9();
    const temporalKilledAt = Date.now();
    step(`kill -9 the Temporal server (${inFlightAtTemporalKill.length} conversations unanswered)`);
    await sleep(o.temporalDownSeconds * 1000);
    const temporalStartMs = await tServer.start();
    const temporalBackAt = Date.now();
    step(`Temporal server restarted (serving ${secs(temporalStartMs)} s after start, ${secs(temporalBackAt - temporalKilledAt)} s after the kill)`);

    // 4. PostgreSQL: immediate stop (a crash, no checkpoint) and start.
    await until(o.at.restartPostgres);
    const pgDownMs = await pgServer.restart();
    const pgBackAt = Date.now();
    step(`PostgreSQL restarted (down ${secs(pgDownMs)} s)`);

    await sending;
    await workerBack;
    const lastSend = Date.now();
    step(`all ${convs.length} conversations sent; waiting for the answers`);
    const deadline = Date.now() + o.timeoutMs;
    while (Date.now() < deadline) {
      if (convs.every((c) => firstReplyAt.has(c.messageId))) break;
      await sleep(200);
    }
    const allAnsweredMs = Date.now() - lastSend;
    // Late duplicates would show up now: redeliveries still pending, retried activities.
    await Promise.race([Promise.all(convs.flatMap((c) => c.deliveries.map((d) => d.done))), sleep(15_000)]);
    await sleep(2000);

    // Invariants.
    const v = verify(h, convs);
    failures.push(...v.failures);
    // What an unanswered conversation's workflows are waiting for: the first thing to read when this fails.
    const stuck = convs.filter((c) => !firstReplyAt.has(c.messageId));
    if (stuck.length) {
      const conn = await Connection.connect({ address: tServer.address });
      const client = new Client({ connection: conn, namespace: 'default' });
      for (const c of stuck.slice(0, 5)) failures.push(await diagnose(client, c, emu.user(c.user).open_id));
      await conn.close();
      for (const [i, w] of workers.entries())
        if (w.stderrTail()) failures.push(`worker ${i + 1} stderr (last lines): ${w.stderrTail().slice(-1500).replace(/\n/g, ' | ')}`);
      const errs = tServer.errors();
      failures.push(`Temporal server: ${errs.length} error lines; distinct, last 15: ${[...new Set(errs.map((e) => e.slice(13)))].slice(-15).join(' || ')}`);
    }
    const unacked = convs.filter((c) => !c.deliveries.some((d) => d.attempts.some((a) => a.ok))).length;
    if (unacked) failures.push(`${unacked} events never acknowledged by a webhook replica`);
    const attempts = convs.flatMap((c) => c.deliveries.flatMap((d) => d.attempts));
    const byStatus = new Map<string, number>();
    for (const a of attempts) byStatus.set(String(a.status ?? a.error), (byStatus.get(String(a.status ?? a.error)) ?? 0) + 1);
    if (byStatus.get('500')) failures.push(`${byStatus.get('500')} deliveries answered 500 (temporal_misconfigured or a crash)`);
    for (const [i, w] of workers.entries()) if (w.unexpectedExits) failures.push(`worker ${i + 1} exited on its own: ${w.stderrTail()}`);
    for (const [i, hk] of hooks.entries()) {
      if (hk.unexpectedExits) failures.push(`webhook ${i + 1} exited on its own: ${hk.tail()}`);
      if (hk.errorLines.length) failures.push(`webhook ${i + 1} logged ${hk.errorLines.length} error(s): ${hk.errorLines[0]}`);
    }
    const inFlightDone = (list: Conversation[], from: number) => {
      const times = list.map((c) => firstReplyAt.get(c.messageId));
      return times.every((t) => t !== undefined) ? Math.max(from, ...(times as number[])) - from : undefined;
    };
    if (workerKilledAt !== undefined) {
      const workerNext = nextReplyAfter(workerKilledAt);
      if (workerNext === undefined || workerNext > 10_000)
        failures.push(`no answer within 10 s of killing worker 1 (next answer: ${secs(workerNext)} s): the other worker did not carry on`);
      if (!inFlightAtWorkerKill.length) failures.push('nothing was in flight when worker 1 was killed: the fault was not exercised');
    }
    if (!refusedByDeadReplica && !byStatus.get('network')) failures.push('no delivery reached the killed webhook replica: the fault was not exercised');
    const latencies = convs
      .map((c) => {
        const sent = c.deliveries[0]?.attempts[0]?.at;
        const r = firstReplyAt.get(c.messageId);
        return sent !== undefined && r !== undefined ? r - sent : undefined;
      })
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];

    figures.push(
      ['setup', `Temporal ${tServer.address} (official server v${await serverVersion(o.binDir)}, 4 history shards) on PostgreSQL; 2 workers, 2 webhooks`],
      ['deliveries routed to webhook 1 / 2 (redeliveries sent to the other replica)', `${balancer.stats.routed.join(' / ')} (${balancer.stats.redeliveries})`],
      ['webhook answers by status', [...byStatus].map(([k, n]) => `${k}: ${n}`).join(', ')],
      ...(workerKilledAt !== undefined
        ? ([
            [
              'kill -9 worker 1: unanswered at kill / next answer after kill / those answered (s)',
              `${inFlightAtWorkerKill.length} / ${secs(nextReplyAfter(workerKilledAt))} s / ${secs(inFlightDone(inFlightAtWorkerKill, workerKilledAt))} s`,
            ],
          ] as Array<[string, string]>)
        : []),
      [
        'kill -9 webhook 1: down / deliveries it missed (502) / next answer (s)',
        `${secs(webhookDownMs)} s / ${refusedByDeadReplica} / ${secs(nextReplyAfter(webhookKilledAt))} s`,
      ],
      [
        'kill -9 Temporal: down (kill to serving) / unanswered at kill / next answer after restart / those answered (s)',
        `${secs(temporalBackAt - temporalKilledAt)} s / ${inFlightAtTemporalKill.length} / ${secs(nextReplyAfter(temporalBackAt))} s / ${secs(inFlightDone(inFlightAtTemporalKill, temporalKilledAt))} s`,
      ],
      ['PostgreSQL restart: down / next answer after it (s)', `${secs(pgDownMs)} s / ${secs(nextReplyAfter(pgBackAt))} s`],
      ['event -> answer p50 / p90 / max (s)', `${secs(pct(50))} / ${secs(pct(90))} / ${secs(latencies.at(-1))}`],
      ['all answered after the last send (s)', secs(allAnsweredMs)],
      ...verificationFigures(v),
      ['messages answered twice or more (duplicates)', v.replies.more],
    );
  } catch (err) {
    failures.push(`crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
  return {
    name: `cluster: official Temporal server on PostgreSQL, 2 workers, 2 webhooks (${o.conversations + o.burstAtWorkerKill} conversations)`,
    ok: failures.length === 0,
    seconds: (Date.now() - t0) / 1000,
    figures,
    failures,
  };
}

/** One line per workflow of an unanswered conversation: status, pending activities, the last history events. */
async function diagnose(client: Client, c: Conversation, openId: string): Promise<string> {
  const eventId = (c.payload as { header: { event_id: string } }).header.event_id;
  const parts: string[] = [`#${c.n} ${c.kind} ${c.user}:`];
  for (const id of [eventWorkflowId(eventId), userWorkflowId(openId)]) {
    try {
      const h = client.workflow.getHandle(id);
      const d = await h.describe();
      const pending = (d.raw.pendingActivities ?? []).map(
        (a) => `${a.activityType?.name} attempt ${a.attempt} state ${a.state}${a.lastFailure?.message ? ` (${a.lastFailure.message.slice(0, 120)})` : ''}`,
      );
      const history = await h.fetchHistory();
      const last = (history.events ?? [])
        .slice(-6)
        .map((e) => String(temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? e.eventType).replace('EVENT_TYPE_', ''));
      parts.push(
        `${id.slice(0, 24)}… ${d.status.name}, ${d.historyLength} events, pending [${pending.join('; ')}]${d.raw.pendingWorkflowTask ? ` workflow task ${d.raw.pendingWorkflowTask.state}` : ''}, last ${last.join(' ')}`,
      );
    } catch (err) {
      parts.push(`${id.slice(0, 24)}… ${(err as Error).message.slice(0, 100)}`);
    }
  }
  return parts.join(' | ');
}

async function serverVersion(binDir: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(path.join(binDir, 'version'), 'utf8').catch(() => '?')).trim();
}
