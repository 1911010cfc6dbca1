/**
 * The agent end to end: Lark emulator -> webhook -> Temporal -> per-user workflow -> model (behind the real
 * Anthropic SDK) -> tool activities -> Lark emulator, with real PostgreSQL. The model is the offline rules
 * model, or a script for the turns a test needs to control.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scriptedMessage, type RecordedRequest, type ScriptedReply } from '../dev/llm/offline-model';
import { offlineReply } from '../dev/llm/offline-rules';
import { formatWall, zonedToEpochMs } from '../src/lark/time';
import { startStack, type Stack } from './support/stack';

type Step = (req: RecordedRequest, step: number) => ScriptedReply;
const scenarios = new Map<string, Step>();

/** The turn's own text and how many model steps it has had (assistant messages since it). */
function turnOf(req: RecordedRequest): { text: string; step: number } {
  const msgs = req.body.messages as Array<{ role: string; content: unknown }>;
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i]!;
    const text =
      typeof m.content === 'string'
        ? m.content
        : (m.content as Array<{ type: string; text?: string }>).every((b) => b.type === 'text')
          ? (m.content as Array<{ text?: string }>).map((b) => b.text).join('')
          : undefined;
    if (m.role === 'user' && text !== undefined) return { text, step: msgs.slice(i + 1).filter((x) => x.role === 'assistant').length };
  }
  return { text: '', step: 0 };
}

function script(req: RecordedRequest): ScriptedReply {
  const { text, step } = turnOf(req);
  for (const [trigger, fn] of scenarios) if (text.includes(trigger)) return fn(req, step);
  const out = offlineReply(req.body);
  return scriptedMessage(out.content, { stop_reason: out.stop_reason });
}

const toolResults = (req: RecordedRequest) =>
  (req.body.messages as Array<{ role: string; content: unknown }>).flatMap((m) =>
    Array.isArray(m.content) ? (m.content as Array<{ type: string; content?: string; is_error?: boolean }>).filter((b) => b.type === 'tool_result') : [],
  );

const TZ = 'Asia/Ho_Chi_Minh';
const localDate = (ms: number) => formatWall(ms, TZ).slice(0, 10);
const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

let s: Stack;
before(async () => {
  s = await startStack({ script, env: { LARK_BASE_APP_TOKEN: 'bascnAgentLog', LARK_BASE_TABLE_ID: 'tblTurns', CONFIRM_TIMEOUT_SECONDS: '60' } });
  for (const u of ['lan', 'minh', 'alice']) await s.authorize(u);
});
after(async () => s?.stop());

const text = (m: { content: string }) => (JSON.parse(m.content) as { text?: string }).text ?? '';
const answerTo = (id: string) => s.waitFor(`answer to ${id}`, () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
const cardFor = (id: string) => s.waitFor(`confirmation card for ${id}`, () => s.repliesTo(id).find((m) => m.msg_type === 'interactive'));
const calendarOf = (user: string) => [...s.emu.state.calendars.values()].find((c) => c.owner === s.emu.user(user).open_id && c.type === 'primary')!.calendar_id;

describe('scheduling in Vietnamese and English', () => {
  test('"tạo cuộc họp 3h chiều mai với Lan": one event at 15:00 +07 (seconds) on the user\'s primary calendar, Lan invited, one answer', async () => {
    const id = await s.say('minh', 'tạo cuộc họp 3h chiều mai với Lan');
    // Inviting someone is outward-facing: the agent asks first.
    const card = await cardFor(id);
    assert.match(card.content, /Lan/);
    await s.click('minh', card, 'confirm');
    const reply = await answerTo(id);
    assert.match(text(reply), /mô hình offline/);
    const events = s.emu.state.eventList().filter((e) => e.organizer_calendar_id === calendarOf('minh'));
    assert.equal(events.length, 1);
    const tomorrow = addDays(localDate(Date.now()), 1);
    const expected = String(zonedToEpochMs(`${tomorrow} 15:00`, TZ) / 1000);
    assert.deepEqual(events[0]!.start_time, { timestamp: expected, timezone: TZ });
    assert.equal(expected.length, 10, 'seconds, not milliseconds');
    assert.ok(
      events[0]!.attendees.some((a) => (a as { user_id?: string }).user_id === s.emu.user('lan').open_id),
      'Lan is an attendee',
    );
    assert.equal(s.repliesTo(id).filter((m) => m.msg_type === 'text').length, 1);
  });

  test('"add a task to send the report by Monday": one task due in milliseconds', async () => {
    const id = await s.say('alice', 'add a task to send the report by Monday');
    const reply = await answerTo(id);
    assert.match(text(reply), /offline/);
    const tasks = s.emu.state.taskList().filter((t) => t.members.some((m) => m.id === s.emu.user('alice').open_id));
    assert.equal(tasks.length, 1);
    assert.match(tasks[0]!.summary, /report/i);
    const today = localDate(Date.now());
    const dow = new Date(`${today}T00:00:00Z`).getUTCDay();
    const monday = addDays(today, (1 - dow + 7) % 7 || 7);
    const due = (tasks[0]!.due as { timestamp: string }).timestamp;
    assert.equal(due, String(zonedToEpochMs(`${monday} 17:00`, TZ)));
    assert.equal(due.length, 13, 'milliseconds');
  });
});

describe('confirmation for destructive actions', () => {
  test('a delete asks first, does nothing on Cancel, and deletes only after Confirm', async () => {
    const calendarId = calendarOf('lan');
    const created = await s.services.lark.createEvent(
      calendarId,
      { summary: 'Retro', start: { timestampSec: '1795400000' }, end: { timestampSec: '1795403600' } },
      'seed-retro',
      { as: { kind: 'user', openId: s.emu.user('lan').open_id } },
    );
    const del: Step = (req, step) =>
      step === 0
        ? scriptedMessage([{ type: 'tool_use', id: `toolu_del_${req.body.messages.length}`, name: 'delete_event', input: { event_id: created.event_id } }])
        : scriptedMessage([{ type: 'text', text: toolResults(req).at(-1)!.content!.includes('Cancel') ? 'Okay, I kept it.' : 'Deleted.' }]);
    scenarios.set('delete the retro', del);

    const first = await s.say('lan', 'delete the retro');
    const card1 = await cardFor(first);
    assert.match(card1.content, /Delete the event \*\*Retro\*\* \(\w{3} \d{1,2} \w{3}, \d\d:\d\d–\d\d:\d\d\)\?/, 'the card names the event and its time');
    assert.equal(s.emu.state.events.get(created.event_id)?.status, 'confirmed', 'nothing deleted before a click');
    await s.click('lan', card1, 'cancel');
    const kept = text(await answerTo(first));
    assert.equal(kept.split('\n\n')[0], 'Okay, I kept it.');
    assert.match(kept, /❌ Not done: delete the event “Retro” \(you pressed Cancel\)/, 'the footer says it was not done, naming the event');
    assert.equal(s.emu.state.events.get(created.event_id)?.status, 'confirmed');

    const second = await s.say('lan', 'please delete the retro now');
    const card2 = await cardFor(second);
    await s.click('lan', card2, 'confirm');
    const deleted = text(await answerTo(second));
    assert.equal(deleted.split('\n\n')[0], 'Deleted.');
    assert.match(deleted, /✅ Deleted “Retro”/, 'the footer names what was deleted, from the tool result');
    assert.notEqual(s.emu.state.events.get(created.event_id)?.status ?? 'gone', 'confirmed');
    // The card now shows the outcome.
    assert.match(s.emu.state.messages.get(card2.message_id)!.content, /Confirmed/);
  });
});

describe('the loop', () => {
  test('a tool error goes back to the model, which corrects its input', async () => {
    let sawError = false;
    scenarios.set('standup at 9 tomorrow', (req, step) => {
      if (step === 0)
        return scriptedMessage([{ type: 'tool_use', id: 'toolu_bad', name: 'create_event', input: { summary: 'Standup', start: 'tomorrow 9am' } }]);
      if (step === 1) {
        const r = toolResults(req).at(-1)!;
        sawError = r.is_error === true && /start/.test(r.content ?? '');
        const tomorrow = addDays(localDate(Date.now()), 1);
        return scriptedMessage([
          { type: 'tool_use', id: 'toolu_good', name: 'create_event', input: { summary: 'Standup', start: `${tomorrow}T09:00`, duration_minutes: 15 } },
        ]);
      }
      return scriptedMessage([{ type: 'text', text: 'Standup booked.' }]);
    });
    const id = await s.say('alice', 'book a standup at 9 tomorrow');
    const booked = text(await answerTo(id));
    assert.equal(booked.split('\n\n')[0], 'Standup booked.');
    assert.match(booked, /✅ Created event “Standup” \(\w{3} \d{1,2} \w{3}, 09:00–09:15\)/, 'the footer comes from the tool result');
    assert.ok(sawError, 'the model received an is_error tool_result naming the bad field');
    assert.equal(s.emu.state.eventList().filter((e) => e.summary === 'Standup').length, 1);
  });

  test('memory carries a follow-up in the same chat: "move it to 4pm"', async () => {
    const tomorrow = addDays(localDate(Date.now()), 1);
    scenarios.set('1:1 prep at 3pm tomorrow', (req, step) =>
      step === 0
        ? scriptedMessage([{ type: 'tool_use', id: 'toolu_prep', name: 'create_event', input: { summary: '1:1 prep', start: `${tomorrow}T15:00` } }])
        : scriptedMessage([{ type: 'text', text: 'Booked "1:1 prep" tomorrow at 15:00.' }]),
    );
    let memorySeen = false;
    scenarios.set('move it to 4pm', (req, step) => {
      if (step === 0) {
        memorySeen =
          JSON.stringify(req.body.messages).includes('1:1 prep at 3pm tomorrow') && JSON.stringify(req.body.messages).includes('Booked \\"1:1 prep\\"');
        return scriptedMessage([
          { type: 'tool_use', id: 'toolu_list', name: 'list_events', input: { start: `${tomorrow}T00:00`, end: `${addDays(tomorrow, 1)}T00:00` } },
        ]);
      }
      if (step === 1) {
        const listed = JSON.parse(toolResults(req).at(-1)!.content!) as { events: Array<{ event_id: string; summary: string }> };
        const ev = listed.events.find((e) => e.summary === '1:1 prep')!;
        return scriptedMessage([{ type: 'tool_use', id: 'toolu_move', name: 'update_event', input: { event_id: ev.event_id, start: `${tomorrow}T16:00` } }]);
      }
      return scriptedMessage([{ type: 'text', text: 'Moved to 16:00.' }]);
    });
    const a = await s.say('minh', 'add 1:1 prep at 3pm tomorrow');
    await answerTo(a);
    const b = await s.say('minh', 'move it to 4pm');
    const moved = text(await answerTo(b));
    assert.equal(moved.split('\n\n')[0], 'Moved to 16:00.');
    assert.match(moved, /✅ Moved “1:1 prep” to \w{3} \d{1,2} \w{3}, 16:00–17:00/);
    assert.ok(memorySeen, 'the follow-up turn carried the earlier exchange');
    const ev = s.emu.state.eventList().find((e) => e.summary === '1:1 prep')!;
    assert.equal((ev.start_time as { timestamp: string }).timestamp, String(zonedToEpochMs(`${tomorrow} 16:00`, TZ) / 1000));
    assert.equal((ev.end_time as { timestamp: string }).timestamp, String(zonedToEpochMs(`${tomorrow} 17:00`, TZ) / 1000), 'duration kept');
  });

  test('memory is per chat: a DM never reaches a group turn', async () => {
    let groupMessages = '';
    scenarios.set('group question', (req) => {
      groupMessages = JSON.stringify(req.body.messages);
      return scriptedMessage([{ type: 'text', text: 'Group answer.' }]);
    });
    const id = await s.say('minh', 'group question', { chatType: 'group', mentionBot: true });
    assert.equal(text(await answerTo(id)), 'Group answer.');
    assert.ok(!groupMessages.includes('1:1 prep'), 'nothing from the DM');
  });
});

describe('chats', () => {
  test('group messages without an @mention are ignored; with one they are answered', async () => {
    const before = s.model.requests.length;
    const ignored = await s.say('lan', 'just chatting in the group', { chatType: 'group' });
    await s.waitFor('processed', async () => (await s.userState('lan')).recentMessageIds.includes(ignored) && (await s.userState('lan')).pendingCount === 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.repliesTo(ignored).length, 0);
    assert.equal(s.model.requests.length, before, 'the model was not called');
  });

  test('a non-text message gets a short polite answer without the model', async () => {
    const before = s.model.requests.length;
    const id = await s.say('lan', '', { messageType: 'image', content: JSON.stringify({ image_key: 'img_v3_x' }) });
    assert.match(text(await answerTo(id)), /text/);
    assert.equal(s.model.requests.length, before);
  });
});

describe('conversation log to Lark Base', () => {
  test('one row per answered turn', async () => {
    const answered = s.emu.state
      .messageList()
      .filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'text' && m.parent_id && !/text messages/.test(m.content)).length;
    await s.waitFor('rows', () => s.emu.state.baseRecords.length >= answered);
    const rows = s.emu.state.baseRecords.filter((r) => r.app_token === 'bascnAgentLog' && r.table_id === 'tblTurns');
    assert.equal(rows.length, answered);
    const row = rows.find((r) => String((r.fields as Record<string, unknown>).Question).includes('standup'))!;
    assert.match(String((row.fields as Record<string, unknown>).Answer), /^Standup booked\.\n\n✅ Created event “Standup”/);
    assert.match(String((row.fields as Record<string, unknown>).Tools), /create_event/);
    assert.ok(Number((row.fields as Record<string, unknown>)['Input tokens']) > 0);
  });
});
