/**
 * The Lark client against a tiny Lark-format HTTP server on 127.0.0.1 (not the full emulator).
 * Each test installs its own route handler and inspects the requests the server saw.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BASE_BATCH_LIMIT, LarkClient, type LarkClientOptions, messageUuid, asUser, type UserTokenProvider } from '../src/lark/client';
import { LarkApiError, LarkFailureType, LarkRequestInvalid, LarkTransportError } from '../src/lark/errors';
import { larkFailureOf, rejection } from './support/failures';

interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  auth?: string;
  body: any;
}

interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  delayMs?: number;
}

type Handler = (req: SeenRequest) => Reply | Promise<Reply>;

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const ok = (data: unknown = {}): Reply => ({ body: { code: 0, msg: 'success', data } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: http.Server;
let baseUrl: string;
let seen: SeenRequest[];
let handler: Handler;
/** Requests being handled right now, per path (for the serialisation test). */
let inFlight: Map<string, number>;
let maxInFlight: Map<string, number>;
let maxInFlightTotal: number;

/** A token endpoint issuing t-1, t-2, ... and counting how often it was asked. */
function tokenIssuer(opts: { expire?: number; delayMs?: number } = {}) {
  let n = 0;
  return {
    get count() {
      return n;
    },
    reply(): Reply {
      n++;
      return {
        delayMs: opts.delayMs,
        body: { code: 0, msg: 'ok', tenant_access_token: `t-${n}`, expire: opts.expire ?? 7200 },
      };
    },
  };
}

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const raw = Buffer.concat(chunks).toString('utf8');
      const seenReq: SeenRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        auth: req.headers.authorization,
        body: raw ? JSON.parse(raw) : undefined,
      };
      seen.push(seenReq);
      const key = url.pathname;
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, inFlight.get(key)!));
      maxInFlightTotal = Math.max(
        maxInFlightTotal,
        [...inFlight.values()].reduce((a, b) => a + b, 0),
      );
      try {
        const reply = await handler(seenReq);
        if (reply.delayMs) await sleep(reply.delayMs);
        const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(body);
      } catch (err) {
        res.writeHead(500);
        res.end(String(err));
      } finally {
        inFlight.set(key, inFlight.get(key)! - 1);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  seen = [];
  inFlight = new Map();
  maxInFlight = new Map();
  maxInFlightTotal = 0;
  handler = () => ({ status: 404, body: { code: 404, msg: 'no route in this test' } });
});

function client(extra: Partial<LarkClientOptions> = {}) {
  return new LarkClient({ baseUrl, appId: 'cli_test', appSecret: 'secret-value-xyz', timeoutMs: 2000, ...extra });
}

const apiCalls = (path: string) => seen.filter((r) => r.path === path);
const tokenCalls = () => apiCalls(TOKEN_PATH);

describe('tenant_access_token', () => {
  it('is fetched once for 10 concurrent calls (single-flight) and then cached', async () => {
    const tokens = tokenIssuer({ delayMs: 50 });
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : ok({ user: { open_id: r.path.split('/').pop() } }));
    const c = client();
    const users = await Promise.all(Array.from({ length: 10 }, (_, i) => c.getUser(`ou_${i}`)));
    assert.deepEqual(
      users.map((u) => u.open_id),
      Array.from({ length: 10 }, (_, i) => `ou_${i}`),
    );
    assert.equal(tokens.count, 1);
    assert.deepEqual(tokenCalls()[0]!.body, { app_id: 'cli_test', app_secret: 'secret-value-xyz' });
    await c.getUser('ou_again');
    assert.equal(tokens.count, 1);
    const apiAuth = seen.filter((r) => r.path !== TOKEN_PATH).map((r) => r.auth);
    assert.equal(apiAuth.length, 11);
    assert.ok(apiAuth.every((a) => a === 'Bearer t-1'));
  });

  it('is renewed when less than 5 minutes remain, not before', async () => {
    const tokens = tokenIssuer({ expire: 7200 });
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : ok({ user: {} }));
    let now = 1_000_000;
    const c = client({ now: () => now });
    await c.getUser('ou_1');
    now += (7200 - 301) * 1000; // 5 min 1 s left
    await c.getUser('ou_1');
    assert.equal(tokens.count, 1);
    now += 2000; // 4 min 59 s left
    await c.getUser('ou_1');
    assert.equal(tokens.count, 2);
    assert.equal(seen.at(-1)!.auth, 'Bearer t-2');
  });

  it('uses a short-lived token for half its life rather than refetching on every call', async () => {
    // The endpoint returns the same token with a small `expire` until under 30 min remain.
    const tokens = tokenIssuer({ expire: 200 });
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : ok({ user: {} }));
    let now = 0;
    const c = client({ now: () => now });
    await c.getUser('a');
    await c.getUser('b');
    assert.equal(tokens.count, 1);
    now += 101_000;
    await c.getUser('c');
    assert.equal(tokens.count, 2);
  });

  it('on 99991663 is dropped and fetched again once, then the call succeeds', async () => {
    const tokens = tokenIssuer();
    handler = (r) => {
      if (r.path === TOKEN_PATH) return tokens.reply();
      if (r.auth === 'Bearer t-1') return { status: 400, body: { code: 99991663, msg: 'Invalid access token for authorization.' } };
      return ok({ user: { open_id: 'ou_1', name: 'An' } });
    };
    const user = await client().getUser('ou_1');
    assert.equal(user.name, 'An');
    assert.equal(tokens.count, 2);
    assert.deepEqual(
      seen.filter((r) => r.path !== TOKEN_PATH).map((r) => r.auth),
      ['Bearer t-1', 'Bearer t-2'],
    );
  });

  it('concurrent rejections of the same token cause one refetch, not one each', async () => {
    const tokens = tokenIssuer({ delayMs: 20 });
    handler = (r) => {
      if (r.path === TOKEN_PATH) return tokens.reply();
      if (r.auth === 'Bearer t-1') return { status: 400, body: { code: 99991663, msg: 'invalid' } };
      return ok({ user: {} });
    };
    const c = client();
    await Promise.all(Array.from({ length: 5 }, (_, i) => c.getUser(`ou_${i}`)));
    assert.equal(tokens.count, 2);
  });

  it('retries only once: a second 99991663 becomes a non-retryable LarkTokenInvalid', async () => {
    const tokens = tokenIssuer();
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : { status: 400, body: { code: 99991663, msg: 'invalid' } });
    const err = await rejection(client().getUser('ou_1'));
    assert.ok(err instanceof LarkApiError);
    assert.equal(seen.filter((r) => r.path !== TOKEN_PATH).length, 2);
    assert.equal(tokens.count, 2);
    const f = larkFailureOf(err);
    assert.equal(f.type, LarkFailureType.TokenInvalid);
    assert.equal(f.nonRetryable, true);
  });

  it('bad app credentials fail with LarkTokenInvalid and never echo the secret', async () => {
    handler = (r) => (r.path === TOKEN_PATH ? { status: 400, body: { code: 10014, msg: 'app secret invalid: secret-value-xyz' } } : ok());
    const err = await rejection(client().getUser('ou_1'));
    const f = larkFailureOf(err);
    assert.equal(f.type, LarkFailureType.TokenInvalid);
    assert.ok(!JSON.stringify([f.message, f.details, (err as Error).message]).includes('secret-value-xyz'));
  });
});

describe("errors carry Lark's logid and rate-limit reset", () => {
  it('keeps X-Tt-Logid on an error', async () => {
    const tokens = tokenIssuer();
    handler = (r) =>
      r.path === TOKEN_PATH
        ? tokens.reply()
        : { status: 400, headers: { 'X-Tt-Logid': '202611221500ABCDEF' }, body: { code: 230002, msg: 'Bot is not in the chat' } };
    const err = await rejection(client().sendMessage('chat_id', 'oc_1', { msgType: 'text', content: { text: 'hi' }, uuid: messageUuid('om_1', 'a') }));
    assert.ok(err instanceof LarkApiError);
    assert.equal(err.logId, '202611221500ABCDEF');
    assert.equal(err.code, 230002);
    const f = larkFailureOf(err);
    assert.equal(f.type, LarkFailureType.InvalidInput);
    assert.equal((f.details?.[0] as { logId?: string }).logId, '202611221500ABCDEF');
    assert.ok(!f.message.includes('t-1'));
  });

  it("falls back to the body's error.log_id and reads permission_violations", async () => {
    const tokens = tokenIssuer();
    handler = (r) =>
      r.path === TOKEN_PATH
        ? tokens.reply()
        : {
            status: 400,
            body: {
              code: 99991672,
              msg: 'Access denied. One of the following scopes is required: [calendar:calendar].',
              error: { log_id: 'body-log-1', permission_violations: [{ type: 'action_scope_required', subject: 'calendar:calendar' }] },
            },
          };
    const err = await rejection(client().primaryCalendar());
    const f = larkFailureOf(err);
    assert.equal(f.type, LarkFailureType.PermissionDenied);
    assert.deepEqual((f.details?.[0] as { scopes?: string[] }).scopes, ['calendar:calendar']);
    assert.equal((f.details?.[0] as { logId?: string }).logId, 'body-log-1');
    assert.equal(tokens.count, 1); // a permission problem is not a token problem: no refetch
  });

  it('turns HTTP 429 + x-ogw-ratelimit-reset into nextRetryDelay', async () => {
    const tokens = tokenIssuer();
    handler = (r) =>
      r.path === TOKEN_PATH
        ? tokens.reply()
        : {
            status: 429,
            headers: { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': '3' },
            body: { code: 99991400, msg: 'request trigger frequency limit' },
          };
    const f = larkFailureOf(await rejection(client().getUser('ou_1')));
    assert.equal(f.type, LarkFailureType.RateLimited);
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, 3000);
  });

  it('treats a non-JSON 502 as LarkUnavailable', async () => {
    const tokens = tokenIssuer();
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : { status: 502, body: '<html>Bad Gateway</html>' });
    const f = larkFailureOf(await rejection(client().getUser('ou_1')));
    assert.equal(f.type, LarkFailureType.Unavailable);
    assert.equal(f.nonRetryable, false);
  });
});

describe('timeouts and cancellation', () => {
  it('times out a slow request as a retryable LarkUnavailable', async () => {
    const tokens = tokenIssuer();
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : { ...ok({ user: {} }), delayMs: 1000 });
    const started = Date.now();
    const err = await rejection(client({ timeoutMs: 100 }).getUser('ou_1'));
    assert.ok(Date.now() - started < 900, 'did not wait for the slow answer');
    assert.ok(err instanceof LarkTransportError);
    assert.equal(err.kind, 'timeout');
    assert.equal(larkFailureOf(err).type, LarkFailureType.Unavailable);
  });

  it("aborts with the caller's reason when the caller's signal fires", async () => {
    const tokens = tokenIssuer();
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : { ...ok({ user: {} }), delayMs: 1000 });
    const ac = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => ac.abort(reason), 50);
    const err = await rejection(client().getUser('ou_1', { signal: ac.signal }));
    assert.equal(err, reason);
  });
});

describe('user tokens', () => {
  function provider(tokens: { current: string; next: string }) {
    const calls = { get: 0, refresh: [] as Array<[string, string]> };
    const p: UserTokenProvider = {
      async getAccessToken() {
        calls.get++;
        return tokens.current;
      },
      async refreshAfterInvalid(openId, rejected) {
        calls.refresh.push([openId, rejected]);
        tokens.current = tokens.next;
        return tokens.current;
      },
    };
    return { p, calls };
  }

  it('refreshes through the provider and retries once on 99991677', async () => {
    const { p, calls } = provider({ current: 'u-old', next: 'u-new' });
    handler = (r) =>
      r.auth === 'Bearer u-old'
        ? { status: 400, body: { code: 99991677, msg: 'token expired' } }
        : ok({ items: [{ guid: 'g1', summary: 'Do it' }], has_more: false });
    const page = await client({ userTokens: p }).listTasks('ou_me');
    assert.deepEqual(
      page.items.map((t) => t.guid),
      ['g1'],
    );
    assert.deepEqual(calls.refresh, [['ou_me', 'u-old']]);
    assert.deepEqual(
      seen.map((r) => r.auth),
      ['Bearer u-old', 'Bearer u-new'],
    );
    assert.equal(tokenCalls().length, 0); // user calls never need the tenant token
  });

  it('also refreshes on 99991668 and on the seed\'s 99991672 "token expired"', async () => {
    for (const [code, msg] of [
      [99991668, 'user access token invalid'],
      [99991672, 'Token expired'],
    ] as const) {
      seen = [];
      const { p, calls } = provider({ current: 'u-old', next: 'u-new' });
      handler = (r) => (r.auth === 'Bearer u-old' ? { status: 400, body: { code, msg } } : ok({ users: [{ open_id: 'ou_x' }] }));
      const page = await client({ userTokens: p }).searchUsers('ou_me', 'An');
      assert.equal(page.items[0]!.open_id, 'ou_x');
      assert.equal(calls.refresh.length, 1, `code ${code}`);
      assert.equal(seen[0]!.query.get('query'), 'An');
    }
  });

  it('gives up after one refresh with a non-retryable LarkTokenInvalid naming the user', async () => {
    const { p, calls } = provider({ current: 'u-old', next: 'u-also-bad' });
    handler = () => ({ status: 400, body: { code: 99991677, msg: 'token expired' } });
    const err = await rejection(client({ userTokens: p }).listTasks('ou_me'));
    assert.equal(calls.refresh.length, 1);
    assert.equal(seen.length, 2);
    const f = larkFailureOf(err);
    assert.equal(f.type, LarkFailureType.TokenInvalid);
    assert.equal(f.nonRetryable, true);
    assert.equal((f.details?.[0] as { openId?: string; tokenKind?: string }).openId, 'ou_me');
    assert.equal((f.details?.[0] as { tokenKind?: string }).tokenKind, 'user');
    assert.ok(!JSON.stringify([f.message, f.details]).includes('u-also-bad'));
  });

  it('refuses a user call without a provider, before any request', async () => {
    const err = await rejection(client().listTasks('ou_me'));
    assert.ok(err instanceof LarkRequestInvalid);
    assert.equal(seen.length, 0);
  });
});

describe('messaging', () => {
  it('messageUuid is deterministic, <= 50 chars, and differs per part', () => {
    const a = messageUuid('om_abc', 'final-answer');
    assert.equal(a, messageUuid('om_abc', 'final-answer'));
    assert.ok(a.length <= 50);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a, messageUuid('om_abc', 'progress'));
    assert.notEqual(messageUuid('a', 'bc'), messageUuid('ab', 'c'));
    assert.ok(messageUuid('om_' + 'x'.repeat(500), 1).length <= 50);
  });

  it("sends a reply in Lark's wire format with the uuid", async () => {
    const tokens = tokenIssuer();
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : ok({ message_id: 'om_reply', msg_type: 'text' }));
    const uuid = messageUuid('om_src', 'answer');
    const msg = await client().replyMessage('om_src', { msgType: 'text', content: { text: 'Xin chào' }, replyInThread: true, uuid });
    assert.equal(msg.message_id, 'om_reply');
    const req = apiCalls('/open-apis/im/v1/messages/om_src/reply')[0]!;
    assert.equal(req.method, 'POST');
    assert.deepEqual(req.body, { content: '{"text":"Xin chào"}', msg_type: 'text', reply_in_thread: true, uuid });
  });

  it('sends with receive_id_type in the query, and patches cards', async () => {
    const tokens = tokenIssuer();
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : ok({ message_id: 'om_new' }));
    const c = client();
    await c.sendMessage('open_id', 'ou_1', { msgType: 'interactive', content: '{"elements":[]}', uuid: 'u1' });
    const send = apiCalls('/open-apis/im/v1/messages')[0]!;
    assert.equal(send.query.get('receive_id_type'), 'open_id');
    assert.deepEqual(send.body, { receive_id: 'ou_1', msg_type: 'interactive', content: '{"elements":[]}', uuid: 'u1' });
    await c.updateCard('om_new', { elements: [{ tag: 'markdown', content: 'done' }] });
    const patch = apiCalls('/open-apis/im/v1/messages/om_new')[0]!;
    assert.equal(patch.method, 'PATCH');
    assert.equal(patch.body.content, '{"elements":[{"tag":"markdown","content":"done"}]}');
  });

  it('refuses a uuid over 50 characters before sending', async () => {
    const err = await rejection(client().replyMessage('om_src', { msgType: 'text', content: { text: 'x' }, uuid: 'x'.repeat(51) }));
    assert.ok(err instanceof LarkRequestInvalid);
    assert.equal(seen.length, 0);
    assert.equal(larkFailureOf(err).type, LarkFailureType.InvalidInput);
  });
});

describe('calendar and task wire format', () => {
  it('finds the primary calendar by POST and never puts "primary" in a path', async () => {
    const tokens = tokenIssuer();
    handler = (r) =>
      r.path === TOKEN_PATH ? tokens.reply() : ok({ calendars: [{ calendar: { calendar_id: 'feishu.cn_abc@group.calendar.feishu.cn', type: 'primary' } }] });
    const c = client();
    const cal = await c.primaryCalendar();
    assert.equal(cal.calendar_id, 'feishu.cn_abc@group.calendar.feishu.cn');
    assert.equal(apiCalls('/open-apis/calendar/v4/calendars/primary')[0]!.method, 'POST');
    const err = await rejection(c.listEvents('primary', '1795334400', '1795338000'));
    assert.ok(err instanceof LarkRequestInvalid);
    assert.equal(seen.filter((r) => r.path.includes('/events')).length, 0);
  });

  it('creates an event with seconds strings and an idempotency_key', async () => {
    const tokens = tokenIssuer();
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : ok({ event: { event_id: 'ev_1' } }));
    const calId = 'cal_1@group';
    const ev = await client().createEvent(
      calId,
      {
        summary: 'Sync',
        start: { timestampSec: '1795334400', timezone: 'Asia/Ho_Chi_Minh' },
        end: { timestampSec: '1795338000', timezone: 'Asia/Ho_Chi_Minh' },
        reminderMinutes: [10],
      },
      'idem-1',
    );
    assert.equal(ev.event_id, 'ev_1');
    const req = apiCalls(`/open-apis/calendar/v4/calendars/${encodeURIComponent(calId)}/events`)[0]!;
    assert.equal(req.query.get('idempotency_key'), 'idem-1');
    assert.deepEqual(req.body, {
      summary: 'Sync',
      start_time: { timestamp: '1795334400', timezone: 'Asia/Ho_Chi_Minh' },
      end_time: { timestamp: '1795338000', timezone: 'Asia/Ho_Chi_Minh' },
      reminders: [{ minutes: 10 }],
    });
  });

  it('refuses milliseconds where Calendar wants seconds, and seconds where Task wants milliseconds', async () => {
    const c = client();
    assert.ok((await rejection(c.listEvents('cal_1', '1795334400000', '1795338000000'))) instanceof LarkRequestInvalid);
    assert.ok((await rejection(c.createTask({ summary: 'x', dueMs: '1795334400', clientToken: 'ct' }))) instanceof LarkRequestInvalid);
    assert.equal(seen.length, 0);
  });

  it('creates a task with milliseconds, assignees and client_token', async () => {
    const tokens = tokenIssuer();
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : ok({ task: { guid: 'g-1' } }));
    await client().createTask({ summary: 'Report', dueMs: 1795334400000, assigneeOpenIds: ['ou_a'], clientToken: 'ct-1' });
    const req = apiCalls('/open-apis/task/v2/tasks')[0]!;
    assert.deepEqual(req.body, {
      summary: 'Report',
      due: { timestamp: '1795334400000', is_all_day: false },
      members: [{ id: 'ou_a', type: 'user', role: 'assignee' }],
      client_token: 'ct-1',
    });
    assert.equal(req.query.get('user_id_type'), 'open_id');
  });

  it('completes a task by PATCH completed_at, falling back to POST /complete on 404', async () => {
    const tokens = tokenIssuer();
    let patchRoute = true;
    handler = (r) => {
      if (r.path === TOKEN_PATH) return tokens.reply();
      if (r.method === 'PATCH')
        return patchRoute ? ok({ task: { guid: 'g-1', completed_at: r.body.task.completed_at } }) : { status: 404, body: '404 page not found' };
      if (r.path === '/open-apis/task/v2/tasks/g-1/complete') return ok({ task: { guid: 'g-1', completed_at: '1' } });
      return { status: 404, body: { code: 404, msg: 'not found' } };
    };
    const c = client();
    const official = await c.completeTask('g-1', 1795334400000);
    assert.equal(official?.completed_at, '1795334400000');
    assert.deepEqual(apiCalls('/open-apis/task/v2/tasks/g-1')[0]!.body, {
      task: { completed_at: '1795334400000' },
      update_fields: ['completed_at'],
    });
    assert.equal(apiCalls('/open-apis/task/v2/tasks/g-1/complete').length, 0);

    patchRoute = false;
    const viaSeed = await c.completeTask('g-1', 1795334400000);
    assert.equal(viaSeed?.guid, 'g-1');
    assert.equal(apiCalls('/open-apis/task/v2/tasks/g-1/complete').length, 1);
  });

  it('does not fall back when PATCH fails for another reason', async () => {
    const tokens = tokenIssuer();
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : { status: 400, body: { code: 230001, msg: 'invalid task id' } });
    const f = larkFailureOf(await rejection(client().completeTask('g-x', 1795334400000)));
    assert.equal(f.type, LarkFailureType.InvalidInput);
    assert.match(f.message, /task id/i);
    assert.equal(apiCalls('/open-apis/task/v2/tasks/g-x/complete').length, 0);
  });
});

describe('Base', () => {
  const path = '/open-apis/bitable/v1/apps/app_1/tables/tbl_1/records/batch_create';

  function baseHandler(delayMs = 0): Handler {
    const tokens = tokenIssuer();
    let id = 0;
    return (r) => {
      if (r.path === TOKEN_PATH) return tokens.reply();
      return {
        delayMs,
        body: { code: 0, msg: 'ok', data: { records: r.body.records.map((rec: { fields: unknown }) => ({ record_id: `rec${++id}`, fields: rec.fields })) } },
      };
    };
  }

  it(`splits into chunks of at most ${BASE_BATCH_LIMIT}, each with its own deterministic client_token`, async () => {
    handler = baseHandler();
    const records = Array.from({ length: 1201 }, (_, i) => ({ Name: `row ${i}`, Count: i }));
    const progress: Array<[number, number]> = [];
    const created = await client().batchCreateRecords('app_1', 'tbl_1', records, 'log-om_1-3', {
      onChunk: (done, total) => progress.push([done, total]),
    });
    const calls = apiCalls(path);
    assert.deepEqual(
      calls.map((r) => r.body.records.length),
      [500, 500, 201],
    );
    assert.deepEqual(calls[2]!.body.records.at(-1), { fields: { Name: 'row 1200', Count: 1200 } });
    assert.equal(created.length, 1201);
    assert.deepEqual(progress, [
      [500, 1201],
      [1000, 1201],
      [1201, 1201],
    ]);
    const tokens = calls.map((r) => r.query.get('client_token'));
    assert.equal(new Set(tokens).size, 3);

    seen = [];
    await client().batchCreateRecords('app_1', 'tbl_1', records, 'log-om_1-3');
    assert.deepEqual(
      apiCalls(path).map((r) => r.query.get('client_token')),
      tokens,
    );
  });

  it('writes one table at a time, different tables in parallel', async () => {
    handler = baseHandler(40);
    const c = client();
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));
    await Promise.all([
      c.batchCreateRecords('app_1', 'tbl_1', rows(600), 'a'),
      c.batchCreateRecords('app_1', 'tbl_1', rows(10), 'b'),
      c.batchCreateRecords('app_1', 'tbl_1', rows(10), 'c'),
    ]);
    assert.equal(apiCalls(path).length, 4);
    assert.equal(maxInFlight.get(path), 1);
    // The first batch's two chunks were not interleaved with the others.
    assert.deepEqual(
      apiCalls(path).map((r) => r.body.records.length),
      [500, 100, 10, 10],
    );

    seen = [];
    maxInFlightTotal = 0;
    await Promise.all([c.batchCreateRecords('app_1', 'tbl_1', rows(5), 'd'), c.batchCreateRecords('app_1', 'tbl_2', rows(5), 'e')]);
    assert.equal(maxInFlightTotal, 2);
  });

  it('keeps the table usable after a failed batch', async () => {
    const good = baseHandler();
    let fail = true;
    handler = (r) => (r.path === path && fail ? { body: { code: 1254291, msg: 'Write conflict' } } : good(r));
    const c = client();
    const f = larkFailureOf(await rejection(c.batchCreateRecords('app_1', 'tbl_1', [{ a: 1 }], 'x')));
    assert.equal(f.type, LarkFailureType.WriteConflict);
    assert.equal(f.nonRetryable, false);
    fail = false;
    assert.equal((await c.batchCreateRecords('app_1', 'tbl_1', [{ a: 1 }], 'x')).length, 1);
  });
});

describe('contact', () => {
  it('looks up ids by e-mail in batches of 50 with the tenant token', async () => {
    const tokens = tokenIssuer();
    handler = (r) => (r.path === TOKEN_PATH ? tokens.reply() : ok({ user_list: (r.body.emails ?? []).map((e: string) => ({ email: e, user_id: `ou_${e}` })) }));
    const emails = Array.from({ length: 120 }, (_, i) => `p${i}@x.test`);
    const out = await client().batchGetIdByEmailOrMobile({ emails });
    assert.equal(out.length, 120);
    const calls = apiCalls('/open-apis/contact/v3/users/batch_get_id');
    assert.deepEqual(
      calls.map((r) => r.body.emails.length),
      [50, 50, 20],
    );
    assert.ok(calls.every((r) => r.auth === 'Bearer t-1' && r.query.get('user_id_type') === 'open_id'));
  });

  it('acts as a user when asked', async () => {
    const p: UserTokenProvider = { getAccessToken: async () => 'u-tok', refreshAfterInvalid: async () => 'u-tok2' };
    handler = () => ok({ user: { open_id: 'ou_2' } });
    await client({ userTokens: p }).getUser('ou_2', { as: asUser('ou_1') });
    assert.equal(seen[0]!.auth, 'Bearer u-tok');
  });
});
