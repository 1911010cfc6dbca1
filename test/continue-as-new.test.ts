/**
 * The per-user workflow continues as new when its history grows, carrying the queue, the bounded dedup
 * window, the chat memory and its counters: a repeat of an old message is still dropped afterwards and a
 * follow-up still sees the earlier turns.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scriptedMessage, type RecordedRequest } from '../dev/llm/offline-model';
import { userWorkflowId } from '../workflows/contract';
import { startStack, type Stack } from './support/stack';

let s: Stack;
let lastRequest: RecordedRequest | undefined;
before(async () => {
  s = await startStack({
    script: (req) => {
      lastRequest = req;
      return scriptedMessage([{ type: 'text', text: `noted #${s.model.requests.length}` }]);
    },
    // Past after two or three messages (a message the model answers at once is about 10 events of the run).
    env: { USER_HISTORY_EVENT_CAP: '30' },
  });
  await s.authorize('lan');
});
after(async () => s?.stop());

test('history past the cap continues as new with queue, dedup window, memory and counters carried', async () => {
  const handle = s.client.workflow.getHandle(userWorkflowId(s.emu.user('lan').open_id));
  const ids: string[] = [];
  for (let i = 1; i <= 4; i++) {
    ids.push(await s.say('lan', `remember item ${i}`));
    await s.waitFor(`answer ${i}`, () => s.repliesTo(ids.at(-1)!).some((m) => m.msg_type === 'text'));
  }
  const runs: string[] = [];
  for await (const wf of s.client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) runs.push(wf.runId);
  assert.ok(runs.length >= 2, `continued as new (${runs.length} runs)`);

  // The reply is sent before the turn is logged and counted: wait for the count, then read the state.
  await s.waitFor('4 completed', async () => ((await handle.query('state' as never)) as { completedCount: number }).completedCount === 4);
  const state = (await handle.query('state' as never)) as { acceptedCount: number; completedCount: number; recentMessageIds: string[] };
  assert.equal(state.acceptedCount, 4, 'counters carried');
  assert.equal(state.completedCount, 4);
  assert.deepEqual(state.recentMessageIds, ids, 'dedup window carried');

  // A redelivery of the first message (a new event id, the same message_id) after continue-as-new is dropped.
  const { randomBytes } = await import('node:crypto');
  const payload = s.emu.events.message({ from: 'lan', text: 'remember item 1', messageId: ids[0]! }) as { header: { event_id: string } };
  payload.header.event_id = randomBytes(16).toString('hex');
  assert.ok((await s.emu.sendEvent(undefined, payload).done).ok);
  await s.waitFor('duplicate counted', async () => ((await handle.query('state' as never)) as { duplicateCount: number }).duplicateCount === 1);
  assert.equal(s.repliesTo(ids[0]!).filter((m) => m.msg_type === 'text').length, 1, 'still one answer');

  // Memory carried: the next turn sees the earlier ones.
  const next = await s.say('lan', 'what did I ask you to remember?');
  await s.waitFor('answer', () => s.repliesTo(next).some((m) => m.msg_type === 'text'));
  const sent = JSON.stringify(lastRequest!.body.messages);
  for (let i = 1; i <= 4; i++) assert.ok(sent.includes(`remember item ${i}`), `turn ${i} remembered`);
});
