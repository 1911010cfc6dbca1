import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { checkLarkSecrets, checkModel, checkPayloadEncryption, ConfigError, loadConfig, requireModelKey, StartupRefusal } from '../src/config';
import { LOCAL_PAYLOAD_KEY_ID, localUiCodec, withLocalSecrets } from '../dev/local-run';

test('defaults: port 7778, Lark brand, local Temporal and embedded database', () => {
  const c = loadConfig({});
  assert.equal(c.port, 7778);
  assert.equal(c.lark.baseUrl, 'https://open.larksuite.com');
  assert.equal(c.temporal.address, undefined);
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.webhook.maxBodyBytes, 1024 * 1024);
});

test('Feishu brand and an explicit base URL', () => {
  assert.equal(loadConfig({ LARK_BRAND: 'feishu' }).lark.baseUrl, 'https://open.feishu.cn');
  assert.equal(loadConfig({ LARK_BASE_URL: 'http://127.0.0.1:9999/' }).lark.baseUrl, 'http://127.0.0.1:9999');
});

test('every problem is named at once', () => {
  try {
    loadConfig({ PORT: 'abc', LARK_BRAND: 'slack', LARK_APP_ID: 'cli_x', TEMPORAL_ADDRESS: 'nohost', DATABASE_URL: 'mysql://x' });
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.message;
    for (const name of ['PORT', 'LARK_BRAND', 'LARK_APP_SECRET', 'TEMPORAL_ADDRESS', 'DATABASE_URL']) {
      assert.ok(text.includes(name), `${name} named in: ${text}`);
    }
    // No webhook secrets: the long connection by default, which needs an app id as Lark issues them.
    assert.match(text, /LARK_APP_ID must be cli_ followed by 16 hex digits/);
    assert.equal(err.problems.length, 6);
  }
});

test('.env.example lists every variable the config reads', async () => {
  const { readFile } = await import('node:fs/promises');
  const source = await readFile(new URL('../src/config.ts', `file://${__filename}`), 'utf8');
  const example = await readFile(new URL('../.env.example', `file://${__filename}`), 'utf8');
  const read = new Set([...source.matchAll(/(?:str|int|url)\('([A-Z_]+)'/g)].map((m) => m[1]));
  assert.ok(read.size > 10);
  for (const name of read) assert.match(example, new RegExp(`^#?\\s*${name}=`, 'm'), `${name} missing from .env.example`);
});

test('webhook rate limits and TRUST_PROXY_HOPS: defaults, overrides, and refusals', () => {
  const d = loadConfig({}).webhook;
  assert.equal(d.trustProxyHops, 0, 'X-Forwarded-For is not trusted unless asked');
  assert.deepEqual(d.oauthCallbackLimit, { ip: { burst: 10, perMinute: 20 }, total: { burst: 100, perMinute: 1200 } });
  assert.deepEqual(d.cardClickLimit, { burst: 10, perMinute: 30 });
  const c = loadConfig({ TRUST_PROXY_HOPS: '1', OAUTH_CALLBACK_IP_PER_MINUTE: '0', CARD_CLICK_USER_BURST: '3' }).webhook;
  assert.equal(c.trustProxyHops, 1);
  assert.equal(c.oauthCallbackLimit.ip.perMinute, 0);
  assert.equal(c.cardClickLimit.burst, 3);
  try {
    loadConfig({ TRUST_PROXY_HOPS: 'yes', OAUTH_CALLBACK_IP_BURST: '0', OAUTH_CALLBACK_TOTAL_PER_MINUTE: '-5', CARD_CLICK_USER_PER_MINUTE: '1.5' });
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    for (const name of ['TRUST_PROXY_HOPS', 'OAUTH_CALLBACK_IP_BURST', 'OAUTH_CALLBACK_TOTAL_PER_MINUTE', 'CARD_CLICK_USER_PER_MINUTE']) {
      assert.ok(err.message.includes(name), `${name} named in: ${err.message}`);
    }
  }
});

const APP = { LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 'app-secret-value' };

test('LARK_EVENT_MODE: the default follows the other Lark settings, and says why', () => {
  const none = loadConfig({}).lark;
  assert.deepEqual([none.eventMode, none.eventModeExplicit], ['webhook', false], 'no Lark app: the webhook');
  const app = loadConfig(APP).lark;
  assert.equal(app.eventMode, 'websocket', 'an app without webhook secrets: the long connection');
  assert.match(app.eventModeReason, /no webhook secrets/);
  for (const secret of [{ LARK_ENCRYPT_KEY: 'ek' }, { LARK_VERIFICATION_TOKEN: 'vt' }]) {
    const c = loadConfig({ ...APP, ...secret }).lark;
    assert.equal(c.eventMode, 'webhook', `with ${Object.keys(secret)[0]}: a callback URL is configured`);
    assert.match(c.eventModeReason, /webhook secrets are set/);
  }
  for (const mode of ['webhook', 'websocket', 'both'] as const) {
    const c = loadConfig({ ...APP, LARK_ENCRYPT_KEY: 'ek', LARK_VERIFICATION_TOKEN: 'vt', LARK_EVENT_MODE: mode.toUpperCase() }).lark;
    assert.deepEqual([c.eventMode, c.eventModeExplicit], [mode, true]);
  }
  const ws = loadConfig(APP).longConnection;
  assert.deepEqual(ws, { maxDownMs: 300_000, pingTimeoutSeconds: 30 });
  assert.deepEqual(loadConfig({ ...APP, LARK_WS_MAX_DOWN_SECONDS: '20', LARK_WS_PING_TIMEOUT_SECONDS: '0' }).longConnection, {
    maxDownMs: 20_000,
    pingTimeoutSeconds: 0,
  });
});

test('LARK_EVENT_MODE: refusals name the variable and the reason', () => {
  const problems = (env: Record<string, string>, opts?: { sandbox?: boolean }) => {
    try {
      loadConfig(env, opts);
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems;
    }
  };
  assert.deepEqual(problems({ LARK_EVENT_MODE: 'sse' }), ['LARK_EVENT_MODE must be webhook, websocket or both (got "sse")']);
  assert.deepEqual(problems({ LARK_EVENT_MODE: 'websocket' }), [
    'LARK_EVENT_MODE=websocket needs LARK_APP_ID and LARK_APP_SECRET: the long connection signs in to Lark with them',
  ]);
  assert.deepEqual(problems({ LARK_EVENT_MODE: 'both' }, { sandbox: true }), [], 'the sandbox: the emulator brings the credentials');
  assert.match(
    problems({ LARK_APP_ID: 'cli_short', LARK_APP_SECRET: 's', LARK_EVENT_MODE: 'both' })[0] ?? '',
    /^LARK_APP_ID must be cli_ followed by 16 hex digits/,
  );
  assert.deepEqual(problems({ LARK_APP_ID: 'cli_short', LARK_APP_SECRET: 's', LARK_EVENT_MODE: 'webhook' }), [], 'the webhook does not care about its form');
  for (const [name, value] of [
    ['LARK_WS_MAX_DOWN_SECONDS', '2'],
    ['LARK_WS_PING_TIMEOUT_SECONDS', '-1'],
  ] as const) {
    assert.match(problems({ ...APP, [name]: value })[0] ?? '', new RegExp(`^${name} must be an integer`));
  }
});

test('the webhook secrets are required only where events come over HTTP', () => {
  assert.deepEqual(checkLarkSecrets(loadConfig(APP)), {}, 'websocket: nothing arrives over HTTP');
  for (const mode of ['webhook', 'both']) {
    assert.throws(
      () => checkLarkSecrets(loadConfig({ ...APP, LARK_EVENT_MODE: mode })),
      (err: unknown) =>
        err instanceof StartupRefusal &&
        err.message.startsWith(`Refusing to start: LARK_VERIFICATION_TOKEN and LARK_ENCRYPT_KEY must be set for LARK_EVENT_MODE=${mode}`),
    );
  }
});

describe('payload encryption by default', () => {
  const KEY = Buffer.alloc(32, 9).toString('base64');
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'payload-key-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the webhook and worker refuse to start without PAYLOAD_ENCRYPTION_KEYS, naming it and the way out', () => {
    assert.throws(
      () => checkPayloadEncryption(loadConfig(APP)),
      (err: unknown) =>
        err instanceof StartupRefusal &&
        err.message.startsWith('Refusing to start: PAYLOAD_ENCRYPTION_KEYS must be set') &&
        err.message.includes('PAYLOAD_ALLOW_UNENCRYPTED=true'),
    );
    assert.deepEqual(checkPayloadEncryption(loadConfig({ ...APP, PAYLOAD_ENCRYPTION_KEYS: `k1:${KEY}` })), {});
    const off = checkPayloadEncryption(loadConfig({ ...APP, PAYLOAD_ALLOW_UNENCRYPTED: 'true' }));
    assert.match(off.warning ?? '', /^PAYLOAD_ALLOW_UNENCRYPTED=true: Temporal stores chat text/);
    assert.throws(() => loadConfig({ PAYLOAD_ALLOW_UNENCRYPTED: 'yes' }), /PAYLOAD_ALLOW_UNENCRYPTED must be "true" or "false"/);
  });

  test('the local run generates one key into DATA_DIR (0600), keeps it across runs, and never prints it', () => {
    const env = { DATA_DIR: dir };
    const first = withLocalSecrets(loadConfig(env, { sandbox: true }));
    const keys = first.privacy.payloadKeys ?? [];
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.id, LOCAL_PAYLOAD_KEY_ID);
    assert.equal(keys[0]!.key.length, 32);
    const file = path.join(dir, 'payload-encryption.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'), keys[0]!.key);
    assert.deepEqual(checkPayloadEncryption(first), {}, 'so the check passes');
    assert.deepEqual(withLocalSecrets(loadConfig(env, { sandbox: true })).privacy.payloadKeys, keys, 'the same key next run');
    // A real Lark app in the local run: generated too, like TOKEN_ENCRYPTION_KEY and OAUTH_STATE_SECRET.
    assert.deepEqual(withLocalSecrets(loadConfig({ ...env, ...APP }, { sandbox: true })).privacy.payloadKeys, keys);
    // The emulator's Lark secrets as before.
    assert.ok(first.lark.encryptKey && first.lark.verificationToken);
    // And the token key and OAuth state secret (src/services.ts generates none: the processes must be given them).
    assert.equal(Buffer.from(first.oauth.tokenEncryptionKey ?? '', 'base64').length, 32);
    assert.ok(first.oauth.stateSecret);
    assert.equal(statSync(path.join(dir, 'token-encryption.key')).mode & 0o777, 0o600);
    const again = withLocalSecrets(loadConfig({ ...env, ...APP }, { sandbox: true }));
    assert.deepEqual([again.oauth.tokenEncryptionKey, again.oauth.stateSecret], [first.oauth.tokenEncryptionKey, first.oauth.stateSecret], 'the same next run');
    const given = withLocalSecrets(loadConfig({ ...env, TOKEN_ENCRYPTION_KEY: KEY, OAUTH_STATE_SECRET: 'state-secret-given' }, { sandbox: true }));
    assert.deepEqual([given.oauth.tokenEncryptionKey, given.oauth.stateSecret], [KEY, 'state-secret-given']);
  });

  test('given keys are used as given; PAYLOAD_ALLOW_UNENCRYPTED=true generates none', () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'payload-key-'));
    try {
      const given = withLocalSecrets(loadConfig({ DATA_DIR: other, PAYLOAD_ENCRYPTION_KEYS: `mine:${KEY}` }, { sandbox: true }));
      assert.deepEqual(
        given.privacy.payloadKeys?.map((k) => k.id),
        ['mine'],
      );
      const off = withLocalSecrets(loadConfig({ DATA_DIR: other, PAYLOAD_ALLOW_UNENCRYPTED: 'true' }, { sandbox: true }));
      assert.equal(off.privacy.payloadKeys, undefined);
      assert.ok(!existsSync(path.join(other, 'payload-encryption.key')), 'no key file written');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a damaged key file is named, its content is not', () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'payload-key-'));
    try {
      writeFileSync(path.join(other, 'payload-encryption.key'), 'c2hvcnQtc2VjcmV0\n', { mode: 0o600 });
      assert.throws(
        () => withLocalSecrets(loadConfig({ DATA_DIR: other }, { sandbox: true })),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message.includes('payload-encryption.key must hold base64 of 32 bytes') &&
          !err.message.includes('c2hvcnQtc2VjcmV0'),
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('CODEC_AUTH_TOKEN: the local run has a key to decode with, a process without keys does not', () => {
    const token = 'codec-token-0123456789';
    assert.equal(loadConfig({ CODEC_AUTH_TOKEN: token }, { sandbox: true }).privacy.codecAuthToken, token);
    assert.throws(() => loadConfig({ CODEC_AUTH_TOKEN: token }), /CODEC_AUTH_TOKEN needs PAYLOAD_ENCRYPTION_KEYS/);
    assert.throws(
      () => loadConfig({ CODEC_AUTH_TOKEN: token, PAYLOAD_ALLOW_UNENCRYPTED: 'true' }, { sandbox: true }),
      /CODEC_AUTH_TOKEN needs PAYLOAD_ENCRYPTION_KEYS/,
    );
  });

  test("the local Temporal UI's codec endpoint: the webhook on this machine's loopback, the UI's origins allowed", () => {
    const keyed = (env: Record<string, string>) => withLocalSecrets(loadConfig({ DATA_DIR: dir, ...env }, { sandbox: true }));
    const c = localUiCodec(keyed({}), 8233);
    assert.equal(c?.endpoint, 'http://localhost:7778/codec');
    assert.deepEqual(c?.config.privacy.localUiOrigins, ['http://localhost:8233', 'http://127.0.0.1:8233']);
    assert.equal(localUiCodec(keyed({ HOST: '127.0.0.1', PORT: '9000' }), 9233)?.endpoint, 'http://127.0.0.1:9000/codec');
    assert.equal(localUiCodec(keyed({ HOST: '10.0.0.5' }), 8233), undefined, 'a browser on this machine would not be a loopback peer');
    assert.equal(localUiCodec(keyed({ PORT: '0' }), 8233), undefined, 'no port to name');
    assert.equal(
      localUiCodec(withLocalSecrets(loadConfig({ DATA_DIR: dir, PAYLOAD_ALLOW_UNENCRYPTED: 'true' }, { sandbox: true })), 8233),
      undefined,
      'nothing to decode',
    );
    assert.deepEqual(loadConfig({}).privacy.localUiOrigins, [], 'never from the environment');
  });
});

test('the local first model step and the turn-log step: on by default, off by setting or with no Base table; a wrong value named', () => {
  assert.equal(loadConfig({}).user.firstStepLocal, true);
  assert.equal(loadConfig({ LLM_FIRST_STEP_LOCAL: 'false' }).user.firstStepLocal, false);
  assert.throws(() => loadConfig({ LLM_FIRST_STEP_LOCAL: 'yes' }), /LLM_FIRST_STEP_LOCAL must be "true" or "false" \(got "yes"\)/);
  assert.equal(loadConfig({}).user.turnLog, false, 'no Base table: no turn-log step');
  assert.equal(loadConfig({ LARK_BASE_APP_TOKEN: 'bascn1', LARK_BASE_TABLE_ID: 'tbl1' }).user.turnLog, true);
});

test("streamed answers: off by default, on in the local run, a wrong value named; the update pace stays under Lark's 10 a second", () => {
  assert.equal(loadConfig({}).user.streamAnswers, false);
  assert.equal(loadConfig({}, { sandbox: true }).user.streamAnswers, true);
  assert.equal(loadConfig({ LARK_STREAM_ANSWERS: 'false' }, { sandbox: true }).user.streamAnswers, false);
  assert.equal(loadConfig({ LARK_STREAM_ANSWERS: 'true' }).user.streamAnswers, true);
  assert.throws(() => loadConfig({ LARK_STREAM_ANSWERS: 'yes' }), /LARK_STREAM_ANSWERS must be "true" or "false"/);
  assert.equal(loadConfig({}).llm.streamIntervalMs, 250);
  assert.throws(() => loadConfig({ LARK_STREAM_INTERVAL_MS: '50' }), /LARK_STREAM_INTERVAL_MS/);
});

test('a real Lark app is not answered by the offline stand-in model unless LLM_ALLOW_OFFLINE=true', () => {
  const app = { LARK_APP_ID: 'cli_0123456789abcdef', LARK_APP_SECRET: 'secret-value-here' };
  assert.throws(
    () => checkModel(loadConfig(app)),
    (err: unknown) =>
      err instanceof StartupRefusal &&
      err.message.startsWith('Refusing to start: ANTHROPIC_API_KEY must be set for a real Lark app (https://open.larksuite.com)') &&
      err.message.includes('LLM_ALLOW_OFFLINE=true'),
  );
  assert.throws(() => checkModel(loadConfig({ ...app, LARK_BRAND: 'feishu' })), /real Lark app \(https:\/\/open\.feishu\.cn\)/);
  assert.deepEqual(checkModel(loadConfig({ ...app, ANTHROPIC_API_KEY: 'sk-ant-test' })), {});
  // An emulator (tests, the sandbox, the bench) may be answered by the stand-in.
  assert.deepEqual(checkModel(loadConfig({ ...app, LARK_BASE_URL: 'http://127.0.0.1:9999' })), {});
  assert.match(
    checkModel(loadConfig({ ...app, LLM_ALLOW_OFFLINE: 'true' })).warning ?? '',
    /^LLM_ALLOW_OFFLINE=true: the real Lark app is answered by the offline stand-in/,
  );
  assert.throws(() => loadConfig({ LLM_ALLOW_OFFLINE: 'yes' }), /LLM_ALLOW_OFFLINE must be "true" or "false"/);
});

test('the production worker has no offline model: it refuses to start without ANTHROPIC_API_KEY, whichever Lark it faces', () => {
  const app = { LARK_APP_ID: 'cli_0123456789abcdef', LARK_APP_SECRET: 'secret-value-here' };
  const refused = (env: Record<string, string>) => {
    try {
      requireModelKey(loadConfig(env));
    } catch (err) {
      assert.ok(err instanceof StartupRefusal);
      return err.message;
    }
    return undefined;
  };
  assert.equal(refused({ ...app, ANTHROPIC_API_KEY: 'sk-ant-test' }), undefined);
  assert.match(
    refused({ ...app, LARK_BASE_URL: 'http://127.0.0.1:9999' }) ?? '',
    /^Refusing to start: ANTHROPIC_API_KEY must be set: this worker is built without the offline stand-in model, which runs from source only \(scripts\/start\.sh, npm run dev:worker\)$/,
  );
  assert.match(refused({ ...app, LLM_ALLOW_OFFLINE: 'true' }) ?? '', /npm run dev:worker, where LLM_ALLOW_OFFLINE=true lets it answer a real Lark app\)$/);
});

test("the worker entry points: src/worker.ts (the image's) has no model without a key; dev/worker.ts has the offline one", async () => {
  const ROOT = path.resolve(__dirname, '..');
  const run = (entry: string, env: Record<string, string>) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          LOG_LEVEL: 'silent',
          LARK_APP_ID: 'cli_0123456789abcdef',
          LARK_APP_SECRET: 'secret-value-here',
          LARK_EVENT_MODE: 'websocket',
          PAYLOAD_ALLOW_UNENCRYPTED: 'true',
          ...env,
        },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  // An emulator's URL, and a real app with LLM_ALLOW_OFFLINE=true: both refuse or go on before connecting anywhere.
  const cases: Record<string, string>[] = [{ LARK_BASE_URL: 'http://127.0.0.1:9' }, { LLM_ALLOW_OFFLINE: 'true' }];
  const [prod, dev] = await Promise.all([
    Promise.all(cases.map((env) => run('src/worker.ts', env))),
    Promise.all(cases.map((env) => run('dev/worker.ts', env))),
  ]);
  for (const r of prod) {
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr.trim(), /^Refusing to start: ANTHROPIC_API_KEY must be set: this worker is built without the offline stand-in model[^\n]*$/);
  }
  // The offline model stands in, so the next setting is the one missing.
  for (const r of dev) {
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /ANTHROPIC_API_KEY/);
    assert.match(r.stderr, /TEMPORAL_ADDRESS/);
  }
});
