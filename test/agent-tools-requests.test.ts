/**
 * The agent's activities in a mocked activity context against a local Lark-format server: the tools (runTool, as
 * the user), the replies and sends, and the audit log. Wall-clock input reaches the wire in the right unit, a
 * retry repeats the same idempotency keys, input problems come back for the model without calling Lark, and Lark
 * errors become typed failures.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createToolActivities } from '../activities/tools';
import type { RunToolInput, ToolOutcome } from '../src/agent/tool-io';
import { createMessagingActivities } from '../activities/messaging';
import { createTurnLogActivities, type AuditRecord } from '../activities/turn-log';
import { loadSchedulingConfig } from '../src/config';
import { LarkClient, type UserTokenProvider } from '../src/lark/client';
import { LarkFailureType } from '../src/lark/errors';
import { zonedToEpochMs } from '../src/lark/time';
import type { UserTokenStore } from '../src/storage/token-store';
import { failureOf } from './support/failures';
import { larkOk, startLarkStub, type StubRequest } from './support/lark-stub';

const HCM = 'Asia/Ho_Chi_Minh';
const NY = 'America/New_York';
const ME = 'ou_me';

let stub: Awaited<ReturnType<typeof startLarkStub>>;
let tools: ReturnType<typeof createToolActivities>;
let messaging: ReturnType<typeof createMessagingActivities>;
let log: ReturnType<typeof createTurnLogActivities>;
/** The token store's memory of primary calendars (found once, then remembered, as the real store does). */
const primaryCalendars = new Map<string, string>();

before(async () => {
  stub = await startLarkStub();
  const userTokens: UserTokenProvider = { getAccessToken: async (openId) => `u-${openId}`, refreshAfterInvalid: async (openId) => `u-${openId}` };
  const client = new LarkClient({ baseUrl: stub.url, appId: 'cli_t', appSecret: 's3cret-s3cret', timeoutMs: 2000, userTokens });
  const tokens = {
    status: async (openId: string) => ({ state: 'authorized', scopes: [], primaryCalendarId: primaryCalendars.get(openId) }),
    setPrimaryCalendar: async (openId: string, calendarId: string) => void primaryCalendars.set(openId, calendarId),
  } as unknown as UserTokenStore;
  tools = createToolActivities({ client, tokens, scheduling: loadSchedulingConfig({}) });
  messaging = createMessagingActivities({ client });
  log = createTurnLogActivities({ client, base: { appToken: 'app_1', tableId: 'tbl_1', auditTableId: 'tbl_audit' } });
});
after(() => stub.close());
beforeEach(() => {
  stub.reset();
  primaryCalendars.clear();
});

// Expected failures would otherwise print as worker warnings.
const env = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
/** Runs an activity in a fresh mock context, typed by the activity's own signature. */
const run = <I, O>(fn: (input: I) => Promise<O>, input: NoInfer<I>, e = env()): Promise<O> => e.run(fn, input);

/** One tool call as the agent loop makes it: as ou_me, for message om_1, tool_use toolu_1, unless told otherwise. */
function call(name: string, input: unknown, ctx: Partial<RunToolInput> = {}): RunToolInput {
  return { openId: ME, sourceMessageId: 'om_1', toolUseId: 'toolu_1', name, input, timezone: HCM, nowMs: zonedToEpochMs('2026-11-20 09:00', HCM), ...ctx };
}
const resultOf = (out: ToolOutcome) => JSON.parse(out.content) as Record<string, any>;

/** Lark for one user with calendar cal_me: answers the calls create_event and list_events make. */
function calendarLark(events: unknown[] = []) {
  return (r: StubRequest) => {
    if (r.path === '/open-apis/calendar/v4/calendars/primary') return larkOk({ calendars: [{ calendar: { calendar_id: 'cal_me' } }] });
    if (r.path.startsWith('/open-apis/contact/v3/users/')) return larkOk({ user: { open_id: r.path.split('/').at(-1), name: 'An' } });
    if (r.path.endsWith('/attendees')) return larkOk({ attendees: [] });
    if (r.method === 'GET' && r.path.endsWith('/events')) return larkOk({ items: events, has_more: false });
    // One event read again with its attendees (list_events names who attends).
    const one = r.method === 'GET' ? (events as Array<{ event_id: string }>).find((e) => r.path.endsWith(`/events/${e.event_id}`)) : undefined;
    if (one) return larkOk({ event: { ...one, attendees: [] } });
    return larkOk({ event: { event_id: 'ev_1', summary: r.body.summary, start_time: r.body.start_time, end_time: r.body.end_time } });
  };
}

describe('create_event', () => {
  it("resolves the primary calendar, sends seconds for the user's wall time, same key on retry", async () => {
    stub.setHandler(calendarLark());
    const input = { summary: 'Planning', start: '2026-11-22T15:00', end: '2026-11-22T16:00', attendees: ['ou_a'] };
    const out = await run(tools.runTool, call('create_event', input));
    assert.equal(out.isError, false, out.content);
    const result = resultOf(out);
    assert.deepEqual(result.created, { event_id: 'ev_1', summary: 'Planning', start: '2026-11-22 15:00', end: '2026-11-22 16:00' });
    assert.deepEqual(result.attendees, ['An']);
    assert.deepEqual(out.effect, {
      action: 'created',
      kind: 'event',
      id: 'ev_1',
      title: 'Planning',
      startMs: 1795334400000,
      endMs: 1795338000000,
      people: ['An'],
      undo: { op: 'delete_event', eventId: 'ev_1' },
    });
    const create = stub.api().find((r) => r.method === 'POST' && r.path === '/open-apis/calendar/v4/calendars/cal_me/events')!;
    assert.deepEqual(create.body.start_time, { timestamp: '1795334400', timezone: HCM });
    assert.deepEqual(create.body.end_time, { timestamp: '1795338000', timezone: HCM });
    const attendees = stub.api().find((r) => r.path.endsWith('/attendees'))!;
    assert.deepEqual(attendees.body.attendees, [{ type: 'user', user_id: 'ou_a', is_optional: false }]);

    await run(tools.runTool, call('create_event', input)); // a retry
    const creates = () => stub.api().filter((r) => r.method === 'POST' && r.path.endsWith('/events'));
    const keys = creates().map((r) => r.query.get('idempotency_key'));
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1]);
    assert.equal(stub.api().filter((r) => r.path.endsWith('/calendars/primary')).length, 1, 'the primary calendar is looked up once, then remembered');
    await run(tools.runTool, call('create_event', input, { toolUseId: 'toolu_2' }));
    const third = creates().at(-1)!.query.get('idempotency_key');
    assert.notEqual(third, keys[0]);
    await run(tools.runTool, call('create_event', input, { sourceMessageId: 'om_2' }));
    assert.notEqual(creates().at(-1)!.query.get('idempotency_key'), keys[0], 'another message, another key');
  });

  it('refuses an event that ends before it starts, or a bad time, to the model, without calling Lark', async () => {
    const base = { summary: 'x' };
    const o1 = await run(tools.runTool, call('create_event', { ...base, start: '2026-11-22T16:00', end: '2026-11-22T15:00' }));
    const o2 = await run(tools.runTool, call('create_event', { ...base, start: '2026-13-01T10:00', end: '2026-13-01T11:00' }));
    const o3 = await run(tools.runTool, call('create_event', { ...base, start: '2026-11-22T10:00', end: '2026-11-22T11:00' }, { timezone: 'Saigon' }));
    for (const [o, why] of [
      [o1, /end \(2026-11-22T15:00\) must be after start/],
      [o2, /start must be local wall-clock time.*\(got "2026-13-01T10:00"\)/],
      [o3, /start "2026-11-22T10:00" is not a local time/],
    ] as const) {
      // An is_error tool_result (returned, so Temporal does not retry it) the model can correct.
      assert.equal(o.isError, true);
      assert.match(o.content, why);
    }
    assert.equal(stub.api().length, 0);
  });
});

describe('list_events', () => {
  it("sends the range in seconds and returns wall times in the user's zone", async () => {
    stub.setHandler(
      calendarLark([
        { event_id: 'e1', summary: 'A', start_time: { timestamp: '1795334400' }, end_time: { timestamp: '1795338000' } },
        { event_id: 'e2', summary: 'gone', status: 'cancelled', start_time: { timestamp: '1795334400' } },
        { event_id: 'e3', summary: 'Holiday', start_time: { date: '2026-11-23' }, end_time: { date: '2026-11-24' } },
      ]),
    );
    const out = await run(tools.runTool, call('list_events', { start: '2026-11-22T00:00', end: '2026-11-24T00:00' }, { timezone: NY }));
    const req = stub.api().find((r) => r.method === 'GET' && r.path === '/open-apis/calendar/v4/calendars/cal_me/events')!;
    assert.equal(req.query.get('start_time'), String(Date.UTC(2026, 10, 22, 5) / 1000));
    assert.equal(req.query.get('end_time'), String(Date.UTC(2026, 10, 24, 5) / 1000));
    const result = resultOf(out);
    assert.deepEqual(
      result.events.map((e: { event_id: string; start: string }) => [e.event_id, e.start]),
      [
        ['e1', '2026-11-22 03:00'],
        ['e3', '2026-11-23'], // all-day: a date, no time
      ],
    );
    assert.equal(result.total, 2);
    assert.equal(result.truncated, false);
  });
});

describe('tasks', () => {
  it('creates a task due at a New York wall time in milliseconds, same client_token on retry', async () => {
    stub.setHandler((r) => larkOk({ task: { guid: 'g1', summary: r.body.summary, due: r.body.due } }));
    const input = { summary: 'File report', due: '2026-07-15T09:00' };
    const ctx = { timezone: NY, nowMs: Date.UTC(2026, 6, 1) };
    const out = await run(tools.runTool, call('create_task', input, ctx));
    assert.deepEqual(resultOf(out), { created: { task_id: 'g1', summary: 'File report', due: '2026-07-15 09:00' }, assignee: 'the user' });
    await run(tools.runTool, call('create_task', input, ctx));
    await run(tools.runTool, call('create_task', input, { ...ctx, toolUseId: 'toolu_2' }));
    const [a, b, c] = stub.api();
    assert.equal(a!.body.due.timestamp, String(Date.UTC(2026, 6, 15, 13)));
    assert.deepEqual(a!.body.members, [{ id: ME, type: 'user', role: 'assignee' }]);
    assert.equal(a!.body.client_token, b!.body.client_token);
    assert.notEqual(a!.body.client_token, c!.body.client_token);
  });

  it('completes with the workflow-given time in milliseconds', async () => {
    stub.setHandler((r) => larkOk({ task: { guid: 'g1', summary: 'File report', completed_at: r.body.task.completed_at } }));
    const out = await run(tools.runTool, call('complete_task', { task_id: 'g1' }, { nowMs: 1795334400000 }));
    assert.deepEqual(resultOf(out), { completed: 'g1', summary: 'File report' });
    assert.deepEqual(stub.api()[0]!.body, { task: { completed_at: '1795334400000' }, update_fields: ['completed_at'] });
    assert.equal(stub.api()[0]!.auth, `Bearer u-${ME}`, 'as the user');
  });
});

describe('messages', () => {
  it('replies with a stable uuid per (message, step)', async () => {
    stub.setHandler(() => larkOk({ message_id: 'om_r' }));
    await run(messaging.replyToMessage, { messageId: 'om_3', step: 'answer', text: 'Done' });
    await run(messaging.replyToMessage, { messageId: 'om_3', step: 'answer', text: 'Done' });
    await run(messaging.replyToMessage, { messageId: 'om_3', step: 'followup', text: 'More' });
    const uuids = stub.api().map((r) => r.body.uuid as string);
    assert.equal(uuids[0], uuids[1]);
    assert.notEqual(uuids[0], uuids[2]);
    assert.ok(uuids.every((u) => u.length <= 50));
    assert.deepEqual(stub.api()[0]!.body, { content: '{"text":"Done"}', msg_type: 'text', reply_in_thread: false, uuid: uuids[0] });
  });

  it('throws LarkRateLimited with the reset delay when Lark limits the bot', async () => {
    stub.setHandler(() => ({ status: 400, headers: { 'x-ogw-ratelimit-reset': '2' }, body: { code: 230020, msg: 'frequency limit' } }));
    const f = await failureOf(run(messaging.sendMessage, { receiveIdType: 'chat_id', receiveId: 'oc_1', sourceMessageId: 'om_4', step: 's', text: 'hi' }));
    assert.equal(f.type, LarkFailureType.RateLimited);
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, 2000);
  });

  it('a cancelled activity aborts its request', async () => {
    stub.setHandler(() => ({ ...larkOk({ message_id: 'late' }), delayMs: 1500 }));
    const e = env();
    const started = Date.now();
    const pending = run(messaging.replyToMessage, { messageId: 'om_5', step: 'x', text: 'slow' }, e);
    setTimeout(() => e.cancel(), 100);
    await assert.rejects(pending, (err: Error) => err.name === 'CancelledFailure' || err.name === 'AbortError');
    assert.ok(Date.now() - started < 1200, 'the request was aborted, not awaited');
  });
});

describe('Lark errors in a tool', () => {
  it('a rate limit is thrown retryable with the reset delay; the model never sees it', async () => {
    stub.setHandler((r) =>
      r.path.endsWith('/calendars/primary')
        ? larkOk({ calendars: [{ calendar: { calendar_id: 'cal_me' } }] })
        : { status: 429, headers: { 'x-ogw-ratelimit-reset': '2' }, body: { code: 99991400, msg: 'request trigger frequency limit' } },
    );
    const f = await failureOf(run(tools.runTool, call('list_events', { start: '2026-11-22T00:00', end: '2026-11-23T00:00' })));
    assert.equal(f.type, LarkFailureType.RateLimited);
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, 2000);
  });
});

describe('audit log to Base', () => {
  it("chunks by 500, and a retry repeats every chunk's client_token", async () => {
    let n = 0;
    stub.setHandler((r) => larkOk({ records: r.body.records.map((x: { fields: unknown }) => ({ record_id: `r${++n}`, fields: x.fields })) }));
    const rows: AuditRecord[] = Array.from({ length: 750 }, (_, i) => ({
      atMs: 0,
      openId: ME,
      messageId: 'om_6',
      index: i,
      undo: false,
      action: 'create_event',
      objectId: `ev_${i}`,
    }));
    const out = await run(log.logAudit, rows);
    assert.equal(out.logged, 750);
    assert.deepEqual(
      stub.api().map((r) => r.body.records.length),
      [500, 250],
    );
    assert.ok(stub.api().every((r) => r.path === '/open-apis/bitable/v1/apps/app_1/tables/tbl_audit/records/batch_create'));
    await run(log.logAudit, rows); // a retry
    const tokens = stub.api().map((r) => r.query.get('client_token'));
    assert.notEqual(tokens[0], tokens[1], 'each chunk its own token');
    assert.deepEqual(tokens.slice(2), tokens.slice(0, 2));
  });
});
