/**
 * A failed sign-in never locks the user out: an expired link, a used link, a sign-in with the wrong account
 * and a refused code exchange each get an honest page and a fresh login card (at most one per interval); a
 * new message while waiting gets one too; signing in with the latest card resumes every pending request in order.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createState } from '../src/oauth/state';
import { OAuthStateStore } from '../src/storage/oauth-state-store';
import { SecretBox } from '../src/storage/secret-box';
import { startStack, type Stack } from './support/stack';

let s: Stack;
before(async () => {
  s = await startStack({ env: { LOGIN_CARD_MIN_INTERVAL_SECONDS: '1' } });
});
after(async () => s?.stop());

const textOf = (m: { content: string }) => (JSON.parse(m.content) as { text?: string }).text ?? '';
const loginCards = () => s.dmsTo('alice').filter((m) => m.msg_type === 'interactive' && m.content.includes('authen/v1/authorize'));
const linkOf = (card: { content: string }) => new URL(JSON.parse(card.content).elements[1].actions[0].multi_url.url);
const redirectFor = (link: URL, asUser: string) =>
  s.emu.authorize({
    openId: s.emu.user(asUser).open_id,
    redirectUri: link.searchParams.get('redirect_uri')!,
    state: link.searchParams.get('state')!,
    scope: link.searchParams.get('scope')!,
    codeChallenge: link.searchParams.get('code_challenge')!,
  });
const nextCard = async (count: number, why: string) => {
  await s.waitFor(`fresh card after ${why}`, () => loginCards().length === count + 1, 15_000);
  return loginCards().at(-1)!;
};

test('expired link, wrong account, used link, refused exchange: each gets a fresh card; signing in resumes all, in order', async () => {
  const first = await s.say('alice', 'add a task to call the bank by Friday');
  await s.waitFor('first card', () => loginCards().length === 1);
  const card1 = loginCards()[0]!;
  // The card offers a way out when its link is dead.
  assert.match(card1.content, /Send me a new link/);

  // 1. An expired link (one the server issued for alice, past its expiry): the page says a new card is coming, and it
  // comes. (A signed link the server has no row for signals nothing: test/oauth-flood.test.ts.)
  const { state: expired, payload } = createState(s.secrets.stateSecret, s.emu.user('alice').open_id, -1000);
  await new OAuthStateStore(s.db.pool, SecretBox.fromBase64(s.secrets.tokenKey)).save(payload.nonce, payload.openId, 'verifier', payload.expiresAt);
  const page1 = await fetch(`${s.webhook.url}/oauth/callback?code=x&state=${encodeURIComponent(expired)}`);
  assert.equal(page1.status, 400);
  assert.match(await page1.text(), /expired.*new sign-in card is on its way/s);
  const card2 = await nextCard(1, 'an expired link');

  // 2. Signed in with the wrong account: nothing stored, told what to do, and a fresh card.
  const wrong = await fetch(redirectFor(linkOf(card2), 'lan'));
  assert.equal(wrong.status, 400);
  assert.match(await wrong.text(), /different account.*new sign-in card/s);
  const card3 = await nextCard(2, 'a wrong account');

  // 3. A used link (card 2's link was consumed by the wrong-account attempt).
  const reused = await fetch(redirectFor(linkOf(card2), 'alice'));
  assert.equal(reused.status, 400);
  assert.match(await reused.text(), /already used/);
  const card4 = await nextCard(3, 'a used link');

  // 4. A refused code exchange (the code is not one Lark issued).
  const bad = new URL(redirectFor(linkOf(card3), 'alice'));
  bad.searchParams.set('code', 'not-a-real-code');
  const refused = await fetch(bad);
  assert.equal(refused.status, 400);
  assert.match(await refused.text(), /Lark answered with an error.*new sign-in card/s);
  await nextCard(4, 'a refused exchange');

  // 5. A new message while waiting: queued, and a fresh card (the interval has passed).
  await new Promise((r) => setTimeout(r, 1100));
  const second = await s.say('alice', 'what tasks do I have?');
  await nextCard(5, 'a new message');
  assert.equal((await s.userState('alice')).pendingCount, 2);
  assert.equal(s.repliesTo(first).length + s.repliesTo(second).length, 0, 'nothing answered before sign-in');
  assert.equal(card4.message_id !== card1.message_id, true);

  // Signing in with the latest card resumes both, in the user's order.
  const ok = await s.signIn('alice');
  assert.equal(ok.status, 200);
  const [a1, a2] = await s.waitFor('both answered', () => {
    const r = [s.repliesTo(first).find((m) => m.msg_type === 'text'), s.repliesTo(second).find((m) => m.msg_type === 'text')];
    return r.every(Boolean) ? r : undefined;
  });
  assert.ok(Number(a1!.create_time) <= Number(a2!.create_time), 'in order');
  assert.match(textOf(a1!), /call the bank/i);
  const state = await s.userState('alice');
  assert.equal(state.authorized, true);
  assert.equal(state.expiredCount, 0, 'nothing was dropped');

  // The first card's "new link" button, once she is signed in: nothing waits, and the token store has her (the run's
  // AgentState and the token store answer this, not a query to the run).
  const newLink = (
    JSON.parse(card1.content).elements.find((e: { tag: string }) => e.tag === 'action').actions as Array<{ value?: Record<string, unknown> }>
  ).find((b) => b.value?.kind === 'login_link')!.value!;
  const click = await s.callback(s.emu.events.cardAction({ from: 'alice', messageId: card1.message_id, value: newLink }));
  assert.match((JSON.parse(click.responseText || '{}') as { toast?: { content?: string } }).toast?.content ?? '', /already signed in/i);
});

test('after a Deny nothing waits: the old link and the "new link" button say so (not "a card is on its way" nor "already signed in"), in the user\'s language; a new request brings the card', async () => {
  const cardsOf = () => s.dmsTo('lan').filter((m) => m.msg_type === 'interactive' && m.content.includes('authen/v1/authorize'));
  const first = await s.say('lan', 'add a task to send the budget by Friday');
  const second = await s.say('lan', 'what tasks do I have?');
  await s.waitFor('login card', () => cardsOf().length === 1);
  const card = cardsOf()[0]!;
  const link = linkOf(card);
  // Its "new link" button as posted (after the Deny the card is closed, but a client may still show the old one).
  const newLink = (
    JSON.parse(card.content).elements.find((e: { tag: string }) => e.tag === 'action').actions as Array<{ value?: Record<string, unknown> }>
  ).find((b) => b.value?.kind === 'login_link')!.value!;
  const denied = await fetch(
    s.emu.authorize({
      openId: s.emu.user('lan').open_id,
      redirectUri: link.searchParams.get('redirect_uri')!,
      state: link.searchParams.get('state')!,
      deny: true,
    }),
  );
  assert.match(await denied.text(), /You declined/);
  await s.waitFor(
    'the denied notice names both',
    () => s.dmsTo('lan').some((m) => /add a task to send the budget[\s\S]*what tasks do I have/.test(textOf(m))),
    15_000,
  );
  await s.waitFor('the wait ended', async () => (await s.userState('lan')).waitingForAuthSince === undefined, 15_000);
  // The card itself no longer says the requests will continue: it says they were cancelled and what brings a new one.
  await s.waitFor(
    'the login card is closed',
    () =>
      /You declined authorization, so the waiting requests were cancelled\. Send your request again/.test(s.emu.state.messages.get(card.message_id)!.content),
    10_000,
  );
  assert.doesNotMatch(s.emu.state.messages.get(card.message_id)!.content, /authen\/v1\/authorize|will continue once you sign in/);
  const before = cardsOf().length;

  // The old link again: used, and nothing waits, so no card comes by itself. English first (Lan writes English).
  const again = await fetch(redirectFor(link, 'lan'));
  assert.equal(again.status, 400);
  const html = await again.text();
  assert.doesNotMatch(html, /on its way/);
  assert.match(html, /No request of yours is waiting for sign-in now\. Go back to Lark and send the bot your request again/);
  assert.ok(html.indexOf('already used') < html.indexOf('đã được dùng'), 'English first for an English-writing user');

  // The old card's "new link" button: not "already signed in" (Lan is not).
  const click = await s.callback(s.emu.events.cardAction({ from: 'lan', messageId: card.message_id, value: newLink }));
  const toast = (JSON.parse(click.responseText || '{}') as { toast?: { content?: string } }).toast?.content ?? '';
  assert.doesNotMatch(toast, /already signed in/i);
  assert.match(toast, /No request is waiting for sign-in: send your request again/);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(cardsOf().length, before, 'and indeed no card came');

  // What the page and the toast promised: the request again brings a card.
  await s.say('lan', 'what tasks do I have?');
  await s.waitFor('a card with the new request', () => cardsOf().length === before + 1, 15_000);
  assert.equal(
    s.repliesTo(first).filter((m) => m.msg_type === 'text').length + s.repliesTo(second).filter((m) => m.msg_type === 'text').length,
    0,
    'the denied requests stay unanswered',
  );
});

test('after a Deny every login card of the wait is closed, not only the last: an earlier card offers no Sign-in link', async () => {
  const cardsOf = () => s.dmsTo('minh').filter((m) => m.msg_type === 'interactive' && m.content.includes('"kind":"login_link"'));
  await s.say('minh', 'what tasks do I have?');
  await s.waitFor('login card', () => cardsOf().length === 1);
  const first = cardsOf()[0]!;
  const newLink = (
    JSON.parse(first.content).elements.find((e: { tag: string }) => e.tag === 'action').actions as Array<{ value?: Record<string, unknown> }>
  ).find((b) => b.value?.kind === 'login_link')!.value!;
  await new Promise((r) => setTimeout(r, 1200)); // LOGIN_CARD_MIN_INTERVAL_SECONDS is 1 here
  await s.callback(s.emu.events.cardAction({ from: 'minh', messageId: first.message_id, value: newLink }));
  await s.waitFor('a fresh card', () => cardsOf().length === 2, 15_000);
  const last = cardsOf()[1]!;
  assert.match(s.emu.state.messages.get(first.message_id)!.content, /authen\/v1\/authorize/, 'the first card still offers its link while the wait goes on');
  const link = linkOf(last);
  await fetch(
    s.emu.authorize({
      openId: s.emu.user('minh').open_id,
      redirectUri: link.searchParams.get('redirect_uri')!,
      state: link.searchParams.get('state')!,
      deny: true,
    }),
  );
  for (const card of [last, first]) {
    await s.waitFor(`card ${card.message_id} closed`, () => !/authen\/v1\/authorize/.test(s.emu.state.messages.get(card.message_id)!.content), 15_000);
    assert.match(s.emu.state.messages.get(card.message_id)!.content, /You declined authorization|Bạn đã từ chối/);
  }
});
