/**
 * Chat rules end to end: a thread gets its answer in the thread, a replayed old message gets a notice
 * instead of an action, and a confirmation nobody clicks expires without doing anything.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scriptedMessage, type RecordedRequest } from '../dev/llm/offline-model';
import { startStack, type Stack } from './support/stack';

let s: Stack;
let expiredToolResult = '';
function script(req: RecordedRequest) {
  const msgs = req.body.messages as Array<{ role: string; content: unknown }>;
  const last = msgs.at(-1)!;
  const results = Array.isArray(last.content) ? (last.content as Array<{ type: string; content?: string }>).filter((b) => b.type === 'tool_result') : [];
  if (JSON.stringify(msgs).includes('cancel the offsite') && !results.length) {
    return scriptedMessage([{ type: 'tool_use', id: 'toolu_offsite', name: 'delete_event', input: { event_id: 'ev_offsite' } }]);
  }
  if (results.length) expiredToolResult = results[0]!.content ?? '';
  return scriptedMessage([{ type: 'text', text: results.length ? 'Nothing was changed.' : 'Answered.' }]);
}

before(async () => {
  s = await startStack({ script, env: { CONFIRM_TIMEOUT_SECONDS: '5', MESSAGE_MAX_AGE_SECONDS: '600' } });
  await s.authorize('lan');
});
after(async () => s?.stop());

const answerTo = (id: string) => s.waitFor(`answer to ${id}`, () => s.repliesTo(id).find((m) => m.msg_type === 'text'));

test('a message in a thread is answered in that thread', async () => {
  const id = await s.say('lan', 'a question in a thread', { threadId: 'omt_thread1', rootId: 'om_root1' });
  await answerTo(id);
  const call = s.emu.calls.filter((c) => c.method === 'POST' && c.path === `/open-apis/im/v1/messages/${id}/reply` && c.code === 0)[0]!;
  assert.equal((call.body as { reply_in_thread?: boolean }).reply_in_thread, true);
});

test('a message older than MESSAGE_MAX_AGE_SECONDS when it arrives gets a notice, not an action', async () => {
  const before = s.model.requests.length;
  const payload = s.emu.events.message({ from: 'lan', text: 'add a task to renew the domain by Monday' }) as {
    event: { message: { message_id: string; create_time: string } };
  };
  payload.event.message.create_time = String(Date.now() - 2 * 3600_000); // a replay, two hours late
  assert.ok((await s.emu.sendEvent(undefined, payload).done).ok);
  const reply = await answerTo(payload.event.message.message_id);
  assert.match(JSON.parse(reply.content).text, /too old/);
  assert.equal(s.model.requests.length, before, 'the model was not asked');
  assert.equal(s.emu.state.taskList().length, 0, 'nothing was done');
});

test('a confirmation nobody clicks expires: the card says so and nothing is deleted', async () => {
  const id = await s.say('lan', 'cancel the offsite');
  const card = await s.waitFor('card', () => s.repliesTo(id).find((m) => m.msg_type === 'interactive'));
  const asSent = { ...card }; // the stored card is updated in place once it expires
  const reply = await answerTo(id); // after CONFIRM_TIMEOUT_SECONDS
  const answer = JSON.parse(reply.content).text as string;
  assert.equal(answer.split('\n\n')[0], 'Nothing was changed.');
  assert.match(answer, /❌ Not done: delete the event \(it was not confirmed in time\)/);
  assert.match(expiredToolResult, /did not confirm in time/);
  assert.match(s.emu.state.messages.get(card.message_id)!.content, /Expired/);
  assert.equal(s.emu.calls.count({ method: 'DELETE' }), 0);
  // A late click changes nothing.
  await s.click('lan', asSent, 'confirm');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(s.emu.calls.count({ method: 'DELETE' }), 0);
});
