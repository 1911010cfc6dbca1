/**
 * Lark activities in a mocked activity context against a local Lark-format server: wall-clock input
 * reaches the wire in the right unit, retries reuse the same idempotency keys, errors become typed failures.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createLarkActivities } from '../activities/lark';
import { LarkClient } from '../src/lark/client';
import { LarkFailureType } from '../src/lark/errors';
import { larkOk, startLarkStub } from './support/lark-stub';

let stub: Awaited<ReturnType<typeof startLarkStub>>;
let acts: ReturnType<typeof createLarkActivities>;

before(async () => {
  stub = await startLarkStub();
  const client = new LarkClient({ baseUrl: stub.url, appId: 'cli_t', appSecret: 's3cret-s3cret', timeoutMs: 2000 });
  acts = createLarkActivities({ client, defaultTimezone: 'Asia/Ho_Chi_Minh' });
});
after(() => stub.close());
beforeEach(() => stub.reset());

// Expected failures would otherwise print as worker warnings.
const env = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
/** Runs an activity in a fresh mock context, typed by the activity's own signature. */
const run = <I, O>(fn: (input: I) => Promise<O>, input: NoInfer<I>, e = env()): Promise<O> => e.run(fn, input);

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a failure');
}

describe('createCalendarEvent', () => {
  it('resolves the primary calendar, sends seconds for the user\'s wall time, same key on retry', async () => {
    stub.setHandler((r) => {
      if (r.path === '/open-apis/calendar/v4/calendars/primary') return larkOk({ calendars: [{ calendar: { calendar_id: 'cal_bot' } }] });
      if (r.path.endsWith('/attendees')) return larkOk({ attendees: [] });
      return larkOk({ event: { event_id: 'ev_1', summary: r.body.summary, start_time: r.body.start_time, end_time: r.body.end_time } });
    });
    const input = {
      sourceMessageId: 'om_1',
      step: 'tool-1',
      summary: 'Planning',
      start: '2026-11-22 15:00',
      end: '2026-11-22 16:00',
      attendeeOpenIds: ['ou_a'],
    };
    const out = await run(acts.createCalendarEvent, input);
    assert.deepEqual(out, {
      eventId: 'ev_1',
      allDay: false,
      summary: 'Planning',
      start: '2026-11-22 15:00',
      end: '2026-11-22 16:00',
      calendarId: 'cal_bot',
      timezone: 'Asia/Ho_Chi_Minh',
    });
    const create = stub.api().find((r) => r.path === '/open-apis/calendar/v4/calendars/cal_bot/events')!;
    assert.deepEqual(create.body.start_time, { timestamp: '1795334400', timezone: 'Asia/Ho_Chi_Minh' });
    assert.deepEqual(create.body.end_time, { timestamp: '1795338000', timezone: 'Asia/Ho_Chi_Minh' });
    const attendees = stub.api().find((r) => r.path.endsWith('/attendees'))!;
    assert.deepEqual(attendees.body.attendees, [{ type: 'user', user_id: 'ou_a', is_optional: false }]);

    await run(acts.createCalendarEvent, input); // a retry
    const keys = stub.api().filter((r) => r.path.endsWith('/events')).map((r) => r.query.get('idempotency_key'));
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1]);
    await run(acts.createCalendarEvent, { ...input, step: 'tool-2' });
    const third = stub.api().filter((r) => r.path.endsWith('/events')).at(-1)!.query.get('idempotency_key');
    assert.notEqual(third, keys[0]);
  });

  it('refuses an event that ends before it starts, or a bad time, without calling Lark', async () => {
    const base = { sourceMessageId: 'om_1', step: 's', summary: 'x', calendarId: 'cal_1' };
    const f1 = await failureOf(run(acts.createCalendarEvent, { ...base, start: '2026-11-22 16:00', end: '2026-11-22 15:00' }));
    const f2 = await failureOf(run(acts.createCalendarEvent, { ...base, start: '2026-13-01 10:00', end: '2026-13-01 11:00' }));
    const f3 = await failureOf(
      run(acts.createCalendarEvent, { ...base, start: '2026-11-22 10:00', end: '2026-11-22 11:00', timezone: 'Saigon' }),
    );
    for (const f of [f1, f2, f3]) {
      assert.equal(f.type, LarkFailureType.InvalidInput);
      assert.equal(f.nonRetryable, true);
    }
    assert.equal(stub.api().length, 0);
  });
});

describe('listCalendarEvents', () => {
  it('sends the range in seconds and returns wall times in the requested zone', async () => {
    stub.setHandler(() =>
      larkOk({
        items: [
          { event_id: 'e1', summary: 'A', start_time: { timestamp: '1795334400' }, end_time: { timestamp: '1795338000' } },
          { event_id: 'e2', summary: 'gone', status: 'cancelled', start_time: { timestamp: '1795334400' } },
          { event_id: 'e3', summary: 'Holiday', start_time: { date: '2026-11-23' }, end_time: { date: '2026-11-24' } },
        ],
        has_more: false,
      }),
    );
    const out = await run(acts.listCalendarEvents, {
      calendarId: 'cal_1',
      from: '2026-11-22 00:00',
      to: '2026-11-24 00:00',
      timezone: 'America/New_York',
    });
    const req = stub.api()[0]!;
    assert.equal(req.query.get('start_time'), String(Date.UTC(2026, 10, 22, 5) / 1000));
    assert.equal(req.query.get('end_time'), String(Date.UTC(2026, 10, 24, 5) / 1000));
    assert.deepEqual(out.events.map((e) => [e.eventId, e.start, e.allDay]), [
      ['e1', '2026-11-22 03:00', false],
      ['e3', '2026-11-23', true],
    ]);
    assert.equal(out.truncated, false);
  });
});

describe('tasks', () => {
  it('creates a task due at a New York wall time in milliseconds, same client_token on retry', async () => {
    stub.setHandler((r) => larkOk({ task: { guid: 'g1', summary: r.body.summary, due: r.body.due } }));
    const input = { sourceMessageId: 'om_2', step: 'task', summary: 'File report', due: '2026-07-15 09:00', timezone: 'America/New_York' };
    const out = await run(acts.createTask, input);
    assert.deepEqual(out, { guid: 'g1', summary: 'File report', due: '2026-07-15 09:00' });
    await run(acts.createTask, input);
    const [a, b] = stub.api();
    assert.equal(a!.body.due.timestamp, String(Date.UTC(2026, 6, 15, 13)));
    assert.equal(a!.body.client_token, b!.body.client_token);
  });

  it('completes with the workflow-given time in milliseconds', async () => {
    stub.setHandler((r) => larkOk({ task: { guid: 'g1', completed_at: r.body.task.completed_at } }));
    const out = await run(acts.completeTask, { taskGuid: 'g1', completedAtMs: 1795334400000 });
    assert.deepEqual(out, { guid: 'g1', completedAtMs: '1795334400000' });
    assert.deepEqual(stub.api()[0]!.body, { task: { completed_at: '1795334400000' }, update_fields: ['completed_at'] });
  });
});

describe('messages', () => {
  it('replies with a stable uuid per (message, step)', async () => {
    stub.setHandler(() => larkOk({ message_id: 'om_r' }));
    await run(acts.replyToMessage, { messageId: 'om_3', step: 'answer', text: 'Done' });
    await run(acts.replyToMessage, { messageId: 'om_3', step: 'answer', text: 'Done' });
    await run(acts.replyToMessage, { messageId: 'om_3', step: 'followup', text: 'More' });
    const uuids = stub.api().map((r) => r.body.uuid as string);
    assert.equal(uuids[0], uuids[1]);
    assert.notEqual(uuids[0], uuids[2]);
    assert.ok(uuids.every((u) => u.length <= 50));
    assert.deepEqual(stub.api()[0]!.body, { content: '{"text":"Done"}', msg_type: 'text', reply_in_thread: false, uuid: uuids[0] });
  });

  it('throws LarkRateLimited with the reset delay when Lark limits the bot', async () => {
    stub.setHandler(() => ({ status: 400, headers: { 'x-ogw-ratelimit-reset': '2' }, body: { code: 230020, msg: 'frequency limit' } }));
    const f = await failureOf(run(acts.sendMessage, { receiveIdType: 'chat_id', receiveId: 'oc_1', sourceMessageId: 'om_4', step: 's', text: 'hi' }));
    assert.equal(f.type, LarkFailureType.RateLimited);
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, 2000);
  });

  it('a cancelled activity aborts its request', async () => {
    stub.setHandler(() => ({ ...larkOk({ message_id: 'late' }), delayMs: 1500 }));
    const e = env();
    const started = Date.now();
    const pending = run(acts.replyToMessage, { messageId: 'om_5', step: 'x', text: 'slow' }, e);
    setTimeout(() => e.cancel(), 100);
    await assert.rejects(pending, (err: Error) => err.name === 'CancelledFailure' || err.name === 'AbortError');
    assert.ok(Date.now() - started < 1200, 'the request was aborted, not awaited');
  });
});

describe('appendBaseRecords', () => {
  it('chunks, heartbeats per chunk, and returns record ids', async () => {
    let n = 0;
    stub.setHandler((r) => larkOk({ records: r.body.records.map((x: { fields: unknown }) => ({ record_id: `r${++n}`, fields: x.fields })) }));
    const e = env();
    const beats: unknown[] = [];
    e.on('heartbeat', (d: unknown) => beats.push(d));
    const records = Array.from({ length: 750 }, (_, i) => ({ Step: i }));
    const out = await run(acts.appendBaseRecords, { appToken: 'app_1', tableId: 'tbl_1', records, sourceMessageId: 'om_6', step: 'log' }, e);
    assert.equal(out.created, 750);
    assert.equal(out.recordIds.length, 750);
    assert.deepEqual(stub.api().map((r) => r.body.records.length), [500, 250]);
    assert.deepEqual(beats, [{ written: 500, total: 750 }, { written: 750, total: 750 }]);
  });
});
