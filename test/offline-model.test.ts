/**
 * The offline stand-in model, through the real Anthropic SDK pointed at it (ANTHROPIC_BASE_URL style), driven
 * like the agent loop drives Claude: each tool_use is validated, confirmed first when the real confirmation rule
 * says so, answered from a small world with the emulator's result shapes (test/support/offline-world.ts), and the
 * tool_result goes back until the model answers. Each phrasing checks the tool calls it made, and that the final
 * answer agrees with the tool results: it names what changed, says "Not done" when the user cancelled or did not
 * confirm, asks when the time, the person or the event is missing or ambiguous, and never claims a change that
 * did not happen (or hides one that did).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { buildSystemPrompt } from '../src/agent/system-prompt';
import { validateToolInput } from '../src/tools';
import { toolsParam } from '../src/llm/anthropic-step';
import { startOfflineModel, type OfflineModelServer } from '../dev/llm/offline-model';
import { handleToolUse, seedWorld, type Decision, type Outcome, type World } from './support/offline-world';

// Wednesday 2026-12-02 10:00 in Ho Chi Minh City: "tomorrow" is Thu 3 Dec, "Friday" Fri 4 Dec, "Monday" Mon 7 Dec.
const NOW = new Date('2026-12-02T10:00:00+07:00');
const SYSTEM = buildSystemPrompt({ now: NOW, timeZone: 'Asia/Ho_Chi_Minh' });

let server: OfflineModelServer;
let client: Anthropic;
before(async () => {
  server = await startOfflineModel();
  client = new Anthropic({ apiKey: 'offline-test', baseURL: server.url, maxRetries: 0 });
});
after(() => server.close());

type Msg = Anthropic.MessageParam;

function send(messages: Msg[], system = SYSTEM, tools = toolsParam()): Promise<Anthropic.Message> {
  return client.messages.create({
    model: 'claude-sonnet-5-5',
    max_tokens: 512,
    system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
    tools,
    messages,
  });
}

const textOf = (msg: Anthropic.Message) => msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
const user = (text: string): Msg => ({ role: 'user', content: text });
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The whole answer after the offline label, exactly. */
const exactly = (s: string) => new RegExp(`^\\((?:offline model|mô hình offline)\\) ${esc(s)}$`);
const has = (s: string) => new RegExp(esc(s));

interface Case {
  text: string;
  lang: 'en' | 'vi';
  /** Tool names in order (after validation). */
  calls: string[];
  /** Expected inputs, by call index (deep-equal). */
  inputs?: Record<number, Record<string, unknown>>;
  answer: RegExp;
  world?: (w: World) => void;
  history?: Msg[];
  system?: string;
  decision?: Decision;
  failing?: string[];
  /** Extra checks on the world after the turn. */
  check?: (w: World) => void;
}

/** Runs one turn like the agent loop: model step, tools, results back, until the model answers. */
async function converse(c: Case): Promise<{ answer: string; out: Outcome; world: World; before: World }> {
  const world = seedWorld();
  c.world?.(world);
  const before = structuredClone(world);
  const messages: Msg[] = [...(c.history ?? []), user(c.text)];
  const out: Outcome = { calls: [], confirmations: [], results: [] };
  for (let step = 0; step < 6; step++) {
    const msg = await send(messages, c.system);
    assert.equal(msg.type, 'message');
    if (msg.stop_reason !== 'tool_use') return { answer: textOf(msg), out, world, before };
    messages.push({ role: 'assistant', content: msg.content });
    const results: Anthropic.ToolResultBlockParam[] = [];
    for (const use of msg.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')) {
      assert.ok(validateToolInput(use.name, use.input).ok, `${use.name} input fits its schema: ${JSON.stringify(use.input)}`);
      const r = handleToolUse(world, use.name, use.input, c, out);
      out.results.push(r);
      results.push({ type: 'tool_result', tool_use_id: use.id, content: r.content, ...(r.isError ? { is_error: true } : {}) });
    }
    messages.push({ role: 'user', content: results });
  }
  throw new Error(`no answer after 6 steps: ${JSON.stringify(out.calls)}`);
}

const CLAIMS_CHANGE =
  /^\((?:offline model|mô hình offline)\) (?:Created|Moved|Renamed|Deleted|Added|Marked|Accepted|Declined|Answered|Đã tạo|Đã dời|Đã đổi tên|Đã xóa|Đã thêm|Đã đánh dấu|Đã chấp nhận|Đã từ chối|Đã trả lời)/;

/** Titles of what differs between two worlds: created, changed or removed events and tasks. */
function changedTitles(before: World, after: World): string[] {
  const key = (x: object) => JSON.stringify(x);
  const out: string[] = [];
  for (const [a, b] of [
    [before.events, after.events],
    [before.tasks, after.tasks],
  ] as const) {
    const beforeKeys = new Set(a.map(key));
    const afterKeys = new Set(b.map(key));
    for (const x of b) if (!beforeKeys.has(key(x))) out.push(x.summary);
    for (const x of a)
      if (
        !afterKeys.has(key(x)) &&
        !b.some((y) => ('event_id' in y ? y.event_id === (x as { event_id?: string }).event_id : y.task_id === (x as { task_id?: string }).task_id))
      )
        out.push(x.summary);
  }
  return out;
}

function checkCase(c: Case, r: Awaited<ReturnType<typeof converse>>) {
  const { answer, out, world, before } = r;
  assert.deepEqual(
    out.calls.map((x) => x.name),
    c.calls,
    `tool calls for "${c.text}"; answer: ${answer}`,
  );
  for (const [i, input] of Object.entries(c.inputs ?? {})) assert.deepEqual(out.calls[Number(i)]?.input, input, `input of call #${i}`);
  assert.match(answer, c.answer);
  // One language per turn: the label and the text are in the language of the message.
  assert.match(answer, c.lang === 'vi' ? /^\(mô hình offline\) / : /^\(offline model\) /);
  assert.doesNotMatch(answer, /\d{4}-\d{2}-\d{2}/, 'dates in words, never ISO');
  // Claims match effects: a change is claimed exactly when the world changed, and the claim names it.
  const changed = changedTitles(before, world);
  assert.equal(CLAIMS_CHANGE.test(answer), changed.length > 0, `claims a change: ${answer}; changed: ${JSON.stringify(changed)}`);
  for (const title of changed) assert.ok(answer.includes(title), `the answer names "${title}": ${answer}`);
  if (out.confirmations.some((d) => d !== 'confirm')) assert.match(answer, /Not done|Chưa làm/);
  c.check?.(world);
}

/** Two active reminders: a weekly one and a one-off. */
const twoReminders = (w: World) =>
  void (w.reminders = [
    {
      reminder_id: 'rem_weekly',
      kind: 'reminder',
      text: 'Send the weekly report',
      next: '2026-12-07 09:00',
      repeats: 'every Monday at 09:00',
      schedule: { kind: 'weekly', time: '09:00', weekdays: [1] },
    },
    { reminder_id: 'rem_lan', kind: 'reminder', text: 'Gọi cho Lan', next: '2026-12-03 17:00' },
  ]);
const reminderIds = (w: World) => (w.reminders ?? []).map((r) => r.reminder_id);
const lanTwice = (w: World) =>
  w.events.push({ event_id: 'evt_lan2', summary: 'Meeting with Lan', start: '2026-12-07 10:00', end: '2026-12-07 11:00', attendees: ['Nguyễn Thị Lan'] });
const lunchWithLan = (w: World) =>
  w.events.push({ event_id: 'evt_lunch', summary: 'Lunch with Lan', start: '2026-12-04 12:00', end: '2026-12-04 13:00', attendees: ['Nguyễn Thị Lan'] });
const twoLans = (w: World) => w.people.push({ name: 'Lê Thị Lan', open_id: 'ou_lan2' });
const lanOnFriday = (w: World) =>
  Object.assign(
    w.events.find((e) => e.event_id === 'evt_lan')!,
    { start: '2026-12-04 15:00', end: '2026-12-04 16:00' },
  );
/** Invitations from others: two still unanswered (Thu 15:00 from Minh, Fri 10:00 from Alice), one already accepted. */
const invites = (w: World) =>
  void w.events.push(
    {
      event_id: 'evt_inv_plan',
      summary: 'Quarterly planning',
      start: '2026-12-03 15:00',
      end: '2026-12-03 16:00',
      attendees: ['Trần Văn Minh'],
      invitation: { organizer: 'Trần Văn Minh', rsvp: 'needs_action' },
    },
    {
      event_id: 'evt_inv_design',
      summary: 'Design review',
      start: '2026-12-04 10:00',
      end: '2026-12-04 11:00',
      attendees: ['Alice Smith'],
      invitation: { organizer: 'Alice Smith', rsvp: 'needs_action' },
    },
    {
      event_id: 'evt_inv_allhands',
      summary: 'All hands',
      start: '2026-12-03 11:00',
      end: '2026-12-03 12:00',
      attendees: ['Alice Smith'],
      invitation: { organizer: 'Alice Smith', rsvp: 'accept' },
    },
  );
const rsvpOf = (w: World, id: string) => w.events.find((e) => e.event_id === id)?.invitation?.rsvp;
const noTasks = (w: World) => void w.tasks.splice(0);
const strict = (w: World) => void (w.strict = true);
const event = (w: World, id: string) => w.events.find((e) => e.event_id === id);
const UPCOMING = { start: '2026-12-02T00:00', end: '2026-12-16T00:00' };
const TOMORROW = { start: '2026-12-03T00:00', end: '2026-12-04T00:00' };
const FRIDAY = { start: '2026-12-04T00:00', end: '2026-12-05T00:00' };
const NEXT_WEEK = { start: '2026-12-02T10:00', end: '2026-12-09T10:00' };

/** Eight earlier turns in one chat (the scene), as plain user/assistant text. */
const EARLIER: Msg[] = [
  ['tạo cuộc họp 3h chiều mai', '(mô hình offline) Đã tạo "Cuộc họp" vào Thứ Năm 3/12, 15:00–16:00.'],
  ['add a task to send the report by Monday', '(offline model) Added the task "Send the report", due Mon 7 Dec, 17:00.'],
  ['cancel that meeting', '(offline model) Not done: deleting "Cuộc họp" (Thu 3 Dec, 15:00–16:00). You pressed Cancel.'],
  ['show my tasks', '(offline model) You have 1 open task:\n• "Send the report" (due Mon 7 Dec, 17:00)'],
  ['schedule a meeting tomorrow at 3pm with Lan', '(offline model) Created "Meeting with Lan" on Thu 3 Dec, 15:00–16:00, with Nguyễn Thị Lan invited.'],
  ['thêm việc gửi báo cáo trước thứ hai', '(mô hình offline) Đã thêm việc "Gửi báo cáo", hạn Thứ Hai 7/12, 17:00.'],
  ["what's on my calendar Friday?", '(offline model) On Fri 4 Dec you have 2 events:\n• 10:00–11:00 "Họp với Minh"\n• 14:00–15:00 "Budget review"'],
  ['delete the meeting with Lan', '(offline model) Not done: deleting "Meeting with Lan" (Thu 3 Dec, 15:00–16:00). It was not confirmed in time.'],
].flatMap(([u, a]) => [user(u!), { role: 'assistant' as const, content: a! }]);
const SUMMARY_PREFIX =
  '(Earlier in this chat: user: tạo cuộc họp 3h chiều mai / you: Đã tạo "Cuộc họp" | user: add a task to send the report by Monday / you: Added the task)\n\n';
/** The lead's contract: the summary of older turns in the system prompt, after the time line. */
const SYSTEM_WITH_SUMMARY = `${SYSTEM}\n\nSummary of earlier turns in this chat: the user created a meeting tomorrow at 15:00 and added a task "Send the report".`;
const NO_TIME_SYSTEM = 'You are a scheduling assistant inside Lark. Use the tools.';

const CASES: Case[] = [
  // --- Create events (attendees are confirmed first by the real rule) ---
  {
    text: 'schedule a meeting tomorrow at 3pm with Lan',
    lang: 'en',
    calls: ['create_event'],
    inputs: { 0: { summary: 'Meeting with Lan', start: '2026-12-03T15:00', attendees: ['Lan'] } },
    answer: exactly('Created "Meeting with Lan" on Thu 3 Dec, 15:00–16:00, with Nguyễn Thị Lan invited.'),
  },
  {
    text: 'tạo cuộc họp 3h chiều mai với Lan',
    lang: 'vi',
    calls: ['create_event'],
    inputs: { 0: { summary: 'Họp với Lan', start: '2026-12-03T15:00', attendees: ['Lan'] } },
    answer: exactly('Đã tạo "Họp với Lan" vào Thứ Năm 3/12, 15:00–16:00, đã mời Nguyễn Thị Lan.'),
  },
  {
    text: 'book a call with Alice on Friday at 10am for 30 minutes',
    lang: 'en',
    calls: ['create_event'],
    inputs: { 0: { summary: 'Call with Alice', start: '2026-12-04T10:00', duration_minutes: 30, attendees: ['Alice'] } },
    answer: exactly('Created "Call with Alice" on Fri 4 Dec, 10:00–10:30, with Alice Smith invited.'),
  },
  {
    text: 'đặt lịch họp với Minh thứ sáu lúc 9h sáng trong 45 phút',
    lang: 'vi',
    calls: ['create_event'],
    inputs: { 0: { summary: 'Họp với Minh', start: '2026-12-04T09:00', duration_minutes: 45, attendees: ['Minh'] } },
    answer: exactly('Đã tạo "Họp với Minh" vào Thứ Sáu 4/12, 09:00–09:45, đã mời Trần Văn Minh.'),
  },
  {
    text: 'set up a meeting about the budget on Monday at 2pm',
    lang: 'en',
    calls: ['create_event'],
    inputs: { 0: { summary: 'Budget', start: '2026-12-07T14:00' } },
    answer: exactly('Created "Budget" on Mon 7 Dec, 14:00–15:00.'),
  },
  {
    text: 'tạo cuộc họp về kế hoạch quý lúc 10h sáng thứ hai',
    lang: 'vi',
    calls: ['create_event'],
    inputs: { 0: { summary: 'Kế hoạch quý', start: '2026-12-07T10:00' } },
    answer: exactly('Đã tạo "Kế hoạch quý" vào Thứ Hai 7/12, 10:00–11:00.'),
  },
  {
    text: 'schedule a meeting tomorrow at 3pm with Lan',
    lang: 'en',
    decision: 'cancel',
    calls: ['create_event'],
    answer: exactly('Not done: creating "Meeting with Lan" on Thu 3 Dec, 15:00. You pressed Cancel.'),
  },
  {
    text: 'tạo cuộc họp 3h chiều mai với Lan',
    lang: 'vi',
    decision: 'cancel',
    calls: ['create_event'],
    answer: exactly('Chưa làm: tạo "Họp với Lan" vào Thứ Năm 3/12, 15:00. Bạn đã bấm Hủy.'),
  },
  {
    text: 'schedule a meeting tomorrow at 3pm with Lan',
    lang: 'en',
    decision: 'expired',
    calls: ['create_event'],
    answer: exactly('Not done: creating "Meeting with Lan" on Thu 3 Dec, 15:00. It was not confirmed in time.'),
  },
  {
    text: 'hẹn gặp với Lan lúc 4h chiều mai',
    lang: 'vi',
    decision: 'expired',
    calls: ['create_event'],
    answer: exactly('Chưa làm: tạo "Họp với Lan" vào Thứ Năm 3/12, 16:00. Yêu cầu chưa được xác nhận kịp thời.'),
  },
  {
    text: 'schedule a meeting with Lan',
    lang: 'en',
    calls: [],
    answer: exactly('When should "Meeting with Lan" be? Tell me a day and a time, e.g. "tomorrow at 3pm".'),
  },
  { text: 'tạo cuộc họp với Lan ngày mai', lang: 'vi', calls: [], answer: exactly('"Họp với Lan" bắt đầu lúc mấy giờ, Thứ Năm 3/12?') },
  {
    text: 'schedule a meeting with Lan tomorrow at 3pm',
    lang: 'en',
    world: twoLans,
    calls: ['create_event'],
    answer: exactly('Not done yet: "Lan" matches several people: Nguyễn Thị Lan, Lê Thị Lan. Which one do you mean?'),
  },
  {
    text: 'tạo cuộc họp với Lan lúc 3h chiều mai',
    lang: 'vi',
    world: twoLans,
    calls: ['create_event'],
    answer: exactly('Chưa làm: có nhiều người khớp với "Lan": Nguyễn Thị Lan, Lê Thị Lan. Bạn muốn chọn ai?'),
  },
  {
    text: 'schedule a call with Bob tomorrow at 4pm',
    lang: 'en',
    calls: ['create_event'],
    answer: exactly('Not done: I couldn\'t find "Bob" in the company directory. What is their e-mail address?'),
  },
  {
    text: 'hẹn gặp với Hùng lúc 4h chiều mai',
    lang: 'vi',
    calls: ['create_event'],
    answer: exactly('Chưa làm: tôi không tìm thấy "Hùng" trong danh bạ công ty. Bạn cho tôi địa chỉ email của họ nhé?'),
  },
  {
    text: 'set up a meeting about the budget on Monday at 2pm',
    lang: 'en',
    failing: ['create_event'],
    calls: ['create_event'],
    answer: /^\(offline model\) Not done: creating "Budget" on Mon 7 Dec, 14:00 failed: The tool failed: Lark is unavailable/,
  },
  {
    text: 'tạo cuộc họp về kế hoạch quý lúc 10h sáng thứ hai',
    lang: 'vi',
    failing: ['create_event'],
    calls: ['create_event'],
    answer: /^\(mô hình offline\) Chưa làm được: tạo "Kế hoạch quý" vào Thứ Hai 7\/12, 10:00 bị lỗi: The tool failed/,
  },

  // --- List events: the day or the range is named ---
  {
    text: "what's on my calendar tomorrow?",
    lang: 'en',
    calls: ['list_events'],
    inputs: { 0: TOMORROW },
    answer: exactly('On Thu 3 Dec you have 2 events:\n• 09:00–09:15 "Standup"\n• 15:00–16:00 "Meeting with Lan"'),
  },
  {
    text: 'lịch của tôi ngày mai',
    lang: 'vi',
    calls: ['list_events'],
    inputs: { 0: TOMORROW },
    answer: exactly('Thứ Năm 3/12 bạn có 2 sự kiện:\n• 09:00–09:15 "Standup"\n• 15:00–16:00 "Meeting with Lan"'),
  },
  {
    text: 'lịch của tôi thứ sáu',
    lang: 'vi',
    calls: ['list_events'],
    inputs: { 0: FRIDAY },
    answer: exactly('Thứ Sáu 4/12 bạn có 2 sự kiện:\n• 10:00–11:00 "Họp với Minh"\n• 14:00–15:00 "Budget review"'),
  },
  { text: 'what do I have on Saturday', lang: 'en', calls: ['list_events'], answer: exactly('Nothing on your calendar on Sat 5 Dec.') },
  { text: 'thứ bảy tôi có lịch gì không', lang: 'vi', calls: ['list_events'], answer: exactly('Bạn không có sự kiện nào vào Thứ Bảy 5/12.') },
  {
    text: 'show my meetings next week',
    lang: 'en',
    world: lanTwice,
    calls: ['list_events'],
    inputs: { 0: { start: '2026-12-07T00:00', end: '2026-12-14T00:00' } },
    answer: exactly('From Mon 7 Dec to Sun 13 Dec you have 1 event:\n• Mon 7 Dec, 10:00–11:00 "Meeting with Lan"'),
  },
  { text: 'lịch tuần sau', lang: 'vi', calls: ['list_events'], answer: exactly('Bạn không có sự kiện nào từ Thứ Hai 7/12 đến Chủ Nhật 13/12.') },
  {
    text: "what's on my calendar tomorrow?",
    lang: 'en',
    failing: ['list_events'],
    calls: ['list_events'],
    answer: /^\(offline model\) I couldn't read your calendar on Thu 3 Dec: The tool failed/,
  },
  {
    text: 'lịch của tôi ngày mai',
    lang: 'vi',
    failing: ['list_events'],
    calls: ['list_events'],
    answer: /^\(mô hình offline\) Không thể xem lịch vào Thứ Năm 3\/12: The tool failed/,
  },

  // --- Move: list the day (or the next two weeks), pick the event, update it by id ---
  {
    text: 'move the meeting with Lan tomorrow to 11am',
    lang: 'en',
    calls: ['list_events', 'update_event'],
    inputs: { 0: TOMORROW, 1: { event_id: 'evt_lan', start: '2026-12-03T11:00' } },
    answer: exactly('Moved "Meeting with Lan" to Thu 3 Dec, 11:00–12:00.'),
  },
  {
    text: 'reschedule my sync with Lan to tomorrow at 11am',
    lang: 'en',
    world: lanOnFriday,
    calls: ['list_events', 'update_event'],
    inputs: { 0: UPCOMING, 1: { event_id: 'evt_lan', start: '2026-12-03T11:00' } },
    answer: exactly('Moved "Meeting with Lan" to Thu 3 Dec, 11:00–12:00.'),
    check: (w) => assert.ok(!w.events.some((e) => /Lan to/.test(e.summary)), 'no event titled "Meeting with Lan to"'),
  },
  // A short answer to the bot's own question is read with the request it asked about.
  {
    text: '10h sáng mai',
    lang: 'vi',
    history: [user('dời cuộc họp với Lan'), { role: 'assistant', content: '(mô hình offline) Bạn muốn dời sang lúc nào? Ví dụ "11h sáng mai".' }],
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_lan', start: '2026-12-03T10:00' } },
    answer: exactly('Đã dời "Meeting with Lan" sang Thứ Năm 3/12, 10:00–11:00.'),
  },
  {
    text: 'tomorrow at 10am',
    lang: 'en',
    history: [user('move the meeting with Lan'), { role: 'assistant', content: '(offline model) To when should I move it? For example "tomorrow at 11am".' }],
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_lan', start: '2026-12-03T10:00' } },
    answer: exactly('Moved "Meeting with Lan" to Thu 3 Dec, 10:00–11:00.'),
  },
  {
    text: 'in 20 minutes',
    lang: 'en',
    history: [
      user('remind me to call the bank'),
      { role: 'assistant', content: '(offline model) When should I remind you to "Call the bank"? For example "in 20 minutes" or "tomorrow at 9am".' },
    ],
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Call the bank', in_minutes: 20 } },
    answer: has('I\'ll remind you: "Call the bank"'),
  },
  // Without a question before it, the same words are read alone (nothing is moved).
  {
    text: '10h sáng mai',
    lang: 'vi',
    history: [user('dời cuộc họp với Lan'), { role: 'assistant', content: '(mô hình offline) Đã dời "Meeting with Lan" sang Thứ Năm 3/12, 11:00–12:00.' }],
    calls: [],
    answer: /^\(mô hình offline\) (?![\s\S]*Đã dời)/,
  },
  // Issue 22 step 9: "👍🎉" from a user who writes Vietnamese is answered in Vietnamese (the prompt says which language
  // the user last wrote in); a message with words of its own keeps its language.
  {
    text: '👍🎉',
    lang: 'vi',
    system: buildSystemPrompt({ now: NOW, timeZone: 'Asia/Ho_Chi_Minh', lang: 'vi' }),
    calls: [],
    answer: exactly('👍 Cần gì bạn cứ nhắn mình nhé.'),
  },
  {
    text: '👍🎉',
    lang: 'en',
    system: buildSystemPrompt({ now: NOW, timeZone: 'Asia/Ho_Chi_Minh', lang: 'en' }),
    calls: [],
    answer: exactly('👍 Tell me whenever you need something.'),
  },
  {
    text: 'show my tasks',
    lang: 'en',
    system: buildSystemPrompt({ now: NOW, timeZone: 'Asia/Ho_Chi_Minh', lang: 'vi' }),
    calls: ['list_tasks'],
    answer: /^\(offline model\) /,
  },
  // A bare yes to the bot's own offer ("The next free time is …; should I move it there?") moves that event there;
  // a no, or a yes to no offer, moves nothing.
  ...([['yes, move it'], ['ok, do it'], ['Yes please']] as const).map(([text]) => ({
    text,
    lang: 'en' as const,
    world: (w: World) =>
      void w.events.push({ event_id: 'evt_call', summary: 'Call with Minh', start: '2026-12-03 10:00', end: '2026-12-03 10:30', attendees: ['Trần Văn Minh'] }),
    history: [
      user('book a call with Minh tomorrow at 10am for 30 minutes'),
      {
        role: 'assistant' as const,
        content:
          '(offline model) Created "Call with Minh" on Thu 3 Dec, 10:00–10:30, with Trần Văn Minh invited. Trần Văn Minh is busy then (Thu 3 Dec, 09:00–10:30). The next free time is Thu 3 Dec, 10:30–11:00; should I move it there?',
      },
    ],
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_call', start: '2026-12-03T10:30' } },
    answer: exactly('Moved "Call with Minh" to Thu 3 Dec, 10:30–11:00.'),
  })),
  ...([['có, dời đi'], ['ok, dời giúp mình'], ['được'], ['ừ, dời sang đó đi'], ['vâng']] as const).map(([text]) => ({
    text,
    lang: 'vi' as const,
    history: [
      user('đặt lịch họp với Minh 10h sáng thứ sáu'),
      {
        role: 'assistant' as const,
        content:
          '(mô hình offline) Đã tạo "Họp với Minh" vào Thứ Sáu 4/12, 10:00–11:00, đã mời Trần Văn Minh. Trần Văn Minh bận vào lúc đó (Thứ Sáu 4/12, 09:00–10:30). Giờ trống tiếp theo là Thứ Sáu 4/12, 10:30–11:30; bạn có muốn dời sang đó không?',
      },
    ],
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_minh', start: '2026-12-04T10:30' } },
    answer: exactly('Đã dời "Họp với Minh" sang Thứ Sáu 4/12, 10:30–11:30.'),
  })),
  {
    text: 'không, giữ nguyên',
    lang: 'vi',
    history: [
      user('đặt lịch họp với Minh 10h sáng thứ sáu'),
      {
        role: 'assistant',
        content:
          '(mô hình offline) Đã tạo "Họp với Minh" vào Thứ Sáu 4/12, 10:00–11:00, đã mời Trần Văn Minh. Trần Văn Minh bận vào lúc đó (Thứ Sáu 4/12, 09:00–10:30). Giờ trống tiếp theo là Thứ Sáu 4/12, 10:30–11:30; bạn có muốn dời sang đó không?',
      },
    ],
    calls: [],
    answer: /^\(mô hình offline\) (?![\s\S]*Đã dời)/,
  },
  {
    text: 'no, keep it',
    lang: 'en',
    world: (w) =>
      void w.events.push({ event_id: 'evt_call', summary: 'Call with Minh', start: '2026-12-03 10:00', end: '2026-12-03 10:30', attendees: ['Trần Văn Minh'] }),
    history: [
      user('book a call with Minh tomorrow at 10am for 30 minutes'),
      {
        role: 'assistant',
        content:
          '(offline model) Created "Call with Minh" on Thu 3 Dec, 10:00–10:30, with Trần Văn Minh invited. Trần Văn Minh is busy then (Thu 3 Dec, 09:00–10:30). The next free time is Thu 3 Dec, 10:30–11:00; should I move it there?',
      },
    ],
    calls: [],
    answer: exactly('OK, I changed nothing.'),
  },
  {
    text: 'có, dời đi',
    lang: 'vi',
    history: [
      user('dời cuộc họp với Lan sang 11h sáng mai'),
      { role: 'assistant', content: '(mô hình offline) Đã dời "Meeting with Lan" sang Thứ Năm 3/12, 11:00–12:00.' },
    ],
    calls: [],
    answer: /^\(mô hình offline\) (?![\s\S]*Đã dời)/,
  },
  {
    text: 'yes, move it',
    lang: 'en',
    history: [user('move the meeting with Lan to 11am'), { role: 'assistant', content: '(offline model) Moved "Meeting with Lan" to Thu 3 Dec, 11:00–12:00.' }],
    calls: [],
    answer: /^\(offline model\) (?![\s\S]*Moved)/,
  },
  {
    text: 'dời cuộc họp với Lan sang 11h sáng mai',
    lang: 'vi',
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_lan', start: '2026-12-03T11:00' } },
    answer: exactly('Đã dời "Meeting with Lan" sang Thứ Năm 3/12, 11:00–12:00.'),
  },
  {
    text: 'đổi giờ họp với Lan thành 4h chiều',
    lang: 'vi',
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_lan', start: '2026-12-03T16:00' } },
    answer: exactly('Đã dời "Meeting with Lan" sang Thứ Năm 3/12, 16:00–17:00.'),
  },
  {
    text: 'push the meeting with Lan back by 30 minutes',
    lang: 'en',
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_lan', start: '2026-12-03T15:30' } },
    answer: exactly('Moved "Meeting with Lan" to Thu 3 Dec, 15:30–16:30.'),
  },
  {
    text: 'lùi cuộc họp với Lan 1 tiếng',
    lang: 'vi',
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_lan', start: '2026-12-03T16:00' } },
    answer: exactly('Đã dời "Meeting with Lan" sang Thứ Năm 3/12, 16:00–17:00.'),
  },
  {
    text: 'move the budget review to Monday',
    lang: 'en',
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_budget', start: '2026-12-07T14:00' } },
    answer: exactly('Moved "Budget review" to Mon 7 Dec, 14:00–15:00.'),
  },
  {
    text: 'hoãn họp với Minh sang thứ hai',
    lang: 'vi',
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_minh', start: '2026-12-07T10:00' } },
    answer: exactly('Đã dời "Họp với Minh" sang Thứ Hai 7/12, 10:00–11:00.'),
  },
  {
    text: 'move the meeting with Lan tomorrow to 11am',
    lang: 'en',
    decision: 'cancel',
    calls: ['list_events', 'update_event'],
    answer: exactly('Not done: moving "Meeting with Lan" to Thu 3 Dec, 11:00. You pressed Cancel.'),
  },
  {
    text: 'hoãn họp với Minh sang thứ hai',
    lang: 'vi',
    decision: 'expired',
    calls: ['list_events', 'update_event'],
    answer: exactly('Chưa làm: dời "Họp với Minh" sang Thứ Hai 7/12, 10:00. Yêu cầu chưa được xác nhận kịp thời.'),
  },
  {
    text: 'reschedule my sync with Lan to Monday at 11am',
    lang: 'en',
    world: lunchWithLan,
    calls: ['list_events'],
    answer: exactly(
      'Which one do you mean: "Meeting with Lan" (Thu 3 Dec, 15:00–16:00) or "Lunch with Lan" (Fri 4 Dec, 12:00–13:00)? Nothing was changed yet.',
    ),
  },
  {
    text: 'dời lịch với Lan sang thứ hai lúc 11h',
    lang: 'vi',
    world: lunchWithLan,
    calls: ['list_events'],
    answer: exactly(
      'Bạn muốn nói sự kiện nào: "Meeting with Lan" (Thứ Năm 3/12, 15:00–16:00) hay "Lunch with Lan" (Thứ Sáu 4/12, 12:00–13:00)? Tôi chưa thay đổi gì.',
    ),
  },
  {
    text: 'move the meeting with Bob to 5pm',
    lang: 'en',
    calls: ['list_events'],
    answer: exactly('I found no event matching "Bob" from Wed 2 Dec to Tue 15 Dec, so nothing was changed. Which event do you mean?'),
  },
  {
    text: 'dời cuộc họp với Hùng sang 5h chiều',
    lang: 'vi',
    calls: ['list_events'],
    answer: exactly('Tôi không tìm thấy sự kiện nào khớp với "Hùng" từ Thứ Tư 2/12 đến Thứ Ba 15/12, nên chưa thay đổi gì. Bạn muốn nói sự kiện nào?'),
  },
  { text: 'move the meeting with Lan', lang: 'en', calls: [], answer: exactly('To when should I move it? For example "tomorrow at 11am".') },
  { text: 'dời cuộc họp với Lan', lang: 'vi', calls: [], answer: exactly('Bạn muốn dời sang lúc nào? Ví dụ "11h sáng mai".') },

  // --- Rename ---
  {
    text: 'rename the meeting with Lan to Project kickoff',
    lang: 'en',
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_lan', summary: 'Project kickoff' } },
    answer: exactly('Renamed "Meeting with Lan" to "Project kickoff" (Thu 3 Dec, 15:00–16:00).'),
  },
  {
    text: 'đổi tên cuộc họp với Minh thành Họp kế hoạch',
    lang: 'vi',
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_minh', summary: 'Họp kế hoạch' } },
    answer: exactly('Đã đổi tên "Họp với Minh" thành "Họp kế hoạch" (Thứ Sáu 4/12, 10:00–11:00).'),
  },

  // --- Cancel / delete: seven phrasings in each language, then Cancel, expiry, failure, ambiguity, no match ---
  {
    text: 'cancel the meeting with Lan tomorrow',
    lang: 'en',
    calls: ['list_events', 'delete_event'],
    inputs: { 0: TOMORROW, 1: { event_id: 'evt_lan' } },
    answer: exactly('Deleted "Meeting with Lan" (Thu 3 Dec, 15:00–16:00).'),
  },
  {
    text: 'delete the meeting with Lan',
    lang: 'en',
    calls: ['list_events', 'delete_event'],
    inputs: { 0: UPCOMING, 1: { event_id: 'evt_lan' } },
    answer: exactly('Deleted "Meeting with Lan" (Thu 3 Dec, 15:00–16:00).'),
  },
  {
    text: 'cancel my 3pm meeting tomorrow',
    lang: 'en',
    calls: ['list_events', 'delete_event'],
    inputs: { 1: { event_id: 'evt_lan' } },
    answer: exactly('Deleted "Meeting with Lan" (Thu 3 Dec, 15:00–16:00).'),
  },
  {
    text: 'remove the budget review from my calendar',
    lang: 'en',
    calls: ['list_events', 'delete_event'],
    inputs: { 1: { event_id: 'evt_budget' } },
    answer: exactly('Deleted "Budget review" (Fri 4 Dec, 14:00–15:00).'),
  },
  {
    text: "call off Friday's budget review",
    lang: 'en',
    calls: ['list_events', 'delete_event'],
    inputs: { 0: FRIDAY, 1: { event_id: 'evt_budget' } },
    answer: exactly('Deleted "Budget review" (Fri 4 Dec, 14:00–15:00).'),
  },
  {
    text: 'cancel that meeting',
    lang: 'en',
    history: EARLIER.slice(8, 10),
    calls: ['list_events', 'delete_event'],
    inputs: { 1: { event_id: 'evt_lan' } },
    answer: exactly('Deleted "Meeting with Lan" (Thu 3 Dec, 15:00–16:00).'),
  },
  {
    text: 'please delete the standup tomorrow',
    lang: 'en',
    calls: ['list_events', 'delete_event'],
    inputs: { 1: { event_id: 'evt_standup' } },
    answer: exactly('Deleted "Standup" (Thu 3 Dec, 09:00–09:15).'),
  },
  {
    text: 'hủy cuộc họp với Lan ngày mai',
    lang: 'vi',
    calls: ['list_events', 'delete_event'],
    inputs: { 0: TOMORROW, 1: { event_id: 'evt_lan' } },
    answer: exactly('Đã xóa "Meeting with Lan" (Thứ Năm 3/12, 15:00–16:00).'),
  },
  {
    text: 'xóa cuộc họp với Lan',
    lang: 'vi',
    calls: ['list_events', 'delete_event'],
    inputs: { 1: { event_id: 'evt_lan' } },
    answer: exactly('Đã xóa "Meeting with Lan" (Thứ Năm 3/12, 15:00–16:00).'),
  },
  {
    text: 'xoá lịch họp 3h chiều mai',
    lang: 'vi',
    calls: ['list_events', 'delete_event'],
    inputs: { 0: TOMORROW, 1: { event_id: 'evt_lan' } },
    answer: exactly('Đã xóa "Meeting with Lan" (Thứ Năm 3/12, 15:00–16:00).'),
  },
  {
    text: 'huỷ buổi họp với Minh thứ sáu',
    lang: 'vi',
    calls: ['list_events', 'delete_event'],
    inputs: { 0: FRIDAY, 1: { event_id: 'evt_minh' } },
    answer: exactly('Đã xóa "Họp với Minh" (Thứ Sáu 4/12, 10:00–11:00).'),
  },
  {
    text: 'bỏ cuộc họp đó đi',
    lang: 'vi',
    history: [
      user('đặt lịch họp với Minh thứ sáu lúc 10h'),
      { role: 'assistant', content: '(mô hình offline) Đã tạo "Họp với Minh" vào Thứ Sáu 4/12, 10:00–11:00, đã mời Trần Văn Minh.' },
    ],
    calls: ['list_events', 'delete_event'],
    inputs: { 1: { event_id: 'evt_minh' } },
    answer: exactly('Đã xóa "Họp với Minh" (Thứ Sáu 4/12, 10:00–11:00).'),
  },
  {
    text: 'xóa sự kiện Budget review thứ sáu',
    lang: 'vi',
    calls: ['list_events', 'delete_event'],
    inputs: { 1: { event_id: 'evt_budget' } },
    answer: exactly('Đã xóa "Budget review" (Thứ Sáu 4/12, 14:00–15:00).'),
  },
  {
    text: 'hủy họp với Lan',
    lang: 'vi',
    calls: ['list_events', 'delete_event'],
    inputs: { 1: { event_id: 'evt_lan' } },
    answer: exactly('Đã xóa "Meeting with Lan" (Thứ Năm 3/12, 15:00–16:00).'),
  },
  {
    text: 'delete the meeting with Lan',
    lang: 'en',
    decision: 'cancel',
    calls: ['list_events', 'delete_event'],
    answer: exactly('Not done: deleting "Meeting with Lan" (Thu 3 Dec, 15:00–16:00). You pressed Cancel.'),
    check: (w) => assert.ok(event(w, 'evt_lan')),
  },
  {
    text: 'xóa cuộc họp với Lan',
    lang: 'vi',
    decision: 'expired',
    calls: ['list_events', 'delete_event'],
    answer: exactly('Chưa làm: xóa "Meeting with Lan" (Thứ Năm 3/12, 15:00–16:00). Yêu cầu chưa được xác nhận kịp thời.'),
  },
  {
    text: 'hủy cuộc họp với Lan ngày mai',
    lang: 'vi',
    decision: 'cancel',
    calls: ['list_events', 'delete_event'],
    answer: exactly('Chưa làm: xóa "Meeting with Lan" (Thứ Năm 3/12, 15:00–16:00). Bạn đã bấm Hủy.'),
  },
  {
    text: 'delete the meeting with Lan',
    lang: 'en',
    failing: ['delete_event'],
    calls: ['list_events', 'delete_event'],
    answer: /^\(offline model\) Not done: deleting "Meeting with Lan" \(Thu 3 Dec, 15:00–16:00\) failed: The tool failed/,
  },
  {
    text: 'delete the meeting with Lan',
    lang: 'en',
    world: lanTwice,
    calls: ['list_events'],
    answer: exactly(
      'Which one do you mean: "Meeting with Lan" (Thu 3 Dec, 15:00–16:00) or "Meeting with Lan" (Mon 7 Dec, 10:00–11:00)? Nothing was changed yet.',
    ),
  },
  {
    text: 'hủy cuộc họp với Lan',
    lang: 'vi',
    world: lanTwice,
    calls: ['list_events'],
    answer: exactly(
      'Bạn muốn nói sự kiện nào: "Meeting with Lan" (Thứ Năm 3/12, 15:00–16:00) hay "Meeting with Lan" (Thứ Hai 7/12, 10:00–11:00)? Tôi chưa thay đổi gì.',
    ),
  },
  {
    text: 'cancel the meeting with Bob',
    lang: 'en',
    calls: ['list_events'],
    answer: has('I found no event matching "Bob" from Wed 2 Dec to Tue 15 Dec, so nothing was changed.'),
  },
  {
    text: 'hủy cuộc họp với Hùng',
    lang: 'vi',
    calls: ['list_events'],
    answer: has('Tôi không tìm thấy sự kiện nào khớp với "Hùng" từ Thứ Tư 2/12 đến Thứ Ba 15/12, nên chưa thay đổi gì.'),
  },

  // --- Tasks ---
  {
    text: 'add a task to send the report by Monday',
    lang: 'en',
    calls: ['create_task'],
    inputs: { 0: { summary: 'Send the report', due: '2026-12-07T17:00' } },
    answer: exactly('Added the task "Send the report", due Mon 7 Dec, 17:00.'),
  },
  {
    text: 'thêm việc gửi báo cáo trước thứ hai',
    lang: 'vi',
    calls: ['create_task'],
    inputs: { 0: { summary: 'Gửi báo cáo', due: '2026-12-07T17:00' } },
    answer: exactly('Đã thêm việc "Gửi báo cáo", hạn Thứ Hai 7/12, 17:00.'),
  },
  {
    text: 'add a task: renew passport',
    lang: 'en',
    calls: ['create_task'],
    inputs: { 0: { summary: 'Renew passport' } },
    answer: exactly('Added the task "Renew passport".'),
  },
  {
    text: 'tạo công việc: chuẩn bị slide',
    lang: 'vi',
    calls: ['create_task'],
    inputs: { 0: { summary: 'Chuẩn bị slide' } },
    answer: exactly('Đã thêm việc "Chuẩn bị slide".'),
  },
  {
    text: 'thêm việc gửi báo cáo trước thứ hai',
    lang: 'vi',
    failing: ['create_task'],
    calls: ['create_task'],
    answer: /^\(mô hình offline\) Chưa làm được: thêm việc "Gửi báo cáo" bị lỗi: The tool failed/,
  },
  {
    text: 'show my tasks',
    lang: 'en',
    calls: ['list_tasks'],
    inputs: { 0: {} },
    answer: exactly(
      'You have 4 open tasks:\n• "Send the report" (due Mon 7 Dec, 17:00)\n• "Book flights"\n• "Gửi báo cáo tuần" (due Fri 4 Dec, 17:00)\n• "Đặt phòng họp"',
    ),
  },
  {
    text: 'danh sách việc của tôi',
    lang: 'vi',
    calls: ['list_tasks'],
    answer: exactly(
      'Bạn có 4 việc đang mở:\n• "Send the report" (hạn Thứ Hai 7/12, 17:00)\n• "Book flights"\n• "Gửi báo cáo tuần" (hạn Thứ Sáu 4/12, 17:00)\n• "Đặt phòng họp"',
    ),
  },
  { text: 'show my completed tasks', lang: 'en', calls: ['list_tasks'], inputs: { 0: { completed: true } }, answer: exactly('You have no completed tasks.') },
  { text: 'những việc nào đã xong?', lang: 'vi', calls: ['list_tasks'], inputs: { 0: { completed: true } }, answer: exactly('Bạn không có việc nào đã xong.') },
  {
    text: 'mark the report task as done',
    lang: 'en',
    calls: ['list_tasks', 'complete_task'],
    inputs: { 1: { task_id: 'task_report' } },
    answer: exactly('Marked "Send the report" as done.'),
  },
  {
    text: 'đánh dấu việc gửi báo cáo là xong',
    lang: 'vi',
    calls: ['list_tasks', 'complete_task'],
    inputs: { 1: { task_id: 'task_baocao' } },
    answer: exactly('Đã đánh dấu xong "Gửi báo cáo tuần".'),
  },
  {
    text: 'hoàn thành việc đặt phòng họp',
    lang: 'vi',
    calls: ['list_tasks', 'complete_task'],
    inputs: { 1: { task_id: 'task_phong' } },
    answer: exactly('Đã đánh dấu xong "Đặt phòng họp".'),
  },
  {
    text: 'I finished the flights task',
    lang: 'en',
    calls: ['list_tasks', 'complete_task'],
    inputs: { 1: { task_id: 'task_flights' } },
    answer: exactly('Marked "Book flights" as done.'),
  },
  {
    text: 'mark the task as done',
    lang: 'en',
    calls: ['list_tasks'],
    answer: exactly('Which task do you mean: "Send the report", "Book flights", "Gửi báo cáo tuần" or "Đặt phòng họp"? Nothing was marked as done yet.'),
  },
  {
    text: 'đánh dấu xong việc nộp thuế',
    lang: 'vi',
    calls: ['list_tasks'],
    answer: has('Tôi không tìm thấy việc nào đang mở khớp với "nộp thuế" nên chưa đánh dấu gì.'),
  },
  {
    text: 'hoàn thành việc gửi báo cáo',
    lang: 'vi',
    world: noTasks,
    calls: ['list_tasks'],
    answer: exactly('Bạn không có việc nào đang mở nên không có gì để đánh dấu xong.'),
  },
  {
    text: 'mark the report task as done',
    lang: 'en',
    failing: ['complete_task'],
    calls: ['list_tasks', 'complete_task'],
    answer: /^\(offline model\) Not done: marking "Send the report" as done failed: The tool failed/,
  },
  { text: 'xóa việc gửi báo cáo', lang: 'vi', calls: [], answer: exactly('Tôi không xóa được việc, chỉ đánh dấu là xong. Bạn có muốn đánh dấu xong không?') },

  // --- Reminders (Temporal fires them) and the daily agenda: "remind me" is a reminder, not a task ---
  // Seconds, for a quick try in the sandbox: a local time with its seconds (in_minutes counts whole minutes).
  {
    text: 'remind me in 30 seconds to stretch my legs',
    lang: 'en',
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Stretch my legs', at: '2026-12-02T10:00:30' } },
    answer: has('I\'ll remind you: "Stretch my legs", Wed 2 Dec, 10:00.'),
  },
  {
    text: 'nhắc tôi sau 45 giây uống nước',
    lang: 'vi',
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Uống nước', at: '2026-12-02T10:00:45' } },
    answer: has('Mình sẽ nhắc bạn: "Uống nước"'),
  },
  {
    text: 'remind me in 20 minutes to call Lan',
    lang: 'en',
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Call Lan', in_minutes: 20 } },
    answer: exactly('I\'ll remind you: "Call Lan", Wed 2 Dec, 10:20.'),
  },
  {
    text: 'nhắc tôi 5h chiều mai gửi báo cáo',
    lang: 'vi',
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Gửi báo cáo', at: '2026-12-03T17:00' } },
    answer: exactly('Mình sẽ nhắc bạn: "Gửi báo cáo", Thứ Năm 3/12, 17:00.'),
  },
  {
    text: 'remind me to call Minh tomorrow at 9am',
    lang: 'en',
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Call Minh', at: '2026-12-03T09:00' } },
    answer: exactly('I\'ll remind you: "Call Minh", Thu 3 Dec, 09:00.'),
    check: (w) => assert.equal(w.tasks.length, 4, 'no task created'),
  },
  {
    text: 'nhắc tôi gọi cho Lan lúc 4h chiều nay',
    lang: 'vi',
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Gọi cho Lan', at: '2026-12-02T16:00' } },
    answer: exactly('Mình sẽ nhắc bạn: "Gọi cho Lan", Thứ Tư 2/12, 16:00.'),
  },
  {
    text: 'nhắc tôi sau 30 phút gọi cho Lan',
    lang: 'vi',
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Gọi cho Lan', in_minutes: 30 } },
    answer: exactly('Mình sẽ nhắc bạn: "Gọi cho Lan", Thứ Tư 2/12, 10:30.'),
  },
  {
    text: 'every Monday at 9:00 remind me to send the weekly report',
    lang: 'en',
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Send the weekly report', repeat: 'weekly', time: '09:00', weekdays: [1] } },
    answer: exactly('I\'ll remind you: "Send the weekly report", every Monday at 09:00.'),
  },
  {
    text: 'mỗi ngày 8h sáng nhắc tôi uống thuốc',
    lang: 'vi',
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Uống thuốc', repeat: 'daily', time: '08:00' } },
    answer: exactly('Mình sẽ nhắc bạn: "Uống thuốc", mỗi ngày lúc 08:00.'),
  },
  {
    text: 'mỗi thứ hai lúc 9h nhắc tôi gửi báo cáo tuần',
    lang: 'vi',
    calls: ['set_reminder'],
    inputs: { 0: { text: 'Gửi báo cáo tuần', repeat: 'weekly', time: '09:00', weekdays: [1] } },
    answer: exactly('Mình sẽ nhắc bạn: "Gửi báo cáo tuần", mỗi Thứ Hai lúc 09:00.'),
  },
  {
    text: 'remind me to call Lan',
    lang: 'en',
    calls: [],
    answer: exactly('When should I remind you to "Call Lan"? For example "in 20 minutes" or "tomorrow at 9am".'),
  },
  { text: 'nhắc tôi gọi cho Lan', lang: 'vi', calls: [], answer: exactly('Bạn muốn mình nhắc "Gọi cho Lan" lúc nào? Ví dụ "sau 20 phút" hoặc "9h sáng mai".') },
  {
    text: 'what reminders do I have?',
    lang: 'en',
    world: twoReminders,
    calls: ['list_reminders'],
    answer: exactly('You have 2 reminders:\n• "Send the weekly report": every Monday at 09:00\n• "Gọi cho Lan": Thu 3 Dec, 17:00'),
  },
  {
    text: 'tôi có những lời nhắc nào?',
    lang: 'vi',
    world: twoReminders,
    calls: ['list_reminders'],
    answer: exactly('Bạn có 2 lời nhắc:\n• "Send the weekly report": mỗi Thứ Hai lúc 09:00\n• "Gọi cho Lan": Thứ Năm 3/12, 17:00'),
  },
  { text: 'what reminders do I have?', lang: 'en', calls: ['list_reminders'], answer: exactly('You have no reminders.') },
  {
    text: 'cancel the Monday reminder',
    lang: 'en',
    world: twoReminders,
    calls: ['list_reminders', 'cancel_reminder'],
    inputs: { 1: { reminder_id: 'rem_weekly' } },
    answer: exactly('Cancelled the reminder "Send the weekly report" (every Monday at 09:00).'),
    check: (w) => assert.deepEqual(reminderIds(w), ['rem_lan']),
  },
  {
    text: 'huỷ lời nhắc gọi cho Lan',
    lang: 'vi',
    world: twoReminders,
    calls: ['list_reminders', 'cancel_reminder'],
    inputs: { 1: { reminder_id: 'rem_lan' } },
    answer: exactly('Đã huỷ lời nhắc "Gọi cho Lan" (lẽ ra nhắc lúc Thứ Năm 3/12, 17:00).'),
    check: (w) => assert.deepEqual(reminderIds(w), ['rem_weekly']),
  },
  {
    text: 'cancel my reminder',
    lang: 'en',
    world: twoReminders,
    calls: ['list_reminders'],
    answer: exactly(
      'Which reminder do you mean: "Send the weekly report" (every Monday at 09:00) or "Gọi cho Lan" (Thu 3 Dec, 17:00)? Nothing was cancelled yet.',
    ),
    check: (w) => assert.equal(reminderIds(w).length, 2),
  },
  {
    text: 'send me my agenda every morning at 8',
    lang: 'en',
    calls: ['daily_agenda'],
    inputs: { 0: { enabled: true, time: '08:00' } },
    answer: exactly("Daily agenda on: every day at 08:00, with the day's events and due tasks."),
  },
  {
    text: 'gửi lịch trình cho tôi mỗi sáng lúc 8h',
    lang: 'vi',
    calls: ['daily_agenda'],
    inputs: { 0: { enabled: true, time: '08:00' } },
    answer: exactly('Đã bật lịch trình hằng ngày: mỗi ngày lúc 08:00, gồm sự kiện và công việc đến hạn trong ngày.'),
  },
  {
    text: 'stop the daily agenda',
    lang: 'en',
    world: (w) => void (w.reminders = [{ reminder_id: 'rem_ag', kind: 'agenda', next: '2026-12-03 08:00', schedule: { kind: 'daily', time: '08:00' } }]),
    calls: ['daily_agenda'],
    inputs: { 0: { enabled: false } },
    answer: exactly('The daily agenda is off.'),
    check: (w) => assert.deepEqual(reminderIds(w), []),
  },
  {
    text: 'tắt lịch trình hằng ngày',
    lang: 'vi',
    calls: ['daily_agenda'],
    inputs: { 0: { enabled: false } },
    answer: exactly('Bạn chưa bật lịch trình hằng ngày nên không có gì thay đổi.'),
  },
  {
    text: "what's on my agenda tomorrow?",
    lang: 'en',
    calls: ['list_events'],
    inputs: { 0: TOMORROW },
    answer: /^\(offline model\) On Thu 3 Dec you have 2 events:/,
  },
  // Meeting-linked reminders: the event's id goes to set_reminder, so the reminder follows the meeting.
  {
    text: 'remind me 15 minutes before my next meeting',
    lang: 'en',
    calls: ['list_events', 'set_reminder'],
    inputs: { 0: NEXT_WEEK, 1: { text: 'Standup', event_id: 'evt_standup', minutes_before: 15 } },
    answer: exactly(
      'I\'ll remind you 15 minutes before "Standup" (Thu 3 Dec, 09:00), at Thu 3 Dec, 08:45. If the meeting moves, the reminder moves with it; if it is cancelled, I\'ll tell you and drop the reminder.',
    ),
  },
  {
    text: 'nhắc tôi 15 phút trước cuộc họp tiếp theo',
    lang: 'vi',
    calls: ['list_events', 'set_reminder'],
    inputs: { 0: NEXT_WEEK, 1: { text: 'Standup', event_id: 'evt_standup', minutes_before: 15 } },
    answer: exactly(
      'Mình sẽ nhắc bạn 15 phút trước "Standup" (Thứ Năm 3/12, 09:00), lúc Thứ Năm 3/12, 08:45. Nếu cuộc họp dời giờ, lời nhắc dời theo; nếu cuộc họp bị huỷ, mình sẽ báo và bỏ lời nhắc.',
    ),
  },
  {
    text: 'remind me 10 minutes before the meeting with Lan',
    lang: 'en',
    calls: ['list_events', 'set_reminder'],
    inputs: { 1: { text: 'Meeting with Lan', event_id: 'evt_lan', minutes_before: 10 } },
    answer: has('10 minutes before "Meeting with Lan" (Thu 3 Dec, 15:00), at Thu 3 Dec, 14:50.'),
  },
  {
    text: 'nhắc tôi 1 tiếng trước buổi họp với Lan',
    lang: 'vi',
    calls: ['list_events', 'set_reminder'],
    inputs: { 1: { text: 'Meeting with Lan', event_id: 'evt_lan', minutes_before: 60 } },
    answer: has('60 phút trước "Meeting with Lan" (Thứ Năm 3/12, 15:00), lúc Thứ Năm 3/12, 14:00.'),
  },
  // The user's own time zone (stored per user; used from their next message).
  {
    text: 'my timezone is Asia/Tokyo',
    lang: 'en',
    calls: ['set_timezone'],
    inputs: { 0: { timezone: 'Asia/Tokyo' } },
    answer: exactly("Your time zone is now Asia/Tokyo. From your next message on, I'll read times in it and new reminders will use it."),
    check: (w) => assert.equal(w.timezone, 'Asia/Tokyo'),
  },
  {
    text: 'múi giờ của tôi là Asia/Tokyo',
    lang: 'vi',
    calls: ['set_timezone'],
    inputs: { 0: { timezone: 'Asia/Tokyo' } },
    answer: exactly('Múi giờ của bạn giờ là Asia/Tokyo. Từ tin nhắn tiếp theo, mình sẽ hiểu giờ giấc theo múi giờ này và các lời nhắc mới sẽ dùng nó.'),
  },
  { text: 'đổi múi giờ của tôi sang giờ Tokyo', lang: 'vi', calls: ['set_timezone'], inputs: { 0: { timezone: 'Asia/Tokyo' } }, answer: has('Asia/Tokyo') },
  {
    text: "I'm in New York this month, set my time zone to New York",
    lang: 'en',
    calls: ['set_timezone'],
    inputs: { 0: { timezone: 'America/New_York' } },
    answer: has('America/New_York'),
  },
  { text: 'what time zone am I in?', lang: 'en', calls: [], answer: has('Which time zone should I use for you?') },
  { text: 'múi giờ của tôi là gì?', lang: 'vi', calls: [], answer: has('Bạn muốn dùng múi giờ nào?') },
  {
    text: 'đặt múi giờ của tôi là giờ Việt Nam',
    lang: 'vi',
    calls: ['set_timezone'],
    inputs: { 0: { timezone: 'Asia/Ho_Chi_Minh' } },
    answer: has('Asia/Ho_Chi_Minh'),
  },

  // --- Find a person ---
  { text: 'find Lan', lang: 'en', calls: ['find_person'], inputs: { 0: { query: 'Lan' } }, answer: exactly('Found Nguyễn Thị Lan in the company directory.') },
  {
    text: 'tìm người tên Minh',
    lang: 'vi',
    calls: ['find_person'],
    inputs: { 0: { query: 'Minh' } },
    answer: exactly('Đã tìm thấy Trần Văn Minh trong danh bạ công ty.'),
  },
  {
    text: 'who is Alice?',
    lang: 'en',
    calls: ['find_person'],
    inputs: { 0: { query: 'Alice' } },
    answer: exactly('Found Alice Smith in the company directory.'),
  },
  {
    text: 'Lan là ai?',
    lang: 'vi',
    calls: ['find_person'],
    inputs: { 0: { query: 'Lan' } },
    answer: exactly('Đã tìm thấy Nguyễn Thị Lan trong danh bạ công ty.'),
  },
  { text: 'look up Bob', lang: 'en', calls: ['find_person'], answer: exactly('I found nobody matching "Bob" in the company directory.') },
  { text: 'tìm Lan', lang: 'vi', world: twoLans, calls: ['find_person'], answer: exactly('Có 2 người khớp với "Lan": Nguyễn Thị Lan và Lê Thị Lan.') },

  // --- Find a time: find_time with the window the words name, then the slots in words (nothing is booked) ---
  {
    text: 'find 30 minutes with Lan and Minh next week',
    lang: 'en',
    calls: ['find_time'],
    inputs: { 0: { attendees: ['Lan', 'Minh'], duration_minutes: 30, start: '2026-12-07T00:00', end: '2026-12-14T00:00' } },
    answer: exactly(
      'You, Nguyễn Thị Lan and Trần Văn Minh are all free for 30 minutes at:\n• Mon 7 Dec, 09:00–09:30\n• Tue 8 Dec, 09:00–09:30\n• Wed 9 Dec, 09:00–09:30\nWhich one should I book?',
    ),
  },
  {
    text: 'find a time with Lan tomorrow afternoon',
    lang: 'en',
    calls: ['find_time'],
    inputs: { 0: { attendees: ['Lan'], duration_minutes: 30, start: '2026-12-03T13:00', end: '2026-12-03T18:00' } },
    answer: exactly(
      'You and Nguyễn Thị Lan are all free for 30 minutes at:\n• Thu 3 Dec, 13:30–14:00\n• Thu 3 Dec, 14:30–15:00\n• Thu 3 Dec, 16:00–16:30\nWhich one should I book?',
    ),
  },
  {
    text: 'tìm 1 tiếng với Lan trước thứ sáu',
    lang: 'vi',
    calls: ['find_time'],
    inputs: { 0: { attendees: ['Lan'], duration_minutes: 60, start: '2026-12-02T00:00', end: '2026-12-04T00:00' } },
    answer: exactly(
      'Bạn và Nguyễn Thị Lan đều rảnh 1 tiếng vào:\n• Thứ Tư 2/12, 10:00–11:00\n• Thứ Tư 2/12, 13:30–14:30\n• Thứ Năm 3/12, 09:15–10:15\nBạn muốn đặt giờ nào?',
    ),
  },
  // --- Rooms: find_time with a room need (seats, floor) and the meeting's title; the slot card offers a room per slot ---
  {
    text: 'book a room for 6 on floor 3 for the design review',
    lang: 'en',
    calls: ['find_time'],
    inputs: {
      0: { duration_minutes: 60, start: '2026-12-02T00:00', end: '2026-12-09T00:00', room: { capacity: 6, place: 'Floor 3' }, summary: 'Design review' },
    },
    answer: has('free for 1 hour at:'),
  },
  {
    text: 'đặt phòng họp cho 6 người ở tầng 3',
    lang: 'vi',
    calls: ['find_time'],
    inputs: { 0: { duration_minutes: 60, start: '2026-12-02T00:00', end: '2026-12-09T00:00', room: { capacity: 6, place: 'Floor 3' } } },
    answer: has('rảnh 1 tiếng vào:'),
  },
  {
    text: 'book a meeting room for 4 tomorrow at 10 with Lan',
    lang: 'en',
    calls: ['find_time'],
    inputs: { 0: { attendees: ['Lan'], duration_minutes: 60, start: '2026-12-03T10:00', end: '2026-12-03T11:00', room: { capacity: 4 } } },
    answer: has('Nguyễn Thị Lan'),
  },
  {
    text: 'tìm thời gian rảnh với Minh tuần sau',
    lang: 'vi',
    calls: ['find_time'],
    inputs: { 0: { attendees: ['Minh'], duration_minutes: 30, start: '2026-12-07T00:00', end: '2026-12-14T00:00' } },
    answer: exactly(
      'Bạn và Trần Văn Minh đều rảnh 30 phút vào:\n• Thứ Hai 7/12, 09:00–09:30\n• Thứ Ba 8/12, 09:00–09:30\n• Thứ Tư 9/12, 09:00–09:30\nBạn muốn đặt giờ nào?',
    ),
  },
  {
    text: 'find 3 hours with Lan tomorrow morning',
    lang: 'en',
    calls: ['find_time'],
    answer: exactly(
      'I found no time on Thu 3 Dec when you and Nguyễn Thị Lan are all free for 3 hours within working hours. Should I look at a wider window or a shorter meeting?',
    ),
  },
  {
    text: 'tìm 3 tiếng với Lan sáng mai',
    lang: 'vi',
    calls: ['find_time'],
    answer: exactly(
      'Tôi không tìm thấy lúc nào vào Thứ Năm 3/12 mà bạn và Nguyễn Thị Lan đều rảnh 3 tiếng trong giờ làm việc. Bạn muốn tìm trong khoảng rộng hơn hay họp ngắn hơn?',
    ),
  },
  {
    text: 'find a time with Bob next week',
    lang: 'en',
    calls: ['find_time'],
    answer: exactly('Not done: I couldn\'t find "Bob" in the company directory. What is their e-mail address?'),
  },
  {
    text: 'tìm thời gian với Lan tuần sau',
    lang: 'vi',
    world: twoLans,
    calls: ['find_time'],
    answer: exactly('Chưa làm: có nhiều người khớp với "Lan": Nguyễn Thị Lan, Lê Thị Lan. Bạn muốn chọn ai?'),
  },

  // --- Sanity: an overlap is created and warned about with the next free time; a past time is a question ---
  {
    text: 'schedule a meeting tomorrow at 3pm with Lan',
    lang: 'en',
    world: strict,
    calls: ['create_event'],
    answer: exactly(
      'Created "Meeting with Lan" on Thu 3 Dec, 15:00–16:00, with Nguyễn Thị Lan invited. It overlaps "Meeting with Lan" (Thu 3 Dec, 15:00–16:00). The next free time is Thu 3 Dec, 16:00–17:00; should I move it there?',
    ),
  },
  {
    text: 'tạo cuộc họp 3h chiều mai với Lan',
    lang: 'vi',
    world: strict,
    calls: ['create_event'],
    answer: exactly(
      'Đã tạo "Họp với Lan" vào Thứ Năm 3/12, 15:00–16:00, đã mời Nguyễn Thị Lan. Lịch này trùng với "Meeting with Lan" (Thứ Năm 3/12, 15:00–16:00). Giờ trống tiếp theo là Thứ Năm 3/12, 16:00–17:00; bạn có muốn dời sang đó không?',
    ),
  },
  {
    text: 'schedule a call on 2026-12-01 at 10am',
    lang: 'en',
    world: strict,
    calls: ['create_event'],
    answer: exactly('Not done: creating "Call" on Tue 1 Dec, 10:00: that time has already passed. Which day or time did you mean?'),
  },

  {
    text: 'đặt lịch họp ngày 1/12 lúc 10h sáng',
    lang: 'vi',
    world: strict,
    calls: ['create_event'],
    answer: exactly('Chưa làm: tạo "Cuộc họp" vào Thứ Ba 1/12, 10:00: thời điểm đó đã qua. Bạn muốn ngày giờ nào?'),
  },

  // --- Undo: a button on the answer that made the change; the model calls nothing ---
  {
    text: 'undo',
    lang: 'en',
    calls: [],
    answer: exactly(
      'To undo a change, press the Undo button under the answer that made it: it reverses exactly those changes. I have not changed anything now.',
    ),
  },
  {
    text: 'hoàn tác',
    lang: 'vi',
    calls: [],
    answer: exactly(
      'Để hoàn tác, bạn bấm nút Hoàn tác dưới câu trả lời đã thực hiện thay đổi: nút đó đảo ngược đúng những thay đổi ấy. Lần này tôi chưa thay đổi gì.',
    ),
  },
  { text: 'hoàn tác giúp tôi việc vừa rồi', lang: 'vi', calls: [], answer: /^\(mô hình offline\) Để hoàn tác, bạn bấm nút Hoàn tác/ },
  { text: 'undo that', lang: 'en', history: EARLIER.slice(8, 10), calls: [], answer: /^\(offline model\) To undo a change, press the Undo button/ },

  // --- Only the latest message is the request (the eight-turn chat) ---
  {
    text: 'mark the report task as done',
    lang: 'en',
    history: EARLIER,
    system: SYSTEM_WITH_SUMMARY,
    calls: ['list_tasks', 'complete_task'],
    inputs: { 1: { task_id: 'task_report' } },
    answer: exactly('Marked "Send the report" as done.'),
  },
  {
    text: `${SUMMARY_PREFIX}mark the report task as done`,
    lang: 'en',
    history: EARLIER,
    calls: ['list_tasks', 'complete_task'],
    inputs: { 1: { task_id: 'task_report' } },
    answer: exactly('Marked "Send the report" as done.'),
  },
  {
    text: 'show my tasks',
    lang: 'en',
    history: EARLIER,
    system: SYSTEM_WITH_SUMMARY,
    calls: ['list_tasks'],
    answer: /^\(offline model\) You have 4 open tasks:/,
  },
  {
    text: 'delete the meeting with Lan tomorrow',
    lang: 'en',
    history: EARLIER,
    system: SYSTEM_WITH_SUMMARY,
    calls: ['list_events', 'delete_event'],
    answer: exactly('Deleted "Meeting with Lan" (Thu 3 Dec, 15:00–16:00).'),
  },
  {
    text: `${SUMMARY_PREFIX}lịch của tôi thứ sáu`,
    lang: 'vi',
    history: EARLIER,
    calls: ['list_events'],
    inputs: { 0: FRIDAY },
    answer: /^\(mô hình offline\) Thứ Sáu 4\/12 bạn có 2 sự kiện:/,
  },
  {
    text: 'cho tôi xem danh sách việc',
    lang: 'vi',
    history: EARLIER,
    system: SYSTEM_WITH_SUMMARY,
    calls: ['list_tasks'],
    answer: /^\(mô hình offline\) Bạn có 4 việc đang mở:/,
  },

  // --- No time line in the system prompt: ask get_current_time first ---
  {
    text: "what's on my calendar tomorrow?",
    lang: 'en',
    system: NO_TIME_SYSTEM,
    calls: ['get_current_time', 'list_events'],
    inputs: { 1: TOMORROW },
    answer: /^\(offline model\) On Thu 3 Dec you have 2 events:/,
  },
  {
    text: 'hủy cuộc họp với Lan ngày mai',
    lang: 'vi',
    system: NO_TIME_SYSTEM,
    calls: ['get_current_time', 'list_events', 'delete_event'],
    inputs: { 1: TOMORROW },
    answer: exactly('Đã xóa "Meeting with Lan" (Thứ Năm 3/12, 15:00–16:00).'),
  },

  // --- Issue 22: events found by who attends; an exact title wins; attendees' busy time is said ---
  {
    text: 'hủy cuộc họp với Lan ngày mai',
    lang: 'vi',
    world: (w) => void (event(w, 'evt_lan')!.summary = 'Kế hoạch Q1'),
    calls: ['list_events', 'delete_event'],
    inputs: { 1: { event_id: 'evt_lan' } },
    answer: exactly('Đã xóa "Kế hoạch Q1" (Thứ Năm 3/12, 15:00–16:00).'),
  },
  {
    text: 'rename Call with Minh to Budget prep',
    lang: 'en',
    world: (w) =>
      void w.events.push(
        { event_id: 'evt_call', summary: 'Call with Minh', start: '2026-12-03 11:00', end: '2026-12-03 11:30', attendees: ['Trần Văn Minh'] },
        { event_id: 'evt_vendor', summary: 'Vendor call', start: '2026-12-03 13:00', end: '2026-12-03 13:30', attendees: ['Trần Văn Minh'] },
      ),
    calls: ['list_events', 'update_event'],
    inputs: { 1: { event_id: 'evt_call', summary: 'Budget prep' } },
    answer: exactly('Renamed "Call with Minh" to "Budget prep" (Thu 3 Dec, 11:00–11:30).'),
  },
  {
    text: 'book a call with Minh tomorrow at 10am for 30 minutes',
    lang: 'en',
    world: (w) => void (w.othersBusy = { 'Trần Văn Minh': [{ start: '2026-12-03 09:00', end: '2026-12-03 10:30' }] }),
    calls: ['create_event'],
    answer: exactly('Created "Call with Minh" on Thu 3 Dec, 10:00–10:30, with Trần Văn Minh invited. Trần Văn Minh is busy then (Thu 3 Dec, 09:00–10:30).'),
  },
  {
    text: 'đặt lịch họp với Minh 10h sáng mai trong 30 phút',
    lang: 'vi',
    world: (w) => void (w.othersBusy = { 'Trần Văn Minh': [{ start: '2026-12-03 09:00', end: '2026-12-03 10:30' }] }),
    calls: ['create_event'],
    answer: exactly('Đã tạo "Họp với Minh" vào Thứ Năm 3/12, 10:00–10:30, đã mời Trần Văn Minh. Trần Văn Minh bận vào lúc đó (Thứ Năm 3/12, 09:00–10:30).'),
  },

  // --- Issue 22: a long message is read by its summing-up or its last sentence ---
  {
    text: 'Hôm qua mình nói chuyện với Lan về kế hoạch quý rồi, còn nhiều việc phải bàn thêm. Tóm lại: tạo cuộc họp 3h chiều mai với Lan',
    lang: 'vi',
    calls: ['create_event'],
    inputs: { 0: { summary: 'Họp với Lan', start: '2026-12-03T15:00', attendees: ['Lan'] } },
    answer: exactly('Đã tạo "Họp với Lan" vào Thứ Năm 3/12, 15:00–16:00, đã mời Nguyễn Thị Lan.'),
  },
  {
    text: 'Thanks for yesterday, the notes were great and everyone liked them. Schedule a meeting tomorrow at 3pm with Lan.',
    lang: 'en',
    calls: ['create_event'],
    inputs: { 0: { summary: 'Meeting with Lan', start: '2026-12-03T15:00', attendees: ['Lan'] } },
    answer: exactly('Created "Meeting with Lan" on Thu 3 Dec, 15:00–16:00, with Nguyễn Thị Lan invited.'),
  },

  // --- Invitations (issue 24): the unanswered ones listed; an answer picks one by time or words, confirmed first ---
  {
    text: "which invites haven't I answered?",
    lang: 'en',
    world: invites,
    calls: ['list_invitations'],
    inputs: { 0: {} },
    answer: exactly(
      'You have 2 invitations waiting for your answer:\n• Thu 3 Dec, 15:00–16:00 "Quarterly planning" (from Trần Văn Minh)\n• Fri 4 Dec, 10:00–11:00 "Design review" (from Alice Smith)',
    ),
  },
  {
    text: 'những lời mời nào mình chưa trả lời?',
    lang: 'vi',
    world: invites,
    calls: ['list_invitations'],
    inputs: { 0: {} },
    answer: exactly(
      'Bạn có 2 lời mời chưa trả lời:\n• Thứ Năm 3/12, 15:00–16:00 "Quarterly planning" (từ Trần Văn Minh)\n• Thứ Sáu 4/12, 10:00–11:00 "Design review" (từ Alice Smith)',
    ),
  },
  { text: "which invites haven't I answered?", lang: 'en', calls: ['list_invitations'], answer: exactly('You have no invitations waiting for an answer.') },
  { text: 'có lời mời nào đang chờ mình trả lời không?', lang: 'vi', calls: ['list_invitations'], answer: exactly('Bạn không có lời mời nào chưa trả lời.') },
  {
    text: 'accept the 3 pm invite',
    lang: 'en',
    world: invites,
    calls: ['list_invitations', 'reply_invitation'],
    inputs: { 0: {}, 1: { event_id: 'evt_inv_plan', response: 'accept' } },
    answer: exactly('Accepted "Quarterly planning" (Thu 3 Dec, 15:00–16:00). Trần Văn Minh will see your answer.'),
    check: (w) => assert.equal(rsvpOf(w, 'evt_inv_plan'), 'accept'),
  },
  {
    text: 'chấp nhận lời mời họp 3h chiều',
    lang: 'vi',
    world: invites,
    calls: ['list_invitations', 'reply_invitation'],
    inputs: { 1: { event_id: 'evt_inv_plan', response: 'accept' } },
    answer: exactly('Đã chấp nhận lời mời "Quarterly planning" (Thứ Năm 3/12, 15:00–16:00). Trần Văn Minh sẽ thấy câu trả lời của bạn.'),
  },
  {
    text: 'từ chối lời mời Design review thứ sáu',
    lang: 'vi',
    world: invites,
    calls: ['list_invitations', 'reply_invitation'],
    inputs: { 0: FRIDAY, 1: { event_id: 'evt_inv_design', response: 'decline' } },
    answer: exactly('Đã từ chối lời mời "Design review" (Thứ Sáu 4/12, 10:00–11:00). Alice Smith sẽ thấy câu trả lời của bạn.'),
    check: (w) => assert.equal(rsvpOf(w, 'evt_inv_design'), 'decline'),
  },
  {
    text: 'tentatively accept the planning invite',
    lang: 'en',
    world: invites,
    calls: ['list_invitations', 'reply_invitation'],
    inputs: { 1: { event_id: 'evt_inv_plan', response: 'tentative' } },
    answer: exactly('Answered "maybe" to "Quarterly planning" (Thu 3 Dec, 15:00–16:00). Trần Văn Minh will see your answer.'),
  },
  {
    text: 'decline the design review invitation',
    lang: 'en',
    world: invites,
    decision: 'cancel',
    calls: ['list_invitations', 'reply_invitation'],
    answer: exactly('Not done: declining "Design review" (Fri 4 Dec, 10:00–11:00). You pressed Cancel.'),
    check: (w) => assert.equal(rsvpOf(w, 'evt_inv_design'), 'needs_action'),
  },
  {
    text: 'accept the invite',
    lang: 'en',
    world: invites,
    calls: ['list_invitations'],
    answer: has(
      'Which invitation do you mean: Thu 3 Dec, 15:00–16:00 "Quarterly planning" (from Trần Văn Minh) or Fri 4 Dec, 10:00–11:00 "Design review" (from Alice Smith)? I have not answered any yet.',
    ),
  },
  {
    text: 'trả lời có thể tham dự lời mời Quarterly planning',
    lang: 'vi',
    world: invites,
    calls: ['list_invitations', 'reply_invitation'],
    inputs: { 1: { event_id: 'evt_inv_plan', response: 'tentative' } },
    answer: exactly('Đã trả lời "có thể tham dự" lời mời "Quarterly planning" (Thứ Năm 3/12, 15:00–16:00). Trần Văn Minh sẽ thấy câu trả lời của bạn.'),
  },
  {
    text: 'từ chối cuộc họp 10h sáng thứ sáu',
    lang: 'vi',
    world: invites,
    decision: 'cancel',
    calls: ['list_invitations', 'reply_invitation'],
    inputs: { 0: FRIDAY, 1: { event_id: 'evt_inv_design', response: 'decline' } },
    answer: exactly('Chưa làm: từ chối lời mời "Design review" (Thứ Sáu 4/12, 10:00–11:00). Bạn đã bấm Hủy.'),
    check: (w) => assert.equal(rsvpOf(w, 'evt_inv_design'), 'needs_action'),
  },
  {
    text: 'chấp nhận lời mời giúp mình',
    lang: 'vi',
    world: invites,
    calls: ['list_invitations'],
    answer: has(
      'Bạn muốn nói lời mời nào: Thứ Năm 3/12, 15:00–16:00 "Quarterly planning" (từ Trần Văn Minh) hay Thứ Sáu 4/12, 10:00–11:00 "Design review" (từ Alice Smith)? Tôi chưa trả lời lời mời nào.',
    ),
  },
  {
    text: 'accept the 9 am invite',
    lang: 'en',
    world: invites,
    calls: ['list_invitations'],
    answer: has('I found no unanswered invitation like that, so I answered nothing.'),
  },

  // --- Anything else: a polite offline answer in the same language, no tools ---
  { text: 'write me a poem about the sea', lang: 'en', calls: [], answer: /^\(offline model\) I'm running without a language model/ },
  { text: 'viết cho tôi một bài thơ về biển', lang: 'vi', calls: [], answer: /^\(mô hình offline\) Hiện tôi đang chạy offline/ },
];

describe('offline model: phrasings through the real SDK and a scripted tool driver', () => {
  test('the table has at least 60 phrasings, half of them Vietnamese', () => {
    assert.ok(CASES.length >= 60, `${CASES.length} cases`);
    assert.ok(CASES.filter((c) => c.lang === 'vi').length * 2 >= CASES.length, 'half Vietnamese');
  });
  for (const c of CASES) {
    const label = [
      c.lang,
      c.text.replace(SUMMARY_PREFIX, '(summary) '),
      c.decision,
      c.failing && 'failing',
      c.history && 'after earlier turns',
      c.system && 'other system',
    ]
      .filter(Boolean)
      .join(' · ');
    test(label, async () => checkCase(c, await converse(c)));
  }
});

describe('offline model: the wire', () => {
  test('a tool the request does not offer is not called; the answer says so', async () => {
    const msg = await send([user('schedule a meeting tomorrow at 3pm with Lan')], SYSTEM, toolsParam(['list_events']));
    assert.equal(msg.stop_reason, 'end_turn');
    assert.match(textOf(msg), /^\(offline model\) I can't do that right now: the create_event tool is not available\.$/);
  });

  test('message shape and usage with prompt caching; errors as {type:"error"} with their status', async () => {
    const a = await send([user('show my tasks')]);
    assert.match(a.id, /^msg_/);
    assert.equal(a.stop_sequence, null);
    const use = a.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    assert.match(use?.id ?? '', /^toolu_/);
    assert.ok(a.usage.input_tokens > 0 && a.usage.output_tokens > 0);
    const b = await send([user('show my tasks')]);
    assert.ok((b.usage.cache_read_input_tokens ?? 0) > 0, 'the same cached prefix is read from cache the second time');
    assert.ok(server.requests.every((r) => r.headers['x-api-key'] === '[redacted]' || r.headers.authorization === '[redacted]'));

    await assert.rejects(
      client.messages.create({ model: 'm', max_tokens: 10, messages: [] }),
      (err: unknown) => err instanceof Anthropic.BadRequestError && err.status === 400 && err.type === 'invalid_request_error' && /messages/.test(err.message),
    );
    const res = await fetch(`${server.url}/v1/nothing`, { method: 'POST', headers: { 'x-api-key': 'k' }, body: '{}' });
    assert.equal(res.status, 404);
    const body = (await res.json()) as { type: string; error: { type: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'not_found_error');
    const noKey = await fetch(`${server.url}/v1/messages`, { method: 'POST', body: '{}' });
    assert.equal(noKey.status, 401);
  });

  test('the server listens on 127.0.0.1 only', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
