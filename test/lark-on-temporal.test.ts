/**
 * Lark activities on a real Temporal worker against the Lark emulator: retry policies, error classes,
 * idempotency keys and units, asserted on what the emulator recorded.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createLarkActivities } from '../activities/lark';
import { startLarkEmulator, type LarkEmulator } from '../src/emulator';
import { LarkClient } from '../src/lark/client';
import { LarkOAuthClient } from '../src/lark/oauth-client';
import { SecretBox } from '../src/storage/secret-box';
import { UserTokenStore } from '../src/storage/token-store';
import { freshDatabase, temporalTestEnv, uniqueId } from './support/env';

let env: TestWorkflowEnvironment;
let client: Client;
let emu: LarkEmulator;
let worker: Worker;
let running: Promise<void>;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let lark: LarkClient;
const taskQueue = uniqueId('lark-activities');
const lan = () => emu.user('lan').open_id;

before(async () => {
  env = await temporalTestEnv();
  client = env.client;
  emu = await startLarkEmulator();
  db = await freshDatabase();
  const oauth = new LarkOAuthClient({ baseUrl: emu.url, authorizeUrl: `${emu.url}/open-apis/authen/v1/authorize`, appId: emu.appId, appSecret: emu.appSecret });
  const store = new UserTokenStore(db.pool, new SecretBox(randomBytes(32)), oauth);
  const issued = emu.issueUserToken(lan());
  await store.save(lan(), { accessToken: issued.accessToken, refreshToken: issued.refreshToken!, expiresAt: Date.now() + 7_200_000, scopes: ['calendar:calendar', 'task:task:write'] });
  lark = new LarkClient({ baseUrl: emu.url, appId: emu.appId, appSecret: emu.appSecret, timeoutMs: 2000, userTokens: store });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'support/test-workflows.ts'), logger: quiet }),
    activities: createLarkActivities({ client: lark, defaultTimezone: 'Asia/Ho_Chi_Minh' }),
  });
  running = worker.run();
});

after(async () => {
  worker?.shutdown();
  await running;
  await emu?.stop();
  await db?.drop();
  await env?.teardown();
});

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

function run(name: string, input: unknown) {
  return client.workflow.execute('runLarkActivity', { taskQueue, workflowId: uniqueId(name), args: [name, input] });
}

/** A user message in Lan's DM that the bot can reply to. */
function userMessage(text = 'hi'): string {
  const payload = emu.events.message({ from: 'lan', text }) as { event: { message: { message_id: string } } };
  return payload.event.message.message_id;
}

describe('retries', () => {
  test('a 429 burst with a 2-second reset is retried after about 2 seconds each time, then succeeds', async () => {
    const fault = emu.faults.add({ match: { method: 'POST', path: /\/calendar\/v4\/calendars\/[^/]+\/events$/ }, times: 2, kind: 'rateLimit', resetSeconds: 2 });
    const started = Date.now();
    const out = (await run('createCalendarEvent', { sourceMessageId: userMessage(), step: 'tool-1', openId: lan(), summary: 'Rate limited', start: '2026-11-23 09:00', end: '2026-11-23 10:00' })) as { eventId: string };
    fault.remove();
    assert.ok(out.eventId);
    assert.equal(fault.fired, 2);
    const calls = emu.calls.filter((c) => c.method === 'POST' && /\/calendar\/v4\/calendars\/[^/]+\/events$/.test(c.path) && c.at >= started);
    assert.deepEqual(calls.map((c) => c.status), [429, 429, 200]);
    const gaps = [calls[1]!.at - calls[0]!.at, calls[2]!.at - calls[1]!.at];
    for (const gap of gaps) {
      // The policy alone would wait 1 s then 2 s; both waits here follow the 2 s reset header.
      assert.ok(gap >= 1900 && gap < 3500, `retry waited ${gap} ms`);
    }
    assert.equal(emu.state.eventList().filter((e) => e.summary === 'Rate limited').length, 1);
  });

  test('1254290 from Base is retried until it succeeds', async () => {
    const fault = emu.faults.add({ match: { path: /batch_create$/ }, times: 2, kind: 'larkCode', code: 1254290 });
    const out = (await run('appendBaseRecords', { sourceMessageId: userMessage(), step: 'log', appToken: 'bascnLog', tableId: 'tblLog', records: [{ question: 'q1' }, { question: 'q2' }] })) as { created: number };
    fault.remove();
    assert.equal(out.created, 2);
    assert.equal(emu.calls.count({ path: /batch_create$/, code: 1254290 }), 2);
    assert.equal(emu.calls.count({ path: /batch_create$/, code: 0 }), 1);
  });

  test('191001 (invalid calendar id) fails at once, without retries, with a clear message', async () => {
    const before = emu.calls.count({ path: /calendars\/cal_nope\/events/ });
    const err = await run('createCalendarEvent', { sourceMessageId: userMessage(), step: 'tool-1', openId: lan(), calendarId: 'cal_nope', summary: 'x', start: '2026-11-23 09:00', end: '2026-11-23 10:00' }).catch((e) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure);
    const cause = err.cause.cause;
    assert.ok(cause instanceof ApplicationFailure);
    assert.equal(cause.type, 'LarkInvalidInput');
    assert.equal(cause.nonRetryable, true);
    assert.match(cause.message, /calendar/i);
    assert.equal(emu.calls.count({ path: /calendars\/cal_nope\/events/ }) - before, 1, 'exactly one attempt');
  });

  test('a tenant token that expires mid-run is renewed once', async () => {
    await run('sendMessage', { sourceMessageId: userMessage(), step: 'warm', receiveIdType: 'open_id', receiveId: lan(), text: 'warm-up' });
    const tokenCalls = emu.calls.tenantTokenCalls();
    emu.expireAllTokens();
    const msg = userMessage();
    await Promise.all([
      run('replyToMessage', { messageId: msg, step: 'a', text: 'one' }),
      run('sendMessage', { sourceMessageId: msg, step: 'b', receiveIdType: 'open_id', receiveId: lan(), text: 'two' }),
    ]);
    assert.equal(emu.calls.tenantTokenCalls() - tokenCalls, 1);
  });
});

describe('a retried write leaves exactly one copy', () => {
  test('reply: the answer is lost after Lark stored the message; the retry reuses the uuid', async () => {
    const msg = userMessage('retry me');
    const fault = emu.faults.add({ match: { path: `/open-apis/im/v1/messages/${msg}/reply` }, times: 1, kind: 'loseResponse' });
    await run('replyToMessage', { messageId: msg, step: 'answer', text: 'only once' });
    assert.equal(fault.fired, 1);
    assert.equal(emu.calls.count({ path: `/open-apis/im/v1/messages/${msg}/reply` }), 2, 'the activity did retry');
    assert.equal(emu.state.messageList().filter((m) => m.parent_id === msg || m.root_id === msg).length, 1);
  });

  test('calendar create: idempotency_key', async () => {
    const fault = emu.faults.add({ match: { method: 'POST', path: /\/calendars\/[^/]+\/events$/ }, times: 1, kind: 'loseResponse' });
    await run('createCalendarEvent', { sourceMessageId: userMessage(), step: 'tool-2', openId: lan(), summary: 'Exactly one event', start: '2026-11-24 09:00', end: '2026-11-24 09:30' });
    assert.equal(fault.fired, 1);
    assert.equal(emu.state.eventList().filter((e) => e.summary === 'Exactly one event').length, 1);
  });

  test('task create: client_token', async () => {
    const fault = emu.faults.add({ match: { method: 'POST', path: '/open-apis/task/v2/tasks' }, times: 1, kind: 'loseResponse' });
    await run('createTask', { sourceMessageId: userMessage(), step: 'tool-3', openId: lan(), summary: 'Exactly one task', due: '2026-11-23 17:00' });
    assert.equal(fault.fired, 1);
    assert.equal(emu.state.taskList().filter((t) => t.summary === 'Exactly one task').length, 1);
  });
});

describe('units at the emulator', () => {
  test('calendar times are stored in seconds and task times in milliseconds, right for UTC+7', async () => {
    await run('createCalendarEvent', { sourceMessageId: userMessage(), step: 'units', openId: lan(), summary: 'Units check', start: '2026-11-22 15:00', end: '2026-11-22 16:00' });
    await run('createTask', { sourceMessageId: userMessage(), step: 'units', openId: lan(), summary: 'Units task', due: '2026-11-22 15:00' });
    const event = emu.state.eventList().find((e) => e.summary === 'Units check')!;
    // 2026-11-22 15:00 at +07:00 is 08:00 UTC.
    assert.deepEqual(event.start_time, { timestamp: '1795334400', timezone: 'Asia/Ho_Chi_Minh' });
    assert.equal((event.end_time as { timestamp: string }).timestamp, '1795338000');
    assert.equal(new Date(1795334400 * 1000).toISOString(), '2026-11-22T08:00:00.000Z');
    const task = emu.state.taskList().find((t) => t.summary === 'Units task')!;
    assert.equal((task.due as { timestamp: string }).timestamp, '1795334400000');
    // The event landed on Lan's primary calendar, not the bot's.
    const lanPrimary = [...emu.state.calendars.values()].find((c) => c.owner === lan() && c.type === 'primary');
    assert.equal(event.organizer_calendar_id, lanPrimary?.calendar_id);
  });
});
