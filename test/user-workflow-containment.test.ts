/**
 * Workflow logic under failure, fast: the REAL per-user workflow on the real dev server, with stub activities
 * that fail on cue. For every activity the workflow calls, inject (a) a non-retryable failure, (b) a retryable
 * failure on every attempt until the policy gives up, (c) an attempt that hangs past its heartbeat timeout.
 * After each: the run is still Running, the next queued request is answered, the dedup window and the chat
 * memory are intact, and the failed request got exactly one outcome (at most one apology).
 * Every case is its own user, so they all run at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { UserMessage } from '../src/lark/event-types';
import { messages, type ToolEffect } from '../src/i18n/messages';
import { userWorkflowId, confirmationUpdate, newMessageSignal, userStateQuery, type UserWorkflowState } from '../workflows/contract';
import type { larkUserWorkflow } from '../workflows/user-workflow';
import type { UserSettings } from '../src/config';
import { temporalTestEnv, uniqueId, userSettings, workflowBundle } from './support/env';
import { waitUntil } from './support/wait';

type Mode = 'non_retryable' | 'retryable' | 'hang';
interface Cue {
  activity: string;
  mode: Mode;
  /** Executions left to fail (retryable: the policy's maximumAttempts, so the policy gives up). */
  left: number;
  /** Armed the moment this one is used up (a step that only runs after another failed: no race with the test). */
  next?: Cue;
}

/** maximumAttempts of each activity's policy (workflows/activity-proxies.ts). */
const MAX_ATTEMPTS: Record<string, number> = {
  prepareRequest: 36,
  checkAuthorization: 36,
  sendLoginCard: 36,
  callModel: 8,
  runTool: 16,
  inspectEvent: 16,
  replyToMessage: 25,
  sendMessage: 25,
  updateCard: 5,
  logTurn: 6,
};

const cues = new Map<string, Cue>();
interface Sent {
  kind: 'reply' | 'send' | 'card' | 'login';
  to: string;
  text: string;
}
const sent = new Map<string, Sent[]>();
const modelCalls = new Map<string, unknown[]>();
const unauthorized = new Set<string>();

const ownerOf = () => Context.current().info.workflowExecution?.workflowId ?? '';
/** Lark drops a repeated send with the same uuid (the activities derive it from message and step): so does the stub. */
const uuids = new Set<string>();
const record = (s: Sent, uuid?: string) => {
  if (uuid && uuids.has(uuid)) return;
  if (uuid) uuids.add(uuid);
  const w = ownerOf();
  sent.set(w, [...(sent.get(w) ?? []), s]);
};

async function maybeFail(activity: string): Promise<void> {
  const w = ownerOf();
  const cue = cues.get(w);
  if (!cue || cue.activity !== activity || cue.left <= 0) return;
  cue.left--;
  if (cue.left === 0 && cue.next) cues.set(w, cue.next);
  if (cue.mode === 'hang') {
    // No heartbeats (this worker has no heartbeat interceptor): the server times the attempt out and retries.
    await new Promise((r) => setTimeout(r, 8000));
    return;
  }
  const type =
    activity === 'callModel'
      ? cue.mode === 'retryable'
        ? 'AnthropicOverloaded'
        : 'AnthropicBadRequest'
      : cue.mode === 'retryable'
        ? 'LarkUnavailable'
        : 'LarkInvalidInput';
  throw ApplicationFailure.create({
    type,
    message: `injected ${cue.mode} failure of ${activity}`,
    nonRetryable: cue.mode === 'non_retryable',
    details: [{ code: cue.mode === 'non_retryable' ? 230011 : undefined }],
    // Retries come at once, so "until the policy gives up" takes seconds.
    ...(cue.mode === 'retryable' ? { nextRetryDelay: '10 ms' } : {}),
  });
}

const lastUserText = (messages: Array<{ role: string; content: unknown }>) => {
  const users = messages.filter((m) => m.role === 'user' && typeof m.content === 'string');
  return String(users.at(-1)?.content ?? '');
};

const activities = {
  async prepareRequest(msg: UserMessage) {
    await maybeFail('prepareRequest');
    return { action: 'run' as const, text: msg.text ?? '' };
  },
  async checkAuthorization(openId: string, record?: { holdTask: boolean }) {
    await maybeFail('checkAuthorization');
    const recorded = record ? { recorded: record } : {}; // the workflow's decision, returned as given (activities/auth.ts)
    return unauthorized.has(openId)
      ? { authorized: false, reason: 'missing', missingScopes: [], ...recorded }
      : { authorized: true, missingScopes: [], ...recorded };
  },
  async sendLoginCard(input: { openId: string }) {
    await maybeFail('sendLoginCard');
    record({ kind: 'login', to: input.openId, text: 'login card' });
    return { messageId: uniqueId('om_login') };
  },
  async callModel(input: { messages: Array<{ role: string; content: unknown }> }) {
    await maybeFail('callModel');
    const w = ownerOf();
    modelCalls.set(w, [...(modelCalls.get(w) ?? []), input.messages]);
    const last = input.messages.at(-1)!;
    // A malformed result: the workflow code's own TypeError, not an activity failure.
    if (typeof last.content === 'string' && last.content.startsWith('malformed')) return { content: null, stopReason: 'end_turn', usage: null, model: 'stub' };
    const usage = { input_tokens: 1, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
    if (last.role === 'user' && typeof last.content === 'string') {
      const text = last.content;
      const tool = text.startsWith('update')
        ? { name: 'update_event', input: { event_id: 'ev_1', start: '2026-12-03T16:00' } }
        : text.startsWith('invite')
          ? { name: 'create_event', input: { summary: 'Sync', start: '2026-12-03T15:00', attendees: ['Lan'] } }
          : { name: 'create_task', input: { summary: text } };
      return { content: [{ type: 'tool_use', id: `tu_${text.replace(/\W/g, '')}`, ...tool }], stopReason: 'tool_use', usage, model: 'stub' };
    }
    return { content: [{ type: 'text', text: `Created it for "${lastUserText(input.messages)}".` }], stopReason: 'end_turn', usage, model: 'stub' };
  },
  async runTool(input: { name: string; input: { summary?: string } }) {
    await maybeFail('runTool');
    const effect: ToolEffect =
      input.name === 'create_task'
        ? { action: 'created', kind: 'task', id: 'task_1', title: input.input.summary }
        : { action: 'updated', kind: 'event', id: 'ev_1', title: 'Sync' };
    return { content: JSON.stringify({ ok: true }), isError: false, effect };
  },
  async inspectEvent() {
    await maybeFail('inspectEvent');
    return { found: true, summary: 'Sync', startMs: Date.UTC(2026, 11, 3, 8), endMs: Date.UTC(2026, 11, 3, 9), attendeeNames: [], othersAttend: false };
  },
  async replyToMessage(input: { messageId: string; step: string; text?: string; content?: unknown }) {
    // The status card (a reply too) shows only when a request is slow, i.e. on a loaded machine: it must not take
    // the fault meant for the request's own replies, or a case's outcome depends on the machine's load.
    if (input.step !== 'status') await maybeFail('replyToMessage');
    record(
      { kind: input.text ? 'reply' : 'card', to: input.messageId, text: input.text ?? JSON.stringify(input.content) },
      `reply:${input.messageId}:${input.step}`,
    );
    return { messageId: uniqueId('om_reply') };
  },
  async sendMessage(input: { receiveId: string; step: string; text?: string; sourceMessageId: string }) {
    await maybeFail('sendMessage');
    record({ kind: 'send', to: input.sourceMessageId, text: input.text ?? '' }, `send:${input.sourceMessageId}:${input.step}`);
    return { messageId: uniqueId('om_send') };
  },
  async updateCard() {
    await maybeFail('updateCard');
  },
  async logTurn() {
    await maybeFail('logTurn');
  },
  async logAudit() {
    return { logged: 0 };
  },
  async undoChange() {
    return { ok: true };
  },
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueId('containment');

before(async () => {
  env = await temporalTestEnv();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    stickyQueueScheduleToStartTimeout: '3 seconds',
  });
  running = worker.run();
});
after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

function message(openId: string, text: string, chatId = `oc_${openId}`): UserMessage {
  return {
    eventId: uniqueId('ev'),
    messageId: uniqueId('om'),
    openId,
    chatId,
    chatType: 'p2p',
    messageType: 'text',
    text,
    createTimeMs: Date.now(),
    mentions: [],
  };
}

async function send(openId: string, msg: UserMessage): Promise<void> {
  await env.client.workflow.signalWithStart<typeof larkUserWorkflow, [UserMessage, UserSettings?]>('larkUserWorkflow', {
    workflowId: userWorkflowId(openId),
    taskQueue,
    args: [{ openId, settings: userSettings({ turnLog: true, confirmTimeoutMs: 60_000, loginCardIntervalMs: 500 }) }],
    signal: newMessageSignal,
    signalArgs: [msg],
  });
}

const state = (openId: string) => env.client.workflow.getHandle(userWorkflowId(openId)).query(userStateQuery);
const outcomesFor = (openId: string, messageId: string) => (sent.get(userWorkflowId(openId)) ?? []).filter((s) => s.to === messageId && s.kind !== 'card');

/** The flow each activity is exercised in: which text A must carry for the workflow to call it. */
const FLOW_TEXT: Record<string, string> = { inspectEvent: 'update the sync to 4pm', updateCard: 'invite Lan to a sync' };

const CASES: Array<[string, Mode]> = [];
for (const activity of Object.keys(MAX_ATTEMPTS)) {
  if (activity === 'sendLoginCard') continue; // the authorization flow has its own case below
  for (const mode of ['non_retryable', 'retryable', 'hang'] as Mode[]) CASES.push([activity, mode]);
}

test(`contained: ${CASES.length} failure cases (every activity x non-retryable / retryable until the policy gives up / hung attempt)`, async () => {
  const results = await Promise.all(
    CASES.map(async ([activity, mode]) => {
      const openId = `ou_${activity}_${mode}_${uniqueId('u').slice(2)}`;
      const wf = userWorkflowId(openId);
      // sendMessage is only reached when a reply is refused: refuse the reply of A (non-retryable) first.
      const a = message(openId, FLOW_TEXT[activity] ?? `task A for ${activity}`);
      // B in the same chat would supersede A's Confirm card (the rule under test below): for the card flow, B is in the DM.
      const b = message(openId, `task B after ${activity}`, activity === 'updateCard' ? `oc_dm_${openId}` : undefined);
      if (activity === 'sendMessage') {
        // The reply to A is refused; the fallback send into the chat then fails as the case says.
        cues.set(wf, {
          activity: 'replyToMessage',
          mode: 'non_retryable',
          left: 1,
          next: { activity: 'sendMessage', mode, left: mode === 'retryable' ? MAX_ATTEMPTS.sendMessage! : 1 },
        });
      } else {
        cues.set(wf, { activity, mode, left: mode === 'retryable' ? MAX_ATTEMPTS[activity]! : 1 });
      }
      await send(openId, a);
      await send(openId, b);
      if (activity === 'updateCard') {
        // A waits on a Confirm card (it invites someone): click it.
        await waitUntil(`${wf}: confirm card`, async () => (await state(openId)).awaitingConfirmation[0] ?? undefined, 20_000);
        const key = (await state(openId)).awaitingConfirmation[0]!;
        const r = await env.client.workflow.getHandle(wf).executeUpdate(confirmationUpdate, { args: [{ key, decision: 'confirm' }] });
        assert.equal(r.result, 'accepted');
      }
      await waitUntil(`${wf}: B answered`, () => (outcomesFor(openId, b.messageId).length ? true : undefined), 60_000);
      const s = await state(openId);
      return { activity, mode, openId, wf, a, b, s };
    }),
  );

  for (const { activity, mode, openId, wf, a, b, s } of results) {
    const label = `${activity}/${mode}`;
    const desc = await env.client.workflow.getHandle(wf).describe();
    assert.equal(desc.status.name, 'RUNNING', `${label}: the user's workflow is still running`);
    const aOut = outcomesFor(openId, a.messageId);
    const bOut = outcomesFor(openId, b.messageId);
    assert.equal(bOut.length, 1, `${label}: B answered once`);
    assert.match(bOut[0]!.text, /task B/, `${label}: B's answer is about B`);
    const apologies = aOut.filter((o) => /^Sorry/.test(o.text));
    // A ends in exactly one outcome: an answer or one apology (or none at all when even the apology could
    // not be delivered, which the workflow counts).
    assert.equal(aOut.length, 1, `${label}: A has exactly one outcome (got ${aOut.map((o) => o.text).join(' | ')})`);
    assert.ok(apologies.length <= 1, `${label}: at most one apology`);
    // A refused reply (the message was recalled) is not a failure: the answer goes into the chat instead.
    if (activity === 'replyToMessage' && mode === 'non_retryable') {
      assert.equal(aOut[0]!.kind, 'send', `${label}: the answer was posted in the chat`);
      assert.match(aOut[0]!.text, /task A/, `${label}: and it is A's answer`);
    }
    const failsRequest =
      mode !== 'hang' &&
      !['logTurn', 'updateCard', 'runTool', 'inspectEvent'].includes(activity) &&
      !(activity === 'replyToMessage' && mode === 'non_retryable');
    if (failsRequest) {
      assert.equal(apologies.length, 1, `${label}: A got the apology`);
      assert.equal(s.failedCount, 1, `${label}: the failure is counted`);
      assert.ok(
        s.lastFailures.some((f) => f.messageId === a.messageId),
        `${label}: and recorded in the details`,
      );
    }
    if (activity === 'runTool' && mode !== 'hang') {
      // The tool failed, the model still said "Created": the answer must not claim it.
      assert.doesNotMatch(aOut[0]!.text, /^Created/, `${label}: no unbacked claim`);
      assert.match(aOut[0]!.text, /Not done/, `${label}: says what was not done`);
    }
    if (mode === 'hang' || ['logTurn', 'updateCard'].includes(activity)) {
      assert.equal(apologies.length, 0, `${label}: a hung attempt or a best-effort step is retried or skipped, not apologised for`);
    }
    // The dedup window survived: a redelivery of A is dropped.
    assert.ok(s.recentMessageIds.includes(a.messageId) && s.recentMessageIds.includes(b.messageId), `${label}: dedup window holds A and B`);
    await send(openId, { ...a, eventId: uniqueId('ev') });
    await waitUntil(`${label}: duplicate counted`, async () => ((await state(openId)).duplicateCount === 1 ? true : undefined), 10_000);
    // The memory survived: a third message's model call sees B's turn.
    const c = message(openId, `task C after ${activity}`, b.chatId); // memory is per chat: C follows B
    await send(openId, c);
    await waitUntil(`${label}: C answered`, () => (outcomesFor(openId, c.messageId).length ? true : undefined), 20_000);
    const calls = modelCalls.get(wf) ?? [];
    assert.ok(JSON.stringify(calls.at(-1)).includes(`task B after ${activity}`), `${label}: memory holds B when C runs`);
    assert.equal(outcomesFor(openId, a.messageId).length, aOut.length, `${label}: A was not worked on twice`);
  }
});

test('a failed login card is contained: the wait goes on and the next message gets a fresh card', async () => {
  const openId = `ou_login_${uniqueId('u').slice(2)}`;
  const wf = userWorkflowId(openId);
  unauthorized.add(openId);
  cues.set(wf, { activity: 'sendLoginCard', mode: 'non_retryable', left: 1 });
  await send(openId, message(openId, 'task one'));
  await waitUntil('waiting for sign-in', async () => ((await state(openId)).waitingForAuthSince !== undefined ? true : undefined), 20_000);
  await waitUntil('undelivered card counted', async () => ((await state(openId)).undeliveredCount === 1 ? true : undefined), 20_000);
  assert.equal((sent.get(wf) ?? []).filter((s) => s.kind === 'login').length, 0);
  await send(openId, message(openId, 'task two'));
  await waitUntil('fresh card', () => ((sent.get(wf) ?? []).some((s) => s.kind === 'login') ? true : undefined), 20_000);
  // Signing in resumes both, in order.
  unauthorized.delete(openId);
  await env.client.workflow.getHandle(wf).signal('authResult', { outcome: 'authorized' });
  await waitUntil('both answered', () => ((sent.get(wf) ?? []).filter((s) => s.kind === 'reply').length === 2 ? true : undefined), 20_000);
  const replies = (sent.get(wf) ?? []).filter((s) => s.kind === 'reply').map((s) => s.text);
  assert.match(replies[0]!, /task one/);
  assert.match(replies[1]!, /task two/);
  const s: UserWorkflowState = await waitUntil('both completed', async () => {
    const st = await state(openId);
    return st.completedCount === 2 ? st : undefined;
  });
  assert.equal(s.loginCardsSent, 1, 'one card delivered (the first failed)');
  assert.equal((await env.client.workflow.getHandle(wf).describe()).status.name, 'RUNNING');
});

test("settings ride with each message: a running workflow adopts the routing worker's, and keeps them until the next", async () => {
  const openId = `ou_settings_${uniqueId('u').slice(2)}`;
  const wf = userWorkflowId(openId);
  const handle = env.client.workflow.getHandle(wf);
  const repliesTo = (m: UserMessage) => (sent.get(wf) ?? []).filter((s) => s.kind === 'reply' && s.to === m.messageId).map((s) => s.text);
  const modelSaw = (m: UserMessage) =>
    ((modelCalls.get(wf) ?? []) as Array<Array<{ content: unknown }>>).some((call) => call.some((x) => x.content === m.text));
  /** Five seconds old when it was accepted: fresh for the default 30 minutes, stale for a 1-second limit. */
  const oldMessage = (text: string) => ({ ...message(openId, text), createTimeMs: Date.now() - 5000, acceptedAtMs: Date.now() });
  const answered = (m: UserMessage) => waitUntil(`answer to ${m.text}`, () => (repliesTo(m).length ? repliesTo(m) : undefined), 20_000);

  const a = oldMessage('task a');
  await send(openId, a); // the run starts with the default settings
  assert.match((await answered(a))[0]!, /Created it for "task a"/, 'default limit: 5 s old is fresh');

  const b = oldMessage('task b');
  await handle.signal(newMessageSignal, b, userSettings({ turnLog: true, maxMessageAgeMs: 1000 }));
  assert.deepEqual(await answered(b), [messages.stale.en], 'the new limit that came with b applies to b');
  const c = oldMessage('task c');
  await handle.signal(newMessageSignal, c); // no settings: the run keeps the last ones it was given
  assert.deepEqual(await answered(c), [messages.stale.en]);
  const d = oldMessage('task d');
  await handle.signal(newMessageSignal, d, userSettings({ turnLog: true }));
  assert.match((await answered(d))[0]!, /Created it for "task d"/, 'the default limit is back with d');
  assert.equal(modelSaw(b) || modelSaw(c), false, 'stale messages never reach the model');
  assert.equal(modelSaw(a) && modelSaw(d), true);
});

test('a Confirm card waiting in one chat never blocks another chat; a newer message in the same chat supersedes it', async () => {
  const openId = `ou_confirm_${uniqueId('u').slice(2)}`;
  const wf = userWorkflowId(openId);
  const group = `oc_group_${openId}`;
  const a = message(openId, 'invite Lan to a sync', group);
  await send(openId, a);
  await waitUntil('card waits', async () => ((await state(openId)).awaitingConfirmation.length ? true : undefined), 20_000);
  // Another chat (the DM) is answered while the card keeps waiting, and the answer says a card waits elsewhere.
  const dm = message(openId, 'task in the DM');
  await send(openId, dm);
  await waitUntil('DM answered', () => (outcomesFor(openId, dm.messageId).length ? true : undefined), 20_000);
  assert.match(outcomesFor(openId, dm.messageId)[0]!.text, /waiting for your confirmation in another chat/);
  assert.equal((await state(openId)).awaitingConfirmation.length, 1, 'the card still waits');
  // A newer message in the group supersedes the card: A ends "Not done", then the new one is answered.
  const next = message(openId, 'task after the card', group);
  await send(openId, next);
  await waitUntil('new message answered', () => (outcomesFor(openId, next.messageId).length ? true : undefined), 20_000);
  const aOut = outcomesFor(openId, a.messageId);
  assert.equal(aOut.length, 1);
  assert.match(aOut[0]!.text, /Not done: create event “Sync”.*you sent a new message before confirming/s);
  assert.doesNotMatch(aOut[0]!.text, /✅/);
  const s = await state(openId);
  assert.equal(s.awaitingConfirmation.length, 0);
  // A late click on the superseded card changes nothing and says so.
  const late = await env.client.workflow
    .getHandle(wf)
    .executeUpdate(confirmationUpdate, { args: [{ key: `${a.messageId}:tu_inviteLantoasync`, decision: 'confirm' }] });
  assert.equal(late.result, 'already_answered');
});

test('a bug in workflow code (a TypeError) leaves the run Running with its workflow task retrying', async () => {
  const openId = `ou_bug_${uniqueId('u').slice(2)}`;
  const handle = env.client.workflow.getHandle(userWorkflowId(openId));
  await send(openId, message(openId, 'malformed model answer'));
  const attempt = await waitUntil(
    'the workflow task retries',
    async () => {
      const raw = (await handle.describe()).raw;
      const a = raw.pendingWorkflowTask?.attempt ?? 0;
      return a >= 2 ? a : undefined;
    },
    30_000,
  );
  assert.ok(attempt >= 2);
  assert.equal((await handle.describe()).status.name, 'RUNNING', 'not failed: a fixed worker can continue it');
  assert.equal((sent.get(userWorkflowId(openId)) ?? []).length, 0, 'no apology for a bug: the request stays queued');
  await handle.terminate('test done');
});
