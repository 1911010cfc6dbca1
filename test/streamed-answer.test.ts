/**
 * Streamed answers (LARK_STREAM_ANSWERS=true): the answer grows in ONE CardKit card as the model writes it, the
 * card carries the status line, and it ends as exactly the answer the history holds, streaming off, with its
 * footer. Counted at the emulator: every update per card, the most in any second (Lark allows 10), anything
 * refused. Without cardkit:card:write: today's status message and one text answer. And the durability promise:
 * kill -9 of the worker in the middle of the stream still ends with one card holding the right text.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scriptedMessage, startOfflineModel, type Script } from '../dev/llm/offline-model';
import { answerMarkdown } from '../src/cards/answer-card';
import { isStatusCard } from '../src/cards/status-card';
import type { CardEntity } from '../dev/emulator';
import type { Message } from '../dev/emulator/state';
import { startStack, type Stack } from './support/stack';
import { startHarness, type Harness } from './chaos/harness';
import { requireEnv } from './support/env';

const LONG =
  'Here is the plan for your week. On Monday you meet the design team at ten, then you have a quiet afternoon for the roadmap. ' +
  'Tuesday starts with the budget review and ends with the customer call. Wednesday is free until three, when the hiring panel meets. ' +
  'Thursday holds the offsite planning and Friday the retrospective. Nothing overlaps, and every meeting has a room.';

/** About 26 KB of text, over 50 KB as card markdown (each '.' is escaped as &#46;): too large for a card (30 KB). */
const HUGE = Array.from({ length: 200 }, (_, i) => `w${i}${'a'.repeat(96)}${'.'.repeat(30)}`).join(' ');

const script: Script = (req) => {
  const text = JSON.stringify(req.body.messages.at(-1));
  if (/my week/.test(text)) return scriptedMessage([{ type: 'text', text: LONG }]);
  if (/errands list/.test(text)) return scriptedMessage([{ type: 'tool_use', id: 'toolu_auth', name: 'list_tasks', input: {} }]);
  if (/toolu_auth/.test(text)) return scriptedMessage([{ type: 'text', text: 'You have no open tasks.' }]);
  if (/very long/.test(text)) return scriptedMessage([{ type: 'text', text: HUGE }]);
  if (/slowly/.test(text)) return { ...scriptedMessage([{ type: 'text', text: LONG }]), delayMs: 1800 };
  if (/done already/.test(text)) return scriptedMessage([{ type: 'text', text: 'Nothing to do.' }]);
  if (/buy milk/.test(text)) return scriptedMessage([{ type: 'tool_use', id: 'toolu_task', name: 'create_task', input: { summary: 'Buy milk' } }]);
  if (/toolu_task/.test(text)) return scriptedMessage([{ type: 'text', text: 'I added the task.' }]);
  return scriptedMessage([{ type: 'text', text: 'Quick answer.' }]);
};

/** Most accepted updates of one card within any 1-second window, and the mean rate over its streaming span. */
function rate(card: CardEntity): { max: number; mean: number; count: number } {
  const at = card.updates.map((u) => u.at);
  let max = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  const span = at.length > 1 ? (at.at(-1)! - at[0]!) / 1000 : 0;
  return { max, mean: span ? (at.length - 1) / span : 0, count: at.length };
}

const cardIdOf = (m: Message): string | undefined => {
  try {
    const c = JSON.parse(m.content) as { type?: string; data?: { card_id?: string } };
    return c.type === 'card' ? c.data?.card_id : undefined;
  } catch {
    return undefined;
  }
};

const answerText = (card: CardEntity) => {
  const els = (card.card.body as { elements: Array<{ element_id?: string; content?: string }> }).elements;
  return els.find((e) => e.element_id === 'answer')?.content ?? '';
};

let s: Stack;
before(async () => {
  s = await startStack({ script, modelStreamChunkMs: 60, env: { LARK_STREAM_ANSWERS: 'true', STATUS_MESSAGE_AFTER_MS: '1000' } });
  await s.authorize('lan');
});
after(async () => s?.stop());

test('a quick answer ends in the card too (and warms the worker for the figures below)', async () => {
  const id = await s.say('lan', 'is it done already?');
  const reply = await s.waitFor('the answer card', () => s.repliesTo(id).find((m) => cardIdOf(m)));
  const card = s.emu.cardkit.cards.get(cardIdOf(reply)!)!;
  await s.waitFor('streaming off', () => card.streaming === false || undefined, 30_000);
  assert.equal(answerText(card), answerMarkdown('Nothing to do.'));
  assert.equal(s.repliesTo(id).length, 1);
});

test('the answer grows in one card, under the per-card limit, and ends as the answer with streaming off', async () => {
  const sentAt = Date.now();
  const id = await s.say('lan', 'what does my week look like?');
  const reply = await s.waitFor('the answer card', () => s.repliesTo(id).find((m) => cardIdOf(m)));
  const card = s.emu.cardkit.cards.get(cardIdOf(reply)!)!;
  // What the model wrote, as it grew: the answer element's content at each streamed update.
  const grown: string[] = [];
  const watch = setInterval(() => {
    const now = answerText(card);
    if (now.trim() && grown.at(-1) !== now) grown.push(now);
  }, 20);
  // The sandbox page shows the card entity as it is now: part of the answer while it streams, all of it after.
  const sandbox = async () => JSON.stringify(await (await fetch(`${s.emu.url}/sandbox/api/state?user=lan`)).json());
  await s.waitFor('the first words', () => answerText(card).includes('plan') || undefined);
  const midway = await sandbox();
  await s.waitFor('streaming off', () => card.streaming === false || undefined, 30_000);
  clearInterval(watch);
  const finalAt = card.updates.at(-1)!.at;
  assert.ok(midway.includes('Here is the plan') && !midway.includes('every meeting has a room'), 'the sandbox showed the answer partly written');
  assert.ok((await sandbox()).includes('every meeting has a room'), 'then whole');

  assert.equal(
    s.repliesTo(id).length,
    1,
    `one message in reply: ${s
      .repliesTo(id)
      .map((m) => m.msg_type)
      .join(', ')}`,
  );
  assert.equal(answerText(card), answerMarkdown(LONG), 'the final card is exactly the answer');
  assert.equal(card.updates.at(-1)!.kind, 'replace', 'ended by the full replace');
  const textUpdates = card.updates.filter((u) => u.kind === 'content' && u.elementId === 'answer');
  assert.ok(textUpdates.length >= 3, `the text was streamed in several updates (${textUpdates.length})`);
  assert.ok(grown.length >= 2 && grown[0]!.length < answerMarkdown(LONG).length, `the text was seen growing (${grown.map((g) => g.length).join(' < ')})`);
  const r = rate(card);
  // The emulator refuses an 11th update in a second (counted in `refused`); the pace itself is 4 text updates a
  // second at 250 ms, plus at most the status line and the final replace.
  assert.ok(r.max <= 6, `at most 6 updates in any second, well under Lark's 10 (max ${r.max})`);
  assert.deepEqual(card.refused, [], 'Lark refused nothing (sequence, rate, streaming)');
  const firstText = textUpdates[0]!.at;
  console.log(
    `[figures] updates=${r.count} max/s=${r.max} mean/s=${r.mean.toFixed(2)} first text ${firstText - sentAt} ms after sending, full answer ${finalAt - sentAt} ms (answer card posted ${Number(reply.create_time) - sentAt} ms)`,
  );
});

test('a turn with a write: the card shows the work in its status line, then the answer with its ✅ footer', async () => {
  const latency = s.emu.faults.add({ kind: 'latency', ms: 1500, match: { method: 'POST', path: '/open-apis/task/v2/tasks' } });
  try {
    const id = await s.say('lan', 'please add a task: buy milk');
    const reply = await s.waitFor('the answer card', () => s.repliesTo(id).find((m) => cardIdOf(m)));
    const card = s.emu.cardkit.cards.get(cardIdOf(reply)!)!;
    await s.waitFor('streaming off', () => card.streaming === false || undefined, 30_000);
    const statusBodies = s.emu.calls
      .all()
      .filter((c) => c.method === 'PUT' && c.path === `/open-apis/cardkit/v1/cards/${card.card_id}/elements/status/content`)
      .map((c) => String((c.body as { content?: string }).content));
    assert.ok(statusBodies.length > 0, 'the status line was edited');
    assert.ok(
      statusBodies.some((b) => /Creating the task/i.test(b)),
      `the status line followed the work: ${statusBodies.join(' | ')}`,
    );
    const final = answerText(card);
    assert.ok(final.startsWith(answerMarkdown('I added the task.')), final);
    assert.match(final, /✅/, 'the honest footer is in the card');
    assert.match(final, /Buy milk/);
    assert.ok(!JSON.stringify(card.card).includes('⏳'), 'no spinner left');
    assert.equal(s.repliesTo(id).filter((m) => cardIdOf(m)).length, 1, 'one answer card');
    assert.equal(s.repliesTo(id).filter((m) => m.msg_type === 'text').length, 0, 'no text answer besides it');
  } finally {
    latency.remove();
  }
});

test('without cardkit:card:write: the status message (a slow request) and one text answer, no card entity sent', async () => {
  s.emu.cardkit.permitted = false;
  try {
    const before = s.emu.cardkit.cards.size;
    const id = await s.say('lan', 'slowly, tell me about the week');
    const answer = await s.waitFor('the text answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
    assert.equal(JSON.parse(answer.content).text, LONG);
    // (repliesTo leaves side cards out: the status message is looked up among all messages.)
    const status = s.emu.state.messageList().filter((m) => m.parent_id === id && m.msg_type === 'interactive' && isStatusCard(m.content));
    assert.equal(status.length, 1, 'the slow request had its status message');
    assert.match(status[0]!.content, /Done: the answer is right below/);
    assert.equal(s.repliesTo(id).length, 1, 'one answer');
    assert.equal(s.emu.cardkit.cards.size, before, 'no card entity');
    assert.equal(s.repliesTo(id).filter((m) => cardIdOf(m)).length, 0, 'no card entity message');
    const refused = s.emu.calls.all().filter((c) => c.path === '/open-apis/cardkit/v1/cards' && c.code === 99991672);
    assert.equal(refused.length, 1, 'the create was refused once, then not retried');
  } finally {
    s.emu.cardkit.permitted = true;
  }
});

test('an answer too large for a card: the card says the answer is below, and the whole answer comes as text', { timeout: 120_000 }, async () => {
  const id = await s.say('lan', 'a very long answer please');
  const reply = await s.waitFor('the answer card', () => s.repliesTo(id).find((m) => cardIdOf(m)));
  const card = s.emu.cardkit.cards.get(cardIdOf(reply)!)!;
  const answer = await s.waitFor('the text answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'), 90_000);
  assert.equal(JSON.parse(answer.content).text, HUGE);
  await s.waitFor('streaming off', () => card.streaming === false || undefined, 30_000);
  assert.equal(answerText(card), answerMarkdown('Done: the answer is right below.'));
  assert.equal(s.repliesTo(id).length, 2, 'the card and the text answer');
  const refusedText = card.refused.filter((r) => r.code === 200860 && r.kind === 'content').length;
  assert.ok(refusedText <= 1, `the stream stopped at the first "too large" (${refusedText})`);
});

test('a sign-in needed mid-turn: the same card waits ("sign in"), then ends as the answer after the sign-in', { timeout: 120_000 }, async () => {
  await s.authorize('minh');
  s.emu.expireToken('minh');
  s.emu.revokeRefreshToken('minh');
  const id = await s.say('minh', 'show my errands list');
  const loginCard = await s.waitFor('the login card', () => s.dmsTo('minh').find((m) => m.content.includes('authen/v1/authorize')));
  assert.ok(loginCard);
  const cards = () => s.repliesTo(id).filter((m) => cardIdOf(m));
  const opened = cards().length;
  const ok = await s.signIn('minh');
  assert.equal(ok.status, 200);
  const reply = await s.waitFor('the answer card', () => cards()[0]);
  const card = s.emu.cardkit.cards.get(cardIdOf(reply)!)!;
  await s.waitFor('streaming off', () => card.streaming === false || undefined, 30_000);
  assert.equal(cards().length, 1, 'one answer card, before and after the sign-in');
  assert.equal(answerText(card), answerMarkdown('You have no open tasks.'));
  assert.equal(s.repliesTo(id).filter((m) => m.msg_type === 'text').length, 0, 'no text answer');
  // The card was open when the sign-in was needed (the tool asked for it): its status line said so meanwhile.
  assert.equal(opened, 1, 'the card was open before the sign-in');
  const lines = s.emu.calls
    .all()
    .filter((c) => c.method === 'PUT' && c.path === `/open-apis/cardkit/v1/cards/${card.card_id}/elements/status/content`)
    .map((c) => String((c.body as { content?: string }).content));
  assert.ok(
    lines.some((l) => /sign in/i.test(l)),
    lines.join(' | '),
  );
});

let h: Harness | undefined;
after(async () => h?.stop());

test('kill -9 of the worker mid-stream: one answer card, the right final text, sequences still increasing', { timeout: 180_000 }, async () => {
  let model: Awaited<ReturnType<typeof startOfflineModel>> | undefined;
  h = await startHarness({
    temporalAddress: requireEnv('TEST_TEMPORAL_ADDRESS'),
    users: 1,
    env: { LARK_STREAM_ANSWERS: 'true' },
    // A slow writer: ~45 deltas 150 ms apart, about 7 s of streaming to kill the worker in.
    wrapModel: async () => {
      model = await startOfflineModel({ script: () => scriptedMessage([{ type: 'text', text: LONG }]), streamChunkMs: 150 });
      return { url: model.url, close: () => model!.close() };
    },
  });
  const user = h.users[0]!;
  const payload = h.emu.events.message({ from: user, text: 'what does my week look like?' });
  const id = (payload.event as { message: { message_id: string } }).message.message_id;
  await h.emu.sendEvent(undefined, payload).done;
  const waitFor = async <T>(what: string, fn: () => T | undefined, ms = 60_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const replies = () => h!.emu.state.messageList().filter((m) => m.parent_id === id && m.sender.sender_type === 'app');
  const reply = await waitFor('the answer card', () => replies().find((m) => cardIdOf(m)));
  const card = h.emu.cardkit.cards.get(cardIdOf(reply)!)!;
  await waitFor('some streamed text', () => (answerText(card).trim().length > 20 ? true : undefined));
  const shownAtKill = answerText(card);
  assert.ok(shownAtKill.length < answerMarkdown(LONG).length, 'killed mid-stream');
  await h.worker.kill9();
  const killedAt = Date.now();
  await new Promise((r) => setTimeout(r, 500));
  await h.worker.start();
  await waitFor('the card finished', () => (card.streaming === false ? true : undefined), 120_000);

  const cardReplies = replies().filter((m) => cardIdOf(m));
  assert.equal(cardReplies.length, 1, 'exactly one answer card');
  assert.equal(
    replies().length,
    1,
    `no other answer: ${replies()
      .map((m) => m.msg_type)
      .join(', ')}`,
  );
  assert.equal(answerText(card), answerMarkdown(LONG), 'the final text is the answer');
  assert.ok((model?.requests.length ?? 0) >= 2, 'the model step ran again after the kill');
  const r = rate(card);
  // The emulator refuses an 11th update in a second (counted in `refused`); the pace itself is 4 text updates a
  // second at 250 ms, plus at most the status line and the final replace.
  assert.ok(r.max <= 6, `at most 6 updates in any second, well under Lark's 10 (max ${r.max})`);
  assert.deepEqual(
    card.refused.map((x) => x.code),
    [],
    'nothing refused: sequences kept increasing across the crash',
  );
  // The retried step streamed into the same card, each operation new to Lark (a sequence that restarted would
  // repeat earlier operations' uuids: Lark would drop them as repeats and the text would not move).
  const afterKill = card.updates.filter((u) => u.at > killedAt && u.kind === 'content' && u.elementId === 'answer');
  assert.ok(afterKill.length >= 2, `the stream continued in the same card after the restart (${afterKill.length} updates)`);
  const repeats = h.emu.calls.all().filter((c) => c.path.includes(card.card_id) && c.note.duplicateUuid === true);
  assert.equal(repeats.length, 0, 'no operation was a repeat of an earlier one');
  console.log(`[figures] kill -9: updates=${r.count} max/s=${r.max} mean/s=${r.mean.toFixed(2)} model requests=${model?.requests.length}`);
});

test('figures on the offline rules model (its own pace: a few words every 40 ms)', { timeout: 120_000 }, async () => {
  const r = await startStack({ env: { LARK_STREAM_ANSWERS: 'true' } });
  try {
    await r.authorize('lan');
    for (const [i, text] of ['hello', 'what is on my calendar tomorrow?', 'what tasks do I have?'].entries()) {
      const sentAt = Date.now();
      const id = await r.say('lan', text);
      const reply = await r.waitFor('the answer card', () => r.repliesTo(id).find((m) => cardIdOf(m)));
      const card = r.emu.cardkit.cards.get(cardIdOf(reply)!)!;
      await r.waitFor('streaming off', () => card.streaming === false || undefined, 30_000);
      const firstText = card.updates.find((u) => u.kind === 'content' && u.elementId === 'answer');
      const rt = rate(card);
      assert.ok(rt.max <= 10);
      assert.deepEqual(card.refused, []);
      if (i > 0) {
        console.log(
          `[figures] rules model "${text}": ${answerText(card).length} chars, card posted ${Number(reply.create_time) - sentAt} ms, first text ${firstText ? firstText.at - sentAt : 'none'} ms, full answer ${card.updates.at(-1)!.at - sentAt} ms, updates=${rt.count} max/s=${rt.max}`,
        );
      }
    }
  } finally {
    await r.stop();
  }
});
