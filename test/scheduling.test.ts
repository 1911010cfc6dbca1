/**
 * Scheduling against the Lark emulator (Lark's wire format and limits), with the real Lark client, the real
 * tool activities and the real token store on PostgreSQL: free/busy and paging on the wire, find_time across
 * time zones, working hours and lunch, unknown and ambiguous people, checkSlot, and the sanity checks before
 * acting (a time in the past, a missing time, conflicts with the next free slot).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createToolActivities, type ToolActivities } from '../activities/tools';
import type { FindTimeResult } from '../src/agent/tool-io';
import { findFreeSlots, outsideWorkingTime } from '../src/agent/slots';
import { ConfigError, loadConfig, loadSchedulingConfig, type SchedulingConfig } from '../src/config';
import { SEED_BLOCKS, startLarkEmulator, type LarkEmulator } from '../dev/emulator';
import { DEFAULT_USERS } from '../dev/emulator/state';
import { LarkApiError, LarkRequestInvalid } from '../src/lark/errors';
import { asUser, LarkClient } from '../src/lark/client';
import { formatWall, wallFieldsAt, zonedToEpochMs } from '../src/lark/time';
import type { UserTokenStore } from '../src/storage/token-store';
import { startSignedInEmulator, type SignedInEmulator } from './support/signed-in-emulator';

const HCM = 'Asia/Ho_Chi_Minh';
const BERLIN = 'Europe/Berlin';
/** Monday 7 Jan 2030, 10:00 in Ho Chi Minh City: the tools' "now". */
const NOW = zonedToEpochMs('2030-01-07 10:00', HCM);
const RULES: SchedulingConfig = loadSchedulingConfig({});

let emu: LarkEmulator;
let world: SignedInEmulator;
let lark: LarkClient;
let store: UserTokenStore;
let n = 0;
const id = (k: string) => emu.user(k).open_id;

function toolsWith(scheduling: SchedulingConfig): ToolActivities {
  return createToolActivities({ client: lark, tokens: store, scheduling });
}

/** One tool call as the agent loop makes it, as Lan, in Ho Chi Minh City, at NOW. */
async function run(tools: ToolActivities, name: string, input: unknown, nowMs = NOW) {
  return tools.runTool({ openId: id('lan'), sourceMessageId: `om_${n}`, toolUseId: `toolu_${n++}`, name, input, timezone: HCM, nowMs });
}

/** An event straight into the emulator's state: `owner`'s calendar, wall times in `tz`. */
function addEvent(owner: string, summary: string, start: string, end: string, tz = HCM, attendees: string[] = [], rsvp = 'accept') {
  const u = emu.user(owner);
  const event_id = `${randomBytes(8).toString('hex')}_0`;
  emu.state.events.set(event_id, {
    event_id,
    organizer_calendar_id: u.primaryCalendarId,
    summary,
    start_time: { timestamp: String(zonedToEpochMs(start, tz) / 1000), timezone: tz },
    end_time: { timestamp: String(zonedToEpochMs(end, tz) / 1000), timezone: tz },
    status: 'confirmed',
    attendees: attendees.map((k) => ({ type: 'user', open_id: id(k), rsvp_status: rsvp, display_name: emu.user(k).name })),
    create_time: '0',
    extra: {},
  });
  return event_id;
}

function clearEvents() {
  emu.state.events.clear();
}

before(async () => {
  world = await startSignedInEmulator({
    signIn: ['lan', 'minh', 'alice'],
    scopes: ['calendar:calendar'],
    emulator: { users: [...DEFAULT_USERS, { key: 'lan2', name: 'Lê Thị Lan', email: 'lan.le@example.com', timezone: HCM }] },
  });
  ({ emu, store, lark } = world);
});

after(async () => world?.stop());

describe('configuration', () => {
  test('defaults: 09:00-18:00, Monday to Friday, lunch 12:00-13:30, no zones', () => {
    assert.deepEqual(RULES, { workStartMin: 540, workEndMin: 1080, workDays: [1, 2, 3, 4, 5], lunch: { startMin: 720, endMin: 810 }, timezones: {} });
    assert.deepEqual(loadConfig({}).scheduling, RULES);
  });

  test('ranges, lists, weekend-spanning days, no lunch, zones by e-mail', () => {
    const c = loadSchedulingConfig({
      WORK_HOURS: '08:30-17:00',
      WORK_DAYS: 'Sun-Thu',
      LUNCH: 'none',
      WORK_TIMEZONES: 'Alice@Example.com=Europe/Berlin, ou_x=Asia/Singapore',
    });
    assert.deepEqual(c, { workStartMin: 510, workEndMin: 1020, workDays: [0, 1, 2, 3, 4], timezones: { 'alice@example.com': BERLIN, ou_x: 'Asia/Singapore' } });
    assert.deepEqual(loadSchedulingConfig({ WORK_DAYS: 'Mon,Wed,Fri' }).workDays, [1, 3, 5]);
  });

  test('every bad value is named', () => {
    try {
      loadConfig({ WORK_HOURS: '18:00-09:00', WORK_DAYS: 'Funday', LUNCH: 'noon', WORK_TIMEZONES: 'alice@example.com=Mars/Olympus' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      for (const name of ['WORK_HOURS', 'WORK_DAYS', 'LUNCH', 'WORK_TIMEZONES']) assert.ok(err.message.includes(name), `${name} in ${err.message}`);
    }
  });
});

describe('the slot rule (pure)', () => {
  const at = (wall: string, tz = HCM) => zonedToEpochMs(wall, tz);

  test("working hours and lunch in each person's own zone; weekends skipped", () => {
    assert.equal(outsideWorkingTime(at('2030-01-08 08:30'), at('2030-01-08 09:30'), HCM, RULES), 'hours');
    assert.equal(outsideWorkingTime(at('2030-01-08 12:30'), at('2030-01-08 13:00'), HCM, RULES), 'lunch');
    assert.equal(outsideWorkingTime(at('2030-01-08 13:30'), at('2030-01-08 14:00'), HCM, RULES), undefined);
    assert.equal(outsideWorkingTime(at('2030-01-12 10:00'), at('2030-01-12 11:00'), HCM, RULES), 'day', 'Saturday');
    // 15:00 in Ho Chi Minh City is 09:00 in Berlin (UTC+1 in January): inside both working days.
    assert.equal(outsideWorkingTime(at('2030-01-08 15:00'), at('2030-01-08 16:00'), BERLIN, RULES), undefined);
    assert.equal(outsideWorkingTime(at('2030-01-08 14:00'), at('2030-01-08 15:00'), BERLIN, RULES), 'hours');
  });

  test('earliest per day first, then more a meeting length apart, never over lunch', () => {
    const slots = findFreeSlots({
      fromMs: at('2030-01-08 09:00'),
      toMs: at('2030-01-09 18:00'),
      durationMinutes: 60,
      people: [{ timezone: HCM, busy: [{ startMs: at('2030-01-08 09:00'), endMs: at('2030-01-08 10:00') }] }],
      rules: RULES,
      dayZone: HCM,
    });
    // 11:00 is too close to 10:00 to be a different choice, 11:15-12:15 runs into lunch.
    assert.deepEqual(
      slots.map((s) => formatWall(s.startMs, HCM)),
      ['2030-01-08 10:00', '2030-01-08 13:30', '2030-01-09 09:00'],
    );
  });
});

describe('the emulator follows Lark: free/busy and paging', () => {
  test('freebusy/list: RFC 3339 with offsets, at most 90 days, busy blocks of events owned or attended (not declined)', async () => {
    clearEvents();
    addEvent('lan', 'Own', '2030-01-08 09:00', '2030-01-08 10:00');
    addEvent('minh', 'Invited', '2030-01-08 11:00', '2030-01-08 12:00', HCM, ['lan']);
    addEvent('minh', 'Declined', '2030-01-08 14:00', '2030-01-08 15:00', HCM, ['lan'], 'decline');
    const as = { as: asUser(id('lan')) };
    const busy = await lark.freeBusy(id('lan'), '2030-01-08T00:00:00+07:00', '2030-01-09T00:00:00+07:00', as);
    assert.deepEqual(
      busy.map((b) => [formatWall(Date.parse(b.start_time), HCM), formatWall(Date.parse(b.end_time), HCM)]),
      [
        ['2030-01-08 09:00', '2030-01-08 10:00'],
        ['2030-01-08 11:00', '2030-01-08 12:00'],
      ],
    );
    await assert.rejects(
      lark.freeBusy(id('lan'), '2030-01-08 00:00', '2030-01-09T00:00:00+07:00', as),
      LarkRequestInvalid,
      'no offset: refused before sending',
    );
    await assert.rejects(
      lark.freeBusy(id('lan'), '2030-01-01T00:00:00Z', '2030-04-05T00:00:00Z', as),
      (e: unknown) => e instanceof LarkApiError && e.code === 190002,
    );
    const call = emu.calls.filter({ method: 'POST', path: '/calendar/v4/freebusy/list' }).at(-1);
    assert.ok(call, 'the call log has the free/busy call');
  });

  test('events list: page_size 50-1000, pages of at most 20 with page_token / has_more; the client follows them to the end', async () => {
    clearEvents();
    for (let i = 0; i < 45; i++)
      addEvent(
        'lan',
        `Item ${String(i).padStart(2, '0')}`,
        `2030-01-08 ${String(8 + Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')}`,
        `2030-01-08 ${String(8 + Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15 + 10).padStart(2, '0')}`,
      );
    const as = { as: asUser(id('lan')) };
    const cal = (await lark.primaryCalendar(as)).calendar_id;
    const from = String(zonedToEpochMs('2030-01-08 00:00', HCM) / 1000);
    const to = String(zonedToEpochMs('2030-01-09 00:00', HCM) / 1000);
    await assert.rejects(lark.listEvents(cal, from, to, { ...as, pageSize: 10 }), (e: unknown) => e instanceof LarkApiError && e.code === 190002);
    const first = await lark.listEvents(cal, from, to, as);
    assert.equal(first.items.length, 20);
    assert.equal(first.hasMore, true);
    assert.ok(first.pageToken);
    const before = emu.calls.filter({ method: 'GET', path: /\/events$/ }).length;
    const all = await lark.listAllEvents(cal, from, to, as);
    assert.equal(all.items.length, 45);
    assert.equal(all.truncated, false);
    assert.deepEqual(
      all.items.map((e) => e.summary),
      [...Array(45).keys()].map((i) => `Item ${String(i).padStart(2, '0')}`),
      'in order, none twice',
    );
    assert.equal(emu.calls.filter({ method: 'GET', path: /\/events$/ }).length - before, 3, 'three pages');
    const bounded = await lark.listAllEvents(cal, from, to, { ...as, maxItems: 30 });
    assert.equal(bounded.items.length, 30);
    assert.equal(bounded.truncated, true);
  });

  test('list_events gives the model every event of a long range, compact, with the total', async () => {
    const out = await run(toolsWith(RULES), 'list_events', { start: '2030-01-08T00:00', end: '2030-01-09T00:00' });
    assert.equal(out.isError, false);
    const r = JSON.parse(out.content) as { events: Array<Record<string, string>>; total: number; truncated: boolean };
    assert.equal(r.total, 45);
    assert.equal(r.events.length, 45);
    assert.equal(r.truncated, false);
    assert.deepEqual(Object.keys(r.events[0]!).sort(), ['end', 'event_id', 'start', 'summary']);
    assert.equal(r.events[0]!.start, '2030-01-08 08:00');
    assert.ok(!/\n/.test(out.content), 'one compact JSON line');
  });

  test('list_tasks follows the task pages too', async () => {
    for (let i = 0; i < 27; i++) {
      const guid = `task-${i}-${randomBytes(4).toString('hex')}`;
      emu.state.tasks.set(guid, {
        guid,
        task_id: `t${i}`,
        summary: `Task ${i}`,
        description: '',
        completed_at: '0',
        creator: { id: id('lan'), type: 'user' },
        members: [{ id: id('lan'), type: 'user', role: 'assignee' }],
        created_at: '0',
        updated_at: '0',
        extra: {},
      });
    }
    const before = emu.calls.filter({ method: 'GET', path: '/task/v2/tasks' }).length;
    const out = await run(toolsWith(RULES), 'list_tasks', {});
    const r = JSON.parse(out.content) as { tasks: unknown[]; total: number };
    assert.equal(r.total, 27);
    assert.equal(r.tasks.length, 27);
    assert.equal(emu.calls.filter({ method: 'GET', path: '/task/v2/tasks' }).length - before, 2);
  });

  test('seeded calendars: a few busy blocks per user, each in their own zone', async () => {
    const seeded = await startLarkEmulator({ seedCalendars: true });
    try {
      const alice = seeded.user('alice');
      assert.equal(alice.timezone, BERLIN);
      const sync = seeded.state.eventList().find((e) => e.organizer_calendar_id === alice.primaryCalendarId && e.summary === 'Team sync');
      assert.ok(sync, 'Alice has her team sync');
      const local = wallFieldsAt(Number((sync!.start_time as { timestamp: string }).timestamp) * 1000, BERLIN);
      assert.deepEqual([local.hour, local.minute], [9, 30], '09:30 in Berlin');
      for (const key of Object.keys(SEED_BLOCKS)) {
        assert.ok(
          seeded.state.eventList().some((e) => e.organizer_calendar_id === seeded.user(key).primaryCalendarId),
          `${key} has busy blocks`,
        );
      }
    } finally {
      await seeded.stop();
    }
  });
});

describe('find_time', () => {
  const zones: SchedulingConfig = { ...RULES, timezones: { 'alice@example.com': BERLIN } };

  test('across time zones: only hours that are working hours for Lan in Ho Chi Minh City AND Alice in Berlin', async () => {
    clearEvents();
    addEvent('alice', 'Team sync', '2030-01-08 09:00', '2030-01-08 10:00', BERLIN); // 15:00-16:00 in HCM
    const out = await run(toolsWith(zones), 'find_time', { attendees: ['Alice'], duration_minutes: 60, start: '2030-01-08T00:00', end: '2030-01-10T00:00' });
    assert.equal(out.isError, false, out.content);
    assert.equal(out.effect, undefined, 'read-only');
    const r = JSON.parse(out.content) as FindTimeResult;
    assert.deepEqual(r.attendees, [{ name: 'Alice Smith', open_id: id('alice'), timezone: BERLIN }]);
    assert.deepEqual(
      r.slots.map((s) => [s.start, s.end]),
      [
        ['2030-01-08 16:00', '2030-01-08 17:00'],
        ['2030-01-09 15:00', '2030-01-09 16:00'],
        ['2030-01-09 17:00', '2030-01-09 18:00'],
      ],
    );
    assert.equal(r.slots[0]!.startMs, zonedToEpochMs('2030-01-08 16:00', HCM));
    assert.equal(r.slots[0]!.attendee_local?.['Alice Smith'], '2030-01-08 10:00–11:00');
    assert.equal(r.durationMinutes, 60);
    // Without her zone Alice is taken to work in Lan's: the morning is proposed, which is night in Berlin.
    const naive = JSON.parse(
      (await run(toolsWith(RULES), 'find_time', { attendees: ['alice@example.com'], duration_minutes: 60, start: '2030-01-08T00:00', end: '2030-01-10T00:00' }))
        .content,
    ) as FindTimeResult;
    assert.equal(naive.slots[0]!.start, '2030-01-08 09:00');
  });

  test("working hours, lunch and everyone's meetings; the past is never proposed", async () => {
    clearEvents();
    addEvent('lan', 'Lan busy', '2030-01-08 09:00', '2030-01-08 10:30');
    addEvent('minh', 'Minh busy', '2030-01-08 10:30', '2030-01-08 12:00');
    const out = await run(toolsWith(RULES), 'find_time', { attendees: ['Minh'], duration_minutes: 30, start: '2030-01-08T07:00', end: '2030-01-08T20:00' });
    const r = JSON.parse(out.content) as FindTimeResult;
    assert.deepEqual(
      r.slots.map((s) => s.start),
      ['2030-01-08 13:30', '2030-01-08 14:30', '2030-01-08 15:30'],
    );
    // "Now" is Tuesday 11:05: the window before it is skipped.
    const later = JSON.parse(
      (
        await run(
          toolsWith(RULES),
          'find_time',
          { duration_minutes: 30, start: '2030-01-08T00:00', end: '2030-01-08T18:00' },
          zonedToEpochMs('2030-01-08 11:05', HCM),
        )
      ).content,
    ) as FindTimeResult;
    assert.equal(later.slots[0]!.start, '2030-01-08 11:15');
    const none = JSON.parse(
      (await run(toolsWith(RULES), 'find_time', { attendees: ['Minh'], duration_minutes: 120, start: '2030-01-08T09:00', end: '2030-01-08T13:00' })).content,
    ) as FindTimeResult;
    assert.deepEqual(none.slots, []);
    assert.match(none.none ?? '', /wider window or a shorter meeting/);
    const over = await run(toolsWith(RULES), 'find_time', { duration_minutes: 30, start: '2030-01-01T09:00', end: '2030-01-02T18:00' });
    assert.equal(over.isError, true);
    assert.match(over.content, /over or too short/);
  });

  test("an unknown or ambiguous person is an error with the candidates; nobody's free/busy is read", async () => {
    const before = emu.calls.filter({ path: '/calendar/v4/freebusy/list' }).length;
    const bob = await run(toolsWith(RULES), 'find_time', { attendees: ['Bob'], duration_minutes: 30, start: '2030-01-08T09:00', end: '2030-01-08T18:00' });
    assert.equal(bob.isError, true);
    assert.match(bob.content, /Nobody named "Bob"/);
    const lan = await run(toolsWith(RULES), 'find_time', {
      attendees: ['Minh', 'Lan'],
      duration_minutes: 30,
      start: '2030-01-08T09:00',
      end: '2030-01-08T18:00',
    });
    assert.equal(lan.isError, true);
    assert.match(lan.content, /"Lan" matches several people: .*Nguyễn Thị Lan.*Lê Thị Lan|"Lan" matches several people: .*Lê Thị Lan.*Nguyễn Thị Lan/);
    assert.equal(emu.calls.filter({ path: '/calendar/v4/freebusy/list' }).length, before);
  });

  test("checkSlot: free, then taken by an attendee's new meeting (named, with the time)", async () => {
    clearEvents();
    const tools = toolsWith(RULES);
    const slot = {
      openId: id('lan'),
      attendeeOpenIds: [id('alice')],
      startMs: zonedToEpochMs('2030-01-08 16:00', HCM),
      endMs: zonedToEpochMs('2030-01-08 17:00', HCM),
      timezone: HCM,
    };
    assert.deepEqual(await tools.checkSlot(slot), { free: true, conflicts: [] });
    addEvent('alice', 'Interview', '2030-01-08 10:30', '2030-01-08 11:30', BERLIN); // 16:30-17:30 in HCM
    assert.deepEqual(await tools.checkSlot(slot), {
      free: false,
      conflicts: [{ who: 'Alice Smith', open_id: id('alice'), start: '2030-01-08 16:30', end: '2030-01-08 17:30' }],
    });
    addEvent('alice', 'Back to back', '2030-01-08 11:00', '2030-01-08 12:00', BERLIN); // touches the end only
    assert.equal(
      (await tools.checkSlot({ ...slot, startMs: zonedToEpochMs('2030-01-08 15:00', HCM), endMs: zonedToEpochMs('2030-01-08 16:00', HCM) })).free,
      true,
    );
  });
});

describe('sanity before acting', () => {
  test('a start in the past is refused and nothing is created; so is a task due yesterday', async () => {
    clearEvents();
    const out = await run(toolsWith(RULES), 'create_event', { summary: 'Early sync', start: '2030-01-07T03:00' });
    assert.equal(out.isError, true);
    assert.match(out.content, /"Early sync" would start .* is in the past .*Ask the user/);
    assert.equal(emu.state.eventList().length, 0);
    const task = await run(toolsWith(RULES), 'create_task', { summary: 'Report', due: '2030-01-06' });
    assert.equal(task.isError, true);
    assert.match(task.content, /is in the past/);
    const today = await run(toolsWith(RULES), 'create_task', { summary: 'Report', due: '2030-01-07' });
    assert.equal(today.isError, false, 'a date alone is due at the end of that day');
  });

  test('a missing or empty start is a question, not 09:00', async () => {
    for (const input of [{ summary: 'Sync with Lan' }, { summary: 'Sync with Lan', start: '' }]) {
      const out = await run(toolsWith(RULES), 'create_event', input);
      assert.equal(out.isError, true);
      assert.match(out.content, /ask the user when it should start/);
    }
    assert.equal(emu.state.eventList().length, 0);
  });

  test("a slot from find_time is booked with the attendees' open_ids; an unknown open_id is refused", async () => {
    clearEvents();
    const ok = await run(toolsWith(RULES), 'create_event', { summary: 'Sync', start: '2030-01-08T16:00', duration_minutes: 30, attendees: [id('alice')] });
    assert.equal(ok.isError, false, ok.content);
    assert.deepEqual(JSON.parse(ok.content).attendees, ['Alice Smith']);
    assert.deepEqual(ok.effect?.people, ['Alice Smith']);
    const bad = await run(toolsWith(RULES), 'create_event', { summary: 'Sync', start: '2030-01-08T17:00', attendees: ['ou_0000000000000000'] });
    assert.equal(bad.isError, true);
    assert.match(bad.content, /Nobody in the directory has the id ou_0000000000000000/);
    assert.equal(emu.state.eventList().length, 1);
  });

  test('an unknown person is never invited', async () => {
    clearEvents();
    const out = await run(toolsWith(RULES), 'create_event', { summary: 'Sync', start: '2030-01-08T15:00', attendees: ['Bob'] });
    assert.equal(out.isError, true);
    assert.match(out.content, /Nobody named "Bob"/);
    assert.equal(emu.state.eventList().length, 0);
  });

  test('an overlap is written and reported with the events and the next free slot, also after a move; a retry reports the same', async () => {
    clearEvents();
    const standup = addEvent('lan', 'Standup', '2030-01-08 15:00', '2030-01-08 15:30');
    addEvent('lan', 'Review', '2030-01-08 15:30', '2030-01-08 16:00');
    const input = { summary: 'Planning', start: '2030-01-08T15:00', duration_minutes: 60 };
    const out = await run(toolsWith(RULES), 'create_event', input);
    assert.equal(out.isError, false, out.content);
    assert.equal(out.effect?.action, 'created');
    const r = JSON.parse(out.content) as { created: { event_id: string }; conflicts: Array<Record<string, string>>; next_free: { start: string; end: string } };
    assert.deepEqual(
      r.conflicts.map((c) => [c.summary, c.start, c.end]),
      [
        ['Standup', '2030-01-08 15:00', '2030-01-08 15:30'],
        ['Review', '2030-01-08 15:30', '2030-01-08 16:00'],
      ],
    );
    assert.deepEqual(r.next_free, { start: '2030-01-08 16:00', end: '2030-01-08 17:00' }, 'after the new event itself');
    // The activity retried with the same ids: the same event (idempotency key), the same report, never itself.
    const again = await toolsWith(RULES).runTool({
      openId: id('lan'),
      sourceMessageId: 'om_retry',
      toolUseId: 'toolu_retry',
      name: 'create_event',
      input,
      timezone: HCM,
      nowMs: NOW,
    });
    const retry = await toolsWith(RULES).runTool({
      openId: id('lan'),
      sourceMessageId: 'om_retry',
      toolUseId: 'toolu_retry',
      name: 'create_event',
      input,
      timezone: HCM,
      nowMs: NOW,
    });
    assert.equal(JSON.parse(retry.content).created.event_id, JSON.parse(again.content).created.event_id);
    assert.deepEqual(
      JSON.parse(retry.content)
        .conflicts.map((c: { summary: string }) => c.summary)
        .sort(),
      ['Planning', 'Review', 'Standup'],
    );
    assert.equal(emu.state.eventList().filter((e) => e.summary === 'Planning').length, 2, 'one per request, none per retry');
    // Moving the standup 15 minutes later overlaps the review and the plannings, not itself.
    const move = await run(toolsWith(RULES), 'update_event', { event_id: standup, start: '2030-01-08T15:15' });
    assert.equal(move.isError, false, move.content);
    assert.deepEqual((JSON.parse(move.content) as { conflicts: Array<{ summary: string }> }).conflicts.map((c) => c.summary).sort(), [
      'Planning',
      'Planning',
      'Review',
    ]);
    const free = JSON.parse((await run(toolsWith(RULES), 'update_event', { event_id: standup, start: '2030-01-08T17:00' })).content) as Record<string, unknown>;
    assert.equal(free.conflicts, undefined);
    const past = await run(toolsWith(RULES), 'update_event', { event_id: standup, start: '2030-01-06T17:00' });
    assert.equal(past.isError, true);
    assert.match(past.content, /is in the past/);
  });
});

describe('who attends and who is busy (issue 22, items 6 and 7)', () => {
  test('list_events names each event\'s attendees, so "the meeting with Lan" is found after a rename', async () => {
    clearEvents();
    const q1 = addEvent('minh', 'Kế hoạch Q1', '2030-01-08 15:00', '2030-01-08 16:00', HCM, ['lan']);
    addEvent('lan', 'Focus', '2030-01-08 09:00', '2030-01-08 10:00');
    const out = await run(toolsWith(RULES), 'list_events', { start: '2030-01-08T00:00', end: '2030-01-09T00:00' });
    assert.equal(out.isError, false, out.content);
    const r = JSON.parse(out.content) as { events: Array<{ summary: string; attendees?: string[] }> };
    const byTitle = Object.fromEntries(r.events.map((e) => [e.summary, e.attendees]));
    assert.deepEqual(byTitle['Kế hoạch Q1'], ['Trần Văn Minh'], 'the organizer counts; the user herself is not listed');
    assert.equal(byTitle['Focus'], undefined, 'nobody else: no attendees field');
    assert.ok(q1);
  });

  test('list_events: at most 10 names, then how many more', async () => {
    clearEvents();
    const id12 = addEvent('lan', 'All hands', '2030-01-08 11:00', '2030-01-08 12:00', HCM, ['minh', 'alice']);
    const ev = emu.state.events.get(id12)!;
    for (let i = 0; i < 11; i++) ev.attendees.push({ type: 'third_party', third_party_email: `guest${i}@partner.example`, rsvp_status: 'needs_action' });
    const out = await run(toolsWith(RULES), 'list_events', { start: '2030-01-08T00:00', end: '2030-01-09T00:00' });
    const [e] = (JSON.parse(out.content) as { events: Array<{ attendees?: string[]; more_attendees?: number }> }).events;
    assert.deepEqual(e!.attendees, ['Trần Văn Minh', 'Alice Smith', ...[...Array(8).keys()].map((i) => `guest${i}@partner.example`)]);
    assert.equal(e!.more_attendees, 3);
  });

  test("create_event warns when an attendee is busy then, naming who and when (the user's own calendar is free)", async () => {
    clearEvents();
    addEvent('minh', 'Minh: workshop', '2030-01-08 09:00', '2030-01-08 10:30');
    const out = await run(toolsWith(RULES), 'create_event', {
      summary: 'Call with Minh',
      start: '2030-01-08T10:00',
      duration_minutes: 30,
      attendees: ['Minh'],
    });
    assert.equal(out.isError, false, out.content);
    const r = JSON.parse(out.content) as {
      conflicts?: unknown[];
      attendees_busy?: Array<{ who: string; start: string; end: string }>;
      next_free?: { start: string; end: string };
    };
    assert.equal(r.conflicts, undefined, "nothing on Lan's own calendar");
    assert.deepEqual(r.attendees_busy, [{ who: 'Trần Văn Minh', start: '2030-01-08 09:00', end: '2030-01-08 10:30' }]);
    assert.deepEqual(r.next_free, { start: '2030-01-08 10:30', end: '2030-01-08 11:00' });
    // Free attendees: no warning.
    const free = JSON.parse(
      (await run(toolsWith(RULES), 'create_event', { summary: 'Later call', start: '2030-01-08T14:00', duration_minutes: 30, attendees: ['Minh'] })).content,
    ) as Record<string, unknown>;
    assert.equal(free.attendees_busy, undefined);
  });
});
