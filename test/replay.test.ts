/**
 * The replay suite: every committed history of every release (test/histories/<release>/*.json, exported by
 * `npm run histories:export`) replays against the current workflow code. A change that would leave a running
 * per-user or reminder run stuck in nondeterminism after a deploy fails here, before it ships. Needs no server.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from './support/env';
import { historyFromObject } from './upgrade/history-file';
import { HISTORIES_DIR, readReleases } from './upgrade/releases';

interface Exported {
  release: string;
  workflowId: string;
  workflowType: string;
  state: string;
  history: unknown;
}

const load = (file: string): Exported => JSON.parse(readFileSync(file, 'utf8')) as Exported;
const filesOf = (release: string) => {
  const dir = path.join(HISTORIES_DIR, release);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
};

/** The waiting states every release must have histories of (issue 20: each long-lived type, each wait). */
const REQUIRED_STATES = [
  'user-waiting-for-sign-in-with-queue',
  'user-confirm-card-waiting',
  'user-slot-card-waiting',
  'user-undo-window-open',
  'user-just-after-continue-as-new',
  'user-continued-as-new',
  'reminder-linked',
  'reminder-recurring',
  'reminder-agenda',
  'reminder-once',
];

describe('committed histories replay on the current code', () => {
  const releases = readReleases();

  test('every release in RELEASES has its histories committed, in every waiting state', () => {
    assert.ok(releases.length >= 1, 'RELEASES names at least one release');
    for (const r of releases) {
      const states = filesOf(r.name).map((f) => load(f).state);
      for (const s of REQUIRED_STATES) assert.ok(states.includes(s), `release ${r.name} lacks a history in state ${s}`);
    }
  });

  for (const r of releases) {
    test(`release ${r.name} (${r.commit.slice(0, 12)}): every history replays without nondeterminism`, async () => {
      const files = filesOf(r.name);
      const histories = files.map((f) => {
        const e = load(f);
        assert.equal(e.release, r.name, `${f} belongs to release ${r.name}`);
        return { workflowId: e.workflowId, history: historyFromObject(e.history), file: path.basename(f) };
      });
      const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle(), replayName: `replay-${r.name}` }, histories);
      const failures: string[] = [];
      let replayed = 0;
      for await (const res of results) {
        replayed++;
        if (res.error) failures.push(`${histories.find((h) => h.workflowId === res.workflowId)?.file ?? res.workflowId}: ${res.error.message.split('\n')[0]}`);
      }
      assert.equal(replayed, histories.length, 'every history was replayed');
      assert.deepEqual(failures, [], `histories that no longer replay:\n${failures.join('\n')}`);
    });
  }

  test('the replayer catches a change: a history whose recorded activity differs from the code fails as nondeterminism', async () => {
    // The same check a workflow change that reorders or renames a command would trip, made by editing the
    // history instead of the code: the first scheduled activity's type is one the workflow never calls.
    const file = filesOf(releases[0]!.name).find((f) => load(f).state === 'user-undo-window-open')!;
    const e = load(file);
    const events = (e.history as { events: Array<Record<string, { activityType?: { name: string } }>> }).events;
    const scheduled = events.find((ev) => ev.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'anActivityNoWorkflowCalls' };
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: 'replay-broken' }, historyFromObject(e.history), e.workflowId),
      (err: unknown) => err instanceof DeterminismViolationError,
    );
  });
});
