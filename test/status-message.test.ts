/**
 * A slow request gets ONE status message that follows the work and is closed before the answer (or the
 * apology); a fast one gets none. The real workflow, webhook and emulator; a scripted model that takes its time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scriptedError, scriptedMessage, type Script } from '../dev/llm/offline-model';
import { isStatusCard } from '../src/cards/status-card';
import { startStack, type Stack } from './support/stack';

let s: Stack;
const slow = (reply: ReturnType<typeof scriptedMessage>, ms: number) => ({ ...reply, delayMs: ms });
const script: Script = (req) => {
  const last = req.body.messages.at(-1) as { role: string; content: unknown };
  const text = JSON.stringify(last);
  if (/slow failing/.test(text)) return scriptedError(400, 'bad request', { delayMs: 2500 });
  if (/slow question/.test(JSON.stringify(req.body.messages))) {
    if (last.role === 'user' && typeof last.content === 'string')
      return slow(scriptedMessage([{ type: 'tool_use', id: 'toolu_list', name: 'list_tasks', input: {} }]), 2500);
    return slow(scriptedMessage([{ type: 'text', text: 'You have no open tasks.' }]), 500);
  }
  return scriptedMessage([{ type: 'text', text: 'Quick answer.' }]);
};

before(async () => {
  s = await startStack({ script, env: { STATUS_MESSAGE_AFTER_MS: '1000' } });
  await s.authorize('lan');
});
after(async () => s?.stop());

const statusCards = (id: string) => s.emu.state.messageList().filter((m) => m.parent_id === id && m.msg_type === 'interactive' && isStatusCard(m.content));
const patchesOf = (messageId: string) => s.emu.calls.all().filter((c) => c.method === 'PATCH' && c.path.includes(messageId));

test('a slow request: one status card, updated as the work goes, closed as done before the answer', async () => {
  // The task list is slow too, so the status has time to show that step.
  const latency = s.emu.faults.add({ kind: 'latency', ms: 2500, match: { method: 'GET', path: '/open-apis/task/v2/tasks' } });
  const id = await s.say('lan', 'a slow question about my tasks');
  const answer = await s.waitFor('answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
  const cards = statusCards(id);
  assert.equal(cards.length, 1, 'exactly one status message');
  const card = cards[0]!;
  assert.ok(Number(card.create_time) <= Number(answer.create_time), 'the status came first');
  assert.match(card.content, /Done: the answer is right below/, 'closed, not spinning');
  const bodies = patchesOf(card.message_id).map((c) => JSON.stringify(c.body));
  assert.ok(
    bodies.some((b) => /Checking your tasks/.test(b)),
    `it followed the work: ${bodies.join(' | ')}`,
  );
  assert.match(JSON.parse(answer.content).text, /no open tasks/);
  latency.remove();
});

test('a slow request that fails: the status turns "not finished" and one apology follows', async () => {
  const id = await s.say('lan', 'a slow failing request');
  const apology = await s.waitFor('apology', () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
  assert.match(JSON.parse(apology.content).text, /^Sorry, I could not finish/);
  const cards = statusCards(id);
  assert.equal(cards.length, 1);
  assert.match(cards[0]!.content, /Not finished: see the message right below/);
  assert.equal(s.repliesTo(id).filter((m) => m.msg_type === 'text').length, 1, 'one apology');
});

test('a request answered within the threshold gets no status message', async () => {
  const sent = Date.now();
  const id = await s.say('lan', 'hello there');
  const answer = await s.waitFor('answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
  await new Promise((r) => setTimeout(r, 1200));
  // On a loaded machine the quick answer may itself take over the threshold: then one status is right.
  const tookMs = Number(answer.create_time) - sent;
  assert.equal(statusCards(id).length, tookMs < 900 ? 0 : statusCards(id).length, `answered in ${tookMs} ms`);
  assert.ok(statusCards(id).length <= 1);
});

test('the wait counts from when the user sent it: a message that sat in the queue behind a slow one shows its status at once', async () => {
  const latency = s.emu.faults.add({ kind: 'latency', ms: 2500, match: { method: 'GET', path: '/open-apis/task/v2/tasks' } });
  const first = await s.say('lan', 'a slow question about my tasks');
  const second = await s.say('lan', 'hello there'); // same chat: it waits for the first
  const answer = await s.waitFor('the second answered', () => s.repliesTo(second).find((m) => m.msg_type === 'text'), 30_000);
  await s.waitFor('the first answered', () => s.repliesTo(first).find((m) => m.msg_type === 'text'));
  latency.remove();
  // It was answered seconds after it was sent (the queue), well past the 1 s threshold: the user saw a status.
  const sentToAnswerMs = Number(answer.create_time) - Number(s.emu.state.messages.get(second)!.create_time);
  assert.ok(sentToAnswerMs > 1500, `waited ${sentToAnswerMs} ms in all`);
  assert.equal(statusCards(second).length, 1, 'one status message for the queued request');
});
