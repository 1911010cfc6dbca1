/**
 * The Lark emulator against its own contract: wire format, Lark's codes, idempotency, faults and the
 * sending side. Run: node --import tsx --test test/emulator.test.ts
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLarkEmulator, type LarkEmulator } from '../dev/emulator';
import { EmulatorState } from '../dev/emulator/state';
import { decryptLarkPayload, verifyLarkSignature } from '../src/lark/crypto';
import { verifyLarkCallback } from '../src/webhook/lark-callback';

interface ApiResult {
  status: number;
  headers: Headers;
  json: Record<string, any>;
  text: string;
}

async function api(
  emu: LarkEmulator,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; query?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<ApiResult> {
  const url = new URL(emu.url + '/open-apis' + path);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal });
  const text = await res.text();
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON (5xx text, 404) */
  }
  return { status: res.status, headers: res.headers, json, text };
}

async function tenantToken(emu: LarkEmulator): Promise<string> {
  const r = await api(emu, 'POST', '/auth/v3/tenant_access_token/internal', { body: { app_id: emu.appId, app_secret: emu.appSecret } });
  assert.equal(r.json.code, 0);
  return r.json.tenant_access_token as string;
}

const MIN = 60_000;

describe('tenant_access_token', () => {
  let emu: LarkEmulator;
  before(async () => (emu = await startLarkEmulator()));
  after(() => emu.stop());

  it('issues a token, reuses it, and reissues when under 30 minutes remain', async () => {
    const r1 = await api(emu, 'POST', '/auth/v3/tenant_access_token/internal', { body: { app_id: emu.appId, app_secret: emu.appSecret } });
    assert.equal(r1.status, 200);
    assert.equal(r1.json.code, 0);
    assert.equal(r1.json.msg, 'ok');
    assert.match(r1.json.tenant_access_token, /^t-/);
    assert.ok(r1.json.expire > 7100 && r1.json.expire <= 7200);
    assert.ok(r1.headers.get('x-tt-logid'));

    emu.clock.advance(60 * MIN);
    const r2 = await api(emu, 'POST', '/auth/v3/tenant_access_token/internal', { body: { app_id: emu.appId, app_secret: emu.appSecret } });
    assert.equal(r2.json.tenant_access_token, r1.json.tenant_access_token, 'same token while >= 30 min remain');
    assert.ok(r2.json.expire <= 3600 && r2.json.expire > 3500);

    emu.clock.advance(31 * MIN);
    const r3 = await api(emu, 'POST', '/auth/v3/tenant_access_token/internal', { body: { app_id: emu.appId, app_secret: emu.appSecret } });
    assert.notEqual(r3.json.tenant_access_token, r1.json.tenant_access_token, 'new token when < 30 min remain');
    assert.ok(r3.json.expire > 7100);

    // Both valid until their own expiry.
    const old = r1.json.tenant_access_token as string;
    assert.equal((await api(emu, 'POST', '/calendar/v4/calendars/primary', { token: old })).json.code, 0);
    emu.clock.advance(30 * MIN);
    assert.equal((await api(emu, 'POST', '/calendar/v4/calendars/primary', { token: old })).json.code, 99991677);
    assert.equal((await api(emu, 'POST', '/calendar/v4/calendars/primary', { token: r3.json.tenant_access_token })).json.code, 0);
  });

  it('refuses wrong credentials with 99991543', async () => {
    const r = await api(emu, 'POST', '/auth/v3/tenant_access_token/internal', { body: { app_id: emu.appId, app_secret: 'nope' } });
    assert.equal(r.json.code, 99991543);
    assert.equal(r.json.tenant_access_token, undefined);
  });
});

describe('Authorization checks', () => {
  let emu: LarkEmulator;
  let tenant: string;
  before(async () => {
    emu = await startLarkEmulator();
    tenant = await tenantToken(emu);
  });
  after(() => emu.stop());

  it('answers Lark codes for missing, unknown, wrong-kind and expired tokens', async () => {
    const send = { receive_id: emu.user('lan').open_id, msg_type: 'text', content: JSON.stringify({ text: 'hi' }) };
    const q = { receive_id_type: 'open_id' };
    assert.equal((await api(emu, 'POST', '/im/v1/messages', { query: q, body: send })).json.code, 99991661);
    const unknown = await api(emu, 'POST', '/im/v1/messages', { query: q, body: send, token: 't-doesnotexist' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.code, 99991663);
    const user = emu.issueUserToken('lan').accessToken;
    assert.equal((await api(emu, 'POST', '/im/v1/messages', { query: q, body: send, token: user })).json.code, 99991663, 'IM refuses user tokens');
    assert.equal((await api(emu, 'GET', '/task/v2/tasks', { token: tenant })).json.code, 99991668, 'task list refuses tenant tokens');
    assert.equal((await api(emu, 'GET', '/task/v2/tasks', { token: 'u-forged' })).json.code, 99991668);
    assert.equal((await api(emu, 'GET', '/task/v2/tasks', { token: user })).json.code, 0);

    emu.expireToken(emu.user('lan').open_id);
    assert.equal((await api(emu, 'GET', '/task/v2/tasks', { token: user })).json.code, 99991677);
    assert.equal((await api(emu, 'POST', '/im/v1/messages', { query: q, body: send, token: tenant })).json.code, 0, 'tenant token unaffected');
    emu.expireAllTokens();
    assert.equal((await api(emu, 'POST', '/im/v1/messages', { query: q, body: send, token: tenant })).json.code, 99991677);
  });

  it('reports a missing user scope as 99991679 with permission_violations', async () => {
    const token = emu.issueUserToken('minh', 'offline_access task:task:read').accessToken;
    assert.equal((await api(emu, 'GET', '/task/v2/tasks', { token })).json.code, 0);
    const r = await api(emu, 'POST', '/task/v2/tasks', { token, body: { summary: 'x' } });
    assert.equal(r.json.code, 99991679);
    assert.deepEqual(
      r.json.error.permission_violations.map((v: { subject: string }) => v.subject),
      ['task:task:write'],
    );
    const cal = await api(emu, 'POST', '/calendar/v4/calendars/primary', { token });
    assert.equal(cal.json.code, 99991679);
    assert.equal(cal.json.error.permission_violations[0].subject, 'calendar:calendar:readonly');
  });
});

describe('OAuth', () => {
  let emu: LarkEmulator;
  const redirectUri = 'http://127.0.0.1:7778/oauth/callback';
  before(async () => (emu = await startLarkEmulator()));
  after(() => emu.stop());

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };
  const exchange = (code: string, extra: Record<string, string> = {}) =>
    api(emu, 'POST', '/authen/v2/oauth/token', {
      body: { grant_type: 'authorization_code', client_id: emu.appId, client_secret: emu.appSecret, code, redirect_uri: redirectUri, ...extra },
    });
  const refresh = (refreshToken: string) =>
    api(emu, 'POST', '/authen/v2/oauth/token', {
      body: { grant_type: 'refresh_token', client_id: emu.appId, client_secret: emu.appSecret, refresh_token: refreshToken },
    });
  const codeOf = (url: string) => new URL(url).searchParams.get('code') as string;

  it('exchanges a PKCE code once, checks the verifier, the secret and the redirect URI', async () => {
    const lan = emu.user('lan');
    const { verifier, challenge } = pkce();
    const redirect = emu.authorize({ openId: lan.open_id, redirectUri, state: 'st-1', scope: 'offline_access task:task:read', codeChallenge: challenge });
    const u = new URL(redirect);
    assert.equal(u.origin + u.pathname, redirectUri);
    assert.equal(u.searchParams.get('state'), 'st-1');
    const code = codeOf(redirect);

    const badVerifier = await exchange(code, { code_verifier: pkce().verifier });
    assert.equal(badVerifier.status, 400);
    assert.equal(badVerifier.json.code, 20049);
    assert.equal(badVerifier.json.error, 'invalid_grant');
    assert.equal((await exchange(code, { code_verifier: verifier, redirect_uri: 'http://evil.example/cb' })).json.code, 20071);
    const badSecret = await api(emu, 'POST', '/authen/v2/oauth/token', {
      body: { grant_type: 'authorization_code', client_id: emu.appId, client_secret: 'wrong', code, redirect_uri: redirectUri, code_verifier: verifier },
    });
    assert.equal(badSecret.json.code, 20002);

    const good = await exchange(code, { code_verifier: verifier });
    assert.equal(good.status, 200);
    assert.equal(good.json.code, 0);
    assert.equal(good.json.token_type, 'Bearer');
    assert.equal(good.json.expires_in, 7200);
    assert.ok(good.json.refresh_token);
    assert.equal(good.json.refresh_token_expires_in, 604800);
    assert.equal(good.json.scope, 'offline_access task:task:read');
    assert.ok((good.json.access_token as string).length > 1000, 'user tokens are long, like Lark');

    assert.equal((await exchange(code, { code_verifier: verifier })).json.code, 20065, 'codes are single use');
    assert.equal((await exchange('no-such-code')).json.code, 20003);

    const info = await api(emu, 'GET', '/authen/v1/user_info', { token: good.json.access_token });
    assert.equal(info.json.code, 0);
    assert.equal(info.json.data.open_id, lan.open_id);
    assert.equal(info.json.data.name, 'Nguyễn Thị Lan');
    assert.equal(info.json.data.email, 'lan@example.com');

    // The call log never holds credentials.
    const log = JSON.stringify(emu.calls.all());
    for (const secret of [good.json.access_token, good.json.refresh_token, code, verifier, emu.appSecret]) {
      assert.ok(!log.includes(secret), 'a credential leaked into the call log');
    }
  });

  it('expires codes after 5 minutes and answers denial with access_denied', async () => {
    const code = codeOf(emu.authorize({ openId: emu.user('minh').open_id, redirectUri }));
    emu.clock.advance(5 * MIN + 1000);
    assert.equal((await exchange(code)).json.code, 20004);
    const denied = new URL(emu.authorize({ openId: emu.user('minh').open_id, redirectUri, state: 's', deny: true }));
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('state'), 's');
    assert.equal(denied.searchParams.get('code'), null);
  });

  it('rotates single-use refresh tokens with a 1-minute grace for the old access token', async () => {
    const alice = emu.user('alice');
    const first = (await exchange(codeOf(emu.authorize({ openId: alice.open_id, redirectUri, scope: 'offline_access task:task:read' })))).json;
    const second = await refresh(first.refresh_token);
    assert.equal(second.json.code, 0);
    assert.notEqual(second.json.refresh_token, first.refresh_token);
    assert.notEqual(second.json.access_token, first.access_token);
    assert.equal((await refresh(first.refresh_token)).json.code, 20073, 'a used refresh token is dead');

    assert.equal((await api(emu, 'GET', '/authen/v1/user_info', { token: first.access_token })).json.code, 0, 'grace period');
    emu.clock.advance(61_000);
    assert.equal((await api(emu, 'GET', '/authen/v1/user_info', { token: first.access_token })).json.code, 99991677);
    assert.equal((await api(emu, 'GET', '/authen/v1/user_info', { token: second.json.access_token })).json.code, 0);
    assert.equal(emu.calls.refreshCalls(alice.open_id), 2);

    emu.revokeRefreshToken(alice.open_id);
    assert.equal((await refresh(second.json.refresh_token)).json.code, 20064);

    const third = (await exchange(codeOf(emu.authorize({ openId: alice.open_id, redirectUri, scope: 'offline_access' })))).json;
    emu.clock.advance(8 * 24 * 60 * MIN);
    assert.equal((await refresh(third.refresh_token)).json.code, 20037);
  });

  it('serves a login page that redirects with a code', async () => {
    const q = new URLSearchParams({ client_id: emu.appId, redirect_uri: redirectUri, state: 'xyz', scope: 'offline_access' });
    const page = await fetch(`${emu.url}/open-apis/authen/v1/authorize?${q}`);
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.match(html, /Log in as Nguyễn Thị Lan/);
    const href = /href="([^"]*emulator_login[^"]*)"/.exec(html)?.[1]?.replace(/&#38;/g, '&');
    assert.ok(href);
    const res = await fetch(emu.url + href, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const loc = new URL(res.headers.get('location') as string);
    assert.equal(loc.searchParams.get('state'), 'xyz');
    assert.equal((await exchange(loc.searchParams.get('code') as string)).json.code, 0);
  });
});

describe('IM', () => {
  let emu: LarkEmulator;
  let tenant: string;
  before(async () => {
    emu = await startLarkEmulator();
    tenant = await tenantToken(emu);
  });
  after(() => emu.stop());

  const send = (body: Record<string, unknown>, receiveIdType = 'open_id') =>
    api(emu, 'POST', '/im/v1/messages', { token: tenant, query: { receive_id_type: receiveIdType }, body });

  it('sends once per uuid', async () => {
    const lan = emu.user('lan');
    const body = { receive_id: lan.open_id, msg_type: 'text', content: JSON.stringify({ text: 'hello' }), uuid: 'u-123' };
    const a = await send(body);
    const b = await send({ ...body, content: JSON.stringify({ text: 'hello again' }) });
    assert.equal(a.json.code, 0);
    assert.equal(b.json.data.message_id, a.json.data.message_id);
    const mine = emu.state.messageList().filter((m) => m.uuid === 'u-123');
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.content, JSON.stringify({ text: 'hello' }));
    assert.equal(mine[0]?.chat_id, lan.p2pChatId);
    assert.equal((await send({ ...body, uuid: 'x'.repeat(51) })).json.code, 99992402);
    const viaEmail = await send({ receive_id: lan.email, msg_type: 'text', content: '{"text":"e"}' }, 'email');
    assert.equal(viaEmail.json.data.chat_id, lan.p2pChatId);
  });

  it('refuses a non-JSON content string and unknown receivers', async () => {
    assert.equal((await send({ receive_id: emu.user('lan').open_id, msg_type: 'text', content: 'plain text' })).json.code, 230001);
    assert.equal((await send({ receive_id: 'ou_nobody', msg_type: 'text', content: '{"text":"x"}' })).json.code, 230013);
    assert.equal((await send({ receive_id: 'oc_nochat', msg_type: 'text', content: '{"text":"x"}' }, 'chat_id')).json.code, 230002);
  });

  it('replies to a user message (in thread too) and counts replies', async () => {
    const payload = emu.events.message({ from: 'minh', text: 'hi bot' });
    const messageId = (payload.event as any).message.message_id as string;
    const r = await api(emu, 'POST', `/im/v1/messages/${messageId}/reply`, {
      token: tenant,
      body: { msg_type: 'text', content: JSON.stringify({ text: 'hi Minh' }), uuid: 'reply-1' },
    });
    assert.equal(r.json.code, 0);
    assert.equal(r.json.data.parent_id, messageId);
    assert.equal(r.json.data.root_id, messageId);
    await api(emu, 'POST', `/im/v1/messages/${messageId}/reply`, { token: tenant, body: { msg_type: 'text', content: '{"text":"dup"}', uuid: 'reply-1' } });
    assert.equal(emu.calls.repliesTo(messageId), 2, 'both calls succeed');
    assert.equal(emu.state.messageList().filter((m) => m.parent_id === messageId).length, 1, 'but only one reply exists');

    const t = await api(emu, 'POST', `/im/v1/messages/${messageId}/reply`, {
      token: tenant,
      body: { msg_type: 'text', content: '{"text":"threaded"}', reply_in_thread: true },
    });
    assert.match(t.json.data.thread_id, /^omt_/);
    assert.equal(
      (await api(emu, 'POST', '/im/v1/messages/om_missing/reply', { token: tenant, body: { msg_type: 'text', content: '{"text":"x"}' } })).json.code,
      230001,
    );
  });

  it('updates only interactive messages', async () => {
    const card = JSON.stringify({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: 'thinking' }] } });
    const sent = await send({ receive_id: emu.user('alice').open_id, msg_type: 'interactive', content: card });
    const id = sent.json.data.message_id as string;
    const card2 = JSON.stringify({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: 'done' }] } });
    assert.equal((await api(emu, 'PATCH', `/im/v1/messages/${id}`, { token: tenant, body: { content: card2 } })).json.code, 0);
    assert.equal(emu.state.messages.get(id)?.content, card2);
    assert.deepEqual(emu.state.messages.get(id)?.edits, [card2]);
    const text = await send({ receive_id: emu.user('alice').open_id, msg_type: 'text', content: '{"text":"t"}' });
    assert.equal((await api(emu, 'PATCH', `/im/v1/messages/${text.json.data.message_id}`, { token: tenant, body: { content: card2 } })).json.code, 230001);
  });
});

describe('Calendar v4', () => {
  let emu: LarkEmulator;
  let tenant: string;
  let lanToken: string;
  before(async () => {
    emu = await startLarkEmulator();
    tenant = await tenantToken(emu);
    lanToken = emu.issueUserToken('lan').accessToken;
  });
  after(() => emu.stop());

  it('resolves primary by token owner and refuses "primary" in paths with 191001', async () => {
    const bot = await api(emu, 'POST', '/calendar/v4/calendars/primary', { token: tenant });
    assert.equal(bot.json.data.calendars[0].calendar.calendar_id, emu.state.botCalendarId);
    const lan = await api(emu, 'POST', '/calendar/v4/calendars/primary', { token: lanToken });
    assert.equal(lan.json.data.calendars[0].calendar.calendar_id, emu.user('lan').primaryCalendarId);
    assert.equal(lan.json.data.calendars[0].user_id, emu.user('lan').open_id);

    const start = { timestamp: '1767229200', timezone: 'Asia/Ho_Chi_Minh' };
    const end = { timestamp: '1767232800', timezone: 'Asia/Ho_Chi_Minh' };
    for (const id of ['primary', 'nope@group.calendar.larksuite.com']) {
      const r = await api(emu, 'POST', `/calendar/v4/calendars/${encodeURIComponent(id)}/events`, {
        token: lanToken,
        body: { summary: 'x', start_time: start, end_time: end },
      });
      assert.equal(r.json.code, 191001, id);
      assert.equal((await api(emu, 'GET', `/calendar/v4/calendars/${encodeURIComponent(id)}/events`, { token: lanToken })).json.code, 191001);
    }
    const list = await api(emu, 'GET', '/calendar/v4/calendars', { token: lanToken });
    assert.deepEqual(
      list.json.data.calendar_list.map((c: { calendar_id: string }) => c.calendar_id),
      [emu.user('lan').primaryCalendarId],
    );
  });

  it('creates events idempotently, stores seconds as sent, lists by a seconds range', async () => {
    const cal = emu.user('lan').primaryCalendarId;
    const path = `/calendar/v4/calendars/${encodeURIComponent(cal)}/events`;
    const body = {
      summary: 'Standup',
      description: 'daily',
      start_time: { timestamp: '1767229200', timezone: 'Asia/Ho_Chi_Minh' },
      end_time: { timestamp: '1767231000', timezone: 'Asia/Ho_Chi_Minh' },
      location: { name: 'Room 1' },
    };
    const a = await api(emu, 'POST', path, { token: lanToken, body, query: { idempotency_key: 'k-1' } });
    const b = await api(emu, 'POST', path, { token: lanToken, body, query: { idempotency_key: 'k-1' } });
    assert.equal(a.json.code, 0);
    assert.equal(b.json.data.event.event_id, a.json.data.event.event_id);
    assert.equal(emu.state.eventList().length, 1);
    const stored = emu.state.events.get(a.json.data.event.event_id)!;
    assert.deepEqual(stored.start_time, { timestamp: '1767229200', timezone: 'Asia/Ho_Chi_Minh' });
    assert.deepEqual(stored.extra.location, { name: 'Room 1' });

    const ms = await api(emu, 'POST', path, {
      token: lanToken,
      body: { ...body, start_time: { timestamp: '1767229200000' }, end_time: { timestamp: '1767231000000' } },
    });
    assert.equal(ms.json.code, 190002, 'milliseconds are refused');

    const inRange = await api(emu, 'GET', path, { token: lanToken, query: { start_time: '1767225600', end_time: '1767312000' } });
    assert.deepEqual(
      inRange.json.data.items.map((e: { event_id: string }) => e.event_id),
      [stored.event_id],
    );
    const outOfRange = await api(emu, 'GET', path, { token: lanToken, query: { start_time: '1767312000', end_time: '1767398400' } });
    assert.equal(outOfRange.json.data.items.length, 0);
    assert.equal((await api(emu, 'GET', path, { token: lanToken, query: { start_time: '1767225600000', end_time: '1767312000000' } })).json.code, 190002);

    // Not the tenant's calendar.
    assert.equal((await api(emu, 'GET', path, { token: tenant })).json.code, 191002);
  });

  it('patches, adds attendees, reports free/busy and deletes', async () => {
    const cal = emu.state.botCalendarId;
    const path = `/calendar/v4/calendars/${encodeURIComponent(cal)}/events`;
    const created = await api(emu, 'POST', path, {
      token: tenant,
      body: { summary: 'Review', start_time: { timestamp: '1767258000' }, end_time: { timestamp: '1767261600' } },
    });
    const id = created.json.data.event.event_id as string;
    const patched = await api(emu, 'PATCH', `${path}/${id}`, { token: tenant, body: { summary: 'Design review', end_time: { timestamp: '1767263400' } } });
    assert.equal(patched.json.data.event.summary, 'Design review');
    assert.deepEqual(emu.state.events.get(id)?.end_time, { timestamp: '1767263400' });

    const minh = emu.user('minh');
    const att = await api(emu, 'POST', `${path}/${id}/attendees`, {
      token: tenant,
      query: { user_id_type: 'open_id' },
      body: { attendees: [{ type: 'user', user_id: minh.open_id }], need_notification: true },
    });
    assert.equal(att.json.code, 0);
    assert.equal(emu.state.events.get(id)?.attendees.length, 1);

    const fb = await api(emu, 'POST', '/calendar/v4/freebusy/list', {
      token: tenant,
      body: { time_min: '2026-01-01T00:00:00Z', time_max: '2026-01-02T00:00:00Z', user_id: minh.open_id },
    });
    assert.deepEqual(fb.json.data.freebusy_list, [{ start_time: '2026-01-01T09:00:00Z', end_time: '2026-01-01T10:30:00Z' }]);
    assert.equal(
      (await api(emu, 'POST', '/calendar/v4/freebusy/list', { token: tenant, body: { time_min: '1767225600', time_max: '1767312000', user_id: minh.open_id } }))
        .json.code,
      190002,
    );

    assert.equal((await api(emu, 'DELETE', `${path}/${id}`, { token: tenant })).json.code, 0);
    assert.equal((await api(emu, 'GET', path, { token: tenant })).json.data.items.length, 0);
    assert.equal((await api(emu, 'DELETE', `${path}/${id}`, { token: tenant })).json.code, 193001);
  });
});

describe('Task v2', () => {
  let emu: LarkEmulator;
  let tenant: string;
  before(async () => {
    emu = await startLarkEmulator();
    tenant = await tenantToken(emu);
  });
  after(() => emu.stop());

  it('creates idempotently by client_token, stores milliseconds as sent, lists for members only', async () => {
    const lan = emu.user('lan');
    const body = {
      summary: 'Send report',
      description: 'Q1',
      due: { timestamp: '1767258000000', is_all_day: false },
      members: [{ id: lan.open_id, type: 'user', role: 'assignee' }],
      client_token: 'ct-1',
    };
    const a = await api(emu, 'POST', '/task/v2/tasks', { token: tenant, query: { user_id_type: 'open_id' }, body });
    const b = await api(emu, 'POST', '/task/v2/tasks', { token: tenant, query: { user_id_type: 'open_id' }, body });
    assert.equal(a.json.code, 0);
    assert.equal(b.json.data.task.guid, a.json.data.task.guid);
    assert.equal(emu.state.taskList().length, 1);
    assert.deepEqual(emu.state.tasks.get(a.json.data.task.guid)?.due, { timestamp: '1767258000000', is_all_day: false });
    assert.equal(a.json.data.task.members[0].id, lan.open_id);

    const lanToken = emu.issueUserToken('lan').accessToken;
    const minhToken = emu.issueUserToken('minh').accessToken;
    assert.equal((await api(emu, 'GET', '/task/v2/tasks', { token: lanToken })).json.data.items.length, 1);
    assert.equal((await api(emu, 'GET', '/task/v2/tasks', { token: minhToken })).json.data.items.length, 0);
    assert.equal((await api(emu, 'GET', `/task/v2/tasks/${a.json.data.task.guid}`, { token: minhToken })).json.code, 1470403);
  });

  it('pages, completes, reopens and clears named fields', async () => {
    const minh = emu.user('minh');
    const token = emu.issueUserToken('minh').accessToken;
    const guids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api(emu, 'POST', '/task/v2/tasks', {
        token,
        body: { summary: `t${i}`, members: [{ id: minh.open_id, type: 'user', role: 'assignee' }] },
      });
      guids.push(r.json.data.task.guid);
    }
    const p1 = await api(emu, 'GET', '/task/v2/tasks', { token, query: { page_size: '2' } });
    assert.equal(p1.json.data.items.length, 2);
    assert.equal(p1.json.data.has_more, true);
    const p2 = await api(emu, 'GET', '/task/v2/tasks', { token, query: { page_size: '2', page_token: p1.json.data.page_token } });
    assert.equal(p2.json.data.items.length, 1);
    assert.equal(p2.json.data.has_more, false);

    const g = guids[0] as string;
    const done = await api(emu, 'PATCH', `/task/v2/tasks/${g}`, { token, body: { task: { completed_at: '1767258000000' }, update_fields: ['completed_at'] } });
    assert.equal(done.json.data.task.completed_at, '1767258000000');
    assert.equal((await api(emu, 'GET', '/task/v2/tasks', { token, query: { completed: 'true' } })).json.data.items.length, 1);
    await api(emu, 'PATCH', `/task/v2/tasks/${g}`, { token, body: { task: { completed_at: '0' }, update_fields: ['completed_at'] } });
    assert.equal(emu.state.tasks.get(g)?.completed_at, '0');

    await api(emu, 'PATCH', `/task/v2/tasks/${g}`, { token, body: { task: { summary: 'renamed' }, update_fields: ['summary', 'description'] } });
    assert.equal(emu.state.tasks.get(g)?.summary, 'renamed');
    assert.equal(emu.state.tasks.get(g)?.description, '');
    assert.equal((await api(emu, 'PATCH', `/task/v2/tasks/${g}`, { token, body: { task: { summary: 'x' } } })).json.code, 99992402);

    const c = await api(emu, 'POST', `/task/v2/tasks/${guids[1]}/complete`, { token });
    assert.equal(c.json.code, 0);
    assert.notEqual(emu.state.tasks.get(guids[1] as string)?.completed_at, '0');

    const unknown = await api(emu, 'GET', '/task/v2/tasks/00000000-0000-0000-0000-000000000000', { token });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.code, 230001);
  });
});

describe('Contact and Base', () => {
  let emu: LarkEmulator;
  let tenant: string;
  before(async () => {
    emu = await startLarkEmulator({ baseWriteLatencyMs: 50 });
    tenant = await tenantToken(emu);
  });
  after(() => emu.stop());

  it('gets users, maps emails to ids and searches without diacritics', async () => {
    const lan = emu.user('lan');
    const u = await api(emu, 'GET', `/contact/v3/users/${lan.open_id}`, { token: tenant, query: { user_id_type: 'open_id' } });
    assert.equal(u.json.data.user.name, 'Nguyễn Thị Lan');
    const ids = await api(emu, 'POST', '/contact/v3/users/batch_get_id', {
      token: tenant,
      query: { user_id_type: 'open_id' },
      body: { emails: ['LAN@example.com', 'ghost@example.com'] },
    });
    assert.deepEqual(ids.json.data.user_list, [{ user_id: lan.open_id, email: 'LAN@example.com' }, { email: 'ghost@example.com' }]);
    const token = emu.issueUserToken('alice').accessToken;
    const s = await api(emu, 'GET', '/search/v1/user', { token, query: { query: 'nguyen thi' } });
    assert.deepEqual(
      s.json.data.users.map((x: { open_id: string }) => x.open_id),
      [lan.open_id],
    );
    assert.equal((await api(emu, 'GET', '/search/v1/user', { token: tenant, query: { query: 'lan' } })).json.code, 99991668);
  });

  it('batch_create: limit, client_token idempotency and write conflicts', async () => {
    const path = '/bitable/v1/apps/bascnApp/tables/tblOne/records/batch_create';
    const big = { records: Array.from({ length: 501 }, (_, i) => ({ fields: { n: i } })) };
    assert.equal((await api(emu, 'POST', path, { token: tenant, body: big })).json.code, 1254104);
    const body = { records: [{ fields: { Name: 'a' } }, { fields: { Name: 'b' } }] };
    const a = await api(emu, 'POST', path, { token: tenant, body, query: { client_token: 'c1' } });
    const b = await api(emu, 'POST', path, { token: tenant, body, query: { client_token: 'c1' } });
    assert.equal(a.json.code, 0);
    assert.deepEqual(b.json.data.records, a.json.data.records);
    assert.equal(emu.state.baseRecords.length, 2);

    const [x, y] = await Promise.all([api(emu, 'POST', path, { token: tenant, body }), api(emu, 'POST', path, { token: tenant, body })]);
    assert.deepEqual([x.json.code, y.json.code].sort(), [0, 1254291]);
    assert.equal([x, y].find((r) => r.json.code === 1254291)?.status, 200);
  });
});

describe('Faults and the call log', () => {
  let emu: LarkEmulator;
  let tenant: string;
  let draws: number[];
  before(async () => {
    draws = [];
    emu = await startLarkEmulator({ random: () => draws.shift() ?? 0.99 });
    tenant = await tenantToken(emu);
  });
  after(() => emu.stop());

  const primary = (signal?: AbortSignal) => api(emu, 'POST', '/calendar/v4/calendars/primary', { token: tenant, signal });

  it('rate limits with 429, the ratelimit headers and 99991400, for the given count', async () => {
    const f = emu.faults.add({ match: { method: 'POST', path: '/calendar/v4/calendars/primary' }, times: 1, kind: 'rateLimit', resetSeconds: 2 });
    const r = await primary();
    assert.equal(r.status, 429);
    assert.equal(r.json.code, 99991400);
    assert.equal(r.headers.get('x-ogw-ratelimit-reset'), '2');
    assert.ok(r.headers.get('x-ogw-ratelimit-limit'));
    assert.ok(r.headers.get('x-tt-logid'));
    assert.equal((await primary()).json.code, 0, 'fires only once');
    assert.equal(f.fired, 1);
    assert.equal(f.seen, 2);
    assert.equal(emu.calls.last({ path: '/calendar/v4/calendars/primary', status: 429 })?.faults[0], 'rateLimit');
    f.remove();
  });

  it('injects any Lark code and HTTP status, and 5xx', async () => {
    const f = emu.faults.add({ match: { path: /\/records\/batch_create$/ }, kind: 'larkCode', code: 1254290, times: 1 });
    const r = await api(emu, 'POST', '/bitable/v1/apps/a/tables/t/records/batch_create', { token: tenant, body: { records: [{ fields: {} }] } });
    assert.equal(r.status, 200);
    assert.equal(r.json.code, 1254290);
    assert.equal(emu.state.baseRecords.length, 0, 'the faulted call did nothing');
    f.remove();
    const g = emu.faults.add({ match: { path: '/calendar/v4/*' }, kind: 'http5xx', status: 503, times: 1 });
    const s = await primary();
    assert.equal(s.status, 503);
    assert.equal((await primary()).status, 200);
    g.remove();
  });

  it('adds latency, and holds a request that never answers', async () => {
    const f = emu.faults.add({ match: { path: '/calendar/v4/calendars/primary' }, kind: 'latency', ms: 150, times: 1 });
    const t0 = Date.now();
    assert.equal((await primary()).json.code, 0);
    assert.ok(Date.now() - t0 >= 140);
    f.remove();

    emu.faults.add({ match: { path: '/calendar/v4/calendars/primary' }, kind: 'timeout', times: 1 });
    await assert.rejects(primary(AbortSignal.timeout(200)), /aborted|timeout/i);
    assert.equal((await primary()).json.code, 0);
    emu.faults.clear();
  });

  it('fires on a fraction of calls (random source under test control) and after a skip', async () => {
    draws.push(0.1, 0.9, 0.2);
    emu.faults.add({ match: { path: '/calendar/v4/calendars' }, kind: 'larkCode', code: 190004, status: 429, probability: 0.5 });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await api(emu, 'GET', '/calendar/v4/calendars', { token: tenant })).json.code);
    assert.deepEqual(codes, [190004, 0, 190004]);
    emu.faults.clear();

    emu.faults.add({ match: { path: '/calendar/v4/calendars' }, kind: 'http5xx', skip: 1, times: 1 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api(emu, 'GET', '/calendar/v4/calendars', { token: tenant })).status);
    assert.deepEqual(statuses, [200, 500, 200]);
    emu.faults.clear();
  });

  it('records calls with query and code', async () => {
    const before = emu.calls.count({ path: '/calendar/v4/calendars' });
    await api(emu, 'GET', '/calendar/v4/calendars', { token: tenant, query: { page_size: '50' } });
    const last = emu.calls.last({ method: 'GET', path: '/calendar/v4/calendars' })!;
    assert.equal(emu.calls.count({ path: '/calendar/v4/calendars' }), before + 1);
    assert.deepEqual(last.query, { page_size: '50' });
    assert.equal(last.code, 0);
    assert.equal(last.token, 'tenant');
    assert.ok(emu.calls.tenantTokenCalls() >= 1);
  });

  it('answers malformed JSON with 99992402 without logging the body, and unknown paths with 404', async () => {
    const res = await fetch(`${emu.url}/open-apis/auth/v3/tenant_access_token/internal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"app_id": "x", "app_secret": "leaky-secret"',
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { code: number }).code, 99992402);
    assert.ok(!JSON.stringify(emu.calls.all()).includes('leaky-secret'));
    const missing = await fetch(`${emu.url}/open-apis/nope/v1/things`);
    assert.equal(missing.status, 404);
    assert.ok(missing.headers.get('x-tt-logid'));
  });
});

describe('sending side', () => {
  const encryptKey = 'test-encrypt-key';
  const verificationToken = 'vtok';
  let emu: LarkEmulator;
  let app: Server;
  let appUrl: string;
  /** What the fake app should answer next (status, delay); defaults to a quick 200. */
  let plan: Array<{ status: number; delayMs?: number }> = [];
  const received: Array<{ headers: IncomingMessage['headers']; raw: Buffer; at: number; path: string }> = [];

  before(async () => {
    app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        received.push({ headers: req.headers, raw, at: Date.now(), path: req.url ?? '' });
        const step = plan.shift() ?? { status: 200 };
        setTimeout(() => {
          if (res.destroyed) return;
          const body = JSON.parse(raw.toString('utf8'));
          // Echo challenges like a real app would (decrypting first).
          let answer = '{}';
          const plain = body.encrypt ? JSON.parse(decryptLarkPayload(encryptKey, body.encrypt)) : body;
          if (plain.challenge) answer = JSON.stringify({ challenge: plain.challenge });
          res.writeHead(step.status, { 'content-type': 'application/json' }).end(answer);
        }, step.delayMs ?? 0);
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    emu = await startLarkEmulator({ webhook: { url: `${appUrl}/webhook/event`, encryptKey, verificationToken }, delivery: { timeScale: 0.001 } });
  });
  after(async () => {
    await emu.stop();
    app.closeAllConnections();
    await new Promise<void>((r) => app.close(() => r()));
  });

  it('posts an encrypted, signed message event the project verifies and parses', async () => {
    received.length = 0;
    const payload = emu.events.message({ from: 'lan', text: 'xin chào', chatType: 'group', mentionBot: true });
    const d = emu.sendEvent(undefined, payload);
    const final = await d.done;
    assert.equal(final.status, 200);
    assert.equal(d.attempts.length, 1);
    const got = received[0]!;
    assert.ok(got.raw.equals(final.rawBody), 'the app got exactly the bytes recorded');
    const headers = {
      timestamp: got.headers['x-lark-request-timestamp'] as string,
      nonce: got.headers['x-lark-request-nonce'] as string,
      signature: got.headers['x-lark-signature'] as string,
    };
    assert.doesNotThrow(() => verifyLarkSignature(headers, got.raw, encryptKey, 300));
    assert.throws(() => verifyLarkSignature(headers, got.raw, 'another-key', 300));
    assert.ok('encrypt' in JSON.parse(got.raw.toString('utf8')));

    const parsed = verifyLarkCallback(got.raw, headers, { encryptKey, verificationToken, timestampToleranceSeconds: 300 });
    assert.equal(parsed.kind, 'event');
    if (parsed.kind !== 'event' || parsed.event.kind !== 'message') throw new Error('expected a message event');
    assert.equal(parsed.event.sender.openId, emu.user('lan').open_id);
    assert.equal(parsed.event.message.chatType, 'group');
    assert.equal(parsed.event.message.chatId, emu.groupChat.chat_id);
    assert.match(parsed.event.message.text ?? '', /xin chào/);
    assert.equal(parsed.event.message.mentions[0]?.openId, emu.state.botOpenId);
    // The app can reply to the injected message.
    assert.ok(emu.state.messages.get(parsed.event.message.messageId));
  });

  it('sends URL verification unsigned and gets the challenge echoed; both challenge forms', async () => {
    received.length = 0;
    for (const withType of [true, false]) {
      const d = emu.sendEvent(undefined, emu.events.challenge({ challenge: `ch-${withType}`, withType }));
      const a = await d.done;
      assert.equal(JSON.parse(a.responseText ?? '{}').challenge, `ch-${withType}`);
      const plain = JSON.parse(decryptLarkPayload(encryptKey, JSON.parse(a.rawBody.toString()).encrypt));
      assert.equal(plain.type, withType ? 'url_verification' : undefined);
      assert.equal(plain.token, verificationToken);
    }
    assert.equal(received[0]?.headers['x-lark-signature'], undefined);
  });

  it('posts plain and unsigned without an encrypt key; v1 events too', async () => {
    received.length = 0;
    const d = emu.sendEvent({ url: `${appUrl}/plain`, verificationToken }, emu.events.messageV1({ from: 'alice', text: 'hello' }), { redeliver: false });
    await d.done;
    const got = received[0]!;
    assert.equal(got.path, '/plain');
    assert.equal(got.headers['x-lark-signature'], undefined);
    const body = JSON.parse(got.raw.toString('utf8'));
    assert.equal(body.type, 'event_callback');
    assert.equal(body.event.open_id, emu.user('alice').open_id);
    assert.equal(body.token, verificationToken);
    const parsed = verifyLarkCallback(got.raw, {}, { verificationToken, timestampToleranceSeconds: 300 });
    assert.equal(parsed.kind === 'event' && parsed.event.kind === 'message' && parsed.event.message.text, 'hello');
    // With no verification token configured nothing is accepted (fail closed).
    assert.throws(() => verifyLarkCallback(got.raw, {}, { timestampToleranceSeconds: 300 }), /not a signed Lark callback/);
  });

  it('redelivers on a 500 and on a slow answer, on the scaled schedule, with the same event', async () => {
    received.length = 0;
    plan = [{ status: 500 }, { status: 200, delayMs: 300 }, { status: 200 }];
    const payload = emu.events.message({ from: 'minh', text: 'retry me' });
    const d = emu.sendEvent(undefined, payload, { ackTimeoutMs: 150 });
    const final = await d.done;
    assert.equal(final.ok, true);
    assert.deepEqual(
      d.attempts.map((a) => a.status ?? a.error),
      [500, 'timeout', 200],
    );
    assert.equal(received.length, 3);
    // 15 s and 5 min scaled by 0.001: >= 15 ms and >= 300 ms between attempts.
    assert.ok(d.attempts[1]!.at - d.attempts[0]!.at >= 15);
    assert.ok(d.attempts[2]!.at - d.attempts[1]!.at >= 300);
    const ids = received.map((r) => JSON.parse(decryptLarkPayload(encryptKey, JSON.parse(r.raw.toString()).encrypt)).header.event_id);
    assert.equal(new Set(ids).size, 1, 'every attempt carries the same event_id');
    for (const r of received) {
      const h = {
        timestamp: r.headers['x-lark-request-timestamp'] as string,
        nonce: r.headers['x-lark-request-nonce'] as string,
        signature: r.headers['x-lark-signature'] as string,
      };
      verifyLarkSignature(h, r.raw, encryptKey, 300);
    }
  });

  it('gives up after four retries; card callbacks are never re-pushed', async () => {
    received.length = 0;
    plan = Array.from({ length: 5 }, () => ({ status: 503 }));
    const d = emu.sendEvent(undefined, emu.events.message({ from: 'lan', text: 'doomed' }), { retrySchedule: [1, 1, 1, 1] });
    const final = await d.done;
    assert.equal(final.ok, false);
    assert.equal(d.attempts.length, 5);

    plan = [{ status: 500 }];
    const card = emu.events.cardAction({ from: 'lan', messageId: 'om_x', value: { action: 'approve' } });
    const c = emu.sendEvent(undefined, card);
    await c.done;
    assert.equal(c.attempts.length, 1);
    assert.equal((c.payload.event as any).action.value.action, 'approve');
    assert.equal((c.payload.header as any).token, verificationToken);
    plan = [];
  });
});

describe('retention: what the emulator keeps stays bounded', () => {
  let emu: LarkEmulator;
  let tenant: string;
  let app: Server;
  before(async () => {
    app = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end('{}')));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/webhook/event`;
    emu = await startLarkEmulator({
      webhook: { url, verificationToken: 'vt' },
      retention: { messagesPerChat: 5, editsPerMessage: 2, calls: 10, deliveries: 3 },
    });
    tenant = await tenantToken(emu);
  });
  after(async () => {
    await emu.stop();
    app.closeAllConnections();
    await new Promise<void>((r) => app.close(() => r()));
  });

  it('keeps the newest messages of each chat; a reply to a forgotten one is 230001; watchers see every message', async () => {
    const seen: string[] = [];
    const stop = emu.state.onMessage((m) => seen.push(m.message_id));
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((emu.events.message({ from: 'lan', text: `m${i}` }).event as any).message.message_id);
    emu.events.message({ from: 'minh', text: 'other chat' });
    stop();
    assert.equal(seen.length, 9);
    const lanChat = emu.state.messageList().filter((m) => m.chat_id === emu.user('lan').p2pChatId);
    assert.deepEqual(
      lanChat.map((m) => m.message_id),
      ids.slice(3),
      'the 5 newest of the chat',
    );
    assert.equal(emu.state.messageList().filter((m) => m.chat_id === emu.user('minh').p2pChatId).length, 1, 'another chat keeps its own');
    const r = await api(emu, 'POST', `/im/v1/messages/${ids[0]}/reply`, { token: tenant, body: { msg_type: 'text', content: '{"text":"late"}' } });
    assert.equal(r.json.code, 230001);
  });

  it('keeps the newest edits of a card, and the latest content', async () => {
    const card = (s: string) => JSON.stringify({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: s }] } });
    const sent = await api(emu, 'POST', '/im/v1/messages', {
      token: tenant,
      query: { receive_id_type: 'open_id' },
      body: { receive_id: emu.user('alice').open_id, msg_type: 'interactive', content: card('0') },
    });
    const id = sent.json.data.message_id as string;
    for (const s of ['1', '2', '3'])
      assert.equal((await api(emu, 'PATCH', `/im/v1/messages/${id}`, { token: tenant, body: { content: card(s) } })).json.code, 0);
    assert.deepEqual(emu.state.messages.get(id)?.edits, [card('2'), card('3')]);
    assert.equal(emu.state.messages.get(id)?.content, card('3'));
  });

  it('forgets uuids past their hour', async () => {
    const body = (uuid: string) => ({ receive_id: emu.user('alice').open_id, msg_type: 'text', content: '{"text":"u"}', uuid });
    const first = await api(emu, 'POST', '/im/v1/messages', { token: tenant, query: { receive_id_type: 'open_id' }, body: body('keep-1') });
    assert.ok(emu.state.messageUuids.has('keep-1'));
    emu.clock.advance(61 * MIN);
    tenant = await tenantToken(emu);
    const next = await api(emu, 'POST', '/im/v1/messages', { token: tenant, query: { receive_id_type: 'open_id' }, body: body('keep-2') });
    assert.notEqual(next.json.data.message_id, first.json.data.message_id);
    assert.ok(!emu.state.messageUuids.has('keep-1'), 'expired: forgotten');
    assert.ok(emu.state.messageUuids.has('keep-2'));
  });

  it('keeps the newest calls (seq keeps counting) and never logs the sandbox page', async () => {
    const before = emu.calls.lastSeq();
    for (let i = 0; i < 12; i++) await api(emu, 'GET', '/contact/v3/users/ou_none', { token: tenant });
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${emu.url}/sandbox/api/state`)).status, 200);
    assert.equal(emu.calls.all().length, 10);
    assert.equal(emu.calls.lastSeq(), before + 12);
    assert.deepEqual(
      emu.calls.since(before + 10).map((c) => c.seq),
      [before + 11, before + 12],
    );
    assert.ok(!emu.calls.all().some((c) => c.path.startsWith('/sandbox')));
  });

  it('keeps the newest urgent buzzes and RSVP changes', () => {
    const cap = EmulatorState.LOG_ENTRIES;
    for (let i = 0; i < cap + 5; i++) emu.state.log(emu.state.urgents, { message_id: `om_${i}`, open_ids: ['ou_x'], kind: 'app' as const, at: i });
    assert.equal(emu.state.urgents.length, cap);
    assert.equal(emu.state.urgents[0]!.message_id, 'om_5', 'the oldest five forgotten');
    assert.equal(emu.state.urgents.at(-1)!.message_id, `om_${cap + 4}`);
  });

  it('keeps the newest deliveries; the caller keeps its own', async () => {
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push(emu.sendEvent(undefined, emu.events.message({ from: 'alice', text: `d${i}` })));
    await Promise.all(mine.map((d) => d.done));
    assert.deepEqual(
      emu.deliveries.map((d) => d.id),
      mine.slice(2).map((d) => d.id),
    );
    assert.ok(mine.every((d) => d.attempts.length === 1 && d.attempts[0]!.ok));
  });
});
