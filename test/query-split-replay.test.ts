/**
 * A query that arrives with a workflow task splits it, and the history still replays.
 *
 * When a workflow task carries a query (it arrived while the task was scheduled) and a local activity is running,
 * the SDK answers the query and completes the task before it hands the workflow the activity's result, which then
 * arrives in a forced new task. A replay hands the result over in the first task, so the code after the local
 * activity runs one task earlier than it first did. The OAuth page asks the run's state right after its sign-in
 * signal, so every sign-in can do this: the resumed request's authorization check is a local activity, and the
 * turn's first model step follows it. Before patch epochs (workflows/patches.ts) that step's `patched()` came right
 * there and found no marker on replay: "Non-deprecated patch marker encountered for change first-model-step-local".
 *
 * Each round: a user's request waits for sign-in; the worker stops; the sign-in signal and a query arrive; a new
 * worker takes both in one task while the authorization check (a few milliseconds) runs; the request is answered
 * with the local first step; then the run's history replays on the same code. A round whose history shows no split
 * proves nothing, so the test requires at least one that does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { scriptedMessage, startOfflineModel } from '../dev/llm/offline-model';
import type { UserMessage } from '../src/lark/event-types';
import { authResultSignal, newMessageSignal, userStateQuery, userWorkflowId } from '../workflows/contract';
import { temporalTestEnv, uniqueId, userSettings, workflowBundle } from './support/env';
import { waitUntil } from './support/wait';
import { stubRequestActivities } from './support/stub-request-activities';

type Event = temporal.api.history.v1.IHistoryEvent;

/** A local activity marker's activity type (the marker's `data` detail is the SDK core's JSON record of it). */
function localActivityType(e: Event): string | undefined {
  const m = e.markerRecordedEventAttributes;
  if (m?.markerName !== 'core_local_activity') return undefined;
  const data = m.details?.data?.payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type : undefined;
}

/**
 * The split: a task completed with the authorization check's marker and, with nothing new from outside, the server
 * scheduled the next task at once (the SDK forced it) and the model step's marker came in that one.
 */
function splitAfterCheck(events: Event[]): boolean {
  const lastCheck = events.map(localActivityType).lastIndexOf('checkAuthorization');
  if (lastCheck < 0) return false;
  const next = events.slice(lastCheck + 1);
  const scheduled = next.findIndex((e) => e.workflowTaskScheduledEventAttributes);
  const model = next.findIndex((e) => localActivityType(e) === 'callModel');
  // Only the check's task's own commands between the marker and the forced task (no signal, timer or activity result).
  const between = next.slice(0, Math.max(0, scheduled));
  const outside = between.some((e) => e.workflowExecutionSignaledEventAttributes || e.timerFiredEventAttributes || e.activityTaskCompletedEventAttributes);
  return scheduled >= 0 && model > scheduled && !outside;
}

test('sign-in, then the OAuth page asks the run while its authorization check runs: every history replays', { timeout: 180_000 }, async () => {
  const model = await startOfflineModel({ script: () => scriptedMessage([{ type: 'text', text: 'Here you are.' }]) });
  const env = await temporalTestEnv();
  const taskQueue = uniqueId('query-split');
  const signedIn = new Set<string>();
  const cards = new Set<string>();
  let checkMs = 0;
  const { activities, answered } = stubRequestActivities({
    modelUrl: model.url,
    localModelSteps: 4,
    authorized: (openId) => signedIn.has(openId),
    checkMs: () => checkMs,
    onLoginCard: (openId) => cards.add(openId),
  });
  const bundle = await workflowBundle();
  const startWorker = async () => {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    return { worker, running: worker.run() };
  };
  let w = await startWorker();
  const rounds: Array<{ checkMs: number; split: boolean; replayError?: string }> = [];
  try {
    // The check's time decides whether it ends inside that short moment; these are the times that hit it here.
    for (const ms of [0, 1, 2, 3, 0, 1]) {
      checkMs = ms;
      const openId = `ou_${uniqueId('split').slice(2)}`;
      const handle = env.client.workflow.getHandle(userWorkflowId(openId));
      const msg: UserMessage = {
        eventId: uniqueId('ev'),
        messageId: uniqueId('om'),
        openId,
        chatId: `oc_${openId}`,
        chatType: 'p2p',
        messageType: 'text',
        text: 'what is on today?',
        createTimeMs: Date.now(),
        mentions: [],
      };
      await env.client.workflow.signalWithStart('larkUserWorkflow', {
        workflowId: userWorkflowId(openId),
        taskQueue,
        args: [{ openId, settings: userSettings({ statusAfterMs: 0, firstStepLocal: true }) }],
        signal: newMessageSignal,
        signalArgs: [msg],
      });
      await waitUntil('the login card', () => cards.has(openId) || undefined);
      await new Promise((r) => setTimeout(r, 300)); // the run's task after the card
      w.worker.shutdown();
      await w.running;
      // The OAuth callback: the signal, then the page asks the run's state; with no worker both wait for one task.
      signedIn.add(openId);
      await handle.signal(authResultSignal, { outcome: 'authorized' });
      const asked = handle.query(userStateQuery);
      await new Promise((r) => setTimeout(r, 200));
      w = await startWorker();
      await asked;
      await waitUntil('the answer', () => answered.get(msg.messageId) || undefined, 30_000);
      await new Promise((r) => setTimeout(r, 300));
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      assert.ok(events.map(localActivityType).includes('callModel'), 'the first model step was local');
      let replayError: string | undefined;
      try {
        await Worker.runReplayHistory({ workflowBundle: bundle, replayName: 'query-split' }, history, userWorkflowId(openId));
      } catch (err) {
        replayError = (err as Error).message.split('\n')[0];
      }
      rounds.push({ checkMs: ms, split: splitAfterCheck(events), ...(replayError ? { replayError } : {}) });
      assert.equal(answered.get(msg.messageId), 1, 'answered once');
    }
  } finally {
    w.worker.shutdown();
    await w.running;
    await env.teardown();
    await model.close();
  }
  console.log(`[query-split] ${rounds.map((r) => `${r.checkMs} ms: ${r.split ? 'split' : 'no split'}${r.replayError ? ' REPLAY FAILED' : ''}`).join(', ')}`);
  assert.ok(
    rounds.some((r) => r.split),
    'at least one round split the task after the check (else this proves nothing)',
  );
  assert.deepEqual(
    rounds.filter((r) => r.replayError),
    [],
    'every history replays',
  );
});
