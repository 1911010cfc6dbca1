/**
 * Outside input cannot wedge a per-user run: a flood of messages from one user in a group ends with every
 * message in exactly one outcome (answered, or named in a notice: "faster than I can take them" from the
 * sender's intake limit, or "too many requests waiting" from the run's bounded queue), and a long
 * sign-in wait continues-as-new instead of growing its history without bound. Real dev server, real worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Message } from '../dev/emulator/state';
import { QUEUE_LIMIT_COUNT } from '../workflows/carried-budget';
import { loadConfig } from '../src/config';
import { userWorkflowId } from '../workflows/contract';
import { startStack, type Stack } from './support/stack';

/** 300 in the suite (past the queue bound and the history cap alike); `npm run test:flood` sends 2,000. */
const FLOOD = Number(process.env.FLOOD_MESSAGES ?? 300);
const textOf = (m: Message) => (JSON.parse(m.content) as { text?: string }).text ?? '';
const REFUSAL = /did not take (?:this message|these (\d+) messages)/;

async function historyOf(s: Stack, workflowId: string, runId?: string) {
  return (await s.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
}

describe('a flood of messages from one user, at the production intake limit', () => {
  let s: Stack;
  const limit = loadConfig({}).intake.userLimit;
  before(async () => {
    // A small history cap too, so the run must continue-as-new while the flood's accepted messages are answered.
    s = await startStack({ env: { INTAKE_USER_BURST: String(limit.burst), INTAKE_USER_PER_MINUTE: String(limit.perMinute), USER_HISTORY_EVENT_CAP: '300' } });
  });
  after(async () => {
    await s?.stop();
  });

  test(`${FLOOD} messages from one user in a group: each answered or named in a notice, once; the next message is answered`, async () => {
    await s.authorize('minh');
    const minh = s.emu.user('minh');
    const wf = userWorkflowId(minh.open_id);
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < FLOOD; i += 50) {
      ids.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, FLOOD - i) }, (_, j) => s.say('minh', `what tasks do I have? (${i + j})`, { chatType: 'group', mentionBot: true })),
        )),
      );
    }
    const sentMs = Date.now() - t0;
    const bot = () => s.emu.state.messageList().filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'text');
    const notices = () => bot().filter((m) => REFUSAL.test(textOf(m)));
    const refusedInNotices = () => notices().reduce((n, m) => n + Number(REFUSAL.exec(textOf(m))![1] ?? 1), 0);
    const answered = () =>
      new Set(
        bot()
          .filter((m) => !REFUSAL.test(textOf(m)) && ids.includes(m.parent_id ?? ''))
          .map((m) => m.parent_id),
      );
    await s
      .waitFor('every message has its outcome', () => answered().size + refusedInNotices() >= FLOOD, 240_000)
      .catch(async (err: Error) => {
        // Say where it stuck: any workflow task failure of the user's runs.
        const failures: string[] = [];
        for await (const w of s.client.workflow.list({ query: `WorkflowId = "${wf}"` })) {
          for (const e of await historyOf(s, wf, w.runId))
            if (e.workflowTaskFailedEventAttributes)
              failures.push(`${w.runId} #${e.eventId}: ${e.workflowTaskFailedEventAttributes.failure?.message?.slice(0, 200)}`);
        }
        throw new Error(`${err.message}: ${answered().size} answered, ${refusedInNotices()} refused\n${failures.join('\n')}`);
      });
    const doneMs = Date.now() - t0;

    const state = await s.userState('minh');
    const intake = await s.services.intakeLimits!.refusedCount(minh.open_id);
    const refusedByRun = state.refusedCount ?? 0;
    assert.equal(state.acceptedCount + refusedByRun + intake.refused, FLOOD, 'every message accepted or refused, none lost');
    assert.equal(intake.named, intake.refused, 'every message the intake limit refused was named in a notice');
    assert.equal(refusedInNotices(), refusedByRun + intake.refused, 'every refused message was named in a notice');
    assert.equal(answered().size, state.acceptedCount, 'every accepted message was answered');
    assert.ok(state.acceptedCount >= limit.burst, `at least a burst's worth accepted (${state.acceptedCount})`);
    assert.ok(intake.refused > 0, 'the limit refused the rest of the flood');
    // Exactly one: no message answered twice.
    const perMessage = new Map<string, number>();
    for (const m of bot()) if (m.parent_id && ids.includes(m.parent_id)) perMessage.set(m.parent_id, (perMessage.get(m.parent_id) ?? 0) + 1);
    assert.deepEqual(
      [...perMessage.entries()].filter(([, n]) => n > 1),
      [],
    );

    const desc = await s.client.workflow.getHandle(wf).describe();
    assert.equal(desc.status.name, 'RUNNING');
    const events = await historyOf(s, wf);
    assert.ok(events.length < 2000, `the current run's history stays small (${events.length} events)`);
    assert.equal(events.filter((e) => e.workflowTaskFailedEventAttributes).length, 0, 'no workflow task failed');

    // The bucket refills one message per 60/perMinute s: the next message after that much quiet is taken.
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + sentMs + 60_000 / limit.perMinute - Date.now())));
    const t1 = Date.now();
    const next = await s.say('minh', 'what tasks do I have?', { chatType: 'group', mentionBot: true });
    await s.waitFor('the next message answered', () => s.repliesTo(next).some((m) => m.msg_type === 'text'), 60_000);
    console.log(
      `[flood] ${FLOOD} messages sent in ${sentMs} ms; all outcomes after ${doneMs} ms: ${state.acceptedCount} answered, ${intake.refused} refused by the intake limit and ${refusedByRun} by the run, in ${notices().length} notices; ` +
        `current run ${events.length} events; next message answered in ${Date.now() - t1} ms`,
    );
  });
});

describe('bounded runs', () => {
  let s: Stack;
  before(async () => {
    // A small history cap, so the sign-in wait below must continue-as-new to stay within it.
    s = await startStack({ env: { USER_HISTORY_EVENT_CAP: '300', LOGIN_CARD_MIN_INTERVAL_SECONDS: '3600' } });
  });
  after(async () => {
    await s?.stop();
  });

  test('a long sign-in wait with a full queue continues-as-new and goes on waiting: one card, every request answered after sign-in', async () => {
    const lan = s.emu.user('lan');
    const wf = userWorkflowId(lan.open_id);
    const ids: string[] = [];
    for (let i = 0; i < QUEUE_LIMIT_COUNT; i += 10)
      ids.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => s.say('lan', `what tasks do I have? (${i + j})`)))));
    const firstRun = await s.waitFor(
      'the run started',
      async () =>
        (
          await s.client.workflow
            .getHandle(wf)
            .describe()
            .catch(() => undefined)
        )?.runId,
      30_000,
    );
    await s.waitFor('all queued behind the sign-in', async () => (await s.userState('lan')).pendingCount === QUEUE_LIMIT_COUNT, 60_000);
    // Signals while waiting (clicks on "new link", more messages) would grow the history: here a burst of
    // redeliveries of the same messages, each a duplicate signal.
    for (let round = 0; round < 6; round++) {
      await Promise.all(ids.slice(0, 40).map((id) => s.emu.sendEvent(undefined, s.emu.events.message({ from: 'lan', text: 'dup', messageId: id })).done));
    }
    await s.waitFor('the waiting run continued-as-new', async () => (await s.client.workflow.getHandle(wf).describe()).runId !== firstRun, 60_000);
    const waiting = await s.userState('lan');
    assert.ok(waiting.waitingForAuthSince !== undefined, 'the new run still waits for sign-in');
    assert.equal(waiting.pendingCount, QUEUE_LIMIT_COUNT, 'with the whole queue');
    const loginCards = () => s.dmsTo('lan').filter((m) => m.content.includes('authen/v1/authorize')).length;
    assert.equal(loginCards(), 1, 'no second login card for the new run');

    assert.equal((await s.signIn('lan')).status, 200);
    await s.waitFor('every queued request answered', () => ids.every((id) => s.repliesTo(id).some((m) => m.msg_type === 'text')), 120_000);
    for (const id of ids) assert.equal(s.repliesTo(id).filter((m) => m.msg_type === 'text').length, 1, `${id}: one answer`);
  });

  test('20 chats of CJK text: the memory stays under budget through continue-as-new, the run keeps answering', async () => {
    await s.authorize('alice');
    const alice = s.emu.user('alice');
    const wf = userWorkflowId(alice.open_id);
    const CJK = '会议纪要与后续行动项目安排请确认时间地点参与人员';
    const long = (i: number) => `${CJK.repeat(90).slice(0, 1990)} ${i}`;
    const ids: string[] = [];
    for (let round = 0; round < 8; round++) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, async (_, c) => {
          const payload = s.emu.events.message({ from: 'alice', text: long(round * 20 + c), chatType: 'group', chatId: `oc_cjk_${c}`, mentionBot: true }) as {
            event: { message: { message_id: string } };
          };
          assert.ok((await s.emu.sendEvent(undefined, payload).done).ok);
          return payload.event.message.message_id;
        }),
      );
      ids.push(...batch);
      await s.waitFor(`round ${round} answered`, () => batch.every((id) => s.repliesTo(id).some((m) => m.msg_type === 'text')), 240_000);
    }
    const handle = s.client.workflow.getHandle(wf);
    const desc = await handle.describe();
    assert.equal(desc.status.name, 'RUNNING');
    const events = await historyOf(s, wf);
    const input = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data?.length ?? 0;
    assert.ok(input < 1024 * 1024, `the carried input is under 1 MiB (${input} bytes)`);
    let failed = 0;
    for await (const w of s.client.workflow.list({ query: `WorkflowId = "${wf}"` }))
      failed += (await historyOf(s, wf, w.runId)).filter(
        (e) => /nondeterminism/i.test(e.workflowTaskFailedEventAttributes?.failure?.message ?? '') || e.workflowExecutionTerminatedEventAttributes,
      ).length;
    assert.equal(failed, 0, 'no run terminated, no nondeterminism');
    const state = await s.userState('alice');
    assert.ok(state.memoryChats.length >= 1);
    const next = await s.say('alice', 'what tasks do I have?');
    await s.waitFor('answered after', () => s.repliesTo(next).some((m) => m.msg_type === 'text'), 60_000);
    console.log(
      `[flood] 160 CJK messages in 20 chats: ${state.memoryChats.length} chats remembered, carried input of the current run ${input} bytes, ${events.length} events`,
    );
  });
});
