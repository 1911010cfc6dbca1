/**
 * Per-user OAuth end to end: login card, the emulator's authorize step, the callback, tokens sealed in
 * PostgreSQL, and the waiting requests resuming in order — on a real Temporal server and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { userWorkflowId } from '../workflows/contract';
import { silentLogger } from './support/silent-logger';
import { startStack, type Stack } from './support/stack';

let s: Stack;
before(async () => {
  s = await startStack({ env: { AUTH_WAIT_TIMEOUT_SECONDS: '4' } });
});
after(async () => s?.stop());

const textOf = (m: { content: string }) => (JSON.parse(m.content) as { text?: string }).text ?? '';
const loginCards = (user: string) => s.dmsTo(user).filter((m) => m.msg_type === 'interactive' && m.content.includes('authen/v1/authorize'));

describe('authorization round trip', () => {
  test('a message, one login card, sign in, tokens sealed, and the original request completes', async () => {
    const msg = await s.say('lan', "what's on my calendar Friday?");
    await s.waitFor('login card', () => loginCards('lan').length === 1);
    const state = await s.userState('lan');
    assert.equal(state.authorized, false);
    assert.ok(state.waitingForAuthSince, 'waiting since is shown');
    assert.equal(s.repliesTo(msg).length, 0, 'no answer before authorization');

    const page = await s.signIn('lan');
    assert.equal(page.status, 200);
    assert.match(page.html, /Đã kết nối/);
    const reply = await s.waitFor('answer', () => s.repliesTo(msg).find((m) => m.msg_type === 'text'));
    assert.match(textOf(reply), /offline/i);

    const row = (
      await s.db.pool.query('select access_token, refresh_token, primary_calendar_id, status from lark_user_tokens where open_id = $1', [
        s.emu.user('lan').open_id,
      ])
    ).rows[0];
    assert.equal(row.status, 'active');
    assert.match(row.access_token, /^v2\./, 'stored sealed');
    assert.match(row.refresh_token, /^v2\./);
    const plain = await s.services.tokens.getAccessToken(s.emu.user('lan').open_id);
    assert.ok(!row.access_token.includes(plain), 'the raw column is not the token');
    assert.ok(row.primary_calendar_id, 'primary calendar found and stored');
    assert.equal(loginCards('lan').length, 1);
    assert.equal((await s.userState('lan')).authorized, true);
  });

  test('three messages before authorization all complete after it, in order, with exactly one login card', async () => {
    const texts = ['add a task to send the report by Monday', 'thêm việc gửi báo cáo trước thứ hai', 'what tasks do I have?'];
    const ids: string[] = [];
    for (const t of texts) ids.push(await s.say('minh', t));
    await s.waitFor('login card', () => loginCards('minh').length === 1);
    await s.waitFor('all three queued', async () => (await s.userState('minh')).pendingCount === 3);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(loginCards('minh').length, 1, 'one card per waiting period');
    await s.signIn('minh');
    const replies = await s.waitFor('three answers', () => {
      const r = ids.map((id) => s.repliesTo(id).find((m) => m.msg_type === 'text'));
      return r.every(Boolean) ? r : undefined;
    });
    const order = replies.map((m) => Number(m!.create_time));
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      'answered in arrival order',
    );
    assert.equal(s.emu.state.taskList().filter((t) => t.members.some((m) => m.id === s.emu.user('minh').open_id)).length, 2);
    assert.equal(loginCards('minh').length, 1);
    await s.waitFor('all three completed', async () => (await s.userState('minh')).completedCount === 3);
  });
});

describe('the state parameter', () => {
  test('forged, expired and replayed states are refused and change nothing', async () => {
    const cb = `${s.webhook.url}/oauth/callback`;
    const count = async () => Number((await s.db.pool.query('select count(*) from lark_user_tokens')).rows[0].count);
    const before = await count();
    // Forged: the bare open_id (the seed's shortcut), and a well-formed state signed with another key.
    const bare = await fetch(`${cb}?code=x&state=${s.emu.user('alice').open_id}`);
    assert.equal(bare.status, 400);
    assert.match(await bare.text(), /not valid/);
    const { createState } = await import('../src/oauth/state');
    const forged = createState('not-the-server-secret-at-all', s.emu.user('alice').open_id, 60_000).state;
    assert.equal((await fetch(`${cb}?code=x&state=${encodeURIComponent(forged)}`)).status, 400);
    // Expired: correctly signed, past its expiry.
    const expired = createState(s.secrets.stateSecret, s.emu.user('alice').open_id, -1000).state;
    const exp = await fetch(`${cb}?code=x&state=${encodeURIComponent(expired)}`);
    assert.equal(exp.status, 400);
    assert.match(await exp.text(), /expired/);
    // Replayed: a real link used twice.
    const link = new URL(await s.services.oauth.loginLink(s.emu.user('alice').open_id));
    const redirect = s.emu.authorize({
      openId: s.emu.user('alice').open_id,
      redirectUri: link.searchParams.get('redirect_uri')!,
      state: link.searchParams.get('state')!,
      scope: link.searchParams.get('scope')!,
      codeChallenge: link.searchParams.get('code_challenge')!,
    });
    assert.equal((await fetch(redirect)).status, 200);
    const afterFirst = await count();
    const again = await fetch(redirect);
    assert.equal(again.status, 400);
    assert.match(await again.text(), /already used/);
    assert.equal(await count(), afterFirst, 'the replay stored nothing');
    assert.equal(afterFirst, before + 1, 'only the genuine sign-in stored tokens');
  });

  test('signing in as someone else than the link was made for stores nothing', async () => {
    const link = new URL(await s.services.oauth.loginLink(s.emu.user('alice').open_id));
    const redirect = s.emu.authorize({
      openId: s.emu.user('lan').open_id,
      redirectUri: link.searchParams.get('redirect_uri')!,
      state: link.searchParams.get('state')!,
      scope: link.searchParams.get('scope')!,
      codeChallenge: link.searchParams.get('code_challenge')!,
    });
    const res = await fetch(redirect);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /different account/);
  });
});

describe('refresh', () => {
  test('ten concurrent activities for a user whose token is about to expire refresh exactly once', async () => {
    const openId = s.emu.user('lan').open_id;
    await s.db.pool.query('update lark_user_tokens set expires_at = $2 where open_id = $1', [openId, Date.now() + 60_000]);
    const before = s.emu.calls.refreshCalls(openId);
    // A second worker with the same activities runs a probe workflow: ten tool activities at once.
    const probeQueue = `${s.taskQueue}-probe`;
    const worker = await Worker.create({
      connection: s.env.nativeConnection,
      taskQueue: probeQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'support/test-workflows.ts'), logger: silentLogger }),
      activities: createActivities({ temporal: s.client, config: s.config, services: s.services, taskQueue: probeQueue }),
      maxConcurrentActivityTaskExecutions: 20,
    });
    const results = await worker.runUntil(
      Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          s.client.workflow.execute('toolProbeWorkflow', { taskQueue: probeQueue, workflowId: `probe-${i}-${Date.now()}`, args: [openId] }),
        ),
      ),
    );
    assert.equal(results.length, 10);
    for (const r of results) assert.equal((r as { isError: boolean }).isError, false);
    assert.equal(s.emu.calls.refreshCalls(openId) - before, 1);
  });

  test('a revoked refresh token leads to a new login card, not a retry loop', async () => {
    const openId = s.emu.user('minh').open_id;
    await s.db.pool.query('update lark_user_tokens set expires_at = $2 where open_id = $1', [openId, Date.now() + 60_000]);
    s.emu.revokeRefreshToken(openId);
    const cardsBefore = loginCards('minh').length;
    const refreshBefore = s.emu.calls.refreshCalls(openId);
    await s.say('minh', 'what tasks do I have?');
    await s.waitFor('a new login card', () => loginCards('minh').length === cardsBefore + 1);
    const row = (await s.db.pool.query('select status from lark_user_tokens where open_id = $1', [openId])).rows[0];
    assert.equal(row.status, 'revoked');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(s.emu.calls.refreshCalls(openId) - refreshBefore, 1, 'one refresh attempt, no loop');
  });

  test('a refresh whose answer was lost (Lark spent the refresh token): one sign-in card, and the request completes after sign-in', async () => {
    await s.authorize('lan');
    const openId = s.emu.user('lan').open_id;
    await s.db.pool.query('update lark_user_tokens set expires_at = $2 where open_id = $1', [openId, Date.now() + 60_000]);
    const cardsBefore = loginCards('lan').length;
    const refreshBefore = s.emu.calls.refreshCalls(openId);
    const fault = s.emu.faults.add({ match: { path: '/open-apis/authen/v2/oauth/token' }, times: 1, kind: 'loseResponse' });
    const asked = await s.say('lan', 'what tasks do I have?');
    await s.waitFor('a sign-in card', () => loginCards('lan').length === cardsBefore + 1);
    fault.remove();
    assert.equal(s.emu.calls.refreshCalls(openId) - refreshBefore, 2, 'the lost refresh, and one that found the token spent');
    assert.equal(s.repliesTo(asked).filter((m) => m.msg_type === 'text').length, 0, 'no apology: the request waits for the sign-in');
    // AUTH_WAIT_TIMEOUT_SECONDS is 4 here: a short look for a second card, then sign in.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(loginCards('lan').length, cardsBefore + 1, 'ONE card');
    assert.equal((await s.signIn('lan')).status, 200);
    await s.waitFor('the answer', () => s.repliesTo(asked).find((m) => m.msg_type === 'text'), 20_000);
  });
});

describe('timeout', () => {
  test('requests waiting longer than the timeout expire with a message naming them', async () => {
    // AUTH_WAIT_TIMEOUT_SECONDS is 4 in this stack; alice never signs in.
    await s.db.pool.query('delete from lark_user_tokens where open_id = $1', [s.emu.user('alice').open_id]);
    await s.say('alice', 'add a task to water the plants by Monday');
    await s.waitFor('login card', () => loginCards('alice').length >= 1);
    const notice = await s.waitFor('expiry notice', () => s.dmsTo('alice').find((m) => m.msg_type === 'text' && textOf(m).includes('expired')), 20_000);
    assert.match(textOf(notice), /water the plants/);
    const state = await s.userState('alice');
    assert.equal(state.pendingCount, 0);
    assert.equal(state.expiredCount, 1);
  });
});

describe('secrets stay out of workflow history', () => {
  test('no token, app secret or key appears in any history of this run', async () => {
    const secrets: string[] = [s.emu.appSecret, s.secrets.encryptKey, s.secrets.tokenKey, s.secrets.stateSecret];
    for (const user of ['lan', 'minh']) {
      const row = (await s.db.pool.query('select open_id from lark_user_tokens where open_id = $1 and status = $2', [s.emu.user(user).open_id, 'active']))
        .rows[0];
      if (row) secrets.push(await s.services.tokens.getAccessToken(row.open_id));
    }
    const { SecretBox } = await import('../src/storage/secret-box');
    const { tokenPlace } = await import('../src/storage/token-store');
    const box = SecretBox.fromBase64(s.secrets.tokenKey);
    for (const r of (await s.db.pool.query('select open_id, refresh_token from lark_user_tokens')).rows)
      secrets.push(box.open(r.refresh_token, tokenPlace(r.open_id, 'refresh_token')));
    assert.ok(secrets.length >= 6);
    let histories = 0;
    for await (const wf of s.client.workflow.list({ query: `TaskQueue = "${s.taskQueue}"` })) {
      const history = await s.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const text = JSON.stringify(history);
      for (const secret of secrets) assert.ok(!text.includes(secret), `a secret appears in ${wf.workflowId}`);
      // Payloads are base64 in the exported history: search the decoded form too.
      const decoded = (text.match(/"data":"([A-Za-z0-9+/=]+)"/g) ?? []).map((d) => Buffer.from(d.slice(8, -1), 'base64').toString('utf8')).join('\n');
      for (const secret of secrets) assert.ok(!decoded.includes(secret), `a secret appears (decoded) in ${wf.workflowId}`);
      histories++;
    }
    assert.ok(histories >= 5, `searched ${histories} histories`);
    assert.ok((await s.client.workflow.getHandle(userWorkflowId(s.emu.user('lan').open_id)).describe()).status.name === 'RUNNING');
  });
});
