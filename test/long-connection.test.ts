/**
 * Events without a public URL: the app in LARK_EVENT_MODE=websocket, the official SDK's WSClient connected to the
 * emulator's long connection (the endpoint it asks for its WebSocket URL, binary pbbp2 frames, ping/pong, acks),
 * on the real Temporal dev server, the real worker and workflows, real PostgreSQL and the offline model.
 * The same exactly-once guarantee as the webhook: each event becomes `lark-event-<event_id>`, acknowledged with
 * code 200 only once Temporal has recorded it, and answered once, whatever replica, drop or outage.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { DEFAULT_USERS, type Message } from '../dev/emulator/state';
import { createLogger, type Logger } from '../src/logger';
import { createTemporalClient } from '../src/temporal/client';
import { startWebhook, type RunningWebhook } from '../src/webhook/start';
import { eventWorkflowId } from '../workflows/contract';
import { requireEnv } from './support/env';
import { startStack, type Stack } from './support/stack';
import { startTcpProxy } from './support/tcp-proxy';
import { waitUntil } from './support/wait';

let s: Stack;
const quiet = createLogger('silent', 'test');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 20 more people for the burst: 10 messages each stays under a per-user run's cap on waiting requests. */
const BURST_USERS = Array.from({ length: 20 }, (_, i) => ({ key: `b${i}`, name: `Burst ${i}`, email: `b${i}@example.com` }));

before(async () => {
  s = await startStack({ eventMode: 'websocket', emulator: { users: [...DEFAULT_USERS, ...BURST_USERS] } });
  for (const u of ['minh', 'lan', 'alice', ...BURST_USERS.map((b) => b.key)]) await s.authorize(u);
});
after(async () => s?.stop());

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger(
    'debug',
    'replica',
    new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  );
  return { log, lines };
}

/** Another replica of the intake, connected to the same (emulated) Lark app. */
async function replica(
  o: { client?: Client; log?: Logger; startTimeoutMs?: number; maxDownMs?: number } = {},
): Promise<{ hook: RunningWebhook; conn: string }> {
  const known = new Set(s.emu.longConnection.connections().map((c) => c.id));
  const config = {
    ...s.config,
    port: 0,
    webhook: { ...s.config.webhook, startTimeoutMs: o.startTimeoutMs ?? s.config.webhook.startTimeoutMs },
    longConnection: { ...s.config.longConnection, maxDownMs: o.maxDownMs ?? s.config.longConnection.maxDownMs },
  };
  const hook = await startWebhook(config, o.client ?? s.client, s.db.pool, o.log ?? quiet, s.services, {
    longConnection: { restartBackoffMs: { min: 200, max: 1000 } },
  });
  await waitUntil('the replica connected', () => hook.longConnection?.status().state === 'connected', 20_000);
  const conn = await waitUntil('its connection', () => s.emu.longConnection.connections().find((c) => !known.has(c.id)));
  return { hook, conn: conn.id };
}

const runsOf = (eventId: string) => s.client.workflow.count(`WorkflowId = "${eventWorkflowId(eventId)}"`).then((r) => r.count);
const exists = (eventId: string) =>
  s.client.workflow
    .getHandle(eventWorkflowId(eventId))
    .describe()
    .then(
      () => true,
      () => false,
    );
const textReplies = (messageId: string) => s.repliesTo(messageId).filter((m) => m.msg_type === 'text');
type MessagePayload = { header: { event_id: string }; event: { message: { message_id: string } } };
const frames = (h: RunningWebhook, key: string) => h.longConnection!.status().frames[key] ?? 0;

async function metric(name: string, labels: string): Promise<number> {
  const text = await fetch(`${s.webhook.url}/metrics`).then((r) => r.text());
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

test('an event over the socket: acknowledged 200, one workflow, one answer; the webhook routes are off', async () => {
  const payload = s.emu.events.message({ from: 'minh', text: 'hello over the long connection' }) as unknown as MessagePayload;
  const d = s.emu.sendEvent(undefined, payload as never);
  const ack = await d.done;
  assert.deepEqual([ack.transport, ack.status, d.attempts.length], ['long-connection', 200, 1]);
  assert.equal(ack.connection, s.emu.longConnection.connections()[0]!.id);
  const result = await s.client.workflow.getHandle(eventWorkflowId(payload.header.event_id)).result();
  assert.equal(result.outcome, 'routed');
  const messageId = payload.event.message.message_id;
  await s.waitFor('the answer', () => textReplies(messageId).length > 0);
  await sleep(1500);
  assert.equal(textReplies(messageId).length, 1, 'answered once');
  assert.equal(await runsOf(payload.header.event_id), 1);

  // Nothing arrives over HTTP in websocket mode: the webhook's event and card routes say so.
  for (const path of ['/webhook/event', '/webhook/card']) {
    const res = await fetch(`${s.webhook.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 404, path);
    assert.equal(((await res.json()) as { error: string }).error, 'webhook_off', path);
  }
  const health = await fetch(`${s.webhook.url}/webhook/health`);
  const body = (await health.json()) as {
    checks: Record<string, string>;
    details: { long_connection: { state: string; connected: boolean; since: string; reconnects: number } };
  };
  assert.equal(health.status, 200);
  assert.equal(body.checks.long_connection, 'ok');
  assert.equal(body.details.long_connection.state, 'connected');
  assert.equal(body.details.long_connection.connected, true);
  assert.ok(Date.parse(body.details.long_connection.since) <= Date.now());
});

test('several replicas: Lark gives each push to one of them; the same event id pushed to two replicas starts one workflow', async () => {
  const second = await replica();
  try {
    const first = s.emu.longConnection.connections().find((c) => c.id !== second.conn)!.id;
    // Lark's random choice spreads pushes over both connections, and each push is answered once.
    const spread = Array.from({ length: 20 }, (_, i) => s.emu.events.message({ from: 'lan', text: `spread ${i}` }) as unknown as MessagePayload);
    const acks = await Promise.all(spread.map((p) => s.emu.sendEvent(undefined, p as never).done));
    assert.ok(acks.every((a) => a.status === 200));
    assert.deepEqual(new Set(acks.map((a) => a.connection)), new Set([first, second.conn]), 'both replicas got pushes');
    await s.waitFor('20 answers', () => spread.every((p) => textReplies(p.event.message.message_id).length > 0), 60_000);

    // The same event id, pushed to both replicas at once (a re-push landing elsewhere while the first is handled).
    const payload = s.emu.events.message({ from: 'alice', text: 'one event, two replicas' }) as unknown as MessagePayload;
    const count = (k: string) => frames(s.webhook, k) + frames(second.hook, k);
    const [started0, dup0] = [count('event:started'), count('event:duplicate')];
    const both = await Promise.all([first, second.conn].map((c) => s.emu.longConnection.deliver(payload as never, { connection: c }).done));
    assert.deepEqual(
      both.map((a) => a.status),
      [200, 200],
      'both acknowledged',
    );
    assert.notEqual(both[0]!.connection, both[1]!.connection);
    assert.deepEqual([count('event:started') - started0, count('event:duplicate') - dup0], [1, 1], 'one replica started it, the other found it');
    // And a third push after the run finished, to whichever replica: a duplicate again.
    assert.equal((await s.emu.longConnection.deliver(payload as never).done).status, 200);
    assert.deepEqual([count('event:started') - started0, count('event:duplicate') - dup0], [1, 2]);
    const messageId = payload.event.message.message_id;
    await s.waitFor('the answer', () => textReplies(messageId).length > 0);
    await sleep(1500);
    assert.equal(textReplies(messageId).length, 1, 'answered once');
    assert.equal(await runsOf(payload.header.event_id), 1);
    for (const p of spread) assert.equal(textReplies(p.event.message.message_id).length, 1, 'each spread event answered once');
  } finally {
    await second.hook.close();
  }
});

test('Temporal unreachable while a frame is handled: ack 500 within 3 s, no workflow; the re-push is answered once', async () => {
  const proxy = await startTcpProxy(requireEnv('TEST_TEMPORAL_ADDRESS'));
  const client = createTemporalClient(proxy.address, 'default');
  const r = await replica({ client, startTimeoutMs: 1500 });
  try {
    proxy.down();
    const payload = s.emu.events.message({ from: 'minh', text: 'written while temporal is down' }) as unknown as MessagePayload;
    const d = s.emu.longConnection.deliver(payload as never, { connection: r.conn, retrySchedule: [3000, 5000], timeScale: 1 });
    const firstAck = await waitUntil('the first ack', () => d.attempts[0], 10_000);
    assert.deepEqual([firstAck.status, firstAck.connection], [500, r.conn], 'code 500: not recorded');
    assert.ok(firstAck.ms < 3000, `acked within Lark's 3 s (${firstAck.ms} ms)`);
    assert.equal(frames(r.hook, 'event:unavailable'), 1);
    assert.equal(await exists(payload.header.event_id), false, 'no workflow');
    proxy.up();
    const last = await d.done;
    assert.equal(last.status, 200, `re-pushed and recorded (attempts: ${d.attempts.map((a) => a.status ?? a.error).join(', ')})`);
    assert.ok(d.attempts.length >= 2);
    const messageId = payload.event.message.message_id;
    await s.waitFor('the answer', () => textReplies(messageId).length > 0);
    await sleep(1500);
    assert.equal(textReplies(messageId).length, 1, 'answered once');
    assert.equal(await runsOf(payload.header.event_id), 1);
  } finally {
    await r.hook.close();
    await client.connection.close();
    await proxy.close();
  }
});

test('the socket dropped in the middle of a burst of 200 events: it reconnects, every event is answered exactly once', async () => {
  const lc = s.webhook.longConnection!;
  const reconnects = lc.status().reconnects;
  const [started0, duplicates0, unavailable0] = [
    frames(s.webhook, 'event:started'),
    frames(s.webhook, 'event:duplicate'),
    frames(s.webhook, 'event:unavailable'),
  ];
  const users = BURST_USERS.map((b) => b.key);
  const sent: { payload: MessagePayload; d: ReturnType<Stack['emu']['sendEvent']> }[] = [];
  let dropped = 0;
  for (let i = 0; i < 200; i++) {
    const payload = s.emu.events.message({ from: users[i % users.length]!, text: `burst ${i}` }) as unknown as MessagePayload;
    sent.push({ payload, d: s.emu.sendEvent(undefined, payload as never) });
    if (i === 80) dropped = s.emu.longConnection.drop();
    await sleep(4);
  }
  assert.equal(dropped, 1, 'the one connection was cut mid-burst');
  const acks = await Promise.all(sent.map((x) => x.d.done));
  assert.deepEqual(acks.filter((a) => a.status !== 200).length, 0, 'every event acknowledged in the end');
  const repushed = sent.filter((x) => x.d.attempts.length > 1).length;
  assert.ok(repushed > 0, 'some pushes were lost with the socket and pushed again');
  assert.ok(lc.status().reconnects > reconnects, 'reconnected');
  assert.equal(s.emu.longConnection.connections().length, 1);
  await s.waitFor('200 answers', () => sent.every((x) => textReplies(x.payload.event.message.message_id).length > 0), 240_000);
  await sleep(2000);
  const counts = sent.map((x) => textReplies(x.payload.event.message.message_id).length);
  assert.deepEqual(
    counts.filter((n) => n !== 1),
    [],
    'each answered exactly once',
  );
  const runs = await Promise.all(sent.map((x) => exists(x.payload.header.event_id)));
  assert.equal(runs.filter(Boolean).length, 200, 'one workflow per event');
  // Each event was recorded by one push: a push whose ack died with the socket, or whose start outlived
  // WEBHOOK_START_TIMEOUT_MS on a loaded machine (ack 500, the start went through later), came back as a duplicate.
  const started = frames(s.webhook, 'event:started') - started0;
  const duplicates = frames(s.webhook, 'event:duplicate') - duplicates0;
  const unavailable = frames(s.webhook, 'event:unavailable') - unavailable0;
  assert.ok(started <= 200 && started + duplicates >= 200, `started ${started}, duplicates ${duplicates}`);
  console.log(
    `burst: 200 events, ${repushed} re-pushed (${duplicates} found already recorded, ${unavailable} acked 500 for a slow start), ${started} started here, ${lc.status().reconnects - reconnects} reconnect(s)`,
  );
});

test('a card click over the socket: the toast comes back in the ack data', async () => {
  const id = await s.say('minh', 'tạo cuộc họp 3h chiều mai với Lan');
  const card: Message = await s.waitFor('confirm card', () => s.repliesTo(id).find((m) => m.msg_type === 'interactive'));
  const buttons = JSON.parse(card.content).elements.find((e: { tag: string }) => e.tag === 'action').actions as Array<{ value?: Record<string, unknown> }>;
  const confirm = buttons.find((b) => b.value?.decision === 'confirm')!.value!;
  const click = async (from: string, value: Record<string, unknown>) => {
    const a = await s.callback(s.emu.events.cardAction({ from, messageId: card.message_id, value }));
    assert.deepEqual([a.transport, a.status], ['long-connection', 200]);
    return (JSON.parse(a.responseText ?? '{}') as { toast?: { content?: string } }).toast?.content ?? '';
  };
  assert.match(await click('lan', confirm), /^Chỉ người đã gửi yêu cầu mới xác nhận được$/);
  assert.equal(s.emu.state.eventList().filter((e) => e.summary).length, 0, 'nothing created by a foreign click');
  assert.match(await click('minh', confirm), /^Đã xác nhận$/);
  await s.waitFor('the answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
  assert.match(await click('minh', confirm), /đã được trả lời rồi/);
  assert.equal(s.emu.state.eventList().filter((e) => e.summary).length, 1, 'created once');
  // Lark's docs: legacy card callbacks are not delivered over the long connection.
  assert.throws(
    () => s.emu.sendEvent(undefined, s.emu.events.cardActionLegacy({ from: 'minh', messageId: card.message_id, value: confirm })),
    /not delivered over the long connection/,
  );
});

test('malformed and oversized pushes: an error ack (none when the SDK cannot read the frame), nothing started, the connection stays up', async () => {
  const conn = s.emu.longConnection.connections()[0]!;
  const lc = s.webhook.longConnection!;
  const reconnects = lc.status().reconnects;
  const eventRuns = () => s.client.workflow.count(`WorkflowType = "larkEventWorkflow" AND TaskQueue = "${s.taskQueue}"`).then((r) => r.count);
  const runsBefore = await waitUntil(
    'a stable count',
    async () => {
      const a = await eventRuns();
      await sleep(1500);
      return (await eventRuns()) === a ? a : undefined;
    },
    30_000,
  );
  const unreadable = (reason: string) => metric('lark_agent_long_connection_frames_total', `type="unreadable",outcome="dropped",reason="${reason}"`);
  const [undecodable0, fragments0] = [await unreadable('undecodable'), await unreadable('fragments')];
  const refusedBefore = Object.entries(lc.status().frames)
    .filter(([k]) => k.endsWith(':refused'))
    .reduce((n, [, v]) => n + v, 0);

  const message = (mutate: (p: any) => void) => {
    const p = s.emu.events.message({ from: 'minh', text: 'not to be started' }) as any;
    mutate(p);
    return p;
  };
  const refused: Array<[string, ReturnType<typeof s.emu.longConnection.deliver>]> = [
    [
      'missing header.event_id',
      s.emu.longConnection.deliver(
        message((p) => delete p.header.event_id),
        { redeliver: false },
      ),
    ],
    [
      'event id with spaces',
      s.emu.longConnection.deliver(
        message((p) => (p.header.event_id = 'a b')),
        { redeliver: false },
      ),
    ],
    [
      'content that is not JSON',
      s.emu.longConnection.deliver(
        message((p) => (p.event.message.content = '{text')),
        { redeliver: false },
      ),
    ],
    ['unknown schema', s.emu.longConnection.deliver({ hello: 'world' }, { redeliver: false })],
    ['JSON that is not an object', s.emu.longConnection.deliverRaw(Buffer.from('[1,2]'), { redeliver: false })],
    [
      'over WEBHOOK_MAX_BODY_BYTES (3 fragments)',
      s.emu.longConnection.deliver(
        message((p) => (p.pad = 'x'.repeat(1024 * 1024 + 10))),
        { redeliver: false },
      ),
    ],
  ];
  for (const [name, d] of refused) {
    const a = await d.done;
    assert.deepEqual([a.status, a.ok, a.connection], [500, false, conn.id], name);
  }
  const refusedNow = Object.entries(lc.status().frames)
    .filter(([k]) => k.endsWith(':refused'))
    .reduce((n, [, v]) => n + v, 0);
  assert.equal(refusedNow - refusedBefore, refused.length, 'each refused by our parse, not by Temporal');

  // What the SDK cannot read never reaches the handler: it logs and drops it, no ack (Lark pushes it again).
  const notJson = await s.emu.longConnection.deliverRaw(Buffer.from('{"schema":'), { redeliver: false, ackTimeoutMs: 1500 }).done;
  assert.deepEqual([notJson.status, notJson.error], [undefined, 'timeout'], 'a payload that is not JSON: no ack');
  s.emu.longConnection.sendRaw(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), conn.id); // not a pbbp2.Frame
  s.emu.longConnection.sendRaw(
    s.emu.longConnection.dataFrame(conn, Buffer.from('{}'), [
      { key: 'type', value: 'event' },
      { key: 'message_id', value: 'bad-fragments' },
      { key: 'sum', value: '2' },
      { key: 'seq', value: '7' },
      { key: 'trace_id', value: 't' },
    ]),
    conn.id,
  );
  await waitUntil(
    'the SDK reported the dropped frames',
    async () => (await unreadable('undecodable')) >= undecodable0 + 1 && (await unreadable('fragments')) >= fragments0 + 2,
    5000,
  );

  // The connection is the same one, still open, and takes the next event as usual.
  assert.deepEqual(
    s.emu.longConnection.connections().map((c) => c.id),
    [conn.id],
  );
  assert.equal(lc.status().reconnects, reconnects);
  assert.equal(await eventRuns(), runsBefore, 'nothing started');
  const good = s.emu.events.message({ from: 'minh', text: 'after the bad frames' }) as unknown as MessagePayload;
  const ok = await s.emu.longConnection.deliver(good as never).done;
  assert.deepEqual([ok.status, ok.connection], [200, conn.id]);
  assert.equal(await exists(good.header.event_id), true);
  assert.equal((await fetch(`${s.webhook.url}/webhook/health`)).status, 200);
});

test('supervision: down past LARK_WS_MAX_DOWN_SECONDS fails health; it comes back by itself; restarted after the SDK gives up; every state change logged, no secret', async () => {
  const { log, lines } = capture();
  const r = await replica({ log, maxDownMs: 5000 });
  try {
    const lc = r.hook.longConnection!;
    // The emulator does not know which replica holds which connection: the stack's are the others.
    const stackConns = new Set(
      s.emu.longConnection
        .connections()
        .map((c) => c.id)
        .filter((id) => id !== r.conn),
    );
    const replicaConn = () => {
      const id = s.emu.longConnection.connections().find((c) => !stackConns.has(c.id))?.id;
      assert.ok(id, 'the replica has a connection');
      return id;
    };
    const health = async () => {
      const res = await fetch(`${r.hook.url}/webhook/health`);
      return {
        status: res.status,
        body: (await res.json()) as {
          down: string[];
          checks: Record<string, string>;
          details: { long_connection: { state: string; reconnects: number; down_for_s?: number } };
        },
      };
    };
    // Lark's endpoint fails (5xx): the SDK keeps trying on Lark's schedule (ReconnectInterval, 1 s here).
    const outage = s.emu.faults.add({ match: { path: '/callback/ws/endpoint' }, kind: 'http5xx' });
    assert.equal(s.emu.longConnection.drop(replicaConn()), 1);
    await waitUntil('reconnecting', () => lc.status().state === 'reconnecting', 5000);
    const early = await health();
    assert.equal(early.status, 200, 'down for less than the limit: still healthy');
    assert.equal(early.body.details.long_connection.state, 'reconnecting');
    await sleep(5500);
    const late = await health();
    assert.equal(late.status, 503);
    assert.deepEqual(late.body.down, ['long_connection']);
    assert.match(late.body.checks.long_connection!, /^reconnecting for \d+ s$/);
    outage.remove();
    await waitUntil('connected again', () => lc.status().state === 'connected', 10_000);
    const back = await health();
    assert.equal(back.status, 200);
    assert.equal(back.body.details.long_connection.reconnects, 1);

    // Lark turns the app away (a code the SDK does not retry): the SDK gives up, the client is started again.
    s.emu.longConnection.endpointRefusal = { code: 1000040351, msg: 'Incorrect domain name' };
    assert.equal(s.emu.longConnection.drop(replicaConn()), 1);
    await waitUntil('failed', () => lc.status().state === 'failed', 10_000);
    s.emu.longConnection.endpointRefusal = undefined;
    await waitUntil('connected after a restart', () => lc.status().state === 'connected', 10_000);
    assert.ok(lc.status().restarts >= 1);
    assert.equal(lc.status().reconnects, 2);

    const all = lines.join('');
    const states = lines.flatMap((l) => {
      const j = JSON.parse(l) as { msg: string; state?: string };
      return j.msg.startsWith('long connection: ') && j.state && j.msg === `long connection: ${j.state}` ? [j.state] : [];
    });
    assert.deepEqual(states.slice(0, 5), ['connected', 'reconnecting', 'connected', 'reconnecting', 'failed']);
    assert.equal(states.at(-1), 'connected');
    assert.ok(!all.includes(s.emu.appSecret), 'the App Secret is never logged');
    assert.doesNotMatch(all, /(access_key|ticket)=(?!\[redacted\])/, "the WebSocket URL's ticket and access key are never logged");
    assert.match(all, /ws\/v2\?\[redacted\]/, 'the SDK did log the URL, redacted');
  } finally {
    s.emu.longConnection.endpointRefusal = undefined;
    await r.hook.close();
  }
});
