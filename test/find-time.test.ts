/**
 * Find a time end to end: the offline model calls find_time, the workflow posts one button per slot, and the
 * click is the confirmation: the slot is re-checked against everyone's free/busy, then booked with the
 * attendees (an Undo card follows), or the card says it was just taken and offers the rest. "None of these"
 * books nothing. Real workflow, webhook, emulator and model server.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Message } from '../dev/emulator/state';
import { isUndoCard } from '../src/cards/undo-card';
import { buttonsOf, clickCard } from './support/card-clicks';
import { startStack, type Stack } from './support/stack';

let s: Stack;
before(async () => {
  s = await startStack();
  await s.authorize('minh');
  await s.authorize('lan');
});
after(async () => s?.stop());

const slotCardFor = (id: string) =>
  s.waitFor<Message>('slot card', () => s.repliesTo(id).find((m) => m.msg_type === 'interactive' && m.content.includes('"kind":"slot"')));

const click = (card: Message, value: Record<string, unknown>, from = 'minh') => clickCard(s, card, value, from);
const answerTo = (id: string) =>
  s.waitFor<Message>('answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'), 30_000).then((m) => (JSON.parse(m.content) as { text: string }).text);
const minhEvents = () => s.emu.state.eventList().filter((e) => e.organizer_calendar_id === s.emu.user('minh').primaryCalendarId && e.status !== 'cancelled');

test('a slot click re-checks and books it with the attendee; the answer and an Undo card follow', async () => {
  const id = await s.say('minh', 'find 30 minutes with Lan tomorrow');
  const card = await slotCardFor(id);
  const buttons = buttonsOf(card);
  assert.ok(buttons.length >= 2 && buttons.length <= 4, 'at most 3 slots and "none of these"');
  assert.match(buttons.at(-1)!.text.content, /None of these/);
  assert.equal(minhEvents().length, 0, 'nothing booked before the click');
  assert.match(await click(card, buttons[0]!.value, 'lan'), /Only the person/, 'someone else cannot book it');
  assert.match(await click(card, buttons[0]!.value), /Checking again and booking/);
  const answer = await answerTo(id);
  assert.match(answer, /Booked "Meeting with/);
  assert.match(answer, /✅ Created event “Meeting with [^”]+” \(\w{3} \d{1,2} \w{3}, \d\d:\d\d–\d\d:\d\d, with /);
  const [ev] = minhEvents();
  assert.ok(ev, 'booked');
  const full = await s.services.lark.getEvent(s.emu.user('minh').primaryCalendarId, ev.event_id, {
    as: { kind: 'user', openId: s.emu.user('minh').open_id },
    needAttendee: true,
  });
  assert.ok(
    (full.attendees ?? []).some((a) => (a.user_id ?? a.attendee_id) === s.emu.user('lan').open_id),
    'Lan is invited',
  );
  assert.match(s.emu.state.messages.get(card.message_id)!.content, /Booked/, 'the card says what happened');
  await s.waitFor('undo card', () => s.emu.state.messageList().some((m) => m.parent_id === id && isUndoCard(m.content)));
});

test('a slot taken between the proposal and the click: the card says so and offers the rest; the next one is booked', async () => {
  const before = minhEvents().length;
  const id = await s.say('minh', 'find a time with Lan tomorrow afternoon');
  const card = await slotCardFor(id);
  const first = buttonsOf(card)[0]!;
  // Lan gets busy at exactly the first proposed time.
  const lan = { as: { kind: 'user' as const, openId: s.emu.user('lan').open_id } };
  const slotLabel = first.text.content; // e.g. "Thu 3 Dec, 13:30–14:30": tomorrow (the request said so)
  // Busy block: create it with Lan's own token over the first slot (its label's day and times).
  const m = /(\d\d):(\d\d)–(\d\d):(\d\d)/.exec(slotLabel)!;
  const tomorrow = new Date(Date.now() + 86_400_000);
  const ymd = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(tomorrow);
  const { zonedToEpochMs } = await import('../src/lark/time');
  const start = zonedToEpochMs(`${ymd}T${m[1]}:${m[2]}`, 'Asia/Ho_Chi_Minh') / 1000;
  const end = zonedToEpochMs(`${ymd}T${m[3]}:${m[4]}`, 'Asia/Ho_Chi_Minh') / 1000;
  await s.services.lark.createEvent(
    s.emu.user('lan').primaryCalendarId,
    { summary: 'Dentist', start: { timestampSec: String(start) }, end: { timestampSec: String(end) } },
    'lan-busy',
    lan,
  );

  await click(card, first.value);
  await s.waitFor('card re-offered', () => /was just taken/.test(s.emu.state.messages.get(card.message_id)!.content));
  const offered = buttonsOf(s.emu.state.messages.get(card.message_id)!);
  assert.ok(!offered.some((b) => b.text.content === slotLabel), 'the taken slot is gone');
  assert.equal(minhEvents().length, before, 'nothing booked at the taken time');
  assert.match(await click(card, first.value), /no longer waiting|already answered/, 'the old button changes nothing');
  await click(card, offered[0]!.value);
  const answer = await answerTo(id);
  assert.match(answer, /✅ Created event/);
  assert.equal(minhEvents().length, before + 1, 'one event, at the other time');
});

test('"none of these" books nothing and says so', async () => {
  const before = minhEvents().length;
  const id = await s.say('minh', 'tìm 1 tiếng với Lan trước thứ sáu');
  const card = await slotCardFor(id);
  const none = buttonsOf(card).at(-1)!;
  assert.match(none.text.content, /Không giờ nào/, 'in the language of the request');
  await click(card, none.value);
  const answer = await answerTo(id);
  assert.match(answer, /chưa đặt gì/);
  assert.doesNotMatch(answer, /✅/);
  assert.equal(minhEvents().length, before);
});

test('a new message before picking a time: the old request says nothing was booked, never "Done."', async () => {
  const id = await s.say('minh', 'find 30 minutes with Lan tomorrow');
  await slotCardFor(id);
  const before = minhEvents().length;
  await s.say('minh', 'what tasks do I have?');
  const answer = await answerTo(id);
  assert.doesNotMatch(answer, /^(Done\.|Xong\.)/);
  assert.match(answer, /❌/, 'the footer says what was not done');
  assert.match(answer, /Meeting with/);
  assert.equal(minhEvents().length, before, 'nothing booked');
});
