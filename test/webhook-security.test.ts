/**
 * The webhook's security: no padding or JSON oracle on unsigned bodies, card callbacks (v2 and legacy)
 * verified before anything acts on them, the start-up refusal without Lark secrets, /metrics for loopback
 * clients only without a token. Real Koa servers, real Temporal dev server and PostgreSQL; the card handler
 * is a recorder standing where the signal to the user's workflow would go.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../src/config';
import { builders, startLarkEmulator, type LarkEmulator } from '../dev/emulator';
import { decryptLarkPayloadQuietly, encryptLarkPayload, signLegacyCardRequest } from '../src/lark/crypto';
import type { LarkCardActionEvent } from '../src/lark/event-types';
import { createLogger } from '../src/logger';
import { startMetricsServer } from '../src/metrics-server';
import { createWebhookApp } from '../src/webhook/app';
import { ReplayGuard } from '../src/webhook/replay-guard';
import { startWebhook, type RunningWebhook } from '../src/webhook/start';
import { freshDatabase, temporalTestEnv, uniqueId } from './support/env';
import { encryptedRequest, plainRequest, post, signedRaw, v2MessageEvent, type WireRequest } from './support/lark-requests';

const KEY = 'sec-encrypt-key-' + randomBytes(6).toString('hex');
const TOKEN = 'sec-verification-token';
const root = path.resolve(__dirname, '..');
const quiet = createLogger('silent', 'test');

let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let secure: RunningWebhook;
const taskQueue = uniqueId('sec');

before(async () => {
  env = await temporalTestEnv();
  db = await freshDatabase();
  secure = await startWebhook(
    loadConfig({ PORT: '0', HOST: '127.0.0.1', TEMPORAL_TASK_QUEUE: taskQueue, LARK_ENCRYPT_KEY: KEY, LARK_VERIFICATION_TOKEN: TOKEN }),
    env.client,
    db.pool,
    quiet,
  );
});

after(async () => {
  await secure?.close();
  await db?.drop();
  await env?.teardown();
});

const unsigned = (encrypt: string): WireRequest => ({ body: Buffer.from(JSON.stringify({ encrypt })), headers: { 'content-type': 'application/json' } });

/** What an attacker sends to learn one plaintext byte: IV' || C, and whether the padding came out valid. */
function probes(validPadding: boolean, n: number): string[] {
  const out: string[] = [];
  const target = randomBytes(16);
  while (out.length < n) {
    const b64 = Buffer.concat([randomBytes(16), target]).toString('base64');
    if (decryptLarkPayloadQuietly(KEY, b64).ok === validPadding) out.push(b64);
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function timed(url: string, req: WireRequest): Promise<{ ms: number; answer: string }> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, { method: 'POST', body: req.body, headers: req.headers });
  const text = await res.text();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, answer: `${res.status} ${text}` };
}

describe('no padding or JSON oracle on unsigned bodies', () => {
  test('good and bad padding get the same answer, with no measurable timing difference over 1,000 tries', async (t) => {
    const url = `${secure.url}/webhook/event`;
    const good = probes(true, 25);
    const bad = probes(false, 25);
    const answers = new Set<string>();
    const goodMs: number[] = [];
    const badMs: number[] = [];
    for (let i = 0; i < 50; i++) await timed(url, unsigned(good[i % 25]!)); // warm-up
    for (let i = 0; i < 1000; i++) {
      // Interleaved, order alternating: drift on a shared machine hits both sides alike.
      const pair = i % 2 === 0 ? [true, false] : [false, true];
      for (const isGood of pair) {
        const r = await timed(url, unsigned((isGood ? good : bad)[i % 25]!));
        answers.add(r.answer);
        (isGood ? goodMs : badMs).push(r.ms);
      }
    }
    assert.deepEqual([...answers], ['401 {"error":"unauthorized","message":"the request is not a signed Lark callback"}']);
    const [g, b] = [median(goodMs), median(badMs)];
    t.diagnostic(`median ms: good padding ${g.toFixed(3)}, bad padding ${b.toFixed(3)}`);
    // A step that only valid padding reaches (a parse, a lookup, a start) would show here.
    assert.ok(Math.abs(g - b) <= Math.max(0.2, 0.15 * Math.min(g, b)), `medians differ: good ${g} ms, bad ${b} ms`);
  });

  test('every other unsigned body gets that same answer too', async () => {
    const event = encryptLarkPayload(KEY, JSON.stringify(v2MessageEvent({ token: TOKEN })));
    const bodies: WireRequest[] = [
      unsigned(event), // a captured real event, replayed without its headers
      unsigned(encryptLarkPayload(KEY, 'not json')),
      unsigned(encryptLarkPayload(KEY, JSON.stringify({ type: 'url_verification', challenge: 'c', token: 'wrong' }))),
      unsigned(encryptLarkPayload('other-key', JSON.stringify({ type: 'url_verification', challenge: 'c', token: TOKEN }))),
      unsigned('not*base64!'),
      unsigned(Buffer.alloc(40).toString('base64')),
      unsigned(''),
      { body: Buffer.from(JSON.stringify({ encrypt: 42 })), headers: { 'content-type': 'application/json' } },
      { body: Buffer.from('{"encrypt":'), headers: { 'content-type': 'application/json' } },
      { body: Buffer.from('[1,2]'), headers: { 'content-type': 'application/json' } },
      plainRequest(v2MessageEvent({ token: TOKEN })),
      plainRequest({ type: 'url_verification', challenge: 'c', token: 'wrong' }),
    ];
    const answers = new Set<string>();
    for (const route of ['event', 'card']) {
      for (const b of bodies) answers.add((await timed(`${secure.url}/webhook/${route}`, b)).answer);
    }
    assert.deepEqual([...answers], ['401 {"error":"unauthorized","message":"the request is not a signed Lark callback"}']);
  });

  test('a well-formed challenge with the right token is still answered, encrypted or plain', async () => {
    for (const route of ['event', 'card']) {
      const enc = await post(
        `${secure.url}/webhook/${route}`,
        unsigned(encryptLarkPayload(KEY, JSON.stringify({ type: 'url_verification', challenge: `ch-${route}`, token: TOKEN }))),
      );
      assert.deepEqual([enc.status, enc.json], [200, { challenge: `ch-${route}` }]);
      const plain = await post(`${secure.url}/webhook/${route}`, plainRequest({ challenge: `p-${route}`, token: TOKEN }));
      assert.deepEqual([plain.status, plain.json], [200, { challenge: `p-${route}` }]);
    }
  });
});

describe('card callbacks', () => {
  const clicks: LarkCardActionEvent[] = [];
  let secureCard: string;
  let plainCard: string;
  let emu: LarkEmulator;
  const servers: http.Server[] = [];
  const logs: string[] = [];
  const log = createLogger(
    'info',
    'card',
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const h = { appId: 'cli_sec', tenantKey: 'tenant-sec', token: TOKEN };
  const value = { kind: 'confirm', key: 'k-1', decision: 'confirm', owner: 'ou_lan' };
  const card = (openId: string) => builders.cardActionTrigger(h, { operator: { openId }, action: { value }, openMessageId: 'om_card', openChatId: 'oc_chat' });
  const legacy = (openId: string) => builders.cardActionLegacy(h, { operator: { openId }, action: { value }, openMessageId: 'om_card', openChatId: 'oc_chat' });
  const legacyRequest = (body: unknown, token = TOKEN, nowMs?: number): WireRequest => {
    const raw = Buffer.from(JSON.stringify(body));
    return { body: raw, headers: { 'content-type': 'application/json', ...signLegacyCardRequest(raw, token, nowMs) } };
  };

  async function cardApp(encryptKey?: string): Promise<string> {
    const app = createWebhookApp({
      verify: { encryptKey, verificationToken: TOKEN, timestampToleranceSeconds: 300, replay: new ReplayGuard() },
      onCardAction: async (e) => {
        clicks.push(e);
        return { toast: 'recorded' };
      },
      maxBodyBytes: 1 << 20,
      starter: { start: async () => assert.fail('a card callback must never start a workflow') },
      health: [],
      log,
    });
    const server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/card`;
  }

  before(async () => {
    secureCard = await cardApp(KEY);
    plainCard = await cardApp(undefined);
    emu = await startLarkEmulator({ webhook: { url: secureCard, encryptKey: KEY, verificationToken: TOKEN } });
  });
  after(async () => {
    await emu?.stop();
    for (const s of servers) s.close();
  });

  async function refused(url: string, req: WireRequest, status: number, reason: string) {
    const before = clicks.length;
    const res = await post(url, req);
    assert.deepEqual([res.status, res.json.error], [status, reason], JSON.stringify(res.json));
    assert.equal(clicks.length, before, 'nothing may reach the card handler');
  }

  test('a signed, encrypted card.action.trigger reaches the handler, normalized', async () => {
    const res = await post(secureCard, encryptedRequest(card('ou_lan'), KEY));
    assert.deepEqual([res.status, res.json], [200, { toast: { type: 'info', content: 'recorded' } }]);
    const e = clicks.at(-1)!;
    assert.deepEqual(
      [e.kind, e.schema, e.eventType, e.openId, e.messageId, e.value],
      ['card_action', '2.0', 'card.action.trigger', 'ou_lan', 'om_card', value],
    );
  });

  test('the legacy card callback, sha1-signed with the verification token, becomes the same card_action', async () => {
    const req = legacyRequest(legacy('ou_lan'));
    const res = await post(secureCard, req);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const e = clicks.at(-1)!;
    assert.deepEqual(
      [e.kind, e.schema, e.eventType, e.openId, e.messageId, e.value],
      ['card_action', '1.0', 'card.action.trigger_v1', 'ou_lan', 'om_card', value],
    );
    assert.equal(e.eventId, `card-v1-${createHash('sha256').update(req.body).digest('hex').slice(0, 32)}`);
    // Also without an Encrypt Key (the signature needs only the verification token).
    assert.equal((await post(plainCard, legacyRequest(legacy('ou_minh')))).status, 200);
    assert.equal(clicks.at(-1)!.openId, 'ou_minh');
  });

  test('the emulator sends both schemas the way the webhook verifies them', async () => {
    const before = clicks.length;
    for (const payload of [
      emu.events.cardAction({ from: 'lan', messageId: 'om_e', value }),
      emu.events.cardActionLegacy({ from: 'lan', messageId: 'om_e', value }),
    ]) {
      const attempt = await emu.sendEvent(secureCard, payload).done;
      assert.equal(attempt.status, 200, attempt.responseText);
    }
    assert.deepEqual(
      clicks.slice(before).map((e) => [e.schema, e.openId, e.messageId]),
      [
        ['2.0', emu.user('lan').open_id, 'om_e'],
        ['1.0', emu.user('lan').open_id, 'om_e'],
      ],
    );
  });

  test('forged: a legacy callback with a made-up or wrongly keyed signature', async () => {
    const body = Buffer.from(JSON.stringify(legacy('ou_lan')));
    const ts = String(Math.floor(Date.now() / 1000));
    await refused(
      secureCard,
      {
        body,
        headers: { 'content-type': 'application/json', 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': 'n', 'x-lark-signature': 'b'.repeat(40) },
      },
      401,
      'bad_signature',
    );
    await refused(secureCard, legacyRequest(legacy('ou_lan'), KEY), 401, 'bad_signature'); // signed with the Encrypt Key
    await refused(plainCard, legacyRequest(legacy('ou_lan'), 'another-token'), 401, 'bad_signature');
    await refused(secureCard, { body, headers: { 'content-type': 'application/json', 'x-lark-signature': 'b'.repeat(40) } }, 401, 'missing_signature');
  });

  test('forged: a v2 callback with a bad signature, or a message event sent to the card URL', async () => {
    const r = encryptedRequest(card('ou_lan'), KEY);
    await refused(secureCard, { body: r.body, headers: { ...r.headers, 'x-lark-signature': 'f'.repeat(64) } }, 401, 'bad_signature');
    await refused(secureCard, encryptedRequest(v2MessageEvent({ token: TOKEN }), KEY), 400, 'not_a_card_action');
    assert.ok(
      logs.some((l) => l.includes('card callback URL got a non-card event')),
      'the misconfiguration is logged',
    );
  });

  test('unsigned: either schema without a signature gets the generic 401', async () => {
    await refused(secureCard, plainRequest(legacy('ou_lan')), 401, 'unauthorized');
    await refused(secureCard, encryptedRequest(card('ou_lan'), KEY, { sign: false }), 401, 'unauthorized');
    // Without an Encrypt Key nothing is signed: a body is authenticated by its verification token only.
    await refused(
      plainCard,
      plainRequest(
        builders.cardActionTrigger({ ...h, token: 'wrong' }, { operator: { openId: 'ou_lan' }, action: { value }, openMessageId: 'om_card', openChatId: 'oc' }),
      ),
      401,
      'bad_token',
    );
    await refused(plainCard, plainRequest(legacy('ou_lan')), 400, 'unknown_schema');
  });

  test('replayed: the same signed callback twice, or an old one', async () => {
    for (const req of [legacyRequest(legacy('ou_lan')), encryptedRequest(card('ou_lan'), KEY)]) {
      assert.equal((await post(secureCard, req)).status, 200);
      await refused(secureCard, req, 401, 'replayed');
    }
    await refused(secureCard, legacyRequest(legacy('ou_lan'), TOKEN, Date.now() - 10 * 60_000), 401, 'stale_timestamp');
    await refused(secureCard, encryptedRequest(card('ou_lan'), KEY, { nowMs: Date.now() - 10 * 60_000 }), 401, 'stale_timestamp');
  });

  test("cross-user: Minh's signed click rewritten to look like Lan's is refused", async () => {
    const minhs = legacyRequest(legacy('ou_minh'));
    const asLan = Buffer.from(minhs.body.toString().replace('ou_minh', 'ou_lan'));
    await refused(secureCard, { body: asLan, headers: minhs.headers }, 401, 'bad_signature');
    const v2 = encryptedRequest(card('ou_minh'), KEY);
    const swapped = encryptedRequest(card('ou_lan'), KEY);
    await refused(secureCard, { body: swapped.body, headers: v2.headers }, 401, 'bad_signature');
  });
});

describe('start-up refusal without the Lark secrets', () => {
  function run(entry: string, vars: Record<string, string>, until?: RegExp): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', entry], {
        cwd: root,
        env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...vars },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        if (until?.test(out)) child.kill('SIGTERM');
      });
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
    });
  }
  const app = {
    LARK_APP_ID: 'cli_refuse',
    LARK_APP_SECRET: 'app-secret',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    OAUTH_STATE_SECRET: 'state-secret-0123456789',
  };

  test('the worker and the webhook exit 1 with one line naming both variables', async () => {
    for (const entry of ['src/worker.ts', 'src/webhook/server.ts']) {
      // (Unset, an app without the secrets takes its events over the long connection, which needs neither.)
      const r = await run(entry, { ...app, LARK_EVENT_MODE: 'webhook' });
      assert.equal(r.code, 1, `${entry}: ${r.err}`);
      const lines = r.err.trim().split('\n');
      assert.equal(lines.length, 1, `${entry} printed: ${r.err}`);
      assert.match(lines[0]!, /^Refusing to start: LARK_VERIFICATION_TOKEN and LARK_ENCRYPT_KEY must be set/);
    }
  });

  test('LARK_ALLOW_UNENCRYPTED=true still requires the verification token', async () => {
    const r = await run('src/worker.ts', { ...app, LARK_EVENT_MODE: 'webhook', LARK_ALLOW_UNENCRYPTED: 'true' });
    assert.equal(r.code, 1);
    assert.match(r.err.trim(), /^Refusing to start: LARK_VERIFICATION_TOKEN must be set[^\n]*$/);
    assert.doesNotMatch(r.err, /LARK_ENCRYPT_KEY must/);
  });

  test('with LARK_ALLOW_UNENCRYPTED=true and the token, the webhook starts and says so loudly', async () => {
    const r = await run(
      'src/webhook/server.ts',
      // (Payload encryption is a separate matter: a key, as a deployment has one.)
      {
        LARK_VERIFICATION_TOKEN: TOKEN,
        LARK_ALLOW_UNENCRYPTED: 'true',
        PORT: '0',
        HOST: '127.0.0.1',
        TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
        DATABASE_URL: db.url,
        PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      },
      /webhook listening/,
    );
    assert.match(r.out, /LARK_ALLOW_UNENCRYPTED=true: events are NOT signed or encrypted/);
    assert.match(r.out, /webhook listening/);
    assert.ok(!r.out.includes(TOKEN), 'the token is never logged');
  });
});

describe('/metrics without METRICS_AUTH_TOKEN: loopback clients only', () => {
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  test('the webhook port', async (t) => {
    const hook = await startWebhook(loadConfig({ PORT: '0', HOST: '0.0.0.0' }), env.client, db.pool, quiet);
    try {
      const port = new URL(hook.url).port;
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
      const viaProxy = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      assert.deepEqual([viaProxy.status, ((await viaProxy.json()) as { error: string }).error], [403, 'metrics_local_only']);
      if (!external) return t.skip('no non-loopback interface on this machine');
      assert.equal((await fetch(`http://${external}:${port}/metrics`)).status, 403, `from ${external}`);
    } finally {
      await hook.close();
    }
  });

  test("a worker's metrics server", async (t) => {
    const server = await startMetricsServer(0, '0.0.0.0');
    try {
      const port = new URL(server.url).port;
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
      if (!external) return t.skip('no non-loopback interface on this machine');
      assert.equal((await fetch(`http://${external}:${port}/metrics`)).status, 403);
    } finally {
      await server.close();
    }
  });
});
