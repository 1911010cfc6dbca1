import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config';

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
    assert.equal(err.problems.length, 5);
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
