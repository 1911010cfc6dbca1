/**
 * The fuzz suite's short form (500 seeded hostile requests, fixed seed unless FUZZ_SEED is set) on the run's
 * Temporal dev server, and direct regressions for what the fuzzer found. The long form: npm run fuzz.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { HttpError } from '../src/http-error';
import { parseLarkCallback } from '../src/lark/events';
import { createLogger } from '../src/logger';
import { createWebhookApp } from '../src/webhook/app';
import { runWebhookFuzz } from './fuzz/webhook-fuzz';
import { requireEnv } from './support/env';
import { v1MessageEvent, v2MessageEvent } from './support/lark-requests';

test('500 hostile requests: every one 4xx, no workflow started, memory stable', { timeout: 180_000 }, async () => {
  const lines: string[] = [];
  const report = await runWebhookFuzz({
    count: 500,
    seed: Number(process.env.FUZZ_SEED ?? 20240601),
    temporalAddress: requireEnv('TEST_TEMPORAL_ADDRESS'),
    print: (l) => lines.push(l),
  });
  console.log(lines.join('\n'));
  assert.ok(report.ok, report.failures.join('\n'));
  assert.equal(
    Object.values(report.statuses).reduce((a, b) => a + b, 0),
    500,
  );
  assert.ok(
    Object.keys(report.statuses).every((s) => /^4\d\d$/.test(s)),
    JSON.stringify(report.statuses),
  );
  assert.ok(Object.keys(report.byCategory).length >= 24, 'the categories are all drawn');
  assert.ok(Object.keys(report.byCategory).filter((c) => c.startsWith('card_')).length >= 5, 'card callbacks are fuzzed');
  assert.equal(report.cardActions, 0, 'no hostile click reached the handler');
});

test('regression: a chunked body over the limit gets 413 and the keep-alive socket stays usable', async () => {
  const app = createWebhookApp({
    verify: { verificationToken: 'vt', timestampToleranceSeconds: 300 },
    maxBodyBytes: 64 * 1024,
    starter: { start: async () => 'started' },
    health: [],
    log: createLogger('silent'),
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = (body: Buffer, chunked: boolean) =>
    new Promise<string>((resolve) => {
      const headers: Record<string, string | number> = { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': body.length }) };
      const req = http.request({ host: '127.0.0.1', port, path: '/webhook/event', method: 'POST', headers, agent });
      req.on('error', (e) => resolve(`error ${e.message}`));
      req.on('response', (res) => res.resume().on('end', () => resolve(String(res.statusCode))));
      for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.subarray(i, i + 16 * 1024));
      req.end();
    });
  try {
    for (let i = 0; i < 3; i++) {
      assert.equal(await send(Buffer.alloc(200 * 1024, 'x'), true), '413');
      assert.equal(await send(Buffer.from('{}'), false), '400', 'the next request on the same socket is answered');
    }
  } finally {
    agent.destroy();
    server.close();
  }
});

test('regression: ids that would be refused by Temporal (workflow id, search attribute) are a 400, not a 503', () => {
  const refused = (body: unknown) =>
    assert.throws(
      () => parseLarkCallback(body),
      (e: unknown) => e instanceof HttpError && e.status === 400,
    );
  for (const bad of ['x'.repeat(129), 'x'.repeat(300_000), 'ou 1', 'ou_\u0000', 'ou_é', '']) {
    const a = v2MessageEvent() as any;
    a.event.sender.sender_id.open_id = bad;
    refused(a);
    const b = v2MessageEvent() as any;
    b.event.message.chat_id = bad;
    refused(b);
    const c = v2MessageEvent() as any;
    c.header.event_type = bad;
    refused(c);
    const d = v1MessageEvent() as any;
    d.event.open_id = bad;
    refused(d);
  }
  // An ignored event type keeps only a valid open_id for its search attribute.
  const other = parseLarkCallback({
    schema: '2.0',
    header: { event_id: 'e1', event_type: 'im.chat.updated_v1' },
    event: { operator: { open_id: 'x'.repeat(500) } },
  });
  assert.equal(other.kind === 'event' && other.event.kind === 'other' ? other.event.openId : 'wrong', undefined);
});
