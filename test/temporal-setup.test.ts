/**
 * The namespace and search attributes the product needs, on the run's real Temporal server, in namespaces created
 * fresh for each test (a fresh namespace has no custom search attributes, like a fresh production server):
 * the start-up check registers what is missing or names the command to run, health reports missing attributes,
 * and a start refused for a permanent reason is a logged, counted 500 `temporal_misconfigured`, never a 503.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { registry } from '../src/metrics';
import { ensureTemporalSetup, searchAttributeNames, searchAttributeState, TemporalSetupError } from '../src/temporal/setup';
import { startWebhook, type RunningWebhook } from '../src/webhook/start';
import { freshDatabase, requireEnv, uniqueId } from './support/env';
import { plainRequest, post, v2MessageEvent } from './support/lark-requests';

const ROOT = path.resolve(__dirname, '..');
const TOKEN = 'verification-token';
let address: string;
let conn: Connection;
let db: Awaited<ReturnType<typeof freshDatabase>>;
const logLines: string[] = [];
const log = createLogger(
  'info',
  'setup-test',
  new Writable({
    write(chunk, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  }),
);

before(async () => {
  address = requireEnv('TEST_TEMPORAL_ADDRESS');
  conn = await Connection.connect({ address });
  db = await freshDatabase();
});

after(async () => {
  await conn.close();
  await db.drop();
});

const newNamespace = () => uniqueId('ns-setup');
async function registerBareNamespace(namespace: string) {
  await conn.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 86400 as any } });
  // Visible to the operator API once the namespace cache has it.
  for (let i = 0; i < 100; i++) {
    try {
      await conn.operatorService.listSearchAttributes({ namespace });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function metric(name: string, labels: string): Promise<number> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function webhookFor(namespace: string, extra: Record<string, string> = {}): Promise<{ hook: RunningWebhook; client: Client }> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    LARK_VERIFICATION_TOKEN: TOKEN,
    ...extra,
  });
  const client = new Client({ connection: conn, namespace });
  return { hook: await startWebhook(config, client, db.pool, log), client };
}

describe('start-up check', () => {
  test('a missing namespace, with registration off: one line naming the command', async () => {
    const namespace = newNamespace();
    await assert.rejects(ensureTemporalSetup(conn, { namespace, address, register: false }), (err: Error) => {
      assert.ok(err instanceof TemporalSetupError);
      assert.ok(err.message.includes(`temporal operator namespace create --namespace ${namespace} --address ${address}`), err.message);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  });

  test('missing search attributes, with registration off: one line with the exact command for all four', async () => {
    const namespace = newNamespace();
    await registerBareNamespace(namespace);
    await assert.rejects(ensureTemporalSetup(conn, { namespace, address, register: false }), (err: Error) => {
      assert.ok(err instanceof TemporalSetupError);
      const names = searchAttributeNames();
      const command = `temporal operator search-attribute create --namespace ${namespace} --address ${address} ${names.map((n) => `--name ${n}`).join(' ')} --type Keyword`;
      assert.ok(err.message.includes(command), err.message);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  });

  test('registration on: namespace and attributes registered once, even by four replicas starting together', async () => {
    const namespace = newNamespace();
    const results = await Promise.all([1, 2, 3, 4].map(() => ensureTemporalSetup(conn, { namespace, address, register: true })));
    assert.ok(results.some((r) => r.namespaceRegistered));
    assert.deepEqual((await searchAttributeState(conn, namespace)).missing, []);
    const custom = (await conn.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    assert.deepEqual(
      Object.keys(custom)
        .filter((k) => searchAttributeNames().includes(k))
        .sort(),
      [...searchAttributeNames()].sort(),
    );
    // Again: nothing to do.
    assert.deepEqual(await ensureTemporalSetup(conn, { namespace, address, register: true }), { namespaceRegistered: false, registered: [] });

    // And the product's start now goes through on it.
    const { hook } = await webhookFor(namespace);
    try {
      const res = await post(`${hook.url}/webhook/event`, plainRequest(v2MessageEvent({ token: TOKEN })));
      assert.equal(res.status, 200, JSON.stringify(res.json));
      const health = await fetch(`${hook.url}/webhook/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { checks: Record<string, string> }).checks.search_attributes, 'ok');
    } finally {
      await hook.close();
    }
  });

  for (const entry of ['src/worker.ts', 'src/webhook/server.ts']) {
    test(`${entry} exits 1 with one line naming the command when it may not register`, () => {
      const namespace = newNamespace();
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          TEMPORAL_ADDRESS: address,
          TEMPORAL_NAMESPACE: namespace,
          TEMPORAL_AUTO_SETUP: 'false',
          DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
          LOG_LEVEL: 'silent',
          PORT: '0',
          HOST: '127.0.0.1',
          // Both refuse to run without a Lark app, its secrets and a payload key (checked first), and the worker
          // a real app without a model key: give them some.
          ANTHROPIC_API_KEY: 'sk-setup-test',
          LARK_APP_ID: 'cli_setup_test',
          LARK_APP_SECRET: 'secret-setup-test',
          LARK_VERIFICATION_TOKEN: 'vt-setup-test',
          LARK_ENCRYPT_KEY: 'ek-setup-test',
          PAYLOAD_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
        },
      });
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]!.includes(`temporal operator namespace create --namespace ${namespace} --address ${address}`), lines[0]);
    });
  }
});

describe('a start Temporal refuses for good', () => {
  test('missing search attributes: 500 temporal_misconfigured, logged with the cause, counted, and health says which', async () => {
    const namespace = newNamespace();
    await registerBareNamespace(namespace);
    // Registration off, so the webhook does not repair it behind the test's back.
    const { hook } = await webhookFor(namespace, { TEMPORAL_AUTO_SETUP: 'false' });
    try {
      const before = await metric('lark_agent_workflow_start_refused_total', 'code="invalid_argument"');
      logLines.length = 0;
      const res = await post(`${hook.url}/webhook/event`, plainRequest(v2MessageEvent({ token: TOKEN })));
      assert.deepEqual([res.status, res.json.error], [500, 'temporal_misconfigured']);
      assert.equal(await metric('lark_agent_workflow_start_refused_total', 'code="invalid_argument"'), before + 1);
      assert.ok((await metric('lark_agent_webhook_requests_total', 'route="event",outcome="misconfigured",reason="temporal_misconfigured"')) >= 1);
      const errorLine = logLines.map((l) => JSON.parse(l)).find((l) => l.level === 50 && l.msg.includes('refused'));
      assert.ok(errorLine, logLines.join(''));
      assert.equal(errorLine.code, 'invalid_argument');
      assert.match(errorLine.cause, /search attribute/i);

      const health = await fetch(`${hook.url}/webhook/health`);
      assert.equal(health.status, 503);
      const body = (await health.json()) as { down: string[]; checks: Record<string, string> };
      assert.deepEqual(body.down, ['search_attributes']);
      assert.match(body.checks.search_attributes!, /missing: LarkOpenId, LarkChatId, LarkEventType, AgentState/);
    } finally {
      await hook.close();
    }
  });

  test('with registration on, a refused start makes the webhook register what is missing; the redelivery is accepted', async () => {
    const namespace = newNamespace();
    await registerBareNamespace(namespace);
    const { hook } = await webhookFor(namespace);
    try {
      const event = v2MessageEvent({ token: TOKEN });
      const first = await post(`${hook.url}/webhook/event`, plainRequest(event));
      assert.deepEqual([first.status, first.json.error], [500, 'temporal_misconfigured']);
      let again = first;
      for (let i = 0; i < 100 && again.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 200));
        again = await post(`${hook.url}/webhook/event`, plainRequest(event));
      }
      assert.equal(again.status, 200, JSON.stringify(again.json));
    } finally {
      await hook.close();
    }
  });

  test('a namespace that does not exist: 500 temporal_misconfigured, counted as not_found', async () => {
    const namespace = newNamespace();
    const { hook } = await webhookFor(namespace, { TEMPORAL_AUTO_SETUP: 'false' });
    try {
      const before = await metric('lark_agent_workflow_start_refused_total', 'code="not_found"');
      const res = await post(`${hook.url}/webhook/event`, plainRequest(v2MessageEvent({ token: TOKEN })));
      assert.deepEqual([res.status, res.json.error], [500, 'temporal_misconfigured']);
      assert.equal(await metric('lark_agent_workflow_start_refused_total', 'code="not_found"'), before + 1);
      const body = (await (await fetch(`${hook.url}/webhook/health`)).json()) as { checks: Record<string, string> };
      assert.match(body.checks.search_attributes!, new RegExp(`namespace ${namespace} not found`));
    } finally {
      await hook.close();
    }
  });
});
