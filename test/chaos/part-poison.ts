/**
 * Part 6, "poison": failures no retry can fix, and a long database outage.
 * - ~10% of reply calls answer Lark 230011 (the message was recalled) and ~10% of calendar calls 191001
 *   (invalid calendar_id) or 190002 (invalid parameters): non-retryable, classified InvalidInput.
 * - A seeded fraction of model calls get Anthropic's 400 invalid_request_error (model-fault-proxy.ts).
 * - PostgreSQL (this part's own server, so nothing else sharing the run's server is hit) is stopped
 *   mid-run for pgDownMs while messages keep arriving, then started again on the same data and port.
 * Then every message is delivered once more, as Lark does when an acknowledgement is lost.
 *
 * Invariants: every message ends in exactly one outcome (one bot message replying to it, or posted in its
 * chat when the reply was refused; an apology is an outcome); no per-user workflow on the part's task queue
 * ends in any state but Running / ContinuedAsNew, nor hits a workflow-code failure; no message is worked on
 * twice (at most one first-step model request per message, at most one task / event per request).
 */
import { isSideCard } from '../../src/cards/side-card';
import type { Message } from '../../dev/emulator/state';
import { stableUuid } from '../../src/lark/uuid';
import { startPostgresServer } from '../support/postgres-server';
import { deliver, prepare, sleep, uniqueText, writesPerUser, type Conversation } from './conversations';
import { startHarness, type Harness } from './harness';
import { startModelFaultProxy, type ModelFaultProxy } from './model-fault-proxy';
import { prng, type PartResult } from './report';

export interface PoisonOptions {
  temporalAddress: string;
  conversations: number;
  /** How long PostgreSQL stays stopped. */
  pgDownMs: number;
  /** Time between two conversations' first deliveries. */
  spacingMs: number;
  random: () => number;
  /** Wait for outcomes this long after PostgreSQL is back. */
  timeoutMs: number;
}

const FAULT_RATE = 0.1;
const MODEL_400_RATE = 0.08;
/** How the workflow posts the outcome in the chat when the reply is refused (agent-loop.ts `deliver`). */
const OUTCOME_STEPS = ['answer', 'apology', 'stale', 'non-text'];
const APOLOGY = /^(Sorry, I could not finish|Xin lỗi, mình chưa làm xong)/;
/** Workflow task failure causes that mean a bug in workflow code (WORKER_UNHANDLED_FAILURE, NON_DETERMINISTIC_ERROR). */
const BUG_CAUSES = new Set([14, 24]);

interface Outcome {
  replies: Message[];
  inChat: Message[];
}

function textOf(m: Message): string {
  try {
    return String((JSON.parse(m.content) as { text?: unknown }).text ?? '');
  } catch {
    return '';
  }
}

/** Each conversation's outcomes, and bot messages in the part's chats that answer none of them. */
function outcomes(h: Harness, convs: Conversation[]): { by: Map<Conversation, Outcome>; stray: Message[] } {
  const chatOf = (c: Conversation) => (c.payload as { event: { message: { chat_id: string } } }).event.message.chat_id;
  const byId = new Map(convs.map((c) => [c.messageId, c]));
  const byUuid = new Map<string, Conversation>();
  for (const c of convs) for (const step of OUTCOME_STEPS) byUuid.set(stableUuid('send', c.messageId, `${step}-in-chat`, 'chat_id', chatOf(c)), c);
  const chats = new Set(convs.map(chatOf));
  const by = new Map<Conversation, Outcome>(convs.map((c) => [c, { replies: [], inChat: [] }]));
  const stray: Message[] = [];
  for (const m of h.emu.state.messageList()) {
    if (m.sender.sender_type !== 'app' || !chats.has(m.chat_id)) continue;
    // A status card ("checking your calendar…") and an Undo card accompany an outcome; they are not one.
    if (isSideCard(m)) continue;
    const replied = m.parent_id ? byId.get(m.parent_id) : undefined;
    const posted = m.uuid ? byUuid.get(m.uuid) : undefined;
    if (replied) by.get(replied)!.replies.push(m);
    else if (posted) by.get(posted)!.inChat.push(m);
    else stray.push(m);
  }
  return { by, stray };
}

const count = (by: Map<Conversation, Outcome>, c: Conversation) => by.get(c)!.replies.length + by.get(c)!.inChat.length;

export async function poisonPart(o: PoisonOptions): Promise<PartResult> {
  const t0 = Date.now();
  // Its own server: stopping it must not hit other parts or tests using the run's PostgreSQL.
  const pg = await startPostgresServer();
  let proxy: ModelFaultProxy | undefined;
  let h: Harness | undefined;
  try {
    const proxyRandom = prng(Math.floor(o.random() * 2 ** 32));
    h = await startHarness({
      temporalAddress: o.temporalAddress,
      users: Math.max(3, Math.ceil(o.conversations / 3)),
      databaseAdminUrl: pg.url,
      random: () => o.random(),
      wrapModel: async (url) =>
        (proxy = await startModelFaultProxy(url, { rate: MODEL_400_RATE, random: proxyRandom, forceAt: [1 + Math.floor(proxyRandom() * 6)] })),
    });
    const harness = h;
    const reply = { method: 'POST', path: /\/im\/v1\/messages\/[^/]+\/reply$/ };
    const calendar = { path: '/calendar/v4/*' };
    const early = (n: number) => Math.floor(o.random() * n);
    const faults = [
      h.emu.faults.add({ kind: 'larkCode', code: 230011, status: 400, msg: 'The message was recalled.', probability: FAULT_RATE, match: reply }),
      // Two calendar codes share the 10%: the second fires on 0.05 / 0.95 of what the first let through.
      h.emu.faults.add({ kind: 'larkCode', code: 191001, status: 400, msg: 'invalid calendar_id', probability: FAULT_RATE / 2, match: calendar }),
      h.emu.faults.add({
        kind: 'larkCode',
        code: 190002,
        status: 400,
        msg: 'invalid parameters in request',
        probability: FAULT_RATE / 2 / (1 - FAULT_RATE / 2),
        match: calendar,
      }),
      // Plus one of each at a seeded early call, so even the short run exercises every kind.
      h.emu.faults.add({ kind: 'larkCode', code: 230011, status: 400, msg: 'The message was recalled.', times: 1, skip: early(4), match: reply }),
      h.emu.faults.add({ kind: 'larkCode', code: 191001, status: 400, msg: 'invalid calendar_id', times: 1, skip: early(4), match: calendar }),
    ];
    const convs: Conversation[] = Array.from({ length: o.conversations }, (_, i) => prepare(harness, i, undefined, undefined, true));

    // Sends spread out; PostgreSQL stops once a third has gone out, so messages arrive before, during and after.
    const sending = (async () => {
      for (const c of convs) {
        deliver(harness, c);
        await sleep(o.spacingMs);
      }
    })();
    await sleep(Math.round((o.conversations / 3) * o.spacingMs));
    const haltedAt = Date.now();
    await pg.halt();
    await sleep(o.pgDownMs);
    await pg.start();
    const pgDownMs = Date.now() - haltedAt;
    const backAt = Date.now();
    await sending;

    // Every message's outcome, within the timeout after the database is back.
    let unanswered = convs.length;
    while (Date.now() - backAt < o.timeoutMs) {
      const { by } = outcomes(h, convs);
      unanswered = convs.filter((c) => count(by, c) === 0).length;
      if (unanswered === 0) break;
      await sleep(250);
    }
    const allDoneAfterBackS = (Date.now() - backAt) / 1000;
    // Lark delivers again when an acknowledgement is lost: an answered message must not be worked on twice.
    const modelBefore = proxy!.requests;
    for (const c of convs) deliver(h, c);
    await sleep(4000);
    const modelAfterRedelivery = proxy!.requests - modelBefore;
    for (const f of faults) f.remove();

    const failures: string[] = [];
    const { by, stray } = outcomes(h, convs);
    let answers = 0;
    let apologies = 0;
    let inChat = 0;
    for (const c of convs) {
      const out = by.get(c)!;
      const n = count(by, c);
      if (n !== 1) failures.push(`message #${c.n} (${c.kind}, ${c.user}) got ${n} outcomes (${out.replies.length} replies, ${out.inChat.length} in the chat)`);
      inChat += out.inChat.length;
      for (const m of [...out.replies, ...out.inChat]) APOLOGY.test(textOf(m)) ? apologies++ : answers++;
    }
    for (const m of stray) failures.push(`a bot message answering no message of the part: ${m.msg_type} "${textOf(m).slice(0, 80)}"`);
    if (modelAfterRedelivery) failures.push(`${modelAfterRedelivery} model requests after redelivering answered messages`);

    // Worked on twice: a second first-step model request for the same message text.
    const firstSteps = convs.map((c) => proxy!.firstSteps.get(uniqueText(c.kind, c.n)) ?? 0);
    firstSteps.forEach((k, i) => {
      if (k > 1) failures.push(`message #${i} was worked on ${k} times (first-step model requests)`);
    });
    // At most one task / event per request that asked for one (faults may leave fewer, never more).
    const created = { tasks: 0, events: 0, taskRequests: 0, eventRequests: 0 };
    for (const { user, wantTasks, wantEvents, gotTasks, gotEvents } of writesPerUser(h, convs)) {
      Object.assign(created, {
        tasks: created.tasks + gotTasks,
        events: created.events + gotEvents,
        taskRequests: created.taskRequests + wantTasks,
        eventRequests: created.eventRequests + wantEvents,
      });
      if (gotTasks > wantTasks) failures.push(`${user}: ${gotTasks} tasks for ${wantTasks} task requests`);
      if (gotEvents > wantEvents) failures.push(`${user}: ${gotEvents} calendar events for ${wantEvents} meeting requests`);
    }

    // The per-user workflows: none may end (Failed, Terminated, Completed...) or fail a workflow task on a bug.
    const statuses = new Map<string, number>();
    let bugTasks = 0;
    for await (const wf of h.client.workflow.list({ query: `TaskQueue = '${h.taskQueue}'` })) {
      if (!wf.workflowId.startsWith('lark-user-')) continue;
      const status = wf.status.name;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status !== 'RUNNING' && status !== 'CONTINUED_AS_NEW') failures.push(`${wf.workflowId} (run ${wf.runId}) is ${status}`);
      const history = await h.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      for (const e of history.events ?? []) {
        const cause = e.workflowTaskFailedEventAttributes?.cause;
        if (cause !== undefined && cause !== null && BUG_CAUSES.has(Number(cause))) {
          bugTasks++;
          failures.push(
            `${wf.workflowId}: workflow task failed (cause ${cause}): ${e.workflowTaskFailedEventAttributes?.failure?.message ?? ''}`.slice(0, 300),
          );
        }
      }
    }
    const users = new Set(convs.map((c) => c.user)).size;
    if ((statuses.get('RUNNING') ?? 0) < users) failures.push(`${statuses.get('RUNNING') ?? 0} per-user workflows running for ${users} users`);
    if (h.worker.unexpectedExits) failures.push(`the worker exited on its own: ${h.worker.stderrTail()}`);
    // From the call log: when both calendar faults fire on one call, only the first answers it.
    const fired = [230011, 191001, 190002].map((code) => harness.emu.calls.count((c) => c.faults.length > 0 && c.code === code));
    if (!fired[0] || !(fired[1]! + fired[2]!) || !proxy!.rejected)
      failures.push(
        `a fault kind never fired (230011 ${fired[0]}, calendar ${fired[1]! + fired[2]!}, model 400 ${proxy!.rejected}): the part proved nothing about it`,
      );

    return {
      name: `poison: non-retryable faults, model 400s, PostgreSQL down ${Math.round(o.pgDownMs / 1000)} s (${o.conversations} conversations)`,
      ok: failures.length === 0,
      seconds: (Date.now() - t0) / 1000,
      figures: [
        ['messages', convs.length],
        ['outcomes: answers / apologies (posted in the chat: reply refused)', `${answers} / ${apologies} (${inChat})`],
        [
          'outcomes per message 0 / 1 / 2+',
          `${convs.filter((c) => count(by, c) === 0).length} / ${convs.filter((c) => count(by, c) === 1).length} / ${convs.filter((c) => count(by, c) > 1).length}`,
        ],
        [
          'faults fired: reply 230011 / calendar 191001 / calendar 190002 / model 400',
          `${fired[0]} / ${fired[1]} / ${fired[2]} / ${proxy!.rejected} (of ${proxy!.requests} model requests)`,
        ],
        [
          'PostgreSQL down (s); all outcomes after it was back (s)',
          `${(pgDownMs / 1000).toFixed(1)}; ${unanswered ? `not within ${o.timeoutMs / 1000}` : allDoneAfterBackS.toFixed(1)}`,
        ],
        ['redelivered after the outcomes: new model requests', `${convs.length}: ${modelAfterRedelivery}`],
        ['first-step model requests per message: max', Math.max(0, ...firstSteps)],
        ['tasks created / requested; events created / requested', `${created.tasks} / ${created.taskRequests}; ${created.events} / ${created.eventRequests}`],
        [
          'per-user workflows by status; workflow-code task failures',
          `${[...statuses].map(([s, n]) => `${s.toLowerCase()} ${n}`).join(', ') || 'none'}; ${bugTasks}`,
        ],
      ],
      failures,
    };
  } finally {
    await pg.start().catch(() => undefined); // the harness drops its database on it
    await h?.stop().catch(() => undefined);
    await pg.stop();
  }
}
