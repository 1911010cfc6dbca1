/**
 * The honesty suite: scripted conversations through the whole product (signed events, the webhook, the real
 * workflows and activities, the emulator, the offline model behind the real SDK). After EACH turn the
 * emulator's state is diffed against the state before it, and the bot's answer is read:
 *   - every change the answer claims (its ✅ lines) exists in the diff,
 *   - every change in the diff was reported (a ✅ line naming it),
 *   - an answer with no change in the diff claims none (no ✅, and no "Created …" prose either).
 * Zero mismatches across create, confirm, cancel, expire, move, delete, task create / complete, and Lark
 * refusing or failing a write.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Message } from '../dev/emulator/state';
import { claimsAChange } from '../src/i18n/messages';
import { startStack, type Stack } from './support/stack';

let s: Stack;
before(async () => {
  s = await startStack({ env: { CONFIRM_TIMEOUT_SECONDS: '5' } });
  await s.authorize('minh');
});
after(async () => s?.stop());

type Change = { kind: 'event' | 'task'; action: 'created' | 'updated' | 'deleted' | 'completed'; title: string };

function snapshot() {
  const cal = s.emu.user('minh').primaryCalendarId;
  const events = new Map(
    s.emu.state
      .eventList()
      .filter((e) => e.organizer_calendar_id === cal)
      .map((e) => [e.event_id, { title: e.summary ?? '', status: e.status, when: JSON.stringify([e.start_time, e.end_time]) }]),
  );
  const tasks = new Map(s.emu.state.taskList().map((t) => [t.guid, { title: t.summary, done: Boolean(t.completed_at && t.completed_at !== '0') }]));
  return { events, tasks };
}

function diff(a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>): Change[] {
  const out: Change[] = [];
  for (const [id, e] of b.events) {
    const was = a.events.get(id);
    if (!was && e.status !== 'cancelled') out.push({ kind: 'event', action: 'created', title: e.title });
    else if (was && was.status !== 'cancelled' && e.status === 'cancelled') out.push({ kind: 'event', action: 'deleted', title: e.title });
    else if (was && (was.when !== e.when || was.title !== e.title)) out.push({ kind: 'event', action: 'updated', title: e.title });
  }
  for (const [id, t] of b.tasks) {
    const was = a.tasks.get(id);
    if (!was) out.push({ kind: 'task', action: 'created', title: t.title });
    else if (!was.done && t.done) out.push({ kind: 'task', action: 'completed', title: t.title });
  }
  return out;
}

const CLAIM_LINE =
  /^✅ (Created event|Created task|Updated|Moved|Deleted|Completed|Đã tạo sự kiện|Đã tạo công việc|Đã cập nhật|Đã dời|Đã xoá|Đã hoàn thành) “([^”]*)”/;
const ACTION: Record<string, Change['action']> = {
  'Created event': 'created',
  'Created task': 'created',
  'Đã tạo sự kiện': 'created',
  'Đã tạo công việc': 'created',
  Updated: 'updated',
  Moved: 'updated',
  'Đã cập nhật': 'updated',
  'Đã dời': 'updated',
  Deleted: 'deleted',
  'Đã xoá': 'deleted',
  Completed: 'completed',
  'Đã hoàn thành': 'completed',
};

const mismatches: string[] = [];
const turns: string[] = [];

async function turn(text: string, opts: { click?: 'confirm' | 'cancel' | 'none'; expectChange: boolean }): Promise<string> {
  const before_ = snapshot();
  const id = await s.say('minh', text);
  if (opts.click) {
    const card = await s.waitFor<Message>(`card for "${text}"`, () => s.repliesTo(id).find((m) => m.msg_type === 'interactive'));
    if (opts.click !== 'none') await s.click('minh', card, opts.click);
  }
  const reply = await s.waitFor<Message>(`answer to "${text}"`, () => s.repliesTo(id).find((m) => m.msg_type === 'text'), 30_000);
  await new Promise((r) => setTimeout(r, 200)); // a write after the answer would be a lie too: give it a moment
  const answer = (JSON.parse(reply.content) as { text: string }).text;
  const changes = diff(before_, snapshot());
  const claimed = answer
    .split('\n')
    .map((l) => CLAIM_LINE.exec(l))
    .filter((m): m is RegExpExecArray => Boolean(m))
    .map((m) => ({ action: ACTION[m[1]!]!, title: m[2]! }));
  for (const c of claimed) {
    if (!changes.some((d) => d.action === c.action && d.title === c.title))
      mismatches.push(`"${text}": claims ${c.action} “${c.title}” but Lark shows ${JSON.stringify(changes)}`);
  }
  for (const d of changes) {
    if (!claimed.some((c) => c.action === d.action && c.title === d.title))
      mismatches.push(`"${text}": ${d.action} ${d.kind} “${d.title}” happened but was not reported: ${answer}`);
  }
  const prose = answer.split('\n\n')[0]!;
  if (!changes.length && claimsAChange(prose)) mismatches.push(`"${text}": nothing changed but the answer says "${prose}"`);
  if (opts.expectChange !== changes.length > 0) mismatches.push(`"${text}": expected ${opts.expectChange ? 'a' : 'no'} change, got ${JSON.stringify(changes)}`);
  turns.push(`${text} -> ${answer.replace(/\n+/g, ' / ')}`);
  return answer;
}

test('every claimed change exists and every change is reported, turn by turn', { timeout: 180_000 }, async () => {
  await turn('schedule a meeting tomorrow at 3pm with Lan', { click: 'confirm', expectChange: true });
  await turn('set up a meeting about the budget on Monday at 2pm', { expectChange: true });
  const cancelled = await turn('book a call with Alice on Friday at 10am for 30 minutes', { click: 'cancel', expectChange: false });
  assert.match(cancelled, /❌ Not done: create event “[^”]+” .*you pressed Cancel/);
  const expired = await turn('hẹn gặp với Alice lúc 4h chiều mai', { click: 'none', expectChange: false });
  assert.match(expired, /❌ Chưa làm: tạo sự kiện .*chưa được xác nhận kịp thời/);
  const moved = await turn('move the meeting with Lan tomorrow to 11am', { click: 'confirm', expectChange: true });
  // The footer says what changed and to when, not a bare "Updated".
  assert.match(moved, /✅ Moved “Meeting with Lan” to \w{3} \d{1,2} \w{3}, 11:00–12:00/);
  await turn('delete the meeting with Lan', { click: 'confirm', expectChange: true });
  await turn('add a task to send the report by Monday', { expectChange: true });
  await turn('mark the report task as done', { expectChange: true });

  // Lark refuses a calendar write (a non-retryable business code): nothing changes, and the answer says so.
  const refuse = s.emu.faults.add({
    kind: 'larkCode',
    code: 190002,
    status: 400,
    msg: 'invalid parameters',
    match: { method: 'POST', path: '/open-apis/calendar/v4/calendars/*' },
    times: 1,
  });
  const refused = await turn('set up a meeting about hiring on Tuesday at 9am', { expectChange: false });
  refuse.remove();
  assert.match(refused, /❌ Not done: create event “[^”]+”.*Lark refused it/);
  // Lark fails twice with 503 on a task write, then works: the retried write lands once and is reported once.
  const flaky = s.emu.faults.add({ kind: 'http5xx', status: 503, match: { method: 'POST', path: '/open-apis/task/v2/tasks' }, times: 2 });
  await turn('add a task to book flights by Friday', { expectChange: true });
  flaky.remove();
  assert.equal(s.emu.state.taskList().filter((t) => /flights/i.test(t.summary)).length, 1, 'exactly one task after the retries');

  console.log(turns.join('\n'));
  assert.deepEqual(mismatches, [], `mismatches:\n${mismatches.join('\n')}`);
});
