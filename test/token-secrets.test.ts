/**
 * Secrets at rest and user tokens: the GCM tag is checked at full length; TOKEN_ENCRYPTION_KEY can be rotated
 * with TOKEN_ENCRYPTION_OLD_KEYS (old rows open and are re-sealed with the new key as they are read, tokens and
 * reminders alike); a sealed value opens only in the row and column it was sealed for (rows sealed in the earlier
 * format open and are re-sealed); and a refresh whose answer was lost is settled in the same call. Real
 * PostgreSQL, the Lark emulator for Lark's token endpoint, and the app's own wiring (loadConfig + buildLarkServices).
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config';
import { startLarkEmulator, type LarkEmulator } from '../dev/emulator';
import { LarkTransportError, LarkUserAuthRequired } from '../src/lark/errors';
import { createLogger } from '../src/logger';
import type { ReminderRow } from '../src/reminders/store';
import { buildLarkServices, type LarkServices } from '../src/services';
import { SecretBox } from '../src/storage/secret-box';
import { freshDatabase } from './support/env';

const quiet = createLogger('silent', 'test');
const newKey = () => randomBytes(32).toString('base64');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let emu: LarkEmulator;
let db: Awaited<ReturnType<typeof freshDatabase>>;
before(async () => {
  emu = await startLarkEmulator();
  db = await freshDatabase();
});
after(async () => {
  await emu?.stop();
  await db?.drop();
});

/** The app's services as a deployment with these token keys builds them. */
function services(env: { TOKEN_ENCRYPTION_KEY: string; TOKEN_ENCRYPTION_OLD_KEYS?: string; LARK_REQUEST_TIMEOUT_MS?: string }): LarkServices {
  const config = loadConfig({
    LARK_APP_ID: emu.appId,
    LARK_APP_SECRET: emu.appSecret,
    LARK_BASE_URL: emu.url,
    LARK_ENCRYPT_KEY: 'ek-token-secrets',
    LARK_VERIFICATION_TOKEN: 'vt-token-secrets',
    OAUTH_STATE_SECRET: 'state-secret-0123456789',
    ...env,
  });
  return buildLarkServices(config, db.pool, quiet)!;
}

/** Fresh emulator tokens for a user, saved through the store; returns them. */
async function signIn(svc: LarkServices, user: string, expiresInMs = 7_200_000) {
  const openId = emu.user(user).open_id;
  const t = emu.issueUserToken(openId);
  await svc.tokens.save(openId, {
    accessToken: t.accessToken,
    refreshToken: t.refreshToken!,
    expiresAt: Date.now() + expiresInMs,
    scopes: ['offline_access', 'task:task:read'],
  });
  return { openId, ...t };
}

const row = async (openId: string) =>
  (
    await db.pool.query<{ access_token: string; refresh_token: string; status: string }>(
      'select access_token, refresh_token, status from lark_user_tokens where open_id = $1',
      [openId],
    )
  ).rows[0]!;

/** The earlier sealed format (v1, bound to the open_id only), as rows written before this change hold it. */
function sealV1(keyB64: string, plaintext: string, openId: string): string {
  const key = Buffer.from(keyB64, 'base64');
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(openId, 'utf8'));
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return ['v1', keyId, iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

async function newReminder(svc: LarkServices, openId: string, text: string): Promise<ReminderRow> {
  const id = `rem-${randomBytes(8).toString('hex')}`;
  const { row: r } = await svc.reminders.insert(
    {
      id,
      openId,
      chatId: openId,
      kind: 'reminder',
      text,
      lang: 'en',
      timezone: 'Asia/Ho_Chi_Minh',
      schedule: { kind: 'once', atMs: Date.now() + 3_600_000 },
      nextFireAtMs: Date.now() + 3_600_000,
    },
    100,
  );
  return r;
}

describe('the GCM tag', () => {
  test('a sealed value whose authentication tag is cut short does not open', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('u-secret-access-token', 'ou_someone');
    assert.equal(box.open(sealed, 'ou_someone'), 'u-secret-access-token');
    const parts = sealed.split('.');
    for (const bytes of [4, 8, 12, 15]) {
      const cut = [...parts.slice(0, 3), Buffer.from(parts[3]!, 'base64url').subarray(0, bytes).toString('base64url'), parts[4]].join('.');
      assert.throws(() => box.open(cut, 'ou_someone'), Error, `a ${bytes}-byte tag must not open`);
    }
  });
});

describe('TOKEN_ENCRYPTION_OLD_KEYS', () => {
  test('config names every bad entry, and refuses old keys without a current key', () => {
    const good = newKey();
    assert.throws(
      () => loadConfig({ TOKEN_ENCRYPTION_KEY: good, TOKEN_ENCRYPTION_OLD_KEYS: `${newKey()}, not-base64!, ${randomBytes(16).toString('base64')}, ${good}` }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const p = e.problems.filter((x) => x.startsWith('TOKEN_ENCRYPTION_OLD_KEYS'));
        assert.equal(p.length, 3, p.join('\n'));
        assert.match(p.join('\n'), /entry 2 .*base64 of 32 bytes/);
        assert.match(p.join('\n'), /entry 3 .*base64 of 32 bytes/);
        assert.match(p.join('\n'), /entry 4 is TOKEN_ENCRYPTION_KEY itself/);
        // Problems never carry key material.
        assert.ok(!e.message.includes(good));
        return true;
      },
    );
    assert.throws(() => loadConfig({ TOKEN_ENCRYPTION_OLD_KEYS: newKey() }), /TOKEN_ENCRYPTION_OLD_KEYS needs TOKEN_ENCRYPTION_KEY/);
    assert.doesNotThrow(() => loadConfig({ TOKEN_ENCRYPTION_KEY: good, TOKEN_ENCRYPTION_OLD_KEYS: ` ${newKey()} ,${newKey()},` }));
  });

  test('after a rotation, tokens sealed with the old key still open and are re-sealed with the new one', async () => {
    const oldKey = newKey();
    const nextKey = newKey();
    const before = services({ TOKEN_ENCRYPTION_KEY: oldKey });
    const lan = await signIn(before, 'lan');
    const sealedBefore = await row(lan.openId);

    const rotated = services({ TOKEN_ENCRYPTION_KEY: nextKey, TOKEN_ENCRYPTION_OLD_KEYS: oldKey });
    assert.equal(await rotated.tokens.getAccessToken(lan.openId), lan.accessToken);
    const sealedAfter = await row(lan.openId);
    assert.notEqual(sealedAfter.access_token, sealedBefore.access_token, 're-sealed on read');
    assert.notEqual(sealedAfter.refresh_token, sealedBefore.refresh_token, 're-sealed on read');

    // Re-sealed with the new key: a deployment that dropped the old key reads them, and a real call works.
    const newOnly = services({ TOKEN_ENCRYPTION_KEY: nextKey });
    assert.equal(await newOnly.tokens.getAccessToken(lan.openId), lan.accessToken);
    await newOnly.lark.listTasks(lan.openId);
    // The refresh token too: a refresh with it is accepted by Lark.
    await db.pool.query('update lark_user_tokens set expires_at = $2 where open_id = $1', [lan.openId, Date.now() + 1000]);
    const refreshed = await newOnly.tokens.getAccessToken(lan.openId);
    assert.notEqual(refreshed, lan.accessToken);
    assert.equal((await row(lan.openId)).status, 'active');
  });

  test('after a rotation, reminders list and cancel, and their text is re-sealed with the new key', async () => {
    const oldKey = newKey();
    const nextKey = newKey();
    const before = services({ TOKEN_ENCRYPTION_KEY: oldKey });
    const openId = emu.user('minh').open_id;
    const r1 = await newReminder(before, openId, 'call the bank');
    const r2 = await newReminder(before, openId, 'water the plants');

    const rotated = services({ TOKEN_ENCRYPTION_KEY: nextKey, TOKEN_ENCRYPTION_OLD_KEYS: `${newKey()},${oldKey}` });
    const listed = await rotated.reminders.listActive(openId);
    assert.deepEqual(listed.map((r) => r.text).sort(), ['call the bank', 'water the plants']);
    const cancelled = await rotated.reminders.cancel(openId, r2.id);
    assert.equal(cancelled?.text, 'water the plants');
    assert.equal((await rotated.reminders.get(r2.id))?.status, 'cancelled');

    // Read once after the rotation, they open without the old key.
    const newOnly = services({ TOKEN_ENCRYPTION_KEY: nextKey });
    assert.deepEqual(
      (await newOnly.reminders.listActive(openId)).map((r) => r.text),
      ['call the bank'],
    );
    assert.equal((await newOnly.reminders.get(r1.id))?.text, 'call the bank');
    assert.equal((await newOnly.reminders.get(r2.id))?.text, 'water the plants');
  });

  test('a value sealed with a key the deployment does not hold says so, naming no key material', () => {
    const a = new SecretBox(randomBytes(32));
    const b = new SecretBox(randomBytes(32));
    assert.throws(() => b.open(a.seal('x', 'ou_1'), 'ou_1'), /key/);
  });
});

describe('a sealed value belongs to its row', () => {
  test("a token copied into another user's row does not open there", async () => {
    const svc = services({ TOKEN_ENCRYPTION_KEY: newKey() });
    const lan = await signIn(svc, 'lan');
    const minh = await signIn(svc, 'minh');
    const lanRow = await row(lan.openId);
    await db.pool.query('update lark_user_tokens set access_token = $2, refresh_token = $3 where open_id = $1', [
      minh.openId,
      lanRow.access_token,
      lanRow.refresh_token,
    ]);
    const refreshes = () => emu.calls.refreshCalls(minh.openId) + emu.calls.refreshCalls(lan.openId);
    const before = refreshes();
    await assert.rejects(svc.tokens.getAccessToken(minh.openId), /does not open here/);
    await db.pool.query('update lark_user_tokens set expires_at = $2 where open_id = $1', [minh.openId, Date.now() + 1000]);
    await assert.rejects(svc.tokens.getAccessToken(minh.openId), /does not open here/);
    assert.equal(refreshes() - before, 0, "lan's refresh token is not spent from minh's row");
  });

  test('an access token pasted into the refresh column does not open there (nothing is sent to Lark)', async () => {
    const svc = services({ TOKEN_ENCRYPTION_KEY: newKey() });
    const alice = await signIn(svc, 'alice', 60_000); // inside the refresh window: the refresh token is read
    const r = await row(alice.openId);
    await db.pool.query('update lark_user_tokens set refresh_token = $2 where open_id = $1', [alice.openId, r.access_token]);
    const refreshesBefore = emu.calls.refreshCalls(alice.openId);
    await assert.rejects(svc.tokens.getAccessToken(alice.openId), (e: unknown) => !(e instanceof LarkUserAuthRequired));
    assert.equal(emu.calls.refreshCalls(alice.openId) - refreshesBefore, 0, 'no refresh with a value from another column');
  });

  test("a reminder's text copied onto another reminder of the same user does not open there", async () => {
    const svc = services({ TOKEN_ENCRYPTION_KEY: newKey() });
    const openId = emu.user('lan').open_id;
    const a = await newReminder(svc, openId, 'private: see the doctor');
    const b = await newReminder(svc, openId, 'buy milk');
    const sealedA = (await db.pool.query<{ text_sealed: string }>('select text_sealed from reminders where id = $1', [a.id])).rows[0]!.text_sealed;
    await db.pool.query('update reminders set text_sealed = $2 where id = $1', [b.id, sealedA]);
    await assert.rejects(svc.reminders.get(b.id), /does not open here/);
  });

  test('rows sealed in the earlier format (bound to the open_id only) open, and are re-sealed in the current one', async () => {
    const key = newKey();
    const svc = services({ TOKEN_ENCRYPTION_KEY: key });
    const minh = await signIn(svc, 'minh');
    await db.pool.query('update lark_user_tokens set access_token = $2, refresh_token = $3 where open_id = $1', [
      minh.openId,
      sealV1(key, minh.accessToken, minh.openId),
      sealV1(key, minh.refreshToken!, minh.openId),
    ]);
    const rem = await newReminder(svc, minh.openId, 'send the report');
    await db.pool.query('update reminders set text_sealed = $2 where id = $1', [rem.id, sealV1(key, 'send the report', minh.openId)]);

    assert.equal(await svc.tokens.getAccessToken(minh.openId), minh.accessToken);
    assert.equal((await svc.reminders.get(rem.id))?.text, 'send the report');
    const r = await row(minh.openId);
    assert.match(r.access_token, /^v2\./);
    assert.match(r.refresh_token, /^v2\./);
    const text = (await db.pool.query<{ text_sealed: string }>('select text_sealed from reminders where id = $1', [rem.id])).rows[0]!.text_sealed;
    assert.match(text, /^v2\./);
    // The re-sealed values still work: the refresh token is accepted by Lark.
    await db.pool.query('update lark_user_tokens set expires_at = $2 where open_id = $1', [minh.openId, Date.now() + 1000]);
    assert.notEqual(await svc.tokens.getAccessToken(minh.openId), minh.accessToken);
  });
});

describe('a refresh whose answer was lost', () => {
  const TOKEN_PATH = '/open-apis/authen/v2/oauth/token';

  test('Lark applied it (the refresh token is spent): the same call says the user must sign in, typed, after one more try', async () => {
    const svc = services({ TOKEN_ENCRYPTION_KEY: newKey() });
    const lan = await signIn(svc, 'lan', 60_000);
    const before = emu.calls.refreshCalls(lan.openId);
    const fault = emu.faults.add({ match: { path: TOKEN_PATH }, times: 1, kind: 'loseResponse' });
    try {
      await assert.rejects(svc.tokens.getAccessToken(lan.openId), (e: unknown) => {
        assert.ok(e instanceof LarkUserAuthRequired, `typed sign-in failure, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
        assert.match(e.message, /answer was lost/);
        return true;
      });
    } finally {
      fault.remove();
    }
    assert.equal(emu.calls.refreshCalls(lan.openId) - before, 2, 'the lost one, and one try that finds it spent');
    assert.equal((await row(lan.openId)).status, 'revoked', 'the dead tokens are not used again');
  });

  test('Lark never applied it: the same call tries once more and gets a working token', async () => {
    const svc = services({ TOKEN_ENCRYPTION_KEY: newKey(), LARK_REQUEST_TIMEOUT_MS: '800' });
    const minh = await signIn(svc, 'minh', 60_000);
    const before = emu.calls.refreshCalls(minh.openId);
    const fault = emu.faults.add({ match: { path: TOKEN_PATH }, times: 1, kind: 'timeout', ms: 1500 });
    let token: string;
    try {
      token = await svc.tokens.getAccessToken(minh.openId);
    } finally {
      fault.remove();
    }
    assert.notEqual(token, minh.accessToken);
    assert.equal(emu.calls.refreshCalls(minh.openId) - before, 1, 'the held request never reached the token service; one refresh did');
    await svc.lark.listTasks(minh.openId);
    assert.equal((await row(minh.openId)).status, 'active');
  });

  test('tokens stored meanwhile (the user signed in again) are read back and used, with no second refresh', async () => {
    const svc = services({ TOKEN_ENCRYPTION_KEY: newKey() });
    const alice = await signIn(svc, 'alice', 60_000);
    const before = emu.calls.refreshCalls(alice.openId);
    // The refresh is held long enough for the sign-in below to queue on the row lock even on a loaded machine.
    const latency = emu.faults.add({ match: { path: TOKEN_PATH }, times: 1, kind: 'latency', ms: 2500 });
    const lost = emu.faults.add({ match: { path: TOKEN_PATH }, times: 1, kind: 'loseResponse' });
    try {
      const pending = svc.tokens.getAccessToken(alice.openId);
      await sleep(250);
      // A sign-in lands while the refresh is in flight (it waits for the row lock).
      const t = emu.issueUserToken(alice.openId);
      const saved = svc.tokens.save(alice.openId, {
        accessToken: t.accessToken,
        refreshToken: t.refreshToken!,
        expiresAt: Date.now() + 7_200_000,
        scopes: ['offline_access'],
      });
      const queued = async () =>
        Number(
          (await db.pool.query<{ n: string }>("select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%lark_user_tokens%'"))
            .rows[0]!.n,
        ) > 0;
      let waiting = false;
      for (let i = 0; i < 40 && !waiting; i++) waiting = (await queued()) || (await sleep(50), false);
      assert.ok(waiting, 'the sign-in queued behind the refresh (the case under test)');
      assert.equal(await pending, t.accessToken);
      await saved;
    } finally {
      latency.remove();
      lost.remove();
    }
    assert.equal(emu.calls.refreshCalls(alice.openId) - before, 1);
    assert.equal((await row(alice.openId)).status, 'active');
    await svc.lark.listTasks(alice.openId);
  });

  test('no answer twice: a retryable failure, the tokens kept', async () => {
    const svc = services({ TOKEN_ENCRYPTION_KEY: newKey(), LARK_REQUEST_TIMEOUT_MS: '500' });
    const lan = await signIn(svc, 'lan', 60_000);
    const fault = emu.faults.add({ match: { path: TOKEN_PATH }, times: 2, kind: 'timeout', ms: 900 });
    try {
      await assert.rejects(svc.tokens.getAccessToken(lan.openId), (e: unknown) => e instanceof LarkTransportError);
    } finally {
      fault.remove();
    }
    assert.equal((await row(lan.openId)).status, 'active');
    // Lark never saw them: the stored refresh token still works.
    assert.notEqual(await svc.tokens.getAccessToken(lan.openId), lan.accessToken);
    await svc.lark.listTasks(lan.openId);
  });
});
