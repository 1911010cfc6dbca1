/**
 * A deploy over running work: the previous release's worker and webhook (from its commit, RELEASES) take
 * requests and leave every kind of work in flight; they stop; the current code starts on the same task queue
 * and database (`docker compose up -d`, nothing else); everything finishes, each request exactly once.
 *   UPGRADE_FROM=r1   upgrade from another release than the newest one
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { requireEnv } from './support/env';
import { nondeterminismLines, openWorld, type DeploymentWorld } from './upgrade/deployment';
import { createInFlightWork, driver, longLivedRuns, type InFlight } from './upgrade/in-flight';
import { findRelease, readReleases, releaseTree, ROOT } from './upgrade/releases';

/** Whether a release's workflow code differs from this checkout's (the same code needs no upgrade test). */
const workflowsChangedSince = (commit: string) => {
  try {
    execFileSync('git', ['diff', '--quiet', commit, '--', 'workflows'], { cwd: ROOT, stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
};

// The newest release whose workflow code differs from the current code: the deploy this code would make.
const from = process.env.UPGRADE_FROM
  ? findRelease(process.env.UPGRADE_FROM)
  : ([...readReleases()].reverse().find((r) => workflowsChangedSince(r.commit)) ?? readReleases().at(-1)!);

describe(`upgrade from release ${from.name} (${from.commit.slice(0, 12)}) to the current code, with work in flight`, () => {
  let world: DeploymentWorld;
  let inflight: InFlight;
  let d: ReturnType<typeof driver>;

  before(async () => {
    const tree = releaseTree(from);
    world = await openWorld({
      temporalAddress: requireEnv('TEST_TEMPORAL_ADDRESS'),
      adminDatabaseUrl: requireEnv('TEST_DATABASE_URL'),
      extraEnv: { USER_HISTORY_EVENT_CAP: '100' },
      verbose: !!process.env.UPGRADE_VERBOSE,
    });
    d = driver(world);
    await world.deploy(tree);
    inflight = await createInFlightWork(world);
    await world.stopProcesses();
    await world.deploy(ROOT);
  });

  after(async () => {
    await world?.close();
  });

  test('the requests queued behind the sign-in are each answered once after it', async () => {
    assert.equal(await d.signIn('an'), 200);
    for (const k of ['an1', 'an2']) await d.waitFor(`${k} answered`, () => d.textAnswers(inflight.requests[k]!).length > 0, 60_000);
    await new Promise((r) => setTimeout(r, 1500)); // room for a second answer, if one were coming
    for (const k of ['an1', 'an2']) assert.equal(d.textAnswers(inflight.requests[k]!).length, 1, `${k}: exactly one answer`);
    assert.equal((await d.userState('an')).pendingCount, 0);
  });

  test('the Confirm card sent before the deploy still creates the meeting, once', async () => {
    const card = world.botMessages().find((m) => m.message_id === inflight.cards.confirm)!;
    const before = world.emu.state.eventList().length;
    await d.click('binh', card, (v) => v.decision === 'confirm');
    await d.waitFor('the meeting answer', () => d.textAnswers(inflight.requests.confirm!).length > 0, 60_000);
    const created = world.emu.state.eventList().slice(before);
    assert.equal(created.length, 1, 'one event created');
    assert.equal(d.textAnswers(inflight.requests.confirm!).length, 1, 'one answer');
  });

  test('the slot card sent before the deploy still books the chosen slot, once', async () => {
    const card = world.botMessages().find((m) => m.message_id === inflight.cards.slot)!;
    const before = world.emu.state.eventList().length;
    await d.click('chi', card, (v) => v.choice === '0');
    await d.waitFor('the booking answer', () => d.textAnswers(inflight.requests.slot!).length > 0, 60_000);
    assert.equal(world.emu.state.eventList().length - before, 1, 'one event created');
    assert.equal(d.textAnswers(inflight.requests.slot!).length, 1, 'one answer');
  });

  test('the Undo button sent before the deploy still undoes the task', async () => {
    const task = () => world.emu.state.taskList().find((t) => /send the report/i.test(t.summary ?? ''));
    assert.ok(task(), 'the task exists before Undo');
    const card = world.botMessages().find((m) => m.message_id === inflight.cards.undo)!;
    await d.click('dung', card, (v) => v.kind === 'undo');
    await d.waitFor('the task deleted', () => !task(), 60_000);
  });

  test('a signed-in user is answered after the deploy, once', async () => {
    const id = await d.say('binh', 'what tasks do I have?');
    await d.waitFor('the answer', () => d.textAnswers(id).length > 0, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(d.textAnswers(id).length, 1);
  });

  test('the reminder set before the deploy fires once; the recurring, agenda and linked ones stay scheduled', async () => {
    const fired = () =>
      world.botMessages().filter((m) => m.chat_id === world.emu.user('giang').p2pChatId && m.msg_type === 'interactive' && /call lan/i.test(m.content));
    await d
      .waitFor('the one-off reminder card', () => fired().length > 0, 150_000)
      .catch(async (err: Error) => {
        const state = await d.reminderState(inflight.reminders.once!).catch((e: unknown) => String(e));
        const dm = world
          .botMessages()
          .filter((m) => m.chat_id === world.emu.user('giang').p2pChatId)
          .map((m) => `${m.msg_type}: ${m.content.slice(0, 160)}`);
        throw new Error(`${err.message}\nreminder state: ${JSON.stringify(state)}\ngiang's DM:\n${dm.join('\n')}`);
      });
    const once = await d.reminderState(inflight.reminders.once!);
    assert.equal(once.fired, 1);
    for (const kind of ['recurring', 'agenda', 'linked']) {
      const id = inflight.reminders[kind];
      assert.ok(id, `a ${kind} reminder was set`);
      const s = await d.reminderState(id!);
      assert.ok(s.nextFireAtMs !== undefined && s.nextFireAtMs > Date.now(), `${kind}: next fire scheduled (${s.nextFireAtMs})`);
      assert.equal(s.cancelled, false);
    }
    assert.equal(fired().length, 1, 'fired once');
  });

  test('the run that continued-as-new before the deploy answers after it', async () => {
    const id = await d.say('khanh', 'what tasks do I have?');
    await d.waitFor('the answer', () => d.textAnswers(id).length > 0, 60_000);
    assert.equal(d.textAnswers(id).length, 1);
  });

  test('no long-lived run hit a workflow task failure (nondeterminism or otherwise) on the new code', async () => {
    const failures: string[] = [];
    for (const r of await longLivedRuns(world)) {
      const h = await world.client.workflow.getHandle(r.workflowId, r.runId).fetchHistory();
      for (const e of h.events ?? []) {
        if (e.workflowTaskFailedEventAttributes) failures.push(`${r.workflowId}: ${e.workflowTaskFailedEventAttributes.failure?.message?.split('\n')[0]}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(nondeterminismLines(world), []);
  });
});
