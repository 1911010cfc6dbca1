/**
 * The emulator's long connection on its own, against the official SDK's WSClient and raw HTTP: the endpoint and
 * its refusals, the one-use ticket, the connection limit with Lark's handshake headers, ping/pong, fragments
 * reassembled by the SDK, and the frame codec against the SDK's own protobuf codec.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import * as lark from '@larksuiteoapi/node-sdk';
import { startLarkEmulator, WS_CODE, type LarkEmulator } from '../dev/emulator';
import { decodeFrame, encodeFrame, FRAME_DATA } from '../dev/emulator/frame';
import { waitUntil } from './support/wait';

let emu: LarkEmulator;
const clients: lark.WSClient[] = [];
const silent = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined };

before(async () => {
  emu = await startLarkEmulator({ longConnection: { maxConnections: 2, pingIntervalS: 1, reconnectIntervalS: 1, reconnectNonceS: 0, fragmentBytes: 64 } });
});
after(async () => {
  for (const c of clients) c.close({ force: true });
  await emu.stop();
});

/** A WSClient whose handler records what it gets and answers with `answer`. */
function client(appSecret = emu.appSecret, answer?: (data: any) => unknown) {
  const seen: any[] = [];
  const events: string[] = [];
  const c = new lark.WSClient({
    appId: emu.appId,
    appSecret,
    domain: emu.url,
    logger: silent,
    onReady: () => events.push('ready'),
    onError: (e) => events.push(`error: ${e.message}`),
  });
  clients.push(c);
  const dispatcher = { invoke: async (data: any) => (seen.push(data), answer?.(data)) } as unknown as lark.EventDispatcher;
  return { c, seen, events, start: () => c.start({ eventDispatcher: dispatcher }) };
}

async function endpoint(body: object) {
  const res = await fetch(`${emu.url}/callback/ws/endpoint`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as { code: number; msg: string; data: { URL?: string; ClientConfig?: Record<string, number> } };
}

/** A WebSocket upgrade by hand: the status line and Lark's handshake headers of a refusal. */
function upgrade(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url.replace(/^ws/, 'http'));
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

test('the endpoint: a one-use URL and the ClientConfig for the right credentials, a code the SDK gives up on for others', async () => {
  const ok = await endpoint({ AppID: emu.appId, AppSecret: emu.appSecret });
  assert.equal(ok.code, 0);
  const url = new URL(ok.data.URL!);
  assert.equal(url.protocol, 'ws:');
  for (const k of ['device_id', 'service_id', 'ticket', 'access_key']) assert.ok(url.searchParams.get(k), k);
  assert.deepEqual(ok.data.ClientConfig, { PingInterval: 1, ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0 });
  assert.deepEqual(await endpoint({ AppID: emu.appId, AppSecret: 'wrong' }), { code: WS_CODE.forbidden, msg: 'invalid AppID or AppSecret', data: {} });
  // The secret never reaches the call log.
  assert.ok(emu.calls.filter({ path: '/callback/ws/endpoint' }).every((c) => (c.body as { AppSecret?: string }).AppSecret === '[redacted]'));

  const wrong = client('wrong-secret');
  await wrong.start();
  await waitUntil('the SDK gave up', () => wrong.events.length > 0);
  assert.match(wrong.events[0]!, /^error: pullConnectConfig failed: code=403/);
  wrong.c.close({ force: true });

  // The ticket is good for one connection.
  assert.equal((await upgrade(ok.data.URL!)).status, 101);
  const again = await upgrade(ok.data.URL!);
  assert.deepEqual([again.status, again.headers['handshake-status']], [403, String(WS_CODE.forbidden)]);
  await waitUntil('the hand-made connection is gone', () => emu.longConnection.connections().length === 0);
});

test("at most maxConnections per app: the next handshake is refused with Lark's headers", async () => {
  const a = client();
  const b = client();
  await a.start();
  await b.start();
  await waitUntil('two connections', () => emu.longConnection.connections().length === 2);
  const third = await upgrade((await endpoint({ AppID: emu.appId, AppSecret: emu.appSecret })).data.URL!);
  assert.equal(third.status, 403);
  assert.equal(third.headers['handshake-status'], String(WS_CODE.authFailed));
  assert.equal(third.headers['handshake-autherrcode'], String(WS_CODE.exceedConnLimit));
  assert.equal(emu.longConnection.connections().length, 2);

  // The SDK pings every PingInterval; each ping is answered with a pong carrying the ClientConfig.
  await waitUntil('pings', () => emu.longConnection.connections().every((c) => c.pings >= 1), 5000);

  // A push larger than the fragment size goes in several frames; the SDK puts them together, and acks once.
  const big = emu.events.message({ from: 'lan', text: 'x'.repeat(500) });
  const got = (x: { seen: any[] }) => x.seen.filter((d) => d.header?.event_id === (big.header as { event_id: string }).event_id);
  const d = emu.longConnection.deliver(big);
  const ack = await d.done;
  assert.equal(ack.status, 200);
  assert.ok(Number(ack.headers.sum) > 1, `split in ${ack.headers.sum} fragments`);
  assert.equal(got(a).length + got(b).length, 1, 'delivered to one connection, once');
  assert.deepEqual(got(a)[0] ?? got(b)[0], { ...big, header: { ...(big.header as object) } });
  a.c.close({ force: true });
  b.c.close({ force: true });
  await waitUntil('closed', () => emu.longConnection.connections().length === 0);
});

test("the frame codec agrees with protobufjs (the library the SDK's generated codec runs on) both ways", () => {
  // pbbp2.proto as the SDKs define it; protobufjs is the SDK's own dependency.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protobuf = require('protobufjs') as { parse(src: string): { root: { lookupType(n: string): any } } };
  const Frame = protobuf
    .parse(
      `syntax = "proto2"; package pbbp2;
      message Header { required string key = 1; required string value = 2; }
      message Frame { required uint64 SeqID = 1; required uint64 LogID = 2; required int32 service = 3; required int32 method = 4;
        repeated Header headers = 5; optional string payload_encoding = 6; optional string payload_type = 7; optional bytes payload = 8; optional string LogIDNew = 9; }`,
    )
    .root.lookupType('pbbp2.Frame');
  const ours = {
    seqId: 2n ** 40n + 3n,
    logId: 7n,
    service: 33554678,
    method: FRAME_DATA,
    headers: [
      { key: 'type', value: 'event' },
      { key: 'sum', value: '1' },
    ],
    payload: Buffer.from('{"a":"ü"}'),
  };
  const theirs = Frame.toObject(Frame.decode(encodeFrame(ours)), { longs: String });
  assert.deepEqual(
    { ...theirs, payload: Buffer.from(theirs.payload).toString() },
    { SeqID: String(ours.seqId), LogID: '7', service: 33554678, method: 1, headers: ours.headers, payload: '{"a":"ü"}' },
  );
  const written = Frame.encode(Frame.fromObject({ SeqID: 0, LogID: 0, service: -5, method: 0, headers: [{ key: 'type', value: 'ping' }] })).finish();
  assert.deepEqual(decodeFrame(written), { seqId: 0n, logId: 0n, service: -5, method: 0, headers: [{ key: 'type', value: 'ping' }] });
  assert.throws(() => decodeFrame(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), /truncated/);
  assert.throws(() => decodeFrame(Buffer.from([0x08, 0x01, 0x10, 0x02])), /required/); // SeqID and LogID only
});
