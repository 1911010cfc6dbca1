/**
 * Payload privacy on the real dev server: an event goes through the webhook with the codec on, the worker
 * runs it, and a client WITHOUT the codec sees only `binary/encrypted` ciphertext in the histories. The codec
 * endpoint decodes it back for the UI with the bearer token, refuses without it, and answers CORS preflight.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { ConfigError, loadConfig, parsePayloadKeys } from '../src/config';
import { localUiCodec } from '../dev/local-run';
import { createLogger } from '../src/logger';
import { createAgentWorker } from '../src/temporal/worker';
import { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../src/temporal/payload-codec';
import { startWebhook, type RunningWebhook } from '../src/webhook/start';
import { eventWorkflowId, userWorkflowId } from '../workflows/contract';
import { freshDatabase, requireEnv, temporalTestEnv, uniqueId, workflowBundle } from './support/env';
import { plainRequest, post, v2MessageEvent } from './support/lark-requests';

const TOKEN = 'verification-token';
const CODEC_TOKEN = 'codec-token-' + randomBytes(12).toString('hex');
const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const SECRET_TEXT = 'họp với Lan về lương thưởng 3h chiều mai'; // what must never sit in Temporal in clear
const UI_ORIGIN = 'http://localhost:8233';

let env: TestWorkflowEnvironment;
let codecClient: Client;
let worker: Worker;
let workerRun: Promise<void>;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let hook: RunningWebhook;
const taskQueue = uniqueId('codec');
const keys = parsePayloadKeys(`k1:${K1},k2:${K2}`).keys;
const codec = new EncryptionCodec(keys);

before(async () => {
  env = await temporalTestEnv();
  codecClient = new Client({ connection: env.connection, namespace: 'default', dataConverter: { payloadCodecs: [codec] } });
  db = await freshDatabase();
  worker = await createAgentWorker({
    connection: env.nativeConnection,
    client: codecClient,
    namespace: 'default',
    taskQueue,
    config: loadConfig({ TEMPORAL_TASK_QUEUE: taskQueue }),
    workflowBundle: await workflowBundle(),
    payloadCodecs: [codec],
  });
  workerRun = worker.run();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    TEMPORAL_TASK_QUEUE: taskQueue,
    LARK_VERIFICATION_TOKEN: TOKEN,
    PAYLOAD_ENCRYPTION_KEYS: `k1:${K1},k2:${K2}`,
    CODEC_AUTH_TOKEN: CODEC_TOKEN,
  });
  hook = await startWebhook(config, codecClient, db.pool, createLogger('silent'));
});

after(async () => {
  await hook?.close();
  worker?.shutdown();
  await workerRun;
  await db?.drop();
  await env?.teardown();
});

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
/** Every string and byte array in a history, concatenated (not JSON: protobuf's toJSON would base64 the bytes). */
function rawBytes(value: unknown, out: Buffer[] = [], seen = new Set<unknown>()): Buffer {
  if (typeof value === 'string') out.push(Buffer.from(value));
  else if (value instanceof Uint8Array) out.push(Buffer.from(value));
  else if (value && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const v of Object.values(value)) rawBytes(v, out, seen);
  }
  return Buffer.concat(out);
}
const meta = (p: { metadata: Record<string, string> }, k: string) => Buffer.from(p.metadata[k] ?? '', 'base64').toString();

async function codecCall(op: 'encode' | 'decode', payloads: unknown[], headers: Record<string, string> = { authorization: `Bearer ${CODEC_TOKEN}` }) {
  const res = await fetch(`${hook.url}/codec/${op}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: UI_ORIGIN, ...headers },
    body: JSON.stringify({ payloads }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

describe('with PAYLOAD_ENCRYPTION_KEYS, Temporal stores only ciphertext', () => {
  const ev = v2MessageEvent({ openId: 'ou_private', text: SECRET_TEXT });
  let inputPayloads: Payload[] = [];

  test('an event through the webhook runs to the end on a worker with the codec', async () => {
    const res = await post(`${hook.url}/webhook/event`, plainRequest(ev));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const result = await codecClient.workflow.getHandle(eventWorkflowId(ev.header.event_id)).result();
    assert.equal(result.outcome, 'routed');
  });

  test('a client without the codec sees binary/encrypted input and no plaintext in either history', async () => {
    const plainClient = env.client; // no payload codec
    const history = await plainClient.workflow.getHandle(eventWorkflowId(ev.header.event_id)).fetchHistory();
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    inputPayloads = started.input!.payloads! as Payload[];
    assert.equal(inputPayloads.length, 1, 'the event is the only input');
    for (const p of inputPayloads) {
      assert.equal(Buffer.from(p.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
      assert.equal(Buffer.from(p.metadata![KEY_ID_METADATA]!).toString(), 'k1', 'the active (first) key');
      assert.ok(!Buffer.from(p.data!).includes(Buffer.from(SECRET_TEXT)), 'no plaintext in the payload');
    }
    const userHistory = await plainClient.workflow.getHandle(userWorkflowId('ou_private')).fetchHistory();
    for (const h of [history, userHistory]) {
      const dump = rawBytes(h);
      assert.ok(dump.length > 100);
      for (const needle of [SECRET_TEXT, ev.event.message.message_id]) {
        assert.ok(!dump.includes(Buffer.from(needle)), `"${needle}" is not stored in clear`);
      }
    }
    // Search attributes are not payload-encrypted: they hold the id, which is why only ids go there.
    const desc = await plainClient.workflow.getHandle(eventWorkflowId(ev.header.event_id)).describe();
    assert.equal(desc.typedSearchAttributes.get({ name: 'LarkOpenId', type: 'KEYWORD' } as never), 'ou_private');
  });

  test('the codec endpoint decodes the history payloads with the token', async () => {
    const res = await codecCall('decode', inputPayloads.map(toJson));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.headers.get('access-control-allow-origin'), UI_ORIGIN);
    const [decoded] = res.json.payloads;
    assert.equal(meta(decoded, 'encoding'), 'json/plain');
    const event = JSON.parse(Buffer.from(decoded.data, 'base64').toString('utf8'));
    assert.equal(event.message.text, SECRET_TEXT);
  });

  test(
    'the temporal CLI shows the plaintext through the codec endpoint (protocol interop)',
    { skip: !process.env.TEMPORAL_CLI_PATH && 'TEMPORAL_CLI_PATH not set' },
    async () => {
      const show = (auth?: string) =>
        new Promise<string>((resolve, reject) => {
          const args = [
            'workflow',
            'show',
            '-w',
            eventWorkflowId(ev.header.event_id),
            '--address',
            requireEnv('TEST_TEMPORAL_ADDRESS'),
            '-o',
            'json',
            '--codec-endpoint',
            `${hook.url}/codec`,
          ];
          execFile(process.env.TEMPORAL_CLI_PATH!, auth ? [...args, '--codec-auth', auth] : args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
            err && !stdout ? reject(new Error(stderr || err.message)) : resolve(stdout + stderr),
          );
        });
      // The CLI prints payloads as proto JSON: data stays base64, so look inside every data field.
      const texts = (out: string) => [...out.matchAll(/"data":\s*"([A-Za-z0-9+/=]*)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
      const decoded = texts(await show(`Bearer ${CODEC_TOKEN}`));
      assert.ok(
        decoded.some((t) => t.includes(SECRET_TEXT)),
        'the decoded input is shown',
      );
      const refused = await show().catch((e: Error) => e.message);
      assert.ok(!refused.includes(SECRET_TEXT) && !texts(refused).some((t) => t.includes(SECRET_TEXT)), 'no plaintext without the token');
    },
  );

  test('encode then decode round-trips; unencrypted payloads pass through decode', async () => {
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hi"').toString('base64') };
    const enc = await codecCall('encode', [plain]);
    assert.equal(enc.status, 200);
    assert.equal(meta(enc.json.payloads[0], 'encoding'), ENCRYPTED_ENCODING);
    const dec = await codecCall('decode', [...enc.json.payloads, plain]);
    assert.deepEqual(dec.json.payloads, [plain, plain]);
  });

  test('refused without the token, with a wrong token, and for bad bodies', async () => {
    const payloads = inputPayloads.map(toJson);
    const none = await codecCall('decode', payloads, {});
    assert.deepEqual([none.status, none.json.error], [401, 'unauthorized']);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    assert.equal(none.headers.get('access-control-allow-origin'), UI_ORIGIN, 'the browser can read the 401');
    const wrong = await codecCall('decode', payloads, { authorization: 'Bearer nope-nope-nope-nope' });
    assert.equal(wrong.status, 401);
    assert.ok(!JSON.stringify(wrong.json).includes(SECRET_TEXT));
    const bad = await codecCall('decode', [{ metadata: { encoding: 'not base64!' }, data: '' }]);
    assert.deepEqual([bad.status, bad.json.error], [400, 'bad_payload']);
    const tampered = toJson(inputPayloads[0]!);
    tampered.data = Buffer.from(Buffer.from(tampered.data, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b))).toString('base64');
    const t = await codecCall('decode', [tampered]);
    assert.deepEqual([t.status, t.json.error], [400, 'codec_failed']);
    const get = await fetch(`${hook.url}/codec/decode`, { headers: { authorization: `Bearer ${CODEC_TOKEN}` } });
    assert.equal(get.status, 405);
  });

  test('CORS preflight: the UI origin is allowed, others are not', async () => {
    const pre = await fetch(`${hook.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /X-Namespace/i);
    const evil = await fetch(`${hook.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
  });
});

describe('keys', () => {
  test('rotation: a keyring with a new active key still decodes payloads of the old one', async () => {
    const [old] = await new EncryptionCodec([keys[1]!]).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }]);
    const rotated = new EncryptionCodec([keys[0]!, keys[1]!]);
    const [back] = await rotated.decode([old!]);
    assert.equal(Buffer.from(back!.data!).toString(), '"x"');
    await assert.rejects(new EncryptionCodec([keys[0]!]).decode([old!]), /no payload key with id "k2"/);
  });

  test('a payload moved under another key id fails authentication', async () => {
    const twin = { id: 'k2', key: keys[0]!.key }; // same key bytes, other id: the AAD still differs
    const [p] = await new EncryptionCodec([keys[0]!]).encode([{ metadata: {}, data: Buffer.from('x') }]);
    p!.metadata![KEY_ID_METADATA] = Buffer.from('k2');
    await assert.rejects(new EncryptionCodec([twin]).decode([p!]), /failed authentication/);
  });

  test('config validation names the problem without echoing key material', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    assert.throws(
      () => loadConfig({ PAYLOAD_ENCRYPTION_KEYS: `k1:${short},bad id:${K1},k1:${K2}` }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.problems.filter((p) => p.startsWith('PAYLOAD_ENCRYPTION_KEYS')).length, 2);
        assert.ok(!e.message.includes(short) && !e.message.includes(K1) && !e.message.includes(K2));
        return true;
      },
    );
    assert.throws(() => loadConfig({ CODEC_AUTH_TOKEN: 'x'.repeat(20) }), /CODEC_AUTH_TOKEN needs PAYLOAD_ENCRYPTION_KEYS/);
    assert.equal(loadConfig({}).privacy.payloadKeys, undefined, 'loadConfig generates none (the local run does: test/config.test.ts)');
  });

  test('without CODEC_AUTH_TOKEN there is no codec endpoint', async () => {
    const w = await startWebhook(
      loadConfig({ PORT: '0', HOST: '127.0.0.1', PAYLOAD_ENCRYPTION_KEYS: `k1:${K1}` }),
      env.client,
      db.pool,
      createLogger('silent'),
    );
    try {
      const res = await fetch(`${w.url}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' });
      assert.equal(res.status, 404);
    } finally {
      await w.close();
    }
  });
});

describe("the local run's own Temporal UI decodes without a bearer, from this machine only", () => {
  const LOCAL_UI = 'http://localhost:18233';
  let local: RunningWebhook;
  let port: number;
  let sealed: unknown[];
  before(async () => {
    // As dev/main.ts configures it: keys, no CODEC_AUTH_TOKEN, the dev server's UI origins; on every interface.
    const base = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      TEMPORAL_TASK_QUEUE: taskQueue,
      LARK_VERIFICATION_TOKEN: TOKEN,
      PAYLOAD_ENCRYPTION_KEYS: `k1:${K1}`,
    });
    const ui = localUiCodec({ ...base, port: 7778 }, 18233)!;
    local = await startWebhook({ ...ui.config, port: 0 }, codecClient, db.pool, createLogger('silent'));
    port = Number(new URL(local.url).port);
    sealed = (await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(SECRET_TEXT)) }])).map(toJson);
  });
  after(() => local?.close());

  const call = (headers: Record<string, string>, host = '127.0.0.1') =>
    fetch(`http://${host}:${port}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify({ payloads: sealed }),
    }).then(async (r) => ({
      status: r.status,
      allow: r.headers.get('access-control-allow-origin'),
      text: await r.text(),
    }));

  test('the UI origin from a loopback peer gets the plaintext', async () => {
    const r = await call({ origin: LOCAL_UI });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.allow, LOCAL_UI, 'the browser may read it');
    const [p] = JSON.parse(r.text).payloads;
    assert.equal(JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')), SECRET_TEXT);
    const pre = await fetch(`http://127.0.0.1:${port}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:18233', 'access-control-request-method': 'POST' },
    });
    assert.equal(pre.status, 204, 'the UI opened as 127.0.0.1 too');
  });

  test('no origin, another origin, a forwarded request or a bearer-only origin without a token: refused, nothing decoded', async () => {
    for (const headers of <Array<Record<string, string>>>[
      {},
      { origin: 'https://evil.example' },
      { origin: LOCAL_UI, 'x-forwarded-for': '203.0.113.9' },
      { origin: UI_ORIGIN },
      { origin: LOCAL_UI, forwarded: 'for=203.0.113.9' },
    ]) {
      const r = await call(headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.ok(!r.text.includes(SECRET_TEXT));
    }
  });

  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  test('the UI origin from a peer that is not loopback: refused', { skip: !external && 'no non-loopback IPv4 address on this machine' }, async () => {
    const r = await call({ origin: LOCAL_UI }, external);
    assert.equal(r.status, 403, r.text);
    assert.ok(!r.text.includes(SECRET_TEXT));
  });
});
