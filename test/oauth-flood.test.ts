/**
 * Outside input cannot wedge a run (issue 20): a dead login link hit thousands of times answers every hit with
 * its page but tells the user's workflow at most once; the callback is rate-limited per client and overall
 * (X-Forwarded-For only counts behind TRUST_PROXY_HOPS proxies); clicks on a card known dead, and click floods,
 * stop in the webhook instead of each becoming an Update on the user's run. Real Temporal dev server and
 * PostgreSQL; Lark is the emulator.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig, type Config } from '../src/config';
import type { Message } from '../dev/emulator/state';
import { createLogger } from '../src/logger';
import { createState } from '../src/oauth/state';
import { OAuthStateStore } from '../src/storage/oauth-state-store';
import { SecretBox } from '../src/storage/secret-box';
import { startWebhook, type RunningWebhook } from '../src/webhook/start';
import { userWorkflowId } from '../workflows/contract';
import { startStack, type Stack } from './support/stack';

let s: Stack;
const extraHooks: RunningWebhook[] = [];
before(async () => {
  // The stack's own webhook has the callback limits off, so every one of a flood's hits reaches the callback's
  // checks (the at-most-once signal is what is tested there); other webhooks below run with limits on.
  s = await startStack({ env: { LOGIN_CARD_MIN_INTERVAL_SECONDS: '1', OAUTH_CALLBACK_IP_PER_MINUTE: '0', OAUTH_CALLBACK_TOTAL_PER_MINUTE: '0' } });
});
after(async () => {
  for (const h of extraHooks) await h.close();
  await s?.stop();
});

const quiet = createLogger('silent', 'test');
const FLOOD = 10_000;
const BATCH = 50;

const loginCards = (user: string) => s.dmsTo(user).filter((m) => m.msg_type === 'interactive' && m.content.includes('authen/v1/authorize'));
const linkOf = (card: { content: string }) => new URL(JSON.parse(card.content).elements[1].actions[0].multi_url.url);
const textOf = (m: { content: string }) => (JSON.parse(m.content) as { text?: string }).text ?? '';
const callbackUrl = (base: string, state: string, code = 'x') => `${base}/oauth/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`;

/** authResult signals over every run of the user's workflow (a continue-as-new must not hide any), and the current history length. */
async function runFigures(user: string): Promise<{ authSignals: number; updates: number; historyLength: number; runs: number }> {
  const id = userWorkflowId(s.emu.user(user).open_id);
  let authSignals = 0;
  let updates = 0;
  let runs = 0;
  for await (const wf of s.client.workflow.list({ query: `WorkflowId = "${id}"` })) {
    runs++;
    const history = await s.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    for (const e of history.events ?? []) {
      if (e.workflowExecutionSignaledEventAttributes?.signalName === 'authResult') authSignals++;
      if (e.workflowExecutionUpdateAcceptedEventAttributes) updates++;
    }
  }
  const historyLength = (await s.client.workflow.getHandle(id).describe()).historyLength;
  return { authSignals, updates, historyLength, runs };
}

interface FloodResult {
  statuses: Record<number, number>;
  perSecond: number;
  ms: number;
}

/** `n` GETs of one URL, `BATCH` at a time; every answer is checked by `check`. */
async function flood(
  url: string,
  n: number,
  check: (status: number, body: string, headers: Headers) => void,
  headers: Record<string, string> = {},
): Promise<FloodResult> {
  const statuses: Record<number, number> = {};
  const started = Date.now();
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, n - i) }, async () => {
        const res = await fetch(url, { headers });
        const body = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        check(res.status, body, res.headers);
      }),
    );
  }
  const ms = Date.now() - started;
  return { statuses, ms, perSecond: Math.round((n / ms) * 1000) };
}

/**
 * Another webhook on the same Temporal, database and services, with its own settings, for its OAuth callback.
 * HTTP only: in a long-connection run it would otherwise hold a connection of its own and take some of Lark's
 * pushes, each replica with its own dead-card memo (per process, as behind a load balancer).
 */
async function extraWebhook(webhook: Partial<Config['webhook']>): Promise<RunningWebhook> {
  const config: Config = { ...s.config, port: 0, lark: { ...s.config.lark, eventMode: 'webhook' }, webhook: { ...s.config.webhook, ...webhook } };
  const hook = await startWebhook(config, s.client, s.db.pool, quiet, s.services);
  extraHooks.push(hook);
  return hook;
}

const rateLimitPage = (status: number, body: string, headers: Headers) => {
  assert.equal(status, 429);
  assert.match(headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'a 429 says when to try again');
  assert.match(body, /Too many attempts/);
};

test('a used login link hit 10,000 times: every hit gets its page, the run is told at most once, the next message is answered', async () => {
  const first = await s.say('alice', "what's on my calendar Friday?");
  await s.waitFor('login card', () => loginCards('alice').length === 1);
  const link = linkOf(loginCards('alice')[0]!);
  const redirect = s.emu.authorize({
    openId: s.emu.user('alice').open_id,
    redirectUri: link.searchParams.get('redirect_uri')!,
    state: link.searchParams.get('state')!,
    scope: link.searchParams.get('scope')!,
    codeChallenge: link.searchParams.get('code_challenge')!,
  });
  const ok = await fetch(redirect);
  assert.equal(ok.status, 200, 'the link is used once: sign-in succeeds');
  await s.waitFor('answer after sign-in', () => s.repliesTo(first).find((m) => m.msg_type === 'text'));
  const before = await runFigures('alice');

  const result = await flood(redirect, FLOOD, (status, body, headers) => {
    if (status === 429) return rateLimitPage(status, body, headers);
    assert.equal(status, 400);
    assert.match(body, /already used/);
  });
  const afterFlood = await runFigures('alice');
  // Printed before the checks, so a failing run still gives its figures.
  console.log(
    `[oauth-flood] used link: ${FLOOD} hits in ${result.ms} ms (${result.perSecond} hits/s, ${BATCH} at a time), statuses ${JSON.stringify(result.statuses)}; ` +
      `authResult signals from the flood: ${afterFlood.authSignals - before.authSignals}; history ${before.historyLength} -> ${afterFlood.historyLength} events (runs ${before.runs} -> ${afterFlood.runs})`,
  );
  assert.equal((result.statuses[400] ?? 0) + (result.statuses[429] ?? 0), FLOOD, `every hit got a 4xx page: ${JSON.stringify(result.statuses)}`);
  assert.ok(afterFlood.authSignals - before.authSignals <= 1, `the flood signalled the run ${afterFlood.authSignals - before.authSignals} times`);
  assert.equal(afterFlood.runs, before.runs, 'no continue-as-new was forced');
  assert.ok(afterFlood.historyLength - before.historyLength <= 20, `history grew from ${before.historyLength} to ${afterFlood.historyLength}`);

  const asked = Date.now();
  const next = await s.say('alice', 'what tasks do I have?');
  const reply = await s.waitFor('the next message is answered', () => s.repliesTo(next).find((m) => m.msg_type === 'text'), 30_000);
  const answerMs = Date.now() - asked;
  assert.ok(textOf(reply).length > 0);
  console.log(`[oauth-flood] used link: the next message was answered ${answerMs} ms after it was sent`);
});

test('an expired link hit 10,000 times while the user waits (default limits): 400 or 429 each, one signal, one fresh card, sign-in still works', async () => {
  const hook = await extraWebhook({ oauthCallbackLimit: loadConfig({}).webhook.oauthCallbackLimit }); // the defaults
  const openId = s.emu.user('lan').open_id;
  const first = await s.say('lan', "what's on my calendar Friday?");
  await s.waitFor('login card', () => loginCards('lan').length === 1);
  // A link this server issued (its row is in oauth_states), now past its expiry.
  const { state, payload } = createState(s.secrets.stateSecret, openId, -1000);
  await new OAuthStateStore(s.db.pool, SecretBox.fromBase64(s.secrets.tokenKey)).save(payload.nonce, openId, 'verifier-of-an-old-link', payload.expiresAt);
  const before = await runFigures('lan');

  const result = await flood(callbackUrl(hook.url, state), FLOOD, (status, body, headers) => {
    if (status === 429) return rateLimitPage(status, body, headers);
    assert.equal(status, 400);
    assert.match(body, /expired.*new sign-in card is on its way/s);
  });
  const afterFlood = await runFigures('lan');
  console.log(
    `[oauth-flood] expired link, default limits: ${FLOOD} hits in ${result.ms} ms (${result.perSecond} hits/s), statuses ${JSON.stringify(result.statuses)}; ` +
      `authResult signals from the flood: ${afterFlood.authSignals - before.authSignals}; history ${before.historyLength} -> ${afterFlood.historyLength}`,
  );
  assert.equal((result.statuses[400] ?? 0) + (result.statuses[429] ?? 0), FLOOD, JSON.stringify(result.statuses));
  assert.ok((result.statuses[429] ?? 0) > FLOOD / 2, `most of one client's flood is refused by the limit: ${JSON.stringify(result.statuses)}`);
  assert.equal(afterFlood.authSignals - before.authSignals, 1, 'the run was told once');
  await s.waitFor('one fresh card', () => loginCards('lan').length === 2, 15_000);
  await new Promise((r) => setTimeout(r, 2500)); // past LOGIN_CARD_MIN_INTERVAL_SECONDS: no more cards come
  assert.equal(loginCards('lan').length, 2, 'one fresh card for the dead link, not one per hit');
  assert.ok(afterFlood.historyLength - before.historyLength <= 20, `history grew from ${before.historyLength} to ${afterFlood.historyLength}`);

  const asked = Date.now();
  assert.equal((await s.signIn('lan')).status, 200);
  await s.waitFor('the waiting request is answered', () => s.repliesTo(first).find((m) => m.msg_type === 'text'), 30_000);
  console.log(`[oauth-flood] expired link: the waiting request was answered ${Date.now() - asked} ms after sign-in`);
});

test('forged links and expired links the server does not know signal nothing, and say so', async () => {
  const openId = s.emu.user('minh').open_id;
  await s.say('minh', 'what tasks do I have?');
  await s.waitFor('login card', () => loginCards('minh').length === 1);
  const before = await runFigures('minh');
  const forged = createState('not-the-server-secret-at-all', openId, 60_000).state;
  const unknownExpired = createState(s.secrets.stateSecret, openId, -1000).state; // signed, but no row: never issued, or long purged
  const unknownLive = createState(s.secrets.stateSecret, openId, 60_000).state;
  for (const [state, page] of [
    [forged, /not valid/],
    [unknownExpired, /expired.*send the bot your request again/s],
    [unknownLive, /unknown/],
  ] as const) {
    const r = await flood(callbackUrl(s.webhook.url, state), 200, (status, body) => {
      assert.equal(status, 400);
      assert.match(body, page);
    });
    assert.equal(r.statuses[400], 200);
  }
  const afterFlood = await runFigures('minh');
  assert.equal(afterFlood.authSignals, before.authSignals, 'no signal for a link the server cannot vouch for');
  assert.equal(loginCards('minh').length, 1);
  assert.equal((await s.signIn('minh')).status, 200);
  await s.waitFor('signed in', async () => (await s.userState('minh')).authorized === true);
});

test('concurrent hits of a dead link: exactly one claims the signal; a claim whose signal failed is released', async () => {
  const openId = s.emu.user('lan').open_id;
  const { state, payload } = createState(s.secrets.stateSecret, openId, -1000);
  await new OAuthStateStore(s.db.pool, SecretBox.fromBase64(s.secrets.tokenKey)).save(payload.nonce, openId, 'v', payload.expiresAt);
  const outcomes = await Promise.all(Array.from({ length: 40 }, () => s.services.oauth.handleCallback({ state, code: 'x' })));
  const claimed = outcomes.filter((o) => o.kind === 'bad_state' && o.notify);
  assert.equal(claimed.length, 1, 'one of 40 concurrent hits tells the workflow');
  for (const o of outcomes)
    assert.deepEqual({ kind: o.kind, openId: 'openId' in o ? o.openId : undefined }, { kind: 'bad_state', openId }, 'every hit gets the same page');
  // Temporal did not take the signal: the claim is given back, so a later hit of the link tries again.
  await s.services.oauth.signalFailed(claimed[0]!);
  const again = await s.services.oauth.handleCallback({ state, code: 'x' });
  assert.ok(again.kind === 'bad_state' && again.notify, 'the next hit claims it');
  const after = await s.services.oauth.handleCallback({ state, code: 'x' });
  assert.ok(after.kind === 'bad_state' && !after.notify);
});

test('the callback limit counts the TCP peer, and X-Forwarded-For only behind TRUST_PROXY_HOPS proxies', async () => {
  const limits = { oauthCallbackLimit: { ip: { burst: 3, perMinute: 1 }, total: { burst: 5, perMinute: 1 } } };
  const forged = callbackUrl('', createState('not-the-server-secret-at-all', 'ou_nobody', 60_000).state);
  const hit = async (base: string, xff?: string) => {
    const res = await fetch(`${base}${forged}`, { headers: xff ? { 'x-forwarded-for': xff } : {} });
    const body = await res.text();
    return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
  };
  // No proxy trusted: the header is the client's own words; every request comes from the same peer.
  const direct = await extraWebhook({ ...limits, trustProxyHops: 0 });
  for (const ip of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) assert.equal((await hit(direct.url, ip)).status, 400);
  const refused = await hit(direct.url, '4.4.4.4');
  assert.equal(refused.status, 429, 'a made-up X-Forwarded-For does not get a fresh allowance');
  assert.match(refused.retryAfter ?? '', /^[1-9]\d*$/);
  assert.match(refused.body, /Too many attempts/);

  // One proxy trusted: the address it appended (the rightmost) is the client.
  const proxied = await extraWebhook({ ...limits, trustProxyHops: 1 });
  for (let i = 0; i < 3; i++) assert.equal((await hit(proxied.url, '10.0.0.1')).status, 400);
  assert.equal((await hit(proxied.url, '10.0.0.1')).status, 429, 'the same client past its burst');
  assert.equal((await hit(proxied.url, '9.9.9.9, 10.0.0.1')).status, 429, 'a spoofed leftmost entry changes nothing');
  assert.equal((await hit(proxied.url, '10.0.0.2')).status, 400, 'another client has its own allowance');
  assert.equal((await hit(proxied.url, '10.0.0.3')).status, 400);
  const overall = await hit(proxied.url, '10.0.0.4');
  assert.equal(overall.status, 429, 'past the overall burst, whoever asks');
  assert.match(overall.body, /Too many attempts/);
});

/** Clicks a button as `from`; returns the toast. */
async function clickAs(from: string, card: Message, value: Record<string, unknown>): Promise<string> {
  const attempt = await s.callback(s.emu.events.cardAction({ from, messageId: card.message_id, value }));
  assert.ok(attempt.ok, `callback answered ${attempt.status}`);
  return (JSON.parse(attempt.responseText || '{}') as { toast?: { content?: string } }).toast?.content ?? '';
}
const buttons = (card: Message) =>
  JSON.parse(card.content).elements.find((e: { tag: string }) => e.tag === 'action').actions as Array<{ value?: Record<string, unknown> }>;

test('clicks on a card known dead stop in the webhook; a click flood gets a friendly toast, not an Update each', async () => {
  // A Confirm card, answered once: from then on the card is dead. (minh signed in above; the tokens make this
  // test stand on its own.)
  await s.authorize('minh');
  const id = await s.say('minh', 'tạo cuộc họp 3h chiều mai với Lan');
  const card = await s.waitFor('confirm card', () => s.repliesTo(id).find((m) => m.msg_type === 'interactive'));
  const confirm = buttons(card).find((b) => b.value?.decision === 'confirm')!.value!;
  const cancel = buttons(card).find((b) => b.value?.decision === 'cancel')!.value!;
  assert.match(await clickAs('minh', card, confirm), /^Đã xác nhận$/);
  await s.waitFor('answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
  const before = await runFigures('minh');
  const started = Date.now();
  for (let i = 0; i < 30; i++) assert.match(await clickAs('minh', card, i % 2 ? cancel : confirm), /đã được trả lời rồi/);
  const clicksMs = Date.now() - started;
  const afterDead = await runFigures('minh');
  console.log(
    `[oauth-flood] card clicks: 30 clicks on a dead Confirm card in ${clicksMs} ms -> ${afterDead.updates - before.updates} Updates on the run (history ${before.historyLength} -> ${afterDead.historyLength})`,
  );
  assert.ok(afterDead.updates - before.updates <= 1, `${afterDead.updates - before.updates} Updates for 30 clicks on a dead card`);

  // The login card's button, pressed again and again (alice, signed in above): each press would be an Update.
  if (!loginCards('alice').length) {
    await s.say('alice', 'what tasks do I have?');
    await s.waitFor('login card', () => loginCards('alice').length === 1);
  }
  const loginCard = loginCards('alice')[0]!;
  const newLink = buttons(loginCard).find((b) => b.value?.kind === 'login_link')!.value!;
  const aliceBefore = await runFigures('alice');
  const toasts: string[] = [];
  for (let i = 0; i < 25; i++) toasts.push(await clickAs('alice', loginCard, newLink));
  const aliceAfter = await runFigures('alice');
  const limited = toasts.filter((t) => /too many clicks/i.test(t)).length;
  console.log(
    `[oauth-flood] card clicks: 25 rapid login-card clicks -> ${aliceAfter.updates - aliceBefore.updates} Updates (history ${aliceBefore.historyLength} -> ${aliceAfter.historyLength}), ${limited} held back with a toast`,
  );
  assert.ok(limited >= 10, `${limited} of 25 rapid clicks were held back: ${JSON.stringify([...new Set(toasts)])}`);
  for (const t of toasts) assert.match(t, /already signed in|just sent|on its way|too many clicks/i);
  assert.ok(aliceAfter.updates - aliceBefore.updates <= 15, `${aliceAfter.updates - aliceBefore.updates} Updates for 25 clicks`);
});
