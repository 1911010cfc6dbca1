/**
 * Reminders on the real Temporal dev server and PostgreSQL, with the Lark emulator: set from chat (the agent
 * loop, the set_reminder tool, the honesty footer), fired once as a card in that chat, clicks exactly once,
 * late after the worker was down, recurring occurrences, cancel, the cap, and the daily agenda acting as
 * the user when the access token has expired or the refresh token is gone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { createReminderService, createReminderTools } from '../activities/reminders';
import { createToolActivities } from '../activities/tools';
import type { Message } from '../dev/emulator/state';
import { scriptedMessage, type RecordedRequest, type ScriptedReply } from '../dev/llm/offline-model';
import { formatWall } from '../src/lark/time';
import { createAgentWorker } from '../src/temporal/worker';
import { reminderStateQuery, reminderClickUpdate, reminderWorkflowId } from '../workflows/contract';
import { uniqueId, workflowBundle } from './support/env';
import { startStack, type Stack } from './support/stack';

const TZ = 'Asia/Ho_Chi_Minh';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The model: "remind me ..." sets a reminder 4 s ahead (a local time with seconds); then it answers. */
function script(req: RecordedRequest): ScriptedReply {
  const msgs = req.body.messages as Array<{ role: string; content: unknown }>;
  const last = msgs.at(-1)!;
  if (Array.isArray(last.content) && (last.content as Array<{ type: string }>).some((b) => b.type === 'tool_result')) {
    return scriptedMessage([{ type: 'text', text: 'Okay.' }]);
  }
  const text = typeof last.content === 'string' ? last.content : '';
  const m = /remind me in (\d+) seconds to (.+)$/.exec(text);
  if (!m) return scriptedMessage([{ type: 'text', text: 'I did not understand.' }]);
  const at = formatWall(Date.now() + Number(m[1]) * 1000, TZ).replace(' ', 'T');
  return scriptedMessage([
    { type: 'tool_use', id: `toolu_${msgs.length}_${Date.now()}`, name: 'set_reminder', input: { text: m[2]!, at: at.length === 16 ? `${at}:00` : at } },
  ]);
}

let s: Stack;
before(async () => {
  s = await startStack({ script, env: { REMINDER_LATE_AFTER_SECONDS: '2', REMINDER_AUTH_RECHECK_SECONDS: '600', REMINDER_MAX_ACTIVE: '3' } });
  await s.authorize('minh');
  await s.authorize('lan');
});
after(async () => s?.stop());

const botMessages = () => s.emu.state.messageList().filter((m) => m.sender.sender_type === 'app');
/** Reminder cards with this text in a chat (answered or replaced ones too: they keep the text, not the buttons). */
const reminderCards = (chatId: string, text: string) =>
  botMessages().filter((m) => m.chat_id === chatId && m.msg_type === 'interactive' && m.content.includes(text));
const buttons = (card: Message) =>
  JSON.parse(card.content).elements.find((e: { tag: string }) => e.tag === 'action').actions as Array<{
    value: Record<string, unknown>;
    text: { content: string };
  }>;
async function clickAs(from: string, card: Message, value: Record<string, unknown>): Promise<string> {
  const attempt = await s.callback(s.emu.events.cardAction({ from, messageId: card.message_id, value }));
  assert.ok(attempt.ok, `callback answered ${attempt.status}`);
  return (JSON.parse(attempt.responseText || '{}') as { toast?: { content?: string } }).toast?.content ?? '';
}

/** The reminder service on a task queue of our own (its worker is started and stopped by the test). */
function serviceOn(taskQueue: string) {
  return createReminderService({
    temporal: s.client,
    taskQueue,
    store: s.services.reminders,
    lark: s.services.lark,
    tokens: s.services.tokens,
    settings: s.config.reminders.settings,
    maxActive: 1000,
  });
}
async function workerOn(taskQueue: string): Promise<{ worker: Worker; running: Promise<void> }> {
  const worker = await createAgentWorker({
    connection: s.env.nativeConnection,
    client: s.client,
    namespace: 'default',
    taskQueue,
    config: s.config,
    services: s.services,
    workflowBundle: await workflowBundle(),
  });
  return { worker, running: worker.run() };
}

describe('reminders', () => {
  test('set from chat: the answer reports it; it fires once as a card in that chat; Snooze is taken once, by its owner only', async () => {
    const minh = s.emu.user('minh');
    const id = await s.say('minh', 'remind me in 4 seconds to call Lan about the <at id=all></at> budget');
    const answer = await s.waitFor('answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
    // The footer quotes the user's words, defused (src/lark/text-message.ts): no @all ping from a text message either.
    assert.match(JSON.parse(answer.content).text, /✅ Reminder set: “call Lan about the ‹at id=all>‹\/at> budget” \(\w{3} \d{1,2} \w{3}, \d{2}:\d{2}\)/);

    const card = await s.waitFor('the reminder card', () => reminderCards(minh.p2pChatId, 'call Lan about the')[0], 20_000);
    assert.match(card.content, /call Lan about the &#60;at id&#61;all&#62;/, "the user's words, escaped: no @all ping");
    assert.doesNotMatch(card.content, /late:/, 'on time: no late note');
    await sleep(3000);
    assert.equal(reminderCards(minh.p2pChatId, 'call Lan about the').length, 1, 'fired once');

    // Observable: found by LarkOpenId, summary with ids and times only.
    const reminderId = buttons(card)[0]!.value.reminderId as string;
    const desc = await s.client.workflow.getHandle(reminderWorkflowId(reminderId)).describe();
    const summary = (await desc.staticSummary()) ?? '';
    assert.match(summary, new RegExp(`^Reminder for ${minh.open_id} at \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} \\+07:00$`));
    assert.doesNotMatch(`${summary} ${await desc.staticDetails()}`, /Lan|budget/);
    await s.waitFor('visible by LarkOpenId', async () => {
      for await (const w of s.client.workflow.list({ query: `LarkOpenId = '${minh.open_id}' AND WorkflowType = 'larkReminderWorkflow'` }))
        if (w.workflowId === reminderWorkflowId(reminderId)) return true;
      return false;
    });

    const snooze = buttons(card).find((b) => b.value.action === 'snooze10')!.value;
    assert.deepEqual(
      buttons(card).map((b) => b.text.content),
      ['Snooze 10 min', 'Snooze 1 h', 'Done'],
    );
    assert.match(await clickAs('lan', card, snooze), /^Only the person who set this reminder/);
    // Past the webhook (straight to Temporal): the workflow checks the clicker too.
    const direct = await s.client.workflow
      .getHandle(reminderWorkflowId(reminderId))
      .executeUpdate(reminderClickUpdate, { args: [{ action: 'snooze10', occurrenceMs: snooze.occurrenceMs as number, by: s.emu.user('lan').open_id }] });
    assert.equal(direct.result, 'not_yours');
    assert.match(await clickAs('minh', card, snooze), /^Snoozed for 10 minutes$/);
    assert.match(await clickAs('minh', card, snooze), /already answered: nothing changed/);
    assert.match(await clickAs('minh', card, { ...snooze, action: 'done' }), /already answered: nothing changed/);
    const state = await s.client.workflow.getHandle(reminderWorkflowId(reminderId)).query(reminderStateQuery);
    assert.equal(state.fired, 1);
    assert.ok(state.nextFireAtMs! - Date.now() > 9 * 60_000, 'the next fire is the snooze, 10 minutes on');
    await s.waitFor('card shows the snooze', () =>
      /Snoozed until \d{2}:\d{2}/.test(s.emu.state.messageList().find((m) => m.message_id === card.message_id)!.content),
    );
    // The index lists it with its next time.
    const listed = await s.services.reminders.listActive(minh.open_id);
    assert.ok(listed.some((r) => r.id === reminderId && r.nextFireAtMs === state.nextFireAtMs));
  });

  test('Done ends a one-off; a late click on it changes nothing', async () => {
    const q = uniqueId('rem');
    const w = await workerOn(q);
    try {
      const lan = s.emu.user('lan');
      const id = uniqueId('r');
      await serviceOn(q).create({
        id,
        openId: lan.open_id,
        chatId: lan.p2pChatId,
        kind: 'reminder',
        text: 'water the plants',
        lang: 'vi',
        timezone: TZ,
        schedule: { kind: 'once', atMs: Date.now() + 1500 },
        nowMs: Date.now(),
      });
      const card = await s.waitFor('card', () => reminderCards(lan.p2pChatId, 'water the plants')[0], 20_000);
      assert.deepEqual(
        buttons(card).map((b) => b.text.content),
        ['Báo lại sau 10 phút', 'Báo lại sau 1 giờ', 'Xong'],
      );
      const done = buttons(card).find((b) => b.value.action === 'done')!.value;
      // Clicked the moment the card is there: before the workflow has recorded it is fine too (the next test).
      assert.equal(await clickAs('lan', card, done), 'Đã đánh dấu xong');
      assert.equal(await s.client.workflow.getHandle(reminderWorkflowId(id)).result(), 'done');
      assert.match(await clickAs('lan', card, { ...done, action: 'snooze60' }), /không còn hiệu lực|đã được trả lời/);
      assert.equal((await s.services.reminders.get(id))!.status, 'done');
      assert.equal(reminderCards(lan.p2pChatId, 'water the plants').length, 1);
    } finally {
      w.worker.shutdown();
      await w.running;
    }
  });

  test('a click in the moment between Lark posting the card and the workflow recording it is taken, not called "no longer valid"', async () => {
    // The fire activity posts the card, then is held before it returns: the card is in the chat (a user can click
    // it) while the workflow does not know it yet. Deterministic, not a race: the click lands in that moment.
    let release!: () => void;
    let held = new Promise<void>((r) => (release = r));
    let posted = 0;
    const lark = s.services.lark;
    const slowLark = new Proxy(lark, {
      get(target, prop) {
        const v = Reflect.get(target, prop) as unknown;
        if (prop !== 'sendMessage' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return async (...args: unknown[]) => {
          const sent = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (JSON.stringify(args).includes('held before recorded')) {
            posted++;
            await held;
          }
          return sent;
        };
      },
    });
    const q = uniqueId('rem');
    const worker = await createAgentWorker({
      connection: s.env.nativeConnection,
      client: s.client,
      namespace: 'default',
      taskQueue: q,
      config: s.config,
      services: { ...s.services, lark: slowLark },
      workflowBundle: await workflowBundle(),
    });
    const running = worker.run();
    try {
      const lan = s.emu.user('lan');
      const minh = s.emu.user('minh');
      const id = uniqueId('r');
      await serviceOn(q).create({
        id,
        openId: lan.open_id,
        chatId: lan.p2pChatId,
        kind: 'reminder',
        text: 'held before recorded once',
        lang: 'en',
        timezone: TZ,
        schedule: { kind: 'once', atMs: Date.now() + 1000 },
        nowMs: Date.now(),
      });
      const card = await s.waitFor('card', () => reminderCards(lan.p2pChatId, 'held before recorded once')[0], 20_000);
      assert.equal(
        (await s.client.workflow.getHandle(reminderWorkflowId(id)).query(reminderStateQuery)).openCardOccurrenceMs,
        undefined,
        'the workflow does not know the card yet',
      );
      const done = buttons(card).find((b) => b.value.action === 'done')!.value;
      assert.equal(await clickAs('lan', card, done), 'Marked as done');
      assert.match(await clickAs('lan', card, { ...done, action: 'snooze10' }), /already answered: nothing changed/, 'taken once');
      release();
      assert.equal(await s.client.workflow.getHandle(reminderWorkflowId(id)).result(), 'done');
      await s.waitFor(
        'the card says done',
        () =>
          /Done/.test(s.emu.state.messageList().find((m) => m.message_id === card.message_id)!.content) &&
          !/"tag":"action"/.test(s.emu.state.messageList().find((m) => m.message_id === card.message_id)!.content),
        10_000,
      );
      assert.equal((await s.services.reminders.get(id))!.status, 'done');

      // A repeating one: the Snooze taken in that moment is applied, not lost when the run moves to its next occurrence.
      const rid = uniqueId('r');
      const startMs = Date.now() + 1000;
      held = new Promise<void>((r) => (release = r));
      await serviceOn(q).create({
        id: rid,
        openId: minh.open_id,
        chatId: minh.p2pChatId,
        kind: 'reminder',
        text: 'held before recorded hourly',
        lang: 'en',
        timezone: TZ,
        schedule: { kind: 'interval', seconds: 3600, startMs },
        nowMs: Date.now(),
      });
      const held2 = await s.waitFor('repeating card', () => reminderCards(minh.p2pChatId, 'held before recorded hourly')[0], 20_000);
      await s.waitFor('posted and held', () => posted >= 2);
      const snooze = buttons(held2).find((b) => b.value.action === 'snooze10')!.value;
      assert.equal((await s.client.workflow.getHandle(reminderWorkflowId(rid)).query(reminderStateQuery)).openCardOccurrenceMs, undefined, 'not recorded yet');
      assert.equal(await clickAs('minh', held2, snooze), 'Snoozed for 10 minutes');
      release();
      // Fired and recorded: the next fire is the snooze, 10 minutes on (lost with the old run, it would be the next hour's).
      const state = await s.waitFor(
        'fired, and the snooze is the next fire',
        async () => {
          const st = await s.client.workflow.getHandle(reminderWorkflowId(rid)).query(reminderStateQuery);
          return st.fired === 1 && st.nextFireAtMs !== undefined && st;
        },
        10_000,
      );
      const ahead = state.nextFireAtMs! - Date.now();
      assert.ok(
        ahead > 9 * 60_000 && ahead < 11 * 60_000,
        `snoozed 10 minutes, not the next hourly occurrence (next fire in ${Math.round(ahead / 60_000)} min)`,
      );
      await s.waitFor(
        'the card shows the snooze',
        () => /Snoozed until \d{2}:\d{2}/.test(s.emu.state.messageList().find((m) => m.message_id === held2.message_id)!.content),
        10_000,
      );
      await serviceOn(q).cancel(minh.open_id, rid);
    } finally {
      release();
      worker.shutdown();
      await running;
    }
  });

  test('a card Lark refuses for good (the bot left the chat): the user is told once in the DM, no retry loop', async () => {
    const q = uniqueId('rem');
    const w = await workerOn(q);
    try {
      const minh = s.emu.user('minh');
      const id = uniqueId('r');
      // The first post (the card, in the chat) is refused with 230002; the notice to the DM goes through.
      const refusal = s.emu.faults.add({
        kind: 'larkCode',
        code: 230002,
        status: 400,
        msg: 'Bot/User can NOT be out of the chat.',
        times: 1,
        match: { method: 'POST', path: '/open-apis/im/v1/messages' },
      });
      await serviceOn(q).create({
        id,
        openId: minh.open_id,
        chatId: minh.p2pChatId,
        kind: 'reminder',
        text: 'refused one',
        lang: 'en',
        timezone: TZ,
        schedule: { kind: 'once', atMs: Date.now() + 1000 },
        nowMs: Date.now(),
      });
      assert.equal(await s.client.workflow.getHandle(reminderWorkflowId(id)).result(), 'done');
      assert.equal(refusal.fired, 1, 'refused once: a permanent refusal is not retried');
      const notices = botMessages().filter(
        (m) => m.chat_id === minh.p2pChatId && m.msg_type === 'text' && m.content.includes('I could not post the reminder due'),
      );
      assert.equal(notices.length, 1, 'told once');
      assert.match(JSON.parse(notices[0]!.content).text, /Lark refused to post in that chat \(it may be closed, or the bot removed from it\)\.$/);
      assert.equal(reminderCards(minh.p2pChatId, 'refused one').length, 0, 'no card was posted');
      refusal.remove();
    } finally {
      w.worker.shutdown();
      await w.running;
    }
  });

  test('fires once after the worker was down, marked late', async () => {
    const q = uniqueId('rem');
    let w = await workerOn(q);
    const minh = s.emu.user('minh');
    const id = uniqueId('r');
    const atMs = Date.now() + 3000;
    await serviceOn(q).create({
      id,
      openId: minh.open_id,
      chatId: minh.p2pChatId,
      kind: 'reminder',
      text: 'late one',
      lang: 'en',
      timezone: TZ,
      schedule: { kind: 'once', atMs },
      nowMs: Date.now(),
    });
    await s.waitFor(
      'waiting on its timer',
      async () => (await s.client.workflow.getHandle(reminderWorkflowId(id)).query(reminderStateQuery)).nextFireAtMs === atMs,
    );
    w.worker.shutdown();
    await w.running;
    await sleep(atMs + 5000 - Date.now()); // due while no worker runs, and more than 2 s ago
    assert.equal(reminderCards(minh.p2pChatId, 'late one').length, 0, 'nothing while the worker is down');
    w = await workerOn(q);
    try {
      const card = await s.waitFor('late card', () => reminderCards(minh.p2pChatId, 'late one')[0], 30_000);
      assert.match(card.content, /\(late: the assistant was unavailable at \d{2}:\d{2}\)/);
      await sleep(2000);
      assert.equal(reminderCards(minh.p2pChatId, 'late one').length, 1, 'once');
      const st = await s.client.workflow.getHandle(reminderWorkflowId(id)).query(reminderStateQuery);
      assert.deepEqual(st.lateOccurrences, [atMs]);
    } finally {
      w.worker.shutdown();
      await w.running;
    }
  });

  test('a fired one-off whose card still waits is listed with the time it went off, never without a time', async () => {
    const q = uniqueId('rem');
    const w = await workerOn(q);
    try {
      const lan = s.emu.user('lan');
      const id = uniqueId('r');
      const atMs = Date.now() + 1500;
      await serviceOn(q).create({
        id,
        openId: lan.open_id,
        chatId: lan.p2pChatId,
        kind: 'reminder',
        text: 'call the bank',
        lang: 'vi',
        timezone: TZ,
        schedule: { kind: 'once', atMs },
        nowMs: Date.now(),
      });
      await s.waitFor('card', () => reminderCards(lan.p2pChatId, 'call the bank')[0], 20_000);
      await s.waitFor('fired in the index', async () => {
        const row = await s.services.reminders.get(id);
        return row?.firedCount === 1 && row.nextFireAtMs === undefined;
      });
      const tools = createReminderTools({
        temporal: s.client,
        taskQueue: q,
        store: s.services.reminders,
        lark: s.services.lark,
        tokens: s.services.tokens,
        settings: s.config.reminders.settings,
        maxActive: 1000,
      });
      const ctx = {
        openId: lan.open_id,
        sourceMessageId: 'om_list',
        toolUseId: 'toolu_list',
        name: 'list_reminders',
        input: {},
        timezone: TZ,
        nowMs: Date.now(),
      };
      const listed = (await tools.list_reminders({}, ctx)).reminders.find((r) => r.reminder_id === id) as Record<string, unknown> | undefined;
      assert.ok(listed, 'listed while its card waits');
      assert.equal(listed.went_off, formatWall(atMs, TZ), `listed with the time it went off: ${JSON.stringify(listed)}`);
      await serviceOn(q).cancel(lan.open_id, id);
    } finally {
      w.worker.shutdown();
      await w.running;
    }
  });

  test('snoozed, then cancelled: the snoozed card says cancelled, not a stale "will remind again at"', async () => {
    const q = uniqueId('rem');
    const w = await workerOn(q);
    try {
      const lan = s.emu.user('lan');
      const id = uniqueId('r');
      await serviceOn(q).create({
        id,
        openId: lan.open_id,
        chatId: lan.p2pChatId,
        kind: 'reminder',
        text: 'call the landlord',
        lang: 'vi',
        timezone: TZ,
        schedule: { kind: 'once', atMs: Date.now() + 1500 },
        nowMs: Date.now(),
      });
      const card = await s.waitFor('card', () => reminderCards(lan.p2pChatId, 'call the landlord')[0], 20_000);
      const snooze = buttons(card).find((b) => b.value.action === 'snooze10')!.value;
      assert.equal(await clickAs('lan', card, snooze), 'Sẽ nhắc lại sau 10 phút');
      const content = () => s.emu.state.messageList().find((m) => m.message_id === card.message_id)!.content;
      await s.waitFor('card shows the snooze', () => /Sẽ nhắc lại lúc \d{2}:\d{2}/.test(content()));
      assert.ok(await serviceOn(q).cancel(lan.open_id, id));
      assert.equal(await s.client.workflow.getHandle(reminderWorkflowId(id)).result(), 'cancelled');
      await s.waitFor('the snoozed card says it was cancelled', () => /Đã huỷ lời nhắc/.test(content()), 10_000).catch(() => undefined);
      assert.doesNotMatch(content(), /Sẽ nhắc lại lúc/, 'no stale "will remind again at"');
      assert.match(content(), /🚫 Đã huỷ lời nhắc/);
    } finally {
      w.worker.shutdown();
      await w.running;
    }
  });

  test('recurring: fires on consecutive occurrences, once each; cancel stops the rest', async () => {
    const q = uniqueId('rem');
    const w = await workerOn(q);
    try {
      const minh = s.emu.user('minh');
      const id = uniqueId('r');
      const startMs = Date.now() + 2000;
      await serviceOn(q).create({
        id,
        openId: minh.open_id,
        chatId: minh.p2pChatId,
        kind: 'reminder',
        text: 'stretch',
        lang: 'en',
        timezone: TZ,
        schedule: { kind: 'interval', seconds: 3, startMs },
        nowMs: Date.now(),
      });
      await s.waitFor('three occurrences', () => reminderCards(minh.p2pChatId, 'stretch').length >= 3, 30_000);
      // The third card may be posted a moment before the workflow records it.
      const st = await s.waitFor('three recorded', async () => {
        const q = await s.client.workflow.getHandle(reminderWorkflowId(id)).query(reminderStateQuery);
        return q.firedOccurrences.length >= 3 && q;
      });
      assert.deepEqual(st.firedOccurrences.slice(0, 3), [startMs, startMs + 3000, startMs + 6000], 'consecutive occurrences, none twice, none skipped');
      const cancelled = await serviceOn(q).cancel(minh.open_id, id);
      assert.ok(cancelled);
      const n = reminderCards(minh.p2pChatId, 'stretch').length;
      // Bounded: a cancel that did not reach the run must fail here, not hang the suite.
      const ended = s.client.workflow.getHandle(reminderWorkflowId(id)).result();
      const outcome = await Promise.race([ended, sleep(30_000).then(() => 'still running 30 s after the cancel')]);
      assert.equal(outcome, 'cancelled');
      await sleep(4000);
      assert.equal(reminderCards(minh.p2pChatId, 'stretch').length, n, 'no fire after cancel');
      assert.equal((await s.services.reminders.get(id))!.status, 'cancelled');
      // Someone else cannot cancel it (nor see it).
      assert.equal(await serviceOn(q).cancel(s.emu.user('lan').open_id, id), undefined);
    } finally {
      w.worker.shutdown();
      await w.running;
    }
  });

  test('the per-user cap: a clear answer, nothing set', async () => {
    const alice = s.emu.user('alice');
    const tools = createToolActivities({
      client: s.services.lark,
      tokens: s.services.tokens,
      scheduling: s.config.scheduling,
      reminders: createReminderTools({
        temporal: s.client,
        taskQueue: s.taskQueue,
        store: s.services.reminders,
        lark: s.services.lark,
        tokens: s.services.tokens,
        settings: s.config.reminders.settings,
        maxActive: 3,
      }),
    });
    const set = (n: number) =>
      tools.runTool({
        openId: alice.open_id,
        sourceMessageId: 'om_cap',
        toolUseId: `toolu_${n}`,
        name: 'set_reminder',
        input: { text: `r${n}`, in_minutes: 600 + n },
        timezone: TZ,
        nowMs: Date.now(),
        chatId: alice.p2pChatId,
        lang: 'en',
      });
    for (let n = 0; n < 3; n++) assert.equal((await set(n)).isError, false);
    const again = await set(0); // a retried call finds its own reminder
    assert.equal(again.isError, false);
    const over = await set(3);
    assert.equal(over.isError, true);
    assert.match(over.content, /already has 3 active reminders, the most allowed\. Nothing was set/);
    assert.equal((await s.services.reminders.listActive(alice.open_id)).length, 3);
    const list = JSON.parse(
      (
        await tools.runTool({
          openId: alice.open_id,
          sourceMessageId: 'om_cap',
          toolUseId: 'toolu_l',
          name: 'list_reminders',
          input: {},
          timezone: TZ,
          nowMs: Date.now(),
        })
      ).content,
    );
    assert.deepEqual(
      list.reminders.map((r: { text: string }) => r.text),
      ['r0', 'r1', 'r2'],
    );
    const bad = await tools.runTool({
      openId: alice.open_id,
      sourceMessageId: 'om_cap',
      toolUseId: 'toolu_b',
      name: 'set_reminder',
      input: { text: 'x', at: '2020-01-01T09:00' },
      timezone: TZ,
      nowMs: Date.now(),
      chatId: alice.p2pChatId,
    });
    assert.match(bad.content, /has already passed/);
    for (const r of await s.services.reminders.listActive(alice.open_id)) await serviceOn(s.taskQueue).cancel(alice.open_id, r.id);
  });
});

describe('the daily agenda acts as the user at fire time', () => {
  test('an expired access token is refreshed exactly once, then the agenda is posted', async () => {
    const q = uniqueId('rem');
    const w = await workerOn(q);
    try {
      await s.authorize('alice');
      const hoa = s.emu.user('alice');
      await s.db.pool.query('update lark_user_tokens set expires_at = 0 where open_id = $1', [hoa.open_id]);
      s.emu.expireToken(hoa.open_id);
      const before = s.emu.calls.refreshCalls(hoa.open_id);
      const id = uniqueId('a');
      await serviceOn(q).create({
        id,
        openId: hoa.open_id,
        chatId: hoa.p2pChatId,
        kind: 'agenda',
        text: 'agenda',
        lang: 'en',
        timezone: TZ,
        schedule: { kind: 'once', atMs: Date.now() + 1000 },
        nowMs: Date.now(),
      });
      const card = await s.waitFor('agenda', () => botMessages().find((m) => m.chat_id === hoa.p2pChatId && m.content.includes('Agenda for')), 20_000);
      assert.match(card.content, /Nothing on your calendar today|Events/);
      assert.equal(s.emu.calls.refreshCalls(hoa.open_id) - before, 1, 'refreshed exactly once');
    } finally {
      w.worker.shutdown();
      await w.running;
    }
  });

  test('a revoked refresh token: ONE sign-in card in the DM, the agenda delivered after sign-in', async () => {
    const q = uniqueId('rem');
    const w = await workerOn(q);
    try {
      await s.authorize('lan');
      const khoa = s.emu.user('lan');
      s.emu.revokeRefreshToken(khoa.open_id);
      await s.db.pool.query('update lark_user_tokens set expires_at = 0 where open_id = $1', [khoa.open_id]);
      const id = uniqueId('a');
      await serviceOn(q).create({
        id,
        openId: khoa.open_id,
        chatId: khoa.p2pChatId,
        kind: 'agenda',
        text: 'agenda',
        lang: 'vi',
        timezone: TZ,
        schedule: { kind: 'once', atMs: Date.now() + 1000 },
        nowMs: Date.now(),
      });
      const loginCards = () => s.dmsTo('lan').filter((m) => m.msg_type === 'interactive' && m.content.includes('authen/v1/authorize'));
      await s.waitFor('one sign-in card', () => loginCards().length === 1, 20_000);
      const agenda = () => botMessages().filter((m) => m.chat_id === khoa.p2pChatId && m.content.includes('Lịch trình'));
      await sleep(2000);
      assert.equal(agenda().length, 0, 'nothing delivered without the user');
      assert.equal(loginCards().length, 1, 'one card, not one per retry');
      assert.ok((await s.client.workflow.getHandle(reminderWorkflowId(id)).query(reminderStateQuery)).awaitingAuthSince);
      const res = await s.signIn('lan');
      assert.equal(res.status, 200);
      await s.waitFor('agenda after sign-in', () => agenda().length === 1, 20_000);
      await sleep(1500);
      assert.equal(agenda().length, 1, 'delivered once');
      assert.equal(loginCards().length, 1);
    } finally {
      w.worker.shutdown();
      await w.running;
    }
  });
});
