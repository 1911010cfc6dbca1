/**
 * GET /metrics on a real webhook (real Temporal dev server and worker): request counters by route and outcome,
 * the acknowledgement histogram, starts and duplicates, Lark API errors counted by the transport, LLM tokens,
 * process metrics, and the Temporal SDK's own Prometheus exporter on its separate port.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { LarkApiError } from '../src/lark/errors';
import { LarkTransport, TENANT } from '../src/lark/transport';
import { createLogger } from '../src/logger';
import { recordLlmUsage } from '../src/metrics';
import { freePort } from '../src/temporal/dev-server';
import { installTemporalLogger } from '../src/temporal/runtime-logger';
import { createAgentWorker } from '../src/temporal/worker';
import { startWebhook, type RunningWebhook } from '../src/webhook/start';
import { eventWorkflowId } from '../workflows/contract';
import { freshDatabase, temporalTestEnv, uniqueId, workflowBundle } from './support/env';
import { plainRequest, post, v2MessageEvent } from './support/lark-requests';

const TOKEN = 'verification-token';
const METRICS_TOKEN = 'metrics-token-0123456789';
const log = createLogger('silent');

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let hook: RunningWebhook;
let sdkMetricsPort: number;
const taskQueue = uniqueId('metrics');

before(async () => {
  // Before any connection: the Runtime is installed once per process, with the SDK exporter on its own port.
  sdkMetricsPort = await freePort();
  installTemporalLogger(log, 'WARN', { prometheusBindAddress: `127.0.0.1:${sdkMetricsPort}` });
  env = await temporalTestEnv();
  db = await freshDatabase();
  worker = await createAgentWorker({
    connection: env.nativeConnection,
    client: env.client,
    namespace: 'default',
    taskQueue,
    config: loadConfig({ TEMPORAL_TASK_QUEUE: taskQueue }),
    workflowBundle: await workflowBundle(),
  });
  workerRun = worker.run();
  hook = await startWebhook(
    loadConfig({ PORT: '0', HOST: '127.0.0.1', TEMPORAL_TASK_QUEUE: taskQueue, LARK_VERIFICATION_TOKEN: TOKEN }),
    env.client,
    db.pool,
    log,
  );
});

after(async () => {
  await hook?.close();
  worker?.shutdown();
  await workerRun;
  await db?.drop();
  await env?.teardown();
});

async function scrape(url = `${hook.url}/metrics`, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one exact series line, e.g. `name{a="b"}`; undefined when absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const req = (outcome: string, reason = '', route = 'event') => `lark_agent_webhook_requests_total{route="${route}",outcome="${outcome}",reason="${reason}"}`;

describe('/metrics', () => {
  const ev = v2MessageEvent({ openId: 'ou_metrics', text: 'do not put me in a label' });

  test('counts good and bad requests by route and outcome, and times them', async () => {
    const url = `${hook.url}/webhook/event`;
    assert.equal((await post(url, plainRequest(ev))).status, 200);
    assert.equal((await post(url, plainRequest(ev))).status, 200); // a redelivery
    await env.client.workflow.getHandle(eventWorkflowId(ev.header.event_id)).result();
    assert.equal((await post(url, plainRequest({ type: 'url_verification', challenge: 'c', token: TOKEN }))).status, 200);
    assert.equal((await post(url, { body: Buffer.from('{"x":'), headers: { 'content-type': 'application/json' } })).status, 400);
    assert.equal((await post(url, { body: Buffer.from('{"x":'), headers: { 'content-type': 'application/json' } })).status, 400);
    assert.equal((await post(url, plainRequest(v2MessageEvent({ token: 'wrong' })))).status, 401);
    assert.equal((await post(url, { body: Buffer.from('{}'), headers: { 'content-type': 'text/plain' } })).status, 415);
    assert.equal((await fetch(`${hook.url}/no/such/${'x'.repeat(50)}`)).status, 404);
    assert.equal((await fetch(`${hook.url}/webhook/health`)).status, 200);

    const m = await scrape();
    assert.equal(m.status, 200);
    assert.match(m.type ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(value(m.text, req('started')), 1);
    assert.equal(value(m.text, req('duplicate')), 1);
    assert.equal(value(m.text, req('challenge')), 1);
    assert.equal(value(m.text, req('refused', 'malformed_json')), 2);
    assert.equal(value(m.text, req('refused', 'bad_token')), 1);
    assert.equal(value(m.text, req('refused', 'unsupported_content_type')), 1);
    assert.equal(value(m.text, req('refused', 'not_found', 'other')), 1, 'unknown paths share one route label');
    assert.equal(value(m.text, req('ok', '', 'health')), 1);
    assert.equal(value(m.text, 'lark_agent_workflow_starts_total'), 1);
    assert.equal(value(m.text, 'lark_agent_event_duplicates_total'), 1);

    // Histogram: buckets, sum and count per route and outcome.
    assert.equal(value(m.text, 'lark_agent_webhook_ack_seconds_count{route="event",outcome="started"}'), 1);
    assert.equal(value(m.text, 'lark_agent_webhook_ack_seconds_bucket{le="+Inf",route="event",outcome="started"}'), 1);
    assert.equal(value(m.text, 'lark_agent_webhook_ack_seconds_count{route="event",outcome="refused"}'), 4);
    const sum = value(m.text, 'lark_agent_webhook_ack_seconds_sum{route="event",outcome="started"}')!;
    assert.ok(sum > 0 && sum < 5, `ack took ${sum}s`);
    assert.match(m.text, /^# TYPE lark_agent_webhook_ack_seconds histogram$/m);

    // Default process metrics.
    assert.ok(value(m.text, 'process_resident_memory_bytes')! > 0);
    assert.match(m.text, /^nodejs_heap_size_used_bytes \d+/m);
    assert.match(m.text, /^nodejs_eventloop_lag_p99_seconds /m);

    // Nothing from the requests themselves becomes a label.
    for (const leak of [ev.header.event_id, 'ou_metrics', TOKEN, 'wrong', 'xxxxxxxxxx']) assert.ok(!m.text.includes(leak), leak);
  });

  test('LLM usage is counted by token kind', async () => {
    recordLlmUsage({ input_tokens: 1200, output_tokens: 300, cache_read_input_tokens: 800, cache_creation_input_tokens: 0 }, 'claude-test');
    recordLlmUsage({ input_tokens: 100, output_tokens: 20 }, 'claude-test');
    const { text } = await scrape();
    const tok = (kind: string) => value(text, `lark_agent_llm_tokens_total{kind="${kind}",model="claude-test"}`);
    assert.deepEqual([tok('input'), tok('output'), tok('cache_read'), tok('cache_creation')], [1300, 320, 800, undefined]);
  });

  test('Lark API errors are counted by code and HTTP status where the transport maps them', async () => {
    const lark = http.createServer((rq, rs) => {
      rs.setHeader('content-type', 'application/json');
      if (rq.url?.startsWith('/open-apis/auth/v3/')) return rs.end(JSON.stringify({ code: 0, tenant_access_token: 't-' + 'a'.repeat(30), expire: 7200 }));
      if (rq.url?.includes('gateway')) {
        rs.statusCode = 502;
        rs.setHeader('content-type', 'text/html');
        return rs.end('<html>bad gateway</html>');
      }
      rs.statusCode = 400;
      rs.end(JSON.stringify({ code: 230002, msg: 'Bot is not in the chat' }));
    });
    await new Promise<void>((r) => lark.listen(0, '127.0.0.1', r));
    try {
      const t = new LarkTransport({ baseUrl: `http://127.0.0.1:${(lark.address() as AddressInfo).port}`, appId: 'cli_x', appSecret: 'secret-app-secret' });
      for (const path of ['/open-apis/im/v1/messages', '/open-apis/im/v1/messages', '/open-apis/gateway']) {
        await assert.rejects(t.request({ method: 'POST', path, body: {}, auth: TENANT }), LarkApiError);
      }
    } finally {
      lark.close();
    }
    const { text } = await scrape();
    assert.equal(value(text, 'lark_agent_lark_api_errors_total{code="230002",http_status="400"}'), 2);
    assert.equal(value(text, 'lark_agent_lark_api_errors_total{code="-1",http_status="502"}'), 1);
    assert.ok(!text.includes('secret-app-secret'));
  });

  test('METRICS_AUTH_TOKEN protects /metrics', async () => {
    const guarded = await startWebhook(loadConfig({ PORT: '0', HOST: '127.0.0.1', METRICS_AUTH_TOKEN: METRICS_TOKEN }), env.client, db.pool, log);
    try {
      assert.equal((await scrape(`${guarded.url}/metrics`)).status, 401);
      assert.equal((await scrape(`${guarded.url}/metrics`, { authorization: 'Bearer wrong-token-wrong-token' })).status, 401);
      const ok = await scrape(`${guarded.url}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` });
      assert.equal(ok.status, 200);
      assert.match(ok.text, /lark_agent_webhook_requests_total/);
    } finally {
      await guarded.close();
    }
  });

  test('the Temporal SDK exports its own metrics on TEMPORAL_METRICS_PORT', async () => {
    const { status, text } = await scrape(`http://127.0.0.1:${sdkMetricsPort}/metrics`);
    assert.equal(status, 200);
    assert.match(text, /^temporal_\w+/m);
    assert.match(text, /task_queue="metrics-/, 'worker metrics carry the task queue');
  });
});
