/**
 * Staleness is measured from ACCEPTANCE (the event run's start: when the webhook had Temporal record it) minus
 * Lark's create_time, never from when a worker first got to it: messages acknowledged during a worker outage
 * are answered, not dismissed as "too old". The real event workflow (which records the acceptance time), a
 * stub routing activity, then the per-user workflow's own rule (UserState.accept) judging what was routed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { LarkMessageEvent, UserMessage } from '../src/lark/event-types';
import type { larkEventWorkflow } from '../workflows/event-workflow';
import { UserState } from '../workflows/user-state';
import { temporalTestEnv, uniqueId, workflowBundle } from './support/env';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await temporalTestEnv();
});
after(async () => env?.teardown());

function event(createTimeMs: number): LarkMessageEvent {
  const id = uniqueId('ev');
  return {
    schema: '2.0',
    kind: 'message',
    eventId: id,
    eventType: 'im.message.receive_v1',
    sender: { openId: 'ou_stale_test' },
    message: { messageId: uniqueId('om'), chatId: 'oc_x', chatType: 'p2p', messageType: 'text', text: 'hello', createTimeMs, mentions: [] },
  };
}

test('a message accepted while no worker runs is judged by its age at acceptance', async () => {
  const taskQueue = uniqueId('stale');
  const fresh = event(Date.now() - 500); // half a second old when accepted
  const old = event(Date.now() - 10_000); // ten seconds old when accepted
  const start = (e: LarkMessageEvent) =>
    env.client.workflow.start<typeof larkEventWorkflow>('larkEventWorkflow', { taskQueue, workflowId: `lark-event-${e.eventId}`, args: [e] });
  const handles = [await start(fresh), await start(old)];
  // The "outage": no worker for longer than the age limit (3 s below).
  await new Promise((r) => setTimeout(r, 4000));
  const workerStartedAt = Date.now();
  const routed: UserMessage[] = [];
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      async routeMessageToUser(msg: UserMessage) {
        routed.push(msg);
        return { userWorkflowId: `lark-user-${msg.openId}` };
      },
    },
  });
  await worker.runUntil(Promise.all(handles.map((h) => h.result())));
  const byId = new Map(routed.map((m) => [m.messageId, m]));
  for (const m of routed) assert.ok(m.acceptedAtMs! < workerStartedAt - 3000, 'the acceptance time is the start, not when a worker ran it');
  const user = new UserState('ou_stale_test');
  for (const m of routed) assert.equal(user.accept(m, { dedupWindow: 10, maxMessageAgeMs: 3000 }), true);
  assert.equal(byId.get(fresh.message.messageId)?.stale, undefined, 'acknowledged fresh: answered, even though the worker came 4 s later');
  assert.equal(byId.get(old.message.messageId)?.stale, true, 'already too old when Lark delivered it: a notice');
});
