/**
 * Invitations end to end (issue 24 item 2): Lark emulator -> webhook -> Temporal -> per-user workflow -> the
 * offline model (behind the real Anthropic SDK) -> tool activities -> the emulator's calendar, with real
 * PostgreSQL. Others invite Lan; Lan asks which invitations she has not answered, accepts one (a Confirm card
 * first: the organizer sees the answer), cancels another, and declines one in Vietnamese.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { offlineReply } from '../dev/llm/offline-rules';
import { scriptedMessage, type RecordedRequest } from '../dev/llm/offline-model';
import { asUser } from '../src/lark/client';
import { formatWall, zonedToEpochMs } from '../src/lark/time';
import { createReminderActivities } from '../activities/reminders';
import { startStack, type Stack } from './support/stack';

const TZ = 'Asia/Ho_Chi_Minh';
const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const today = () => formatWall(Date.now(), TZ).slice(0, 10);
const sec = (day: string, clock: string) => String(zonedToEpochMs(`${day} ${clock}`, TZ) / 1000);

let s: Stack;
const ids: Record<string, string> = {};

const text = (m: { content: string }) => (JSON.parse(m.content) as { text?: string }).text ?? '';
const answerTo = (id: string) => s.waitFor(`answer to ${id}`, () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
const cardFor = (id: string) => s.waitFor(`confirmation card for ${id}`, () => s.repliesTo(id).find((m) => m.msg_type === 'interactive'));
const calendarOf = (user: string) => [...s.emu.state.calendars.values()].find((c) => c.owner === s.emu.user(user).open_id && c.type === 'primary')!.calendar_id;
const lanRsvp = (eventId: string) =>
  (s.emu.state.events.get(eventId)!.attendees.find((a) => a.open_id === s.emu.user('lan').open_id) as { rsvp_status?: string }).rsvp_status;
const changesOf = (eventId: string) => s.emu.state.rsvpChanges.filter((c) => c.event_id === eventId);

/** An event `organizer` creates in their own calendar, inviting `invitees` (Lark's create, then attendees). */
async function invite(organizer: string, summary: string, day: string, start: string, end: string, invitees: string[]): Promise<string> {
  const as = { as: asUser(s.emu.user(organizer).open_id) };
  const ev = await s.services.lark.createEvent(
    calendarOf(organizer),
    { summary, start: { timestampSec: sec(day, start), timezone: TZ }, end: { timestampSec: sec(day, end), timezone: TZ } },
    `seed-${summary}`,
    as,
  );
  if (invitees.length)
    await s.services.lark.addAttendees(
      calendarOf(organizer),
      ev.event_id,
      invitees.map((u) => ({ type: 'user' as const, id: s.emu.user(u).open_id })),
      {},
      as,
    );
  return ev.event_id;
}

before(async () => {
  s = await startStack({
    script: (req: RecordedRequest) => {
      const out = offlineReply(req.body);
      return scriptedMessage(out.content, { stop_reason: out.stop_reason });
    },
    env: { CONFIRM_TIMEOUT_SECONDS: '120' },
  });
  for (const u of ['lan', 'minh', 'alice']) await s.authorize(u);
  const d1 = addDays(today(), 1);
  const d2 = addDays(today(), 2);
  const d3 = addDays(today(), 3);
  ids.planning = await invite('minh', 'Quarterly planning', d1, '15:00', '16:00', ['lan']);
  ids.design = await invite('alice', 'Design review', d2, '10:00', '11:00', ['lan', 'minh']);
  ids.budget = await invite('minh', 'Họp ngân sách', d3, '09:00', '10:00', ['lan']);
  // Not pending for Lan: one she already accepted, one she declined, her own event, one she is not invited to.
  ids.allHands = await invite('alice', 'All hands', d1, '11:00', '12:00', ['lan']);
  ids.retro = await invite('minh', 'Retro', d2, '16:00', '17:00', ['lan']);
  for (const [id, rsvp] of [
    [ids.allHands!, 'accept'],
    [ids.retro!, 'decline'],
  ] as const) {
    (s.emu.state.events.get(id)!.attendees.find((a) => a.open_id === s.emu.user('lan').open_id) as { rsvp_status: string }).rsvp_status = rsvp;
  }
  ids.own = await invite('lan', 'Lan focus time', d1, '15:00', '16:00', ['minh']);
  ids.notMine = await invite('alice', 'Alice and Minh 1:1', d1, '15:00', '15:30', ['minh']);
});
after(async () => s?.stop());

describe('invitations', () => {
  test('"which invites haven\'t I answered?" lists exactly the events where Lan\'s rsvp is needs_action', async () => {
    const id = await s.say('lan', "which invites haven't I answered?");
    const answer = text(await answerTo(id));
    // What the tool returned to the model: the event ids, nothing else.
    const result = s.model.requests
      .flatMap((r) =>
        (r.body.messages as Array<{ role: string; content: unknown }>).flatMap((m) =>
          Array.isArray(m.content) ? (m.content as Array<{ type: string; content?: string }>) : [],
        ),
      )
      .map((b) => (b.type === 'tool_result' && b.content?.includes('"invitations"') ? JSON.parse(b.content) : undefined))
      .find(Boolean) as { invitations: Array<{ event_id: string; organizer?: string }> };
    assert.deepEqual(result.invitations.map((e) => e.event_id).sort(), [ids.planning, ids.design, ids.budget].sort());
    assert.equal(result.invitations.find((e) => e.event_id === ids.planning)?.organizer, s.emu.user('minh').name);
    assert.match(answer, /You have 3 invitations waiting for your answer:/);
    for (const title of ['Quarterly planning', 'Design review', 'Họp ngân sách']) assert.ok(answer.includes(title), `${title} in: ${answer}`);
    for (const title of ['All hands', 'Retro', 'Lan focus time', 'Alice and Minh 1:1'])
      assert.ok(!answer.includes(title), `${title} is not pending: ${answer}`);
    assert.equal(s.emu.state.rsvpChanges.length, 0, 'listing answers nothing');
  });

  test('"accept the 3 pm invite": a Confirm card naming the event and organizer; after Confirm one rsvp change, even with a lost answer and a redelivered message', async () => {
    // The first reply is carried out and its answer lost: the activity retries with the same answer.
    const fault = s.emu.faults.add({ match: { method: 'POST', path: /\/events\/[^/]+\/reply$/ }, times: 1, kind: 'loseResponse' });
    const payload = s.emu.events.message({ from: 'lan', text: 'accept the 3 pm invite' }) as { event: { message: { message_id: string } } };
    const id = payload.event.message.message_id;
    assert.ok((await s.emu.sendEvent(undefined, payload).done).ok);
    const card = await cardFor(id);
    assert.match(card.content, /Accept the invitation \*\*Quarterly planning\*\* \(\w{3} \d{1,2} \w{3}, 15:00–16:00\)\?/);
    assert.match(card.content, new RegExp(`The organizer will see your answer: ${s.emu.user('minh').name}`));
    assert.equal(lanRsvp(ids.planning!), 'needs_action', 'nothing answered before the click');
    // Lark delivers the same message again: still one request, one card.
    assert.ok((await s.emu.sendEvent(undefined, payload).done).ok);
    await s.click('lan', card, 'confirm');
    const answer = text(await answerTo(id));
    assert.match(answer, /✅ Accepted the invitation “Quarterly planning” \(\w{3} \d{1,2} \w{3}, 15:00–16:00\)/, answer);
    assert.equal(fault.fired, 1);
    const attempts = s.emu.calls.filter((c) => c.method === 'POST' && c.path.endsWith(`/events/${ids.planning}/reply`));
    // The first attempt was carried out and its answer lost; the activity retried and Lark answered.
    assert.deepEqual(
      attempts.map((c) => c.faults),
      [['loseResponse'], []],
      'the activity did retry',
    );
    assert.equal(attempts[1]!.code, 0);
    assert.deepEqual(
      attempts.map((c) => (c.body as { rsvp_status?: string }).rsvp_status),
      ['accept', 'accept'],
    );
    assert.equal(lanRsvp(ids.planning!), 'accept');
    assert.deepEqual(
      changesOf(ids.planning!).map((c) => [c.open_id, c.from, c.to]),
      [[s.emu.user('lan').open_id, 'needs_action', 'accept']],
    );
    assert.equal(s.repliesTo(id).filter((m) => m.msg_type === 'interactive').length, 1, 'one Confirm card');
    assert.equal(s.repliesTo(id).filter((m) => m.msg_type === 'text').length, 1, 'one answer');
    assert.equal(changesOf(ids.design!).length + changesOf(ids.budget!).length, 0, 'only that invitation was answered');
  });

  test('Cancel leaves the invitation unanswered; the answer says it was not done', async () => {
    const id = await s.say('lan', 'decline the design review invitation');
    const card = await cardFor(id);
    assert.match(card.content, /Decline the invitation \*\*Design review\*\*/);
    await s.click('lan', card, 'cancel');
    const answer = text(await answerTo(id));
    assert.match(answer, /❌ Not done: decline the invitation “Design review” \(you pressed Cancel\)/, answer);
    assert.equal(lanRsvp(ids.design!), 'needs_action');
    assert.equal(changesOf(ids.design!).length, 0);
  });

  test("a decline in Vietnamese: the card and the answer in Vietnamese, Lan's rsvp is decline", async () => {
    const id = await s.say('lan', 'từ chối lời mời họp ngân sách');
    const card = await cardFor(id);
    assert.match(card.content, /Từ chối lời mời \*\*Họp ngân sách\*\* \((?:Thứ \S+|Chủ Nhật) \d{1,2}\/\d{1,2}, 09:00–10:00\)\?/);
    assert.match(card.content, /Người tổ chức sẽ thấy câu trả lời của bạn/);
    await s.click('lan', card, 'confirm');
    const answer = text(await answerTo(id));
    assert.match(answer, /mô hình offline/);
    assert.match(answer, /✅ Đã từ chối lời mời “Họp ngân sách”/, answer);
    assert.equal(lanRsvp(ids.budget!), 'decline');
    assert.deepEqual(
      changesOf(ids.budget!).map((c) => [c.from, c.to]),
      [['needs_action', 'decline']],
    );
  });

  test("the daily agenda lists the day's unanswered invitations (in the DM), not the answered ones", async () => {
    const fire = createReminderActivities({ store: s.services.reminders, lark: s.services.lark, tokens: s.services.tokens }).fireReminder;
    const lan = s.emu.user('lan');
    const day = addDays(today(), 2); // Design review (still pending after the Cancel) and Retro (declined)
    const posted = await fire({
      reminderId: 'agenda-invitations',
      occurrenceMs: zonedToEpochMs(`${day} 08:00`, TZ),
      openId: lan.open_id,
      chatId: lan.open_id,
      kind: 'agenda',
      text: 'agenda',
      lang: 'en',
      timezone: TZ,
    });
    assert.ok(posted.kind === undefined || posted.kind === 'posted');
    const card = s.emu.state.messages.get((posted as { messageId: string }).messageId)!.content;
    const section = /Invitations not answered\*\*\\n([^*]*)/.exec(card)?.[1] ?? '';
    assert.match(section, /10:00–11:00 Design review \(from Alice[^)]*\)/, card);
    assert.doesNotMatch(section, /Retro/, 'a declined invitation is not listed');
    assert.match(card, /16:00–17:00 Retro/, "it is still on the day's events");
  });
});
