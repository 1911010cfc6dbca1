/**
 * The emulator's CardKit (card entities, streaming text) refuses what Lark refuses, through the real Lark client
 * and the project's one error classification: sequence not increasing (300317), more than 10 updates a second
 * per card (429 / 99991400: rate limited, retryable), text after streaming closed (300309) or 10 minutes after
 * it opened (200850), a card JSON that is not 2.0, and the whole API without cardkit:card:write (99991672).
 * A repeated uuid is a no-op. And the stream helper keeps under the limit on its own.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startLarkEmulator, type LarkEmulator } from '../dev/emulator';
import { LarkClient } from '../src/lark/client';
import { classifyLarkError, isCardStreamClosed, LarkApiError } from '../src/lark/errors';
import { LarkFailureType } from '../src/lark/failure-types';
import { CardTextStream } from '../src/lark/card-stream';
import { answerMarkdown, streamingAnswerCard, finalAnswerCard, ANSWER_ELEMENT_ID } from '../src/cards/answer-card';

let emu: LarkEmulator;
let client: LarkClient;
before(async () => {
  emu = await startLarkEmulator();
  client = new LarkClient({ baseUrl: emu.url, appId: emu.appId, appSecret: emu.appSecret, timeoutMs: 10_000 });
});
after(async () => emu?.stop());

const code = async (p: Promise<unknown>): Promise<number | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    assert.ok(err instanceof LarkApiError, String(err));
    return err.code;
  }
};

test('sequence must strictly increase; a repeated uuid is a no-op', async () => {
  const { cardId } = await client.createCardEntity(streamingAnswerCard('⏳ Thinking…'));
  await client.streamCardText(cardId, ANSWER_ELEMENT_ID, 'Hello', { sequence: 5, uuid: 'u-5' });
  assert.equal(await code(client.streamCardText(cardId, ANSWER_ELEMENT_ID, 'Hello there', { sequence: 5, uuid: 'u-5b' })), 300317);
  assert.equal(await code(client.streamCardText(cardId, ANSWER_ELEMENT_ID, 'Hello there', { sequence: 4, uuid: 'u-4' })), 300317);
  // The same operation again (a retry whose first attempt reached Lark): success, nothing changes.
  assert.equal(await code(client.streamCardText(cardId, ANSWER_ELEMENT_ID, 'Hello', { sequence: 5, uuid: 'u-5' })), undefined);
  assert.equal(emu.cardkit.cards.get(cardId)!.updates.length, 1);
  assert.equal(emu.cardkit.elementText(cardId, ANSWER_ELEMENT_ID), 'Hello');
  const c = classifyLarkError(new LarkApiError({ code: 300317, msg: 'x', httpStatus: 400, api: 'PUT /x' }))!;
  assert.equal(c.type, LarkFailureType.InvalidInput);
  assert.match(c.message, /strictly increasing sequence/);
});

test('more than 10 updates a second on one card: 429, classified as a retryable rate limit', async () => {
  const { cardId } = await client.createCardEntity(streamingAnswerCard('⏳'));
  const codes: Array<number | undefined> = [];
  for (let i = 1; i <= 12; i++) codes.push(await code(client.streamCardText(cardId, ANSWER_ELEMENT_ID, `t${i}`, { sequence: i, uuid: `r-${i}` })));
  assert.deepEqual(codes.slice(0, 10), Array(10).fill(undefined));
  assert.equal(codes[10], 99991400);
  const err = await client.streamCardText(cardId, ANSWER_ELEMENT_ID, 'later', { sequence: 20, uuid: 'r-20' }).catch((e: unknown) => e);
  const c = classifyLarkError(err)!;
  assert.equal(c.type, LarkFailureType.RateLimited);
  assert.equal(c.retryable, true);
});

test('streaming closed by a full replace: text updates get 300309; 10 minutes after opening: 200850', async () => {
  const a = await client.createCardEntity(streamingAnswerCard('⏳'));
  await client.replaceCardEntity(a.cardId, finalAnswerCard('The answer.'), { sequence: 2, uuid: 'f-2' });
  const closed = await client.streamCardText(a.cardId, ANSWER_ELEMENT_ID, 'more', { sequence: 3, uuid: 'f-3' }).catch((e: unknown) => e);
  assert.equal((closed as LarkApiError).code, 300309);
  assert.ok(isCardStreamClosed(closed));
  assert.equal(emu.cardkit.cards.get(a.cardId)!.streaming, false);

  const b = await client.createCardEntity(streamingAnswerCard('⏳'));
  emu.clock.advance(10 * 60_000 + 1000);
  try {
    const late = await client.streamCardText(b.cardId, ANSWER_ELEMENT_ID, 'late', { sequence: 1, uuid: 'l-1' }).catch((e: unknown) => e);
    assert.equal((late as LarkApiError).code, 200850);
    assert.ok(isCardStreamClosed(late));
    // A full replace still works (the workflow's final step).
    await client.replaceCardEntity(b.cardId, finalAnswerCard('Final.'), { sequence: 2, uuid: 'l-2' });
    assert.equal(emu.cardkit.elementText(b.cardId, ANSWER_ELEMENT_ID), answerMarkdown('Final.'));
  } finally {
    emu.clock.advance(-(10 * 60_000 + 1000));
  }
});

test('settings turn streaming off; card JSON 1.0 is refused; a card message must name an existing entity', async () => {
  const { cardId } = await client.createCardEntity(streamingAnswerCard('⏳'));
  await client.updateCardSettings(cardId, { config: { streaming_mode: false } }, { sequence: 1, uuid: 's-1' });
  assert.equal(emu.cardkit.cards.get(cardId)!.streaming, false);
  assert.equal(await code(client.createCardEntity({ elements: [] })), 200220);
  const lan = emu.user('lan');
  assert.equal(
    await code(
      client.sendMessage('open_id', lan.open_id, { msgType: 'interactive', content: { type: 'card', data: { card_id: '7000000000000000001' } }, uuid: 'm-1' }),
    ),
    230099,
  );
  await client.sendMessage('open_id', lan.open_id, { msgType: 'interactive', content: { type: 'card', data: { card_id: cardId } }, uuid: 'm-2' });
});

test('without cardkit:card:write: 99991672 naming the scope, an app permission problem', async () => {
  emu.cardkit.permitted = false;
  try {
    const err = await client.createCardEntity(streamingAnswerCard('⏳')).catch((e: unknown) => e);
    const c = classifyLarkError(err)!;
    assert.equal(c.type, LarkFailureType.PermissionDenied);
    assert.equal(c.details.scopeOwner, 'app');
    assert.deepEqual(c.details.scopes, ['cardkit:card:write']);
  } finally {
    emu.cardkit.permitted = true;
  }
});

test('the stream helper pushes the text so far at most once per interval, and ends with the last text', async () => {
  const createdAtMs = Date.now();
  const { cardId } = await client.createCardEntity(streamingAnswerCard('⏳'));
  const stream = new CardTextStream({ client, cardId, elementId: ANSWER_ELEMENT_ID, createdAtMs, intervalMs: 150, closeAfterMs: 60_000 });
  let text = '';
  for (let i = 0; i < 100; i++) {
    text += `word${i} `;
    stream.push(text);
    await new Promise((r) => setTimeout(r, 10));
  }
  await stream.finish();
  // The pushes take ~1 s, longer on a loaded machine: the bound follows the time they really took.
  const tookMs = Date.now() - createdAtMs;
  const card = emu.cardkit.cards.get(cardId)!;
  assert.deepEqual(card.refused, []);
  assert.ok(
    card.updates.length >= 4 && card.updates.length <= Math.ceil(tookMs / 150) + 1,
    `about one update per 150 ms over ${tookMs} ms (${card.updates.length})`,
  );
  for (let i = 1; i < card.updates.length; i++) assert.ok(card.updates[i]!.at - card.updates[i - 1]!.at >= 140, 'spaced by the interval');
  assert.equal(emu.cardkit.elementText(cardId, ANSWER_ELEMENT_ID), answerMarkdown(text), 'the last text shown');
});

test('the emulator keeps the newest card entities only', async () => {
  const before = emu.cardkit.maxCards;
  emu.cardkit.maxCards = 3;
  try {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.createCardEntity(streamingAnswerCard('⏳'))).cardId);
    assert.ok(emu.cardkit.cards.size <= 3);
    assert.ok(!emu.cardkit.cards.has(ids[0]!) && !emu.cardkit.cards.has(ids[1]!), 'the oldest forgotten');
    assert.ok(emu.cardkit.cards.has(ids[4]!), 'the newest kept');
  } finally {
    emu.cardkit.maxCards = before;
  }
});
