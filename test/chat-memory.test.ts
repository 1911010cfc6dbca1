/** Memory is context, never the request: older turns' summary is a framed first exchange, the new message comes last and alone. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryMessages, remember, type MemoryByChat } from '../workflows/chat-memory';

test('after many turns the summary is a framed context exchange and never part of a user request', () => {
  const all: MemoryByChat = {};
  for (let i = 1; i <= 12; i++) remember(all, 'oc_1', `add a task number ${i}`, `Created task ${i}.`);
  const msgs = memoryMessages(all.oc_1);
  assert.match(String(msgs[0]!.content), /^\[Context only, not a request/);
  assert.match(String(msgs[0]!.content), /add a task number 1\b/, 'the oldest turns are in the summary');
  assert.equal(msgs[1]!.role, 'assistant');
  // The last remembered turns follow verbatim, alternating, ending with the assistant: the new message goes after.
  assert.equal(msgs.at(-1)!.role, 'assistant');
  assert.equal(msgs.at(-2)!.content, 'add a task number 12');
  const userTurns = msgs.filter((m) => m.role === 'user').slice(1);
  for (const m of userTurns) assert.doesNotMatch(String(m.content), /Earlier in this chat|Context only/, 'no summary inside a turn');
});

test('memory is per chat', () => {
  const all: MemoryByChat = {};
  remember(all, 'oc_dm', 'private thing', 'ok');
  assert.equal(memoryMessages(all.oc_group).length, 0);
  assert.equal(memoryMessages(all.oc_dm).length, 2);
});
