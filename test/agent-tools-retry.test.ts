/**
 * Retries and idempotency on the path the agent takes, on a real Temporal worker against the Lark emulator with
 * faults injected: the agent's tools (runTool, as the user), its replies and sends, and the turn log, each through
 * the proxy the per-user workflow uses (workflows/activity-proxies.ts). Asserted on what the emulator recorded.
 */
import { loadSchedulingConfig } from '../src/config';
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createToolActivities } from '../activities/tools';
import type { RunToolInput, ToolOutcome } from '../src/agent/tool-io';
import { createMessagingActivities } from '../activities/messaging';
import { createTurnLogActivities } from '../activities/turn-log';
import { LarkFailureType } from '../src/lark/failure-types';
import { zonedToEpochMs } from '../src/lark/time';
import { HeartbeatInterceptor } from '../src/temporal/heartbeat-interceptor';
import { temporalTestEnv, uniqueId } from './support/env';
import { startSignedInEmulator, type SignedInEmulator } from './support/signed-in-emulator';
import { silentLogger } from './support/silent-logger';
import type { logTurnWorkflow, messagingWorkflow, runToolWorkflow } from './support/test-workflows';

const HCM = 'Asia/Ho_Chi_Minh';
/** The tools' "now": before every time booked below, so none is refused as past. */
const NOW = zonedToEpochMs('2026-11-20 09:00', HCM);
const EVENTS_POST = /\/calendar\/v4\/calendars\/[^/]+\/events$/;

let env: TestWorkflowEnvironment;
let client: Client;
let w: SignedInEmulator;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueId('agent-tools-retry');
const lan = () => w.id('lan');
let n = 0;

before(async () => {
  env = await temporalTestEnv();
  client = env.client;
  w = await startSignedInEmulator({ signIn: ['lan'], scopes: ['calendar:calendar', 'task:task:write'], timeoutMs: 2000 });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'support/test-workflows.ts'), logger: silentLogger }),
    activities: {
      ...createToolActivities({ client: w.lark, tokens: w.store, scheduling: loadSchedulingConfig({}) }),
      ...createMessagingActivities({ client: w.lark }),
      ...createTurnLogActivities({ client: w.lark, base: { appToken: 'bascnLog', tableId: 'tblLog' } }),
    },
    interceptors: { activity: [() => ({ inbound: new HeartbeatInterceptor() })] },
  });
  running = worker.run();
});

after(async () => {
  worker?.shutdown();
  await running;
  await w?.stop();
  await env?.teardown();
});

/** One tool call as the agent loop makes it (as Lan, in Ho Chi Minh City, at NOW), through the production proxy. */
function tool(name: string, input: unknown, sourceMessageId = userMessage()): Promise<ToolOutcome> {
  const call: RunToolInput = { openId: lan(), sourceMessageId, toolUseId: `toolu_${n++}`, name, input, timezone: HCM, nowMs: NOW };
  return client.workflow.execute<typeof runToolWorkflow>('runToolWorkflow', { taskQueue, workflowId: uniqueId(name), args: [call] });
}

function message<N extends Parameters<typeof messagingWorkflow>[0]>(name: N, input: Parameters<typeof messagingWorkflow<N>>[1]) {
  return client.workflow.execute<typeof messagingWorkflow<N>>('messagingWorkflow', { taskQueue, workflowId: uniqueId(name), args: [name, input] });
}

/** A user message in Lan's DM that the bot can reply to. */
function userMessage(text = 'hi'): string {
  const payload = w.emu.events.message({ from: 'lan', text }) as { event: { message: { message_id: string } } };
  return payload.event.message.message_id;
}

/** A read as Lan, so her access token is fresh (refreshed if an earlier test expired it) before a fault is set. */
async function signedInNow(): Promise<void> {
  assert.equal((await tool('list_tasks', {})).isError, false);
}

const created = (out: ToolOutcome) => (JSON.parse(out.content) as { created: { event_id?: string; task_id?: string } }).created;

describe('retries', () => {
  test('a 429 burst with a 2-second reset on create_event is retried after about 2 seconds each time, then succeeds', async () => {
    const fault = w.emu.faults.add({ match: { method: 'POST', path: EVENTS_POST }, times: 2, kind: 'rateLimit', resetSeconds: 2 });
    const started = Date.now();
    const out = await tool('create_event', { summary: 'Rate limited', start: '2026-11-23T09:00', end: '2026-11-23T10:00' });
    fault.remove();
    assert.equal(out.isError, false, out.content);
    assert.ok(created(out).event_id);
    assert.equal(fault.fired, 2);
    const calls = w.emu.calls.filter((c) => c.method === 'POST' && EVENTS_POST.test(c.path) && c.at >= started);
    assert.deepEqual(
      calls.map((c) => c.status),
      [429, 429, 200],
    );
    const gaps = [calls[1]!.at - calls[0]!.at, calls[2]!.at - calls[1]!.at];
    for (const gap of gaps) {
      // The tool policy alone would wait 1 s then 2 s; both waits here follow the 2 s reset header.
      assert.ok(gap >= 1900 && gap < 3500, `retry waited ${gap} ms`);
    }
    assert.equal(w.emu.state.eventList().filter((e) => e.summary === 'Rate limited').length, 1);
  });

  test('1254290 from Base (the turn log) is retried until it succeeds', async () => {
    const fault = w.emu.faults.add({ match: { path: /batch_create$/ }, times: 2, kind: 'larkCode', code: 1254290 });
    const turn = {
      atMs: NOW,
      openId: lan(),
      chatId: 'oc_1',
      messageId: userMessage(),
      question: 'q1',
      answer: 'a1',
      toolsUsed: [],
      usage: { input: 1, output: 1, cacheRead: 0, cacheCreation: 0 },
    };
    const out = await client.workflow.execute<typeof logTurnWorkflow>('logTurnWorkflow', { taskQueue, workflowId: uniqueId('log'), args: [turn] });
    fault.remove();
    assert.equal(out.logged, true);
    assert.equal(w.emu.calls.count({ path: /batch_create$/, code: 1254290 }), 2);
    assert.equal(w.emu.calls.count({ path: /batch_create$/, code: 0 }), 1);
    assert.equal(w.emu.state.baseRecords.filter((r) => r.table_id === 'tblLog' && (r.fields as { Message?: string }).Message === turn.messageId).length, 1);
  });

  test('191001 (invalid calendar id) is not retried: one attempt, and the model reads a clear error', async () => {
    const fault = w.emu.faults.add({
      match: { method: 'POST', path: EVENTS_POST },
      times: 1,
      kind: 'larkCode',
      code: 191001,
      status: 400,
      msg: 'invalid calendar_id',
    });
    const before = w.emu.calls.count({ method: 'POST', path: EVENTS_POST });
    const out = await tool('create_event', { summary: 'Bad calendar', start: '2026-11-23T09:00', end: '2026-11-23T10:00' });
    fault.remove();
    assert.equal(fault.fired, 1);
    assert.equal(out.isError, true);
    assert.match(out.content, /^Lark refused this: /);
    assert.match(out.content, /calendar/i);
    assert.equal(w.emu.calls.count({ method: 'POST', path: EVENTS_POST }) - before, 1, 'exactly one attempt');
    assert.equal(w.emu.state.eventList().filter((e) => e.summary === 'Bad calendar').length, 0);
  });

  test('a missing permission fails the tool activity at once, typed and non-retryable, with a clear message', async () => {
    const fault = w.emu.faults.add({
      match: { method: 'POST', path: EVENTS_POST },
      times: 1,
      kind: 'larkCode',
      code: 99991672,
      status: 400,
      msg: 'Access denied. One of the following scopes is required: [calendar:calendar].',
    });
    const before = w.emu.calls.count({ method: 'POST', path: EVENTS_POST });
    const err = await tool('create_event', { summary: 'No scope', start: '2026-11-23T09:00', end: '2026-11-23T10:00' }).catch((e: unknown) => e);
    fault.remove();
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure);
    const cause = err.cause.cause;
    assert.ok(cause instanceof ApplicationFailure);
    assert.equal(cause.type, LarkFailureType.PermissionDenied);
    assert.equal(cause.nonRetryable, true);
    assert.match(cause.message, /calendar:calendar/);
    assert.equal(w.emu.calls.count({ method: 'POST', path: EVENTS_POST }) - before, 1, 'exactly one attempt');
  });

  test('a tenant token that expires mid-run is renewed once', async () => {
    await message('sendMessage', { sourceMessageId: userMessage(), step: 'warm', receiveIdType: 'open_id', receiveId: lan(), text: 'warm-up' });
    const tokenCalls = w.emu.calls.tenantTokenCalls();
    w.emu.expireAllTokens();
    const msg = userMessage();
    await Promise.all([
      message('replyToMessage', { messageId: msg, step: 'a', text: 'one' }),
      message('sendMessage', { sourceMessageId: msg, step: 'b', receiveIdType: 'open_id', receiveId: lan(), text: 'two' }),
    ]);
    assert.equal(w.emu.calls.tenantTokenCalls() - tokenCalls, 1);
  });
});

describe('a retried write leaves exactly one copy', () => {
  test('reply: the answer is lost after Lark stored the message; the retry reuses the uuid', async () => {
    const msg = userMessage('retry me');
    const fault = w.emu.faults.add({ match: { path: `/open-apis/im/v1/messages/${msg}/reply` }, times: 1, kind: 'loseResponse' });
    await message('replyToMessage', { messageId: msg, step: 'answer', text: 'only once' });
    assert.equal(fault.fired, 1);
    assert.equal(w.emu.calls.count({ path: `/open-apis/im/v1/messages/${msg}/reply` }), 2, 'the activity did retry');
    assert.equal(w.emu.state.messageList().filter((m) => m.parent_id === msg || m.root_id === msg).length, 1);
  });

  test('create_event: idempotency_key', async () => {
    await signedInNow();
    const fault = w.emu.faults.add({ match: { method: 'POST', path: EVENTS_POST }, times: 1, kind: 'loseResponse' });
    const out = await tool('create_event', { summary: 'Exactly one event', start: '2026-11-24T09:00', end: '2026-11-24T09:30' });
    assert.equal(fault.fired, 1);
    assert.equal(out.isError, false, out.content);
    const attempts = w.emu.calls.filter(
      (c) => c.method === 'POST' && EVENTS_POST.test(c.path) && (c.body as { summary?: string })?.summary === 'Exactly one event',
    );
    // The first attempt was carried out and its answer lost; the activity retried and Lark answered.
    assert.deepEqual(
      attempts.map((c) => [c.faults, c.code]),
      [
        [['loseResponse'], undefined],
        [[], 0],
      ],
    );
    assert.equal(attempts[0]!.query.idempotency_key, attempts[1]!.query.idempotency_key);
    const events = w.emu.state.eventList().filter((e) => e.summary === 'Exactly one event');
    assert.equal(events.length, 1);
    assert.equal(created(out).event_id, events[0]!.event_id, 'the retry answered with the event the lost attempt made');
  });

  test('create_task: client_token', async () => {
    await signedInNow();
    const fault = w.emu.faults.add({ match: { method: 'POST', path: '/open-apis/task/v2/tasks' }, times: 1, kind: 'loseResponse' });
    const out = await tool('create_task', { summary: 'Exactly one task', due: '2026-11-23T17:00' });
    assert.equal(fault.fired, 1);
    assert.equal(out.isError, false, out.content);
    const attempts = w.emu.calls.filter(
      (c) => c.method === 'POST' && c.path === '/open-apis/task/v2/tasks' && (c.body as { summary?: string })?.summary === 'Exactly one task',
    );
    // The first attempt was carried out and its answer lost; the activity retried and Lark answered.
    assert.deepEqual(
      attempts.map((c) => [c.faults, c.code]),
      [
        [['loseResponse'], undefined],
        [[], 0],
      ],
    );
    assert.equal((attempts[0]!.body as { client_token: string }).client_token, (attempts[1]!.body as { client_token: string }).client_token);
    const tasks = w.emu.state.taskList().filter((t) => t.summary === 'Exactly one task');
    assert.equal(tasks.length, 1);
    assert.equal(created(out).task_id, tasks[0]!.guid);
  });
});

describe('units at the emulator', () => {
  test('calendar times are stored in seconds and task times in milliseconds, right for UTC+7', async () => {
    await tool('create_event', { summary: 'Units check', start: '2026-11-22T15:00', end: '2026-11-22T16:00' });
    await tool('create_task', { summary: 'Units task', due: '2026-11-22T15:00' });
    const event = w.emu.state.eventList().find((e) => e.summary === 'Units check')!;
    // 2026-11-22 15:00 at +07:00 is 08:00 UTC.
    assert.deepEqual(event.start_time, { timestamp: '1795334400', timezone: HCM });
    assert.equal((event.end_time as { timestamp: string }).timestamp, '1795338000');
    assert.equal(new Date(1795334400 * 1000).toISOString(), '2026-11-22T08:00:00.000Z');
    const task = w.emu.state.taskList().find((t) => t.summary === 'Units task')!;
    assert.equal((task.due as { timestamp: string }).timestamp, '1795334400000');
    // The event landed on Lan's primary calendar, not the bot's.
    const lanPrimary = [...w.emu.state.calendars.values()].find((c) => c.owner === lan() && c.type === 'primary');
    assert.equal(event.organizer_calendar_id, lanPrimary?.calendar_id);
  });
});
