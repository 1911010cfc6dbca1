/**
 * The offline stand-in model, through the real Anthropic SDK pointed at it (ANTHROPIC_BASE_URL style):
 * it reads the time from the system prompt, calls tools with schema-valid inputs, answers after
 * tool results in the user's language, and says it is offline.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { buildSystemPrompt } from '../src/agent/system-prompt';
import { validateToolInput } from '../src/agent/tools';
import { toolsParam } from '../src/llm/anthropic-activity';
import { startOfflineModel, type OfflineModelServer } from '../src/llm/offline-model';

// Saturday 2026-11-21 10:00 in Ho Chi Minh City.
const system = buildSystemPrompt({ now: new Date('2026-11-21T10:00:00+07:00'), timeZone: 'Asia/Ho_Chi_Minh' });

let server: OfflineModelServer;
let client: Anthropic;
before(async () => {
  server = await startOfflineModel();
  client = new Anthropic({ apiKey: 'offline-test', baseURL: server.url, maxRetries: 0 });
});
after(() => server.close());

type Msg = Anthropic.MessageParam;

function send(messages: Msg[], tools = toolsParam()): Promise<Anthropic.Message> {
  return client.messages.create({
    model: 'claude-sonnet-5-5',
    max_tokens: 512,
    system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
    tools,
    messages,
  });
}

/** The single tool call of a reply, checked against the tool's own validator. */
function toolCall(msg: Anthropic.Message): Anthropic.ToolUseBlock {
  assert.equal(msg.type, 'message');
  assert.equal(msg.role, 'assistant');
  assert.equal(msg.stop_reason, 'tool_use');
  const uses = msg.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
  assert.equal(uses.length, 1, JSON.stringify(msg.content));
  const use = uses[0]!;
  assert.match(use.id, /^toolu_/);
  const check = validateToolInput(use.name, use.input);
  assert.ok(check.ok, `input fits the ${use.name} schema: ${check.ok ? '' : check.error}`);
  return use;
}

function replyText(msg: Anthropic.Message): string {
  assert.equal(msg.stop_reason, 'end_turn');
  return msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

const user = (text: string): Msg => ({ role: 'user', content: text });

test('"tạo cuộc họp 3h chiều mai với Lan" -> create_event tomorrow 15:00 with Lan', async () => {
  const use = toolCall(await send([user('tạo cuộc họp 3h chiều mai với Lan')]));
  assert.equal(use.name, 'create_event');
  const input = use.input as { start: string; attendees: string[]; summary: string };
  assert.equal(input.start, '2026-11-22T15:00');
  assert.deepEqual(input.attendees, ['Lan']);
  assert.match(input.summary, /Lan/);
});

test('"schedule a meeting tomorrow at 3pm with Lan" -> the same event in English', async () => {
  const use = toolCall(await send([user('schedule a meeting tomorrow at 3pm with Lan')]));
  assert.equal(use.name, 'create_event');
  assert.deepEqual(use.input, { summary: 'Meeting with Lan', start: '2026-11-22T15:00', attendees: ['Lan'] });
});

test('"add a task to send the report by Monday" -> create_task due Monday 2026-11-23', async () => {
  const use = toolCall(await send([user('add a task to send the report by Monday')]));
  assert.equal(use.name, 'create_task');
  const input = use.input as { summary: string; due: string };
  assert.match(input.due, /^2026-11-23/);
  assert.equal(input.due, '2026-11-23T17:00', 'a day without a time is due at 17:00');
  assert.equal(input.summary, 'Send the report');
});

test('"thêm việc gửi báo cáo trước thứ hai" -> the same task in Vietnamese', async () => {
  const use = toolCall(await send([user('thêm việc gửi báo cáo trước thứ hai')]));
  assert.equal(use.name, 'create_task');
  assert.deepEqual(use.input, { summary: 'Gửi báo cáo', due: '2026-11-23T17:00' });
});

test('"what\'s on my calendar Friday?" and "lịch của tôi thứ sáu" -> list_events for 2026-11-27', async () => {
  for (const text of ["what's on my calendar Friday?", 'lịch của tôi thứ sáu']) {
    const use = toolCall(await send([user(text)]));
    assert.equal(use.name, 'list_events', text);
    assert.deepEqual(use.input, { start: '2026-11-27T00:00', end: '2026-11-28T00:00' }, text);
  }
});

test('after a tool_result the reply is text that says it is offline, in the user\'s language', async () => {
  for (const [text, language] of [
    ['schedule a meeting tomorrow at 3pm with Lan', /^\(offline model\) Created the event "Meeting with Lan" at 2026-11-22 15:00\.$/],
    ['tạo cuộc họp 3h chiều mai với Lan', /^\(mô hình offline\) Đã tạo sự kiện "Họp với Lan" lúc 15:00 ngày 22\/11\/2026\.$/],
  ] as const) {
    const first = await send([user(text)]);
    const use = toolCall(first);
    const reply = await send([
      user(text),
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: JSON.stringify({ event_id: 'evt_1' }) }] },
    ]);
    const said = replyText(reply);
    assert.match(said, /offline/);
    assert.match(said, language);
  }
});

test('listing results are summarised; an error result is reported, not hidden', async () => {
  const ask = user('lịch của tôi thứ sáu');
  const first = await send([ask]);
  const use = toolCall(first);
  const events = [{ event_id: 'e1', summary: 'Họp nhóm', start: '2026-11-27T10:00' }];
  const listed = replyText(
    await send([ask, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: JSON.stringify({ events }) }] }]),
  );
  assert.match(listed, /^\(mô hình offline\) Có 1 sự kiện:\n• 10:00 ngày 27\/11\/2026 Họp nhóm$/);
  const failed = replyText(
    await send([ask, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'calendar unavailable', is_error: true }] }]),
  );
  assert.match(failed, /offline.*lỗi: calendar unavailable/);
});

test('completing a task: list_tasks first, then complete_task with the matching id, then text', async () => {
  const ask = user('mark the report task as done');
  const first = await send([ask]);
  const list = toolCall(first);
  assert.equal(list.name, 'list_tasks');
  const tasks = [
    { task_id: 't-1', summary: 'Book flights' },
    { task_id: 't-2', summary: 'Send the report' },
  ];
  const history: Msg[] = [ask, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: list.id, content: JSON.stringify(tasks) }] }];
  const second = await send(history);
  const done = toolCall(second);
  assert.equal(done.name, 'complete_task');
  assert.deepEqual(done.input, { task_id: 't-2' });
  const final = await send([...history, { role: 'assistant', content: second.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: done.id, content: '{"ok":true}' }] }]);
  assert.equal(replyText(final), '(offline model) Marked the task as done.');
});

test('list_tasks in both languages; anything else gets a polite offline answer in the same language', async () => {
  assert.equal(toolCall(await send([user('show my tasks')])).name, 'list_tasks');
  assert.equal(toolCall(await send([user('danh sách việc của tôi')])).name, 'list_tasks');
  const en = replyText(await send([user('write me a poem about the sea')]));
  assert.match(en, /^\(offline model\) I'm running without a language model/);
  const vi = replyText(await send([user('viết cho tôi một bài thơ về biển')]));
  assert.match(vi, /^\(mô hình offline\) Hiện tôi đang chạy offline/);
});

test('a tool the request does not offer is not called', async () => {
  const msg = await send([user('schedule a meeting tomorrow at 3pm with Lan')], toolsParam(['list_events']));
  assert.match(replyText(msg), /offline.*create_event/);
});

test('wire format: message shape and usage with prompt caching; errors as {type:"error"} with their status', async () => {
  const a = await send([user('show my tasks')]);
  assert.match(a.id, /^msg_/);
  assert.equal(a.stop_sequence, null);
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
