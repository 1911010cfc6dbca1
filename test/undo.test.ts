/**
 * Undo: every change a request made gets an Undo card; one click reverses exactly those changes as the user
 * (a created event deleted, a moved one moved back, a deleted one recreated with its title, time and
 * attendees, a created task deleted, a completed one reopened), exactly once, and after the window it is refused.
 * The real workflow, webhook and emulator; the offline model.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Message } from '../dev/emulator/state';
import { isUndoCard } from '../src/cards/undo-card';
import { reminderStateQuery, reminderWorkflowId } from '../workflows/contract';
import { startStack, type Stack } from './support/stack';

let s: Stack;
before(async () => {
  s = await startStack({
    env: { UNDO_VALID_SECONDS: '15', LARK_BASE_APP_TOKEN: 'bascnUndo', LARK_BASE_TABLE_ID: 'tblTurns', LARK_BASE_AUDIT_TABLE_ID: 'tblAudit' },
  });
  await s.authorize('minh');
});
after(async () => s?.stop());

const undoCardFor = (id: string) =>
  s.waitFor<Message>('undo card', () => s.emu.state.messageList().find((m) => m.parent_id === id && m.msg_type === 'interactive' && isUndoCard(m.content)));

/** The button's value as sent (the stored card is updated in place once undone). */
const buttonValues = new Map<string, unknown>();
async function clickUndo(card: Message, from = 'minh'): Promise<string> {
  if (!buttonValues.has(card.message_id))
    buttonValues.set(card.message_id, JSON.parse(card.content).elements.find((e: { tag: string }) => e.tag === 'action').actions[0].value);
  const value = buttonValues.get(card.message_id) as Record<string, unknown>;
  const attempt = await s.callback(s.emu.events.cardAction({ from, messageId: card.message_id, value }));
  assert.ok(attempt.ok);
  return (JSON.parse(attempt.responseText || '{}') as { toast?: { content?: string } }).toast?.content ?? '';
}

async function ask(text: string, click?: 'confirm'): Promise<string> {
  const id = await s.say('minh', text);
  if (click) await s.click('minh', await s.waitFor('confirm card', () => s.repliesTo(id).find((m) => m.msg_type === 'interactive')), click);
  await s.waitFor(`answer to ${text}`, () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
  return id;
}

const cal = () => s.emu.user('minh').primaryCalendarId;
const liveEvents = (title: string) =>
  s.emu.state.eventList().filter((e) => e.organizer_calendar_id === cal() && e.summary === title && e.status !== 'cancelled');

test("undo a created event: deleted again, once; a second click and someone else's click change nothing", async () => {
  const id = await ask('set up a meeting about the budget on Monday at 2pm');
  assert.equal(liveEvents('Budget').length, 1);
  const card = await undoCardFor(id);
  assert.match(card.content, /Created event “Budget”/);
  assert.match(await clickUndo(card, 'lan'), /^Only the person who made this request can undo it$/);
  assert.equal(liveEvents('Budget').length, 1, 'a foreign click undid nothing');
  assert.match(await clickUndo(card), /Undoing/);
  await s.waitFor('undone', () => liveEvents('Budget').length === 0);
  await s.waitFor('card says so', () => /Deleted the event “Budget”/.test(s.emu.state.messages.get(card.message_id)!.content));
  assert.match(await clickUndo(card), /Already undone/);
  // One audit row for the change and one for its undo, with before and after.
  const audit = () => s.emu.state.baseRecords.filter((r) => r.table_id === 'tblAudit').map((r) => r.fields as Record<string, unknown>);
  await s.waitFor('audit rows', () => audit().some((f) => f.Action === 'undo: created event'));
  const change = audit().find((f) => f.Action === 'created event' && f.Title === 'Budget')!;
  assert.ok(change, 'the change is audited');
  assert.match(String(change.Before), /"op":"delete_event"/);
  assert.match(String(change.After), /"title":"Budget"/);
  assert.equal(audit().filter((f) => f.Action === 'undo: created event' && f.Title === 'Budget').length, 1);
});

test('undo a move puts the event back; undo a delete recreates it with title, time and attendees', async () => {
  await ask('schedule a meeting tomorrow at 3pm with Lan', 'confirm');
  const [created] = liveEvents('Meeting with Lan');
  assert.ok(created);
  const originalStart = JSON.stringify(created.start_time);
  const moveId = await ask('move the meeting with Lan tomorrow to 11am', 'confirm');
  assert.notEqual(JSON.stringify(liveEvents('Meeting with Lan')[0]!.start_time), originalStart, 'moved');
  await clickUndo(await undoCardFor(moveId));
  await s.waitFor('moved back', () => JSON.stringify(liveEvents('Meeting with Lan')[0]?.start_time) === originalStart);

  const delId = await ask('delete the meeting with Lan', 'confirm');
  assert.equal(liveEvents('Meeting with Lan').length, 0, 'deleted');
  await clickUndo(await undoCardFor(delId));
  const again = await s.waitFor('recreated', () => liveEvents('Meeting with Lan')[0]);
  assert.equal(JSON.stringify(again.start_time), originalStart, 'at its time');
  const withAttendees = await s.services.lark.getEvent(cal(), again.event_id, { as: { kind: 'user', openId: s.emu.user('minh').open_id }, needAttendee: true });
  assert.ok(
    (withAttendees.attendees ?? []).some((a) => (a.user_id ?? a.attendee_id) === s.emu.user('lan').open_id),
    'Lan invited again',
  );
});

test("a meeting's linked reminder follows its Undo: moved back with an undone move, set again on the meeting an undone delete recreates", async () => {
  const minh = s.emu.user('minh').open_id;
  const MIN = 60_000;
  await ask('set up a meeting about the roadmap tomorrow at 4pm');
  const [meeting] = liveEvents('Roadmap');
  assert.ok(meeting);
  const startMs = Number((meeting.start_time as { timestamp: string }).timestamp) * 1000;
  await ask('remind me 30 minutes before the meeting about the roadmap');
  const linked = async () => (await s.services.reminders.listActive(minh)).filter((r) => r.eventId !== undefined && r.text === 'Roadmap');
  const [first] = await linked();
  assert.equal(first?.eventId, meeting.event_id);
  assert.equal(first.nextFireAtMs, startMs - 30 * MIN);

  // Her own meeting with no one invited: moved without a confirm card.
  const moveId = await ask('move the roadmap meeting tomorrow to 5pm');
  assert.equal((await linked())[0]?.nextFireAtMs, startMs + 60 * MIN - 30 * MIN, 'the reminder moved with the meeting');
  const moveCard = await undoCardFor(moveId);
  await clickUndo(moveCard);
  await s.waitFor('the undo card names the reminder', () =>
    /its reminder “Roadmap” moved back with it/.test(s.emu.state.messages.get(moveCard.message_id)!.content),
  );
  assert.equal((await linked())[0]?.nextFireAtMs, startMs - 30 * MIN, 'and the index shows it back at once');

  const delId = await ask('delete the roadmap meeting', 'confirm');
  assert.equal((await linked()).length, 0, 'the delete cancelled it');
  const delCard = await undoCardFor(delId);
  assert.match(delCard.content, /its reminder “Roadmap” was cancelled too/);
  await clickUndo(delCard);
  const again = await s.waitFor('recreated', () => liveEvents('Roadmap')[0]);
  await s.waitFor('the undo card says it is set again', () =>
    /Recreated the event “Roadmap”; its reminder “Roadmap” is set again/.test(s.emu.state.messages.get(delCard.message_id)!.content),
  );
  assert.match(s.emu.state.messages.get(delCard.message_id)!.content, /"content":"Undone"/);
  const [back] = await linked();
  assert.ok(back, 'an active reminder again');
  assert.notEqual(back.id, first.id);
  assert.equal(back.eventId, again.event_id, 'linked to the recreated meeting');
  assert.equal(back.nextFireAtMs, startMs - 30 * MIN);
  const st = await s.client.workflow.getHandle(reminderWorkflowId(back.id)).query(reminderStateQuery);
  assert.equal(st.eventStartMs, startMs, 'its workflow follows the recreated meeting');
  await s.services.reminders.cancel(minh, back.id);
});

test('undo a created task deletes it; undo a completion reopens it', async () => {
  const id = await ask('add a task to renew the domain by Friday');
  const task = () => s.emu.state.taskList().find((t) => /renew the domain/i.test(t.summary));
  assert.ok(task());
  const doneId = await ask('mark the domain task as done');
  assert.ok(task()!.completed_at && task()!.completed_at !== '0', 'completed');
  await clickUndo(await undoCardFor(doneId));
  await s.waitFor('reopened', () => task() && (!task()!.completed_at || task()!.completed_at === '0'));
  await clickUndo(await undoCardFor(id));
  await s.waitFor('task deleted', () => !task());
});

test('after the undo window the button is refused and nothing changes', async () => {
  const id = await ask('set up a meeting about hiring on Tuesday at 9am');
  const card = await undoCardFor(id);
  await new Promise((r) => setTimeout(r, 16_000)); // UNDO_VALID_SECONDS is 15 in this stack
  assert.match(await clickUndo(card), /can no longer be undone/);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(liveEvents('Hiring').length, 1, 'still there');
});
