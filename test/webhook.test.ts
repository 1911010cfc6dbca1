/**
 * The intake end to end: real Koa server, real Temporal dev server and worker, real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { createPool } from '../src/db/pool';
import { encryptLarkPayload } from '../src/lark/crypto';
import { createLogger } from '../src/logger';
import { createTemporalClient } from '../src/temporal/client';
import { freePort } from '../src/temporal/dev-server';
import { createAgentWorker } from '../src/temporal/worker';
import { startWebhook, type RunningWebhook } from '../src/webhook/start';
import { eventWorkflowId, userWorkflowId, userStateQuery } from '../workflows/contract';
import { freshDatabase, temporalTestEnv, uniqueId, workflowBundle } from './support/env';
import { encryptedRequest, plainRequest, post, signedRaw, v1MessageEvent, v2MessageEvent, type WireRequest } from './support/lark-requests';

const ENCRYPT_KEY = 'test-encrypt-key-0123456789';
const TOKEN = 'verification-token';

let env: TestWorkflowEnvironment;
let client: Client;
let worker: Worker;
let workerRun: Promise<void>;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let secure: RunningWebhook; // Encrypt Key + Verification Token
let plain: RunningWebhook; // no Encrypt Key, token only
const taskQueue = uniqueId('webhook');
const logLines: string[] = [];
const log = createLogger(
  'debug',
  'test',
  new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  }),
);

function configFor(extra: Record<string, string>) {
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', TEMPORAL_TASK_QUEUE: taskQueue, WEBHOOK_START_TIMEOUT_MS: '3000', ...extra });
}

before(async () => {
  env = await temporalTestEnv();
  client = env.client;
  db = await freshDatabase();
  worker = await createAgentWorker({
    connection: env.nativeConnection,
    client,
    namespace: 'default',
    taskQueue,
    config: configFor({}),
    workflowBundle: await workflowBundle(),
  });
  workerRun = worker.run();
  secure = await startWebhook(configFor({ LARK_ENCRYPT_KEY: ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TOKEN }), client, db.pool, log);
  plain = await startWebhook(configFor({ LARK_VERIFICATION_TOKEN: TOKEN }), client, db.pool, log);
});

after(async () => {
  await secure?.close();
  await plain?.close();
  worker?.shutdown();
  await workerRun;
  await db?.drop();
  await env?.teardown();
});

const eventUrl = (w: RunningWebhook) => `${w.url}/webhook/event`;

async function countWorkflows(): Promise<number> {
  return client.workflow.count(`TaskQueue = "${taskQueue}"`).then((r) => r.count);
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function userState(openId: string) {
  return client.workflow.getHandle(userWorkflowId(openId)).query(userStateQuery);
}

describe('url_verification challenge', () => {
  test('plain, with type', async () => {
    const res = await post(eventUrl(plain), plainRequest({ type: 'url_verification', challenge: 'ch-1', token: TOKEN }));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { challenge: 'ch-1' });
  });
  test('plain, callback form without type', async () => {
    const res = await post(`${plain.url}/webhook/card`, plainRequest({ challenge: 'ch-2', token: TOKEN }));
    assert.deepEqual([res.status, res.json], [200, { challenge: 'ch-2' }]);
  });
  test('encrypted, with type, unsigned as Lark sends it', async () => {
    const res = await post(eventUrl(secure), encryptedRequest({ type: 'url_verification', challenge: 'ch-3', token: TOKEN }, ENCRYPT_KEY, { sign: false }));
    assert.deepEqual([res.status, res.json], [200, { challenge: 'ch-3' }]);
  });
  test('encrypted, callback form without type', async () => {
    const res = await post(`${secure.url}/webhook/card`, encryptedRequest({ challenge: 'ch-4', token: TOKEN }, ENCRYPT_KEY, { sign: false }));
    assert.deepEqual([res.status, res.json], [200, { challenge: 'ch-4' }]);
  });
  test('a challenge with the wrong token is refused', async () => {
    const res = await post(eventUrl(plain), plainRequest({ type: 'url_verification', challenge: 'x', token: 'nope' }));
    assert.deepEqual([res.status, res.json.error], [401, 'bad_token']);
  });
});

describe('events start exactly one workflow and reach the per-user workflow', () => {
  test('signed, encrypted v2 message event', async () => {
    const ev = v2MessageEvent({ openId: 'ou_v2user', text: 'tạo cuộc họp 3h chiều mai với Lan' });
    const res = await post(eventUrl(secure), encryptedRequest(ev, ENCRYPT_KEY));
    assert.deepEqual([res.status, res.json.duplicate], [200, false]);
    const handle = client.workflow.getHandle(eventWorkflowId(ev.header.event_id));
    const result = await handle.result();
    assert.deepEqual(result, { outcome: 'routed', userWorkflowId: 'lark-user-ou_v2user', messageId: ev.event.message.message_id });
    const state = await userState('ou_v2user');
    assert.deepEqual(state.recentMessageIds, [ev.event.message.message_id]);
    assert.equal(state.acceptedCount, 1);
    const desc = await handle.describe();
    assert.equal(desc.typedSearchAttributes.get({ name: 'LarkOpenId', type: 'KEYWORD' } as never), 'ou_v2user');
  });

  test('v1 event_callback message event', async () => {
    const ev = v1MessageEvent({ openId: 'ou_v1user', text: 'what is on my calendar Friday?' });
    const res = await post(eventUrl(plain), plainRequest(ev));
    assert.equal(res.status, 200);
    const result = await client.workflow.getHandle(eventWorkflowId(ev.uuid)).result();
    assert.equal(result.outcome, 'routed');
    const state = await userState('ou_v1user');
    assert.deepEqual(state.recentMessageIds, [ev.event.open_message_id]);
  });

  test('the same event delivered 5 times one after another: one workflow, every delivery 200', async () => {
    const ev = v2MessageEvent({ openId: 'ou_seq' });
    const statuses: number[] = [];
    const duplicates: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(eventUrl(secure), encryptedRequest(ev, ENCRYPT_KEY));
      statuses.push(res.status);
      duplicates.push(res.json.duplicate);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
    assert.deepEqual(duplicates, [false, true, true, true, true]);
    const runs = await eventually(
      () => client.workflow.count(`WorkflowId = "${eventWorkflowId(ev.header.event_id)}"`).then((r) => r.count),
      (n) => n >= 1,
    );
    assert.equal(runs, 1);
    await client.workflow.getHandle(eventWorkflowId(ev.header.event_id)).result();
    const state = await userState('ou_seq');
    assert.equal(state.acceptedCount, 1);
  });

  test('the same event delivered 5 times concurrently: one workflow, every delivery 200', async () => {
    const ev = v2MessageEvent({ openId: 'ou_conc' });
    const results = await Promise.all(Array.from({ length: 5 }, () => post(eventUrl(secure), encryptedRequest(ev, ENCRYPT_KEY))));
    assert.deepEqual(
      results.map((r) => r.status),
      [200, 200, 200, 200, 200],
    );
    assert.equal(results.filter((r) => r.json.duplicate === false).length, 1);
    await client.workflow.getHandle(eventWorkflowId(ev.header.event_id)).result();
    const runs = await client.workflow.count(`WorkflowId = "${eventWorkflowId(ev.header.event_id)}"`);
    assert.equal(runs.count, 1);
  });

  test('two events carrying the same message_id: one accepted message', async () => {
    const a = v2MessageEvent({ openId: 'ou_samemsg', messageId: 'om_same_1' });
    const b = v2MessageEvent({ openId: 'ou_samemsg', messageId: 'om_same_1' });
    assert.notEqual(a.header.event_id, b.header.event_id);
    for (const ev of [a, b]) {
      const res = await post(eventUrl(secure), encryptedRequest(ev, ENCRYPT_KEY));
      assert.equal(res.status, 200);
      await client.workflow.getHandle(eventWorkflowId(ev.header.event_id)).result();
    }
    const state = await userState('ou_samemsg');
    assert.deepEqual([state.acceptedCount, state.duplicateCount, state.recentMessageIds], [1, 1, ['om_same_1']]);
  });

  test('a non-message event is recorded and ends as ignored', async () => {
    const ev = {
      schema: '2.0',
      header: { event_id: uniqueId('read'), event_type: 'im.message.message_read_v1', token: TOKEN },
      event: { reader: { reader_id: { open_id: 'ou_x' } } },
    };
    const res = await post(eventUrl(plain), plainRequest(ev));
    assert.equal(res.status, 200);
    const result = await client.workflow.getHandle(eventWorkflowId(ev.header.event_id)).result();
    assert.equal(result.outcome, 'ignored');
  });
});

describe('bad input gets a 4xx with a reason and starts nothing', () => {
  const now = Date.now();
  const validEvent = () => v2MessageEvent({ openId: 'ou_attacker' });
  const withHeaders = (r: WireRequest, h: Record<string, string>): WireRequest => ({ body: r.body, headers: { ...r.headers, ...h } });
  const cases: Array<[string, () => WireRequest, 'secure' | 'plain', number, string]> = [
    [
      'malformed JSON',
      () => plainRequest('x') && { body: Buffer.from('{"schema":'), headers: { 'content-type': 'application/json' } },
      'plain',
      400,
      'malformed_json',
    ],
    ['JSON that is not an object', () => plainRequest([1, 2]), 'plain', 400, 'malformed_json'],
    ['empty body', () => ({ body: Buffer.alloc(0), headers: { 'content-type': 'application/json' } }), 'plain', 400, 'empty_body'],
    [
      'wrong content type',
      () => ({ body: Buffer.from(JSON.stringify(validEvent())), headers: { 'content-type': 'text/plain' } }),
      'plain',
      415,
      'unsupported_content_type',
    ],
    ['body over 1 MB', () => plainRequest({ ...validEvent(), pad: 'x'.repeat(1024 * 1024 + 10) }), 'plain', 413, 'body_too_large'],
    ['encrypted body over 1 MB', () => encryptedRequest({ ...validEvent(), pad: 'x'.repeat(1024 * 1024) }, ENCRYPT_KEY), 'secure', 413, 'body_too_large'],
    [
      'deeply nested JSON',
      () => ({ body: Buffer.from('['.repeat(200_000) + ']'.repeat(200_000)), headers: { 'content-type': 'application/json' } }),
      'plain',
      400,
      'malformed_json',
    ],
    [
      'missing header.event_id',
      () => {
        const e = validEvent() as any;
        delete e.header.event_id;
        return plainRequest(e);
      },
      'plain',
      400,
      'missing_field',
    ],
    [
      'missing sender open_id',
      () => {
        const e = validEvent() as any;
        delete e.event.sender.sender_id.open_id;
        return plainRequest(e);
      },
      'plain',
      400,
      'missing_field',
    ],
    [
      'wrong type for message content',
      () => {
        const e = validEvent() as any;
        e.event.message.content = { text: 'x' };
        return plainRequest(e);
      },
      'plain',
      400,
      'missing_field',
    ],
    [
      'content that is not JSON',
      () => {
        const e = validEvent() as any;
        e.event.message.content = '{text';
        return plainRequest(e);
      },
      'plain',
      400,
      'bad_content',
    ],
    [
      'event id with spaces',
      () => {
        const e = validEvent() as any;
        e.header.event_id = 'a b';
        return plainRequest(e);
      },
      'plain',
      400,
      'invalid_event_id',
    ],
    ['unknown schema', () => plainRequest({ hello: 'world', token: TOKEN }), 'plain', 400, 'unknown_schema'],
    ['wrong verification token (v2 header.token)', () => plainRequest(v2MessageEvent({ token: 'wrong' })), 'plain', 401, 'bad_token'],
    ['wrong verification token (v1 token)', () => plainRequest(v1MessageEvent({ token: 'wrong' })), 'plain', 401, 'bad_token'],
    [
      'missing verification token',
      () => {
        const e = validEvent() as any;
        delete e.header.token;
        return plainRequest(e);
      },
      'plain',
      401,
      'missing_token',
    ],
    ['encrypted body sent to an app without an Encrypt Key', () => encryptedRequest(validEvent(), ENCRYPT_KEY), 'plain', 400, 'encryption_not_configured'],
    // Unsigned with an Encrypt Key: only a challenge is answered; everything else gets the one generic 401.
    ['plain body when an Encrypt Key is set', () => plainRequest(validEvent()), 'secure', 401, 'unauthorized'],
    [
      'signed plain body when an Encrypt Key is set',
      () => signedRaw(Buffer.from(JSON.stringify(validEvent())), ENCRYPT_KEY),
      'secure',
      400,
      'encryption_required',
    ],
    ['bad signature', () => withHeaders(encryptedRequest(validEvent(), ENCRYPT_KEY), { 'x-lark-signature': 'f'.repeat(64) }), 'secure', 401, 'bad_signature'],
    [
      'signature made with another key',
      () => {
        const r = encryptedRequest(validEvent(), ENCRYPT_KEY);
        return withHeaders(r, signedRaw(r.body, 'other-key').headers);
      },
      'secure',
      401,
      'bad_signature',
    ],
    ['stale timestamp (replay)', () => encryptedRequest(validEvent(), ENCRYPT_KEY, { nowMs: now - 10 * 60_000 }), 'secure', 401, 'stale_timestamp'],
    ['timestamp in the future', () => encryptedRequest(validEvent(), ENCRYPT_KEY, { nowMs: now + 10 * 60_000 }), 'secure', 401, 'stale_timestamp'],
    [
      'non-numeric timestamp',
      () => withHeaders(encryptedRequest(validEvent(), ENCRYPT_KEY), { 'x-lark-request-timestamp': 'yesterday' }),
      'secure',
      401,
      'bad_timestamp',
    ],
    ['unsigned event', () => encryptedRequest(validEvent(), ENCRYPT_KEY, { sign: false }), 'secure', 401, 'unauthorized'],
    [
      'timestamp and nonce without a signature',
      () =>
        withHeaders(encryptedRequest(validEvent(), ENCRYPT_KEY, { sign: false }), {
          'x-lark-request-timestamp': String(Math.floor(now / 1000)),
          'x-lark-request-nonce': 'n',
        }),
      'secure',
      401,
      'unauthorized',
    ],
    [
      'signature without timestamp',
      () => {
        const r = encryptedRequest(validEvent(), ENCRYPT_KEY);
        const h = { ...r.headers };
        delete h['x-lark-request-timestamp'];
        return { body: r.body, headers: h };
      },
      'secure',
      401,
      'missing_signature',
    ],
    [
      'a legacy (sha1) signature on the event URL',
      () => withHeaders(encryptedRequest(validEvent(), ENCRYPT_KEY), { 'x-lark-signature': 'a'.repeat(40) }),
      'secure',
      401,
      'bad_signature',
    ],
    ['bad base64', () => signedRaw(Buffer.from(JSON.stringify({ encrypt: 'not*base64!' })), ENCRYPT_KEY), 'secure', 400, 'bad_base64'],
    [
      'ciphertext of a wrong length',
      () => signedRaw(Buffer.from(JSON.stringify({ encrypt: Buffer.alloc(40).toString('base64') })), ENCRYPT_KEY),
      'secure',
      400,
      'bad_ciphertext',
    ],
    ['encrypt field of a wrong type', () => signedRaw(Buffer.from(JSON.stringify({ encrypt: 42 })), ENCRYPT_KEY), 'secure', 400, 'bad_encrypt_field'],
    // A fixed IV and payload keep this deterministic: with this key pair the padding check fails.
    [
      'encrypted with another key (bad padding)',
      () =>
        signedRaw(Buffer.from(JSON.stringify({ encrypt: encryptLarkPayload('another-key', JSON.stringify(validEvent()), Buffer.alloc(16, 7)) })), ENCRYPT_KEY),
      'secure',
      400,
      'bad_padding',
    ],
    [
      'decrypts to something that is not JSON',
      () => signedRaw(Buffer.from(JSON.stringify({ encrypt: encryptLarkPayload(ENCRYPT_KEY, 'not json at all') })), ENCRYPT_KEY),
      'secure',
      400,
      'malformed_json',
    ],
  ];

  for (const [name, build, target, status, reason] of cases) {
    test(name, async () => {
      const before = await countWorkflows();
      const res = await post(eventUrl(target === 'secure' ? secure : plain), build());
      assert.equal(res.status, status, JSON.stringify(res.json));
      assert.equal(res.json.error, reason);
      assert.equal(typeof res.json.message, 'string');
      assert.equal(await countWorkflows(), before, 'no workflow may start');
    });
  }

  test('wrong method and unknown path', async () => {
    assert.equal((await fetch(eventUrl(plain))).status, 405);
    assert.equal((await fetch(`${plain.url}/nope`, { method: 'POST' })).status, 404);
    // Every route of the one route table answers a wrong method with 405 and its reason, the OAuth callback too.
    for (const p of ['/webhook/card', '/webhook/health', '/oauth/callback']) {
      const res = await fetch(`${plain.url}${p}`, { method: p === '/webhook/card' ? 'GET' : 'POST' });
      assert.equal(res.status, 405, p);
      assert.equal(((await res.json()) as { error: string }).error, 'method_not_allowed', p);
    }
  });

  test('no secret reaches the log', () => {
    const all = logLines.join('\n');
    assert.ok(logLines.length > 10, 'the refusals above were logged');
    assert.ok(!all.includes(ENCRYPT_KEY), 'encrypt key in log');
    assert.ok(!all.includes(TOKEN), 'verification token in log');
  });
});

describe('durable acknowledgement and health', () => {
  test('with Temporal unreachable the webhook answers 503 and health names temporal', async () => {
    const deadClient = createTemporalClient(`127.0.0.1:${await freePort()}`, 'default');
    const hook = await startWebhook(
      loadConfig({ PORT: '0', HOST: '127.0.0.1', WEBHOOK_START_TIMEOUT_MS: '500', LARK_VERIFICATION_TOKEN: TOKEN }),
      deadClient,
      db.pool,
      log,
    );
    try {
      const res = await post(eventUrl(hook), plainRequest(v2MessageEvent()));
      assert.deepEqual([res.status, res.json.error], [503, 'temporal_unavailable']);
      const health = await fetch(`${hook.url}/webhook/health`);
      assert.equal(health.status, 503);
      const body = (await health.json()) as { down: string[] };
      assert.deepEqual(body.down, ['temporal']);
    } finally {
      await hook.close();
    }
  });

  test('health is 200 with both up, 503 naming the database when it is down', async () => {
    const ok = await fetch(`${secure.url}/webhook/health`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { status: 'ok', down: [], checks: { temporal: 'ok', database: 'ok', search_attributes: 'ok' } });

    const deadPool = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, 1);
    const hook = await startWebhook(loadConfig({ PORT: '0', HOST: '127.0.0.1' }), client, deadPool, log);
    try {
      const res = await fetch(`${hook.url}/webhook/health`);
      assert.equal(res.status, 503);
      // Names and states only: the driver's error (host, port, user) is logged, not answered.
      assert.deepEqual(await res.json(), { status: 'unavailable', down: ['database'], checks: { temporal: 'ok', database: 'down', search_attributes: 'ok' } });
      assert.ok(
        logLines.some((l) => l.includes('health check failed') && l.includes('database')),
        'the detail is logged',
      );
    } finally {
      await hook.close();
      await deadPool.end();
    }
  });
});
