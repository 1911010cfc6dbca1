/**
 * Staleness is measured from ACCEPTANCE (the event run's start: when the webhook had Temporal record it) minus
 * Lark's create_time, never from when a worker first got to it: messages acknowledged during a worker outage
 * are answered, not dismissed as "too old". The real event workflow, a stub routing activity.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { LarkMessageEvent, UserMessage } from '../src/lark/event-types';
import type { larkEventWorkflow } from '../workflows/event-workflow';
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
    env.client.workflow.start<typeof larkEventWorkflow>('larkEventWorkflow', { taskQueue, workflowId: `lark-event-${e.eventId}`, args: [e, { maxMessageAgeMs: 3000 }] });
  const handles = [await start(fresh), await start(old)];
  // The "outage": no worker for longer than the age limit.
  await new Promise((r) => setTimeout(r, 4000));
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
  assert.equal(byId.get(fresh.message.messageId)?.stale, undefined, 'acknowledged fresh: answered, even though the worker came 4 s later');
  assert.equal(byId.get(old.message.messageId)?.stale, true, 'already too old when Lark delivered it: a notice');
});
