/**
 * inspectEvent against the Lark emulator, which answers like Lark: no attendees in the event GET unless
 * need_attendee=true, the organizer in event_organizer, an invited user reads the event in their own calendar.
 * Real token store on PostgreSQL, real Lark client; only Lark is the emulator.
 */
import { loadSchedulingConfig } from '../src/config';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createToolActivities } from '../activities/tools';
import type { LarkEmulator } from '../dev/emulator';
import { asUser, LarkClient } from '../src/lark/client';
import { startSignedInEmulator, type SignedInEmulator } from './support/signed-in-emulator';

let emu: LarkEmulator;
let world: SignedInEmulator;
let lark: LarkClient;
let tools: ReturnType<typeof createToolActivities>;
const TZ = 'Asia/Ho_Chi_Minh';
const id = (k: string) => emu.user(k).open_id;

before(async () => {
  world = await startSignedInEmulator({ signIn: ['lan', 'minh', 'alice'], scopes: ['calendar:calendar'] });
  ({ emu, lark } = world);
  tools = createToolActivities({ client: lark, tokens: world.store, scheduling: loadSchedulingConfig({}) });
});

after(async () => world?.stop());

/** An event in `owner`'s primary calendar (12:00-13:00 on 2026-11-22 in Ho Chi Minh City), with `invite` added as attendees. */
async function eventOf(owner: string, summary: string, invite: string[] = []): Promise<string> {
  const as = { as: asUser(id(owner)) };
  const cal = (await lark.primaryCalendar(as)).calendar_id;
  const ev = await lark.createEvent(
    cal,
    { summary, start: { timestampSec: '1795323600', timezone: TZ }, end: { timestampSec: '1795327200', timezone: TZ } },
    randomBytes(8).toString('hex'),
    as,
  );
  if (invite.length)
    await lark.addAttendees(
      cal,
      ev.event_id,
      invite.map((k) => ({ type: 'user' as const, id: id(k) })),
      {},
      as,
    );
  return ev.event_id;
}

describe('the emulator follows Lark on attendees', () => {
  test('the event GET has no attendees unless need_attendee=true; then user ids and event_organizer', async () => {
    const eventId = await eventOf('lan', 'Budget review', ['minh']);
    const as = { as: asUser(id('lan')) };
    const cal = (await lark.primaryCalendar(as)).calendar_id;
    const plain = await lark.getEvent(cal, eventId, as);
    assert.equal(plain.attendees, undefined, 'Lark leaves attendees out by default');
    assert.deepEqual(plain.event_organizer, { user_id: id('lan'), display_name: emu.user('lan').name });
    const full = await lark.getEvent(cal, eventId, { ...as, needAttendee: true });
    assert.deepEqual(
      full.attendees?.map((a) => [a.user_id, a.display_name]),
      [[id('minh'), emu.user('minh').name]],
    );
    assert.equal(full.has_more_attendee, false);
    const gets = emu.calls.filter((c) => c.method === 'GET' && c.path.endsWith(`/events/${eventId}`));
    assert.deepEqual(
      gets.map((c) => c.query.need_attendee),
      [undefined, 'true'],
    );
  });
});

describe('inspectEvent', () => {
  test('an event only the user is in: found, title and times, nobody else', async () => {
    const eventId = await eventOf('lan', 'Focus time');
    const facts = await tools.inspectEvent({ openId: id('lan'), eventId, timezone: TZ });
    assert.deepEqual(facts, { found: true, summary: 'Focus time', startMs: 1795323600_000, endMs: 1795327200_000, attendeeNames: [], othersAttend: false });
    assert.equal(await tools.eventHasOtherAttendees({ openId: id('lan'), eventId }), false);
  });

  test('an event the user organized with an invitee: others attend, named', async () => {
    const eventId = await eventOf('lan', 'Meeting with Minh', ['minh']);
    const facts = await tools.inspectEvent({ openId: id('lan'), eventId, timezone: TZ });
    assert.deepEqual([facts.othersAttend, facts.attendeeNames], [true, [emu.user('minh').name]]);
    assert.equal(await tools.eventHasOtherAttendees({ openId: id('lan'), eventId }), true);
  });

  test('an event organized by someone else, the user the only attendee: the organizer counts as another', async () => {
    const eventId = await eventOf('minh', 'Minh invites Lan', ['lan']);
    const facts = await tools.inspectEvent({ openId: id('lan'), eventId, timezone: TZ });
    assert.equal(facts.found, true);
    assert.equal(facts.summary, 'Minh invites Lan');
    assert.deepEqual([facts.othersAttend, facts.attendeeNames], [true, [emu.user('minh').name]]);
  });

  test('an event organized by someone else with several attendees: every other one is named once', async () => {
    const eventId = await eventOf('minh', 'Team sync', ['lan', 'alice']);
    const facts = await tools.inspectEvent({ openId: id('lan'), eventId, timezone: TZ });
    assert.deepEqual(facts.attendeeNames, [emu.user('minh').name, emu.user('alice').name]);
    assert.equal(facts.othersAttend, true);
  });

  test('an event the user cannot see: not found, treated as shared (ask)', async () => {
    const eventId = await eventOf('minh', 'Private to Minh');
    const facts = await tools.inspectEvent({ openId: id('lan'), eventId, timezone: TZ });
    assert.deepEqual(facts, { found: false, attendeeNames: [], othersAttend: true });
  });
});
