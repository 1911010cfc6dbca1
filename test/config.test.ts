import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLarkSecrets, ConfigError, loadConfig, StartupRefusal } from '../src/config';

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
  assert.deepEqual(loadConfig({ ...APP, LARK_WS_MAX_DOWN_SECONDS: '20', LARK_WS_PING_TIMEOUT_SECONDS: '0' }).longConnection, { maxDownMs: 20_000, pingTimeoutSeconds: 0 });
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
  assert.deepEqual(problems({ LARK_EVENT_MODE: 'websocket' }), ['LARK_EVENT_MODE=websocket needs LARK_APP_ID and LARK_APP_SECRET: the long connection signs in to Lark with them']);
  assert.deepEqual(problems({ LARK_EVENT_MODE: 'both' }, { sandbox: true }), [], 'the sandbox: the emulator brings the credentials');
  assert.match(problems({ LARK_APP_ID: 'cli_short', LARK_APP_SECRET: 's', LARK_EVENT_MODE: 'both' })[0] ?? '', /^LARK_APP_ID must be cli_ followed by 16 hex digits/);
  assert.deepEqual(problems({ LARK_APP_ID: 'cli_short', LARK_APP_SECRET: 's', LARK_EVENT_MODE: 'webhook' }), [], 'the webhook does not care about its form');
  for (const [name, value] of [['LARK_WS_MAX_DOWN_SECONDS', '2'], ['LARK_WS_PING_TIMEOUT_SECONDS', '-1']] as const) {
    assert.match(problems({ ...APP, [name]: value })[0] ?? '', new RegExp(`^${name} must be an integer`));
  }
});

test('the webhook secrets are required only where events come over HTTP', () => {
  assert.deepEqual(checkLarkSecrets(loadConfig(APP)), {}, 'websocket: nothing arrives over HTTP');
  for (const mode of ['webhook', 'both']) {
    assert.throws(
      () => checkLarkSecrets(loadConfig({ ...APP, LARK_EVENT_MODE: mode })),
      (err: unknown) => err instanceof StartupRefusal && err.message.startsWith(`Refusing to start: LARK_VERIFICATION_TOKEN and LARK_ENCRYPT_KEY must be set for LARK_EVENT_MODE=${mode}`),
    );
  }
});
