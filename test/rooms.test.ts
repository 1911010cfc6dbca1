/**
 * Meeting rooms end to end: the offline model reads "book a room for 6 on floor 3 ..." as find_time with a room
 * need, the slot card names the room of each slot, the click re-checks the people AND the room, books the event
 * with the room as a resource attendee and reports what the room answered (accepted, not yet, declined) on the
 * card, in the answer and in its ✅ line; Undo removes the room with the event. Real workflow, webhook, emulator
 * (its seeded rooms: Floor 3 Orchid 4 / Lotus 6 / Lily 10, Floor 5 Bamboo 8 / Boardroom 16 (approval, declines)
 * / Sky Lounge 30 (approval, never answers)) and model server.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Message } from '../dev/emulator/state';
import { roomIdOf } from '../dev/emulator/rooms';
import { isUndoCard } from '../src/cards/undo-card';
import { offlineReply } from '../dev/llm/offline-rules';
import { scriptedMessage, type RecordedRequest } from '../dev/llm/offline-model';
import { formatWall } from '../src/lark/time';
import { buttonsOf, clickCard } from './support/card-clicks';
import { startStack, type Stack } from './support/stack';

/**
 * The model: the offline rules, except for a message starting "[claude]", where it acts as Claude would with the
 * tools: list_rooms to find the room's id, then create_event with that room, then a short answer.
 */
function model(req: RecordedRequest) {
  const msgs = req.body.messages as Array<{ role: string; content: string | Array<{ type: string; content?: string; text?: string }> }>;
  const firstUser = [...msgs].reverse().find((m) => m.role === 'user' && typeof m.content === 'string');
  if (!String(firstUser?.content ?? '').startsWith('[claude]')) {
    const out = offlineReply(req.body);
    return scriptedMessage(out.content, { stop_reason: out.stop_reason });
  }
  const results = msgs.flatMap((m) => (Array.isArray(m.content) ? m.content.filter((b) => b.type === 'tool_result') : []));
  const tomorrow = formatWall(Date.now() + 86_400_000, 'Asia/Ho_Chi_Minh').slice(0, 10);
  if (String(firstUser?.content).startsWith('[claude] which rooms')) {
    if (results.length === 0)
      return scriptedMessage([
        {
          type: 'tool_use',
          id: 'toolu_free',
          name: 'list_rooms',
          input: { query: 'tầng 3', min_capacity: 5, start: `${tomorrow}T10:00`, end: `${tomorrow}T11:00` },
        },
      ]);
    return scriptedMessage([{ type: 'text', text: 'Here are the rooms.' }]);
  }
  if (results.length === 0) return scriptedMessage([{ type: 'tool_use', id: 'toolu_rooms', name: 'list_rooms', input: { query: 'Lotus' } }]);
  if (results.length === 1) {
    const listed = JSON.parse(String(results[0]!.content)) as { rooms: Array<{ room_id: string }> };
    return scriptedMessage([
      {
        type: 'tool_use',
        id: 'toolu_create',
        name: 'create_event',
        input: { summary: 'Budget sync', start: `${tomorrow}T15:00`, duration_minutes: 30, room: listed.rooms[0]!.room_id },
      },
    ]);
  }
  return scriptedMessage([{ type: 'text', text: 'Here is what happened.' }]);
}

let s: Stack;
before(async () => {
  // The approval room declines 1.5 s after the booking, as Lark's asynchronous room booking does: the activity
  // must read the room again rather than report its first needs_action.
  s = await startStack({ script: model, emulator: { roomApprovalDelayMs: 1_500 } });
  await s.authorize('minh');
});
after(async () => s?.stop());

const slotCardFor = (id: string) =>
  s.waitFor<Message>('slot card', () => s.repliesTo(id).find((m) => m.msg_type === 'interactive' && m.content.includes('"kind":"slot"')));
const cardText = (id: string) => s.emu.state.messages.get(id)!.content;

const click = (card: Message, value: Record<string, unknown>, from = 'minh') => clickCard(s, card, value, from);
const answerTo = (id: string) =>
  s.waitFor<Message>('answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'), 30_000).then((m) => (JSON.parse(m.content) as { text: string }).text);
const minhEvents = () => s.emu.state.eventList().filter((e) => e.organizer_calendar_id === s.emu.user('minh').primaryCalendarId && e.status !== 'cancelled');
const roomOf = (e: { attendees: Array<Record<string, unknown>> }) => e.attendees.find((a) => a.type === 'resource');
const asMinh = () => ({ as: { kind: 'user' as const, openId: s.emu.user('minh').open_id } });
const iso = (sec: unknown) => new Date(Number(sec) * 1000).toISOString();
/** The room's busy blocks over the event's time, as Lark's free/busy (room_id) answers them. */
const roomBusyAt = (roomId: string, e: { start_time: unknown; end_time: unknown }) =>
  s.services.lark.roomFreeBusy(roomId, iso((e.start_time as { timestamp: string }).timestamp), iso((e.end_time as { timestamp: string }).timestamp), asMinh());

test('a slot with a room: the card names the room, the click books the event with the room, which accepts; Undo removes the room with the event', async () => {
  const id = await s.say('minh', 'book a room for 6 on floor 3 for the design review');
  const card = await slotCardFor(id);
  const buttons = buttonsOf(card);
  assert.ok(buttons.length >= 2, 'at least one slot and "none of these"');
  // Orchid (4 seats) is too small; Lotus (6) is the smallest room on Floor 3 that fits.
  assert.match(buttons[0]!.text.content, /\d\d:\d\d–\d\d:\d\d · Lotus$/, 'each slot names its room');
  assert.equal(minhEvents().length, 0, 'nothing booked before the click');
  await click(card, buttons[0]!.value);
  const answer = await answerTo(id);
  assert.match(answer, /Booked "Design review"/);
  assert.match(answer, /Room "Lotus" is booked\./);
  assert.match(answer, /✅ Created event “Design review” \([^)]*\); room “Lotus” booked/);
  const [ev] = minhEvents();
  assert.ok(ev, 'booked');
  assert.equal(ev.summary, 'Design review');
  assert.equal(roomOf(ev)?.room_id, roomIdOf('lotus'), 'the room is a resource attendee');
  assert.equal(roomOf(ev)?.rsvp_status, 'accept');
  assert.equal((await roomBusyAt(roomIdOf('lotus'), ev)).length, 1, 'the room is busy then');
  assert.match(cardText(card.message_id), /Booked .*Lotus/, 'the card says what was booked, with the room');

  const undo = await s.waitFor<Message>('undo card', () =>
    s.emu.state.messageList().find((m) => m.parent_id === id && m.msg_type === 'interactive' && isUndoCard(m.content)),
  );
  const undoValue = JSON.parse(undo.content).elements.find((e: { tag: string }) => e.tag === 'action').actions[0].value;
  await click(undo, undoValue);
  await s.waitFor('undone', () => minhEvents().length === 0);
  assert.equal((await roomBusyAt(roomIdOf('lotus'), ev)).length, 0, 'the room is free again once the event is gone');
});

test('a deleted meeting with a room, undone: recreated with the room asked again, which accepts', async () => {
  const id = await s.say('minh', 'book a room for 6 on floor 3 for the design review');
  const card = await slotCardFor(id);
  await click(card, buttonsOf(card)[0]!.value);
  await answerTo(id);
  const [ev] = minhEvents();
  assert.equal(roomOf(ev!)?.room_id, roomIdOf('lotus'));
  const del = await s.say('minh', 'delete the design review');
  const confirm = await s.waitFor<Message>('confirm card', () =>
    s.repliesTo(del).find((m) => m.msg_type === 'interactive' && m.content.includes('"kind":"confirm"')),
  );
  await s.click('minh', confirm, 'confirm');
  await answerTo(del);
  await s.waitFor('deleted', () => minhEvents().length === 0);
  assert.equal((await roomBusyAt(roomIdOf('lotus'), ev!)).length, 0, 'the room is free once the event is gone');
  const undo = await s.waitFor<Message>('undo card', () =>
    s.emu.state.messageList().find((m) => m.parent_id === del && m.msg_type === 'interactive' && isUndoCard(m.content)),
  );
  await click(undo, JSON.parse(undo.content).elements.find((e: { tag: string }) => e.tag === 'action').actions[0].value);
  const again = await s.waitFor('recreated', () => minhEvents()[0]);
  await s.waitFor('the room asked again and accepted', () => roomOf(minhEvents()[0]!)?.rsvp_status === 'accept');
  assert.equal(roomOf(again)?.room_id, roomIdOf('lotus'));
  assert.equal((await roomBusyAt(roomIdOf('lotus'), again)).length, 1, 'the room is busy then again');
  // Clean up for the tests after this one.
  await s.services.lark.deleteEvent(s.emu.user('minh').primaryCalendarId, again.event_id, {}, asMinh());
});

test('a room taken between the proposal and the click: the card says the room was just booked, offers the rest, books nothing', async () => {
  const id = await s.say('minh', 'book a room for 6 on floor 3 for the hiring sync');
  const card = await slotCardFor(id);
  const first = buttonsOf(card)[0]!;
  assert.match(first.text.content, /· Lotus$/);
  // Someone books Lotus outside the app for the whole coming week: its free/busy says so from now on.
  const block = { room_id: roomIdOf('lotus'), startMs: Date.now() - 60_000, endMs: Date.now() + 9 * 86_400_000 };
  s.emu.state.roomBusy.push(block);
  try {
    await click(card, first.value);
    await s.waitFor('card re-offered', () => /the room Lotus was just booked by someone else/.test(cardText(card.message_id)));
    const offered = buttonsOf(s.emu.state.messages.get(card.message_id)!);
    assert.ok(!offered.some((b) => b.text.content === first.text.content), 'the taken slot is gone');
    assert.equal(minhEvents().length, 0, 'nothing booked at the taken time');
    await click(card, offered.at(-1)!.value); // none of these
    const answer = await answerTo(id);
    assert.doesNotMatch(answer, /✅/);
    assert.equal(minhEvents().length, 0);
  } finally {
    s.emu.state.roomBusy.splice(s.emu.state.roomBusy.indexOf(block), 1);
  }
});

test('an approval room that declines: the event is created, and the card, the answer and the ✅ line say the room declined', async () => {
  const id = await s.say('minh', 'book a room for 15 on floor 5 for the all-hands');
  const card = await slotCardFor(id);
  const first = buttonsOf(card)[0]!;
  assert.match(first.text.content, /· Boardroom$/, 'the smallest room on Floor 5 with 15 seats');
  await click(card, first.value);
  const answer = await answerTo(id);
  assert.match(answer, /Booked "All-hands"/);
  assert.match(answer, /The room "Boardroom" declined, so the meeting has no room yet\./);
  assert.doesNotMatch(answer, /Room "Boardroom" is booked/);
  assert.match(answer, /✅ Created event “All-hands” \([^)]*\); room “Boardroom” declined: the event has no room/);
  assert.match(cardText(card.message_id), /declined/, 'the card says it too');
  const ev = minhEvents().find((e) => e.summary === 'All-hands')!;
  assert.equal(roomOf(ev)?.rsvp_status, 'decline');
  assert.equal((await roomBusyAt(roomIdOf('boardroom'), ev)).length, 0, 'a declined booking does not hold the room');
});

test('an approval room that has not answered: "not accepted yet", never "booked"; in Vietnamese too', async () => {
  const id = await s.say('minh', 'đặt phòng họp cho 20 người ở tầng 5 cho buổi họp toàn công ty');
  const card = await slotCardFor(id);
  const first = buttonsOf(card)[0]!;
  assert.match(first.text.content, /· phòng Sky Lounge$/, 'in the language of the request');
  await click(card, first.value);
  const answer = await answerTo(id);
  assert.match(answer, /Phòng "Sky Lounge" chưa chấp nhận \(có thể đang chờ duyệt\)\./);
  assert.doesNotMatch(answer, /Đã đặt phòng "Sky Lounge"/);
  assert.match(answer, /✅ Đã tạo sự kiện “Họp toàn công ty” \([^)]*\); phòng “Sky Lounge”: phòng chưa chấp nhận/);
  const ev = minhEvents().find((e) => e.summary === 'Họp toàn công ty')!;
  assert.equal(roomOf(ev)?.rsvp_status, 'needs_action');
  assert.equal(roomOf(ev)?.approval_reason, 'Họp toàn công ty', 'an approval room gets a reason (Lark fails the booking without one)');
});

test('no room fits: nothing is offered or booked, and the answer says which need no room meets', async () => {
  const before_ = minhEvents().length;
  const id = await s.say('minh', 'book a room for 50 on floor 3');
  const answer = await answerTo(id);
  assert.match(answer, /No meeting room has 50 seats on Floor 3/);
  assert.ok(!s.repliesTo(id).some((m) => m.content.includes('"kind":"slot"')), 'no slot card');
  assert.equal(minhEvents().length, before_);
});

test("the model books a named room with create_event: list_rooms gives its id (framed as others' text), the Confirm card names the room, the ✅ line says it accepted", async () => {
  const id = await s.say('minh', '[claude] book Lotus tomorrow at 3pm for the budget sync');
  const card = await s.waitFor<Message>('confirm card', () =>
    s.repliesTo(id).find((m) => m.msg_type === 'interactive' && m.content.includes('"kind":"confirm"')),
  );
  assert.match(
    card.content,
    /Create the event \*\*Budget sync\*\* \([^)]*\) and book the room \*\*Lotus &#40;HCMC Tower · Floor 3&#41;\*\*\?/,
    'the room and its place (escaped: Lark lists them, not us)',
  );
  assert.equal(minhEvents().filter((e) => e.summary === 'Budget sync').length, 0, 'nothing before the click');
  await s.click('minh', card, 'confirm');
  const answer = await answerTo(id);
  assert.match(answer, /✅ Created event “Budget sync” \([^)]*\); room “Lotus” booked/);
  const ev = minhEvents().find((e) => e.summary === 'Budget sync')!;
  assert.equal(roomOf(ev)?.room_id, roomIdOf('lotus'));
  // What list_rooms gave the model: the room, with the note that names are others' text.
  const listed = s.model.requests
    .flatMap((r) => (r.body.messages as Array<{ content: unknown }>).flatMap((m) => (Array.isArray(m.content) ? m.content : [])))
    .find((b: { type?: string; tool_use_id?: string }) => b.type === 'tool_result' && b.tool_use_id === 'toolu_rooms') as { content: string };
  assert.match(listed.content, /written by other people/);
  assert.match(listed.content, /"name":"Lotus","capacity":6,"place":"HCMC Tower · Floor 3"/);
});

test('list_rooms with a window: rooms on "tầng 3" with 5+ seats, each free or busy then from the room\'s own free/busy', async () => {
  const tomorrow = formatWall(Date.now() + 86_400_000, 'Asia/Ho_Chi_Minh').slice(0, 10);
  const { zonedToEpochMs } = await import('../src/lark/time');
  const block = {
    room_id: roomIdOf('lily'),
    startMs: zonedToEpochMs(`${tomorrow}T10:30`, 'Asia/Ho_Chi_Minh'),
    endMs: zonedToEpochMs(`${tomorrow}T11:30`, 'Asia/Ho_Chi_Minh'),
  };
  s.emu.state.roomBusy.push(block);
  try {
    const id = await s.say('minh', '[claude] which rooms on floor 3 are free tomorrow 10-11?');
    await answerTo(id);
    const result = s.model.requests
      .flatMap((r) => (r.body.messages as Array<{ content: unknown }>).flatMap((m) => (Array.isArray(m.content) ? m.content : [])))
      .find((b: { type?: string; tool_use_id?: string }) => b.type === 'tool_result' && b.tool_use_id === 'toolu_free') as { content: string };
    const rooms = (JSON.parse(result.content) as { rooms: Array<{ name: string; free: boolean; busy: Array<{ start: string; end: string }> }> }).rooms;
    assert.deepEqual(
      rooms.map((r) => r.name),
      ['Lotus', 'Lily'],
      'Floor 3 with at least 5 seats, smallest first (Orchid has 4; Floor 5 is not Floor 3)',
    );
    assert.equal(rooms[0]!.free, true);
    assert.equal(rooms[1]!.free, false);
    assert.deepEqual(rooms[1]!.busy, [{ start: `${tomorrow} 10:30`, end: `${tomorrow} 11:30` }]);
  } finally {
    s.emu.state.roomBusy.splice(s.emu.state.roomBusy.indexOf(block), 1);
  }
});

test('moving an event with a room books the room again: taken at the new time, the answer and the ✅ line say it declined', async () => {
  const id = await s.say('minh', 'book a room for 6 on floor 3 for the roadmap review');
  const card = await slotCardFor(id);
  await click(card, buttonsOf(card)[0]!.value);
  assert.match(await answerTo(id), /Room "Lotus" is booked\./);
  const tomorrow = formatWall(Date.now() + 86_400_000, 'Asia/Ho_Chi_Minh').slice(0, 10);
  const { zonedToEpochMs } = await import('../src/lark/time');
  // Lotus is taken tomorrow 10:00–11:00 by someone else.
  const block = {
    room_id: roomIdOf('lotus'),
    startMs: zonedToEpochMs(`${tomorrow}T10:00`, 'Asia/Ho_Chi_Minh'),
    endMs: zonedToEpochMs(`${tomorrow}T11:00`, 'Asia/Ho_Chi_Minh'),
  };
  s.emu.state.roomBusy.push(block);
  try {
    const move = await s.say('minh', 'move the roadmap review to tomorrow at 10');
    const answer = await answerTo(move);
    assert.match(answer, /Moved "Roadmap review" to .*The room "Lotus" declined, so the meeting has no room yet\./s);
    assert.match(answer, /✅ Moved “Roadmap review” to [^;\n]*; room “Lotus” declined: the event has no room/);
    const ev = minhEvents().find((e) => e.summary === 'Roadmap review')!;
    assert.equal(roomOf(ev)?.rsvp_status, 'decline');
  } finally {
    s.emu.state.roomBusy.splice(s.emu.state.roomBusy.indexOf(block), 1);
  }
});
