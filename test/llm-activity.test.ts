/**
 * The callModel activity, run for real (MockActivityEnvironment) with the real Anthropic SDK against the
 * offline server in scripted mode: parsing, usage, prompt-cache markers, error mapping, cancellation.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createLlmActivities } from '../activities/llm';
import { buildSystemPrompt } from '../src/agent/system-prompt';
import { TOOL_NAMES } from '../src/tools';
import type { LlmSettings } from '../src/config';
import { LLM_FAILURE } from '../src/llm/errors';
import { type Script, scriptedError, scriptedMessage, startOfflineModel, type OfflineModelServer } from '../dev/llm/offline-model';
import type { CallModelInput, CallModelResult } from '../src/llm/types';
import { closeOfflineModel, offlineModel } from '../dev/llm/stand-in';
import { failureOf as anyFailureOf } from './support/failures';
import { silentLogger } from './support/silent-logger';

const SECRET = 'sk-ant-api03-TEST-SECRET-must-never-leak-0123456789abcdef';
const system = buildSystemPrompt({ now: new Date('2026-11-21T03:00:00Z') });
const ask = (text: string): CallModelInput => ({ system, messages: [{ role: 'user', content: text }] });

const servers: OfflineModelServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function setup(script: Script) {
  const server = await startOfflineModel({ script });
  servers.push(server);
  const llm: LlmSettings = {
    apiKey: SECRET,
    baseUrl: server.url,
    model: 'claude-sonnet-5-5',
    maxTokens: 256,
    requestTimeoutMs: 10_000,
  };
  const { callModel } = createLlmActivities({ llm, heartbeatIntervalMs: 20 });
  const env = new MockActivityEnvironment(undefined, { logger: silentLogger });
  let heartbeats = 0;
  env.on('heartbeat', () => heartbeats++);
  const call = (input: CallModelInput): Promise<CallModelResult> => env.run(callModel, input) as Promise<CallModelResult>;
  return { server, env, call, heartbeats: () => heartbeats };
}

/** The failure an activity run ends with, which never shows the API key. */
async function failureOf(run: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await anyFailureOf(run);
  assert.doesNotMatch(err.message, /sk-ant-|TEST-SECRET/, 'the API key never appears in a failure');
  assert.doesNotMatch(JSON.stringify(err.details ?? []), /sk-ant-|TEST-SECRET/);
  return err;
}

test('a tool_use response is parsed; usage is returned; cache_control is sent on system and the last tool', async () => {
  const { server, call, heartbeats } = await setup([
    {
      ...scriptedMessage(
        [
          { type: 'text', text: 'Let me check your calendar.' },
          { type: 'tool_use', id: 'toolu_01ABC', name: 'list_events', input: { start: '2026-11-27T00:00', end: '2026-11-28T00:00' } },
        ],
        { usage: { input_tokens: 120, output_tokens: 31, cache_creation_input_tokens: 1800, cache_read_input_tokens: 0 }, model: 'claude-sonnet-5-5' },
      ),
      delayMs: 150, // long enough for a few heartbeats
    },
  ]);
  const input = ask("what's on my calendar Friday?");
  const result = await call(input);

  assert.deepEqual(result.content, [
    { type: 'text', text: 'Let me check your calendar.' },
    { type: 'tool_use', id: 'toolu_01ABC', name: 'list_events', input: { start: '2026-11-27T00:00', end: '2026-11-28T00:00' } },
  ]);
  assert.equal(result.stopReason, 'tool_use');
  assert.equal(result.model, 'claude-sonnet-5-5');
  assert.match(result.messageId, /^msg_/);
  assert.deepEqual(result.usage, { input_tokens: 120, output_tokens: 31, cache_creation_input_tokens: 1800, cache_read_input_tokens: 0 });
  assert.ok(heartbeats() >= 2, `heartbeats while waiting (got ${heartbeats()})`);

  assert.equal(server.requests.length, 1);
  const req = server.requests[0]!;
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/v1/messages');
  assert.equal(req.headers.authorization ?? req.headers['x-api-key'], '[redacted]', 'a key was sent (and not recorded)');
  assert.equal(req.body.model, 'claude-sonnet-5-5');
  assert.equal(req.body.max_tokens, 256);
  assert.deepEqual(req.body.system, [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }]);
  assert.deepEqual(req.body.messages, input.messages);
  const tools = req.body.tools as { name: string; cache_control?: unknown; input_schema: { type: string } }[];
  assert.deepEqual(
    tools.map((t) => t.name),
    TOOL_NAMES,
  );
  assert.deepEqual(tools.at(-1)!.cache_control, { type: 'ephemeral' });
  assert.ok(
    tools.slice(0, -1).every((t) => t.cache_control === undefined),
    'one breakpoint: the last tool',
  );
  assert.ok(tools.every((t) => t.input_schema.type === 'object'));
});

test('tool_result blocks go back to the model; a subset of tools can be offered; max_tokens can be set per step', async () => {
  const { server, call } = await setup([scriptedMessage([{ type: 'text', text: 'You have one meeting Friday.' }])]);
  const input: CallModelInput = {
    system,
    tools: ['list_events', 'create_event'],
    maxTokens: 64,
    messages: [
      { role: 'user', content: "what's on my calendar Friday?" },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'list_events', input: { start: '2026-11-27T00:00', end: '2026-11-28T00:00' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '[{"summary":"Weekly sync","start":"2026-11-27T10:00"}]' }] },
    ],
  };
  const result = await call(input);
  assert.deepEqual(result.content, [{ type: 'text', text: 'You have one meeting Friday.' }]);
  assert.equal(result.stopReason, 'end_turn');
  const body = server.requests[0]!.body;
  assert.deepEqual(body.messages[2].content, [
    { type: 'tool_result', tool_use_id: 'toolu_1', content: '[{"summary":"Weekly sync","start":"2026-11-27T10:00"}]' },
  ]);
  assert.deepEqual(
    body.tools.map((t: { name: string }) => t.name),
    ['list_events', 'create_event'],
  );
  assert.deepEqual(body.tools[1].cache_control, { type: 'ephemeral' });
  assert.equal(body.max_tokens, 64);
});

test('429 with retry-after: 2 is a retryable failure with nextRetryDelay 2 s, and the SDK did not retry by itself', async () => {
  const { server, call } = await setup([scriptedError(429, 'Number of requests has exceeded your rate limit', { headers: { 'retry-after': '2' } })]);
  const err = await failureOf(call(ask('hi')));
  assert.equal(err.nonRetryable, false);
  assert.equal(err.type, LLM_FAILURE.rateLimited);
  assert.equal(err.nextRetryDelay, 2000);
  assert.match(err.message, /rate limit/);
  assert.equal(server.requests.length, 1, 'maxRetries 0: Temporal owns retries');
});

test("529 overloaded and 500 are retryable; without retry-after Temporal's backoff decides", async () => {
  {
    const { server, call } = await setup([scriptedError(529, 'Overloaded')]);
    const err = await failureOf(call(ask('hi')));
    assert.equal(err.nonRetryable, false);
    assert.equal(err.type, LLM_FAILURE.overloaded);
    assert.equal(err.nextRetryDelay, undefined);
    assert.equal(server.requests.length, 1);
  }
  {
    const { call } = await setup([scriptedError(500, 'Internal server error', { headers: { 'retry-after-ms': '1500' } })]);
    const err = await failureOf(call(ask('hi')));
    assert.equal(err.nonRetryable, false);
    assert.equal(err.type, LLM_FAILURE.serverError);
    assert.equal(err.nextRetryDelay, 1500);
  }
});

test('a connection failure is retryable', async () => {
  const { server, call } = await setup([]);
  await server.close();
  const err = await failureOf(call(ask('hi')));
  assert.equal(err.nonRetryable, false);
  assert.equal(err.type, LLM_FAILURE.connection);
});

test("400 is non-retryable with the API's reason, scrubbed of the key", async () => {
  const { call } = await setup([scriptedError(400, `messages.0.content: Input should be a valid list (key ${SECRET})`)]);
  const err = await failureOf(call(ask('hi')));
  assert.equal(err.nonRetryable, true);
  assert.equal(err.type, LLM_FAILURE.badRequest);
  assert.match(err.message, /rejected the request \(400 invalid_request_error\): messages\.0\.content: Input should be a valid list/);
  assert.match(err.message, /\[redacted\]/);
});

test('401, 403 and 404 are non-retryable with clear messages and no key', async () => {
  const cases: [number, string, RegExp][] = [
    [401, LLM_FAILURE.authentication, /refused the API key \(401 authentication_error\); check ANTHROPIC_API_KEY/],
    [403, LLM_FAILURE.permissionDenied, /lacks permission \(403 permission_error\)/],
    [404, LLM_FAILURE.notFound, /not found \(404 not_found_error\).*ANTHROPIC_MODEL \("claude-sonnet-5-5"\)/],
  ];
  for (const [status, type, message] of cases) {
    const { call } = await setup([scriptedError(status, `invalid x-api-key ${SECRET}`)]);
    const err = await failureOf(call(ask('hi')));
    assert.equal(err.nonRetryable, true, `${status}`);
    assert.equal(err.type, type);
    assert.match(err.message, message);
  }
});

test('cancelling the activity aborts the in-flight HTTP request', async () => {
  const { server, env, call } = await setup([{ ...scriptedMessage([{ type: 'text', text: 'too late' }]), delayMs: 10_000 }]);
  const started = Date.now();
  const run = call(ask('hi'));
  await until(() => server.requests.length === 1);
  env.cancel('CANCELLED');
  const err = await run.then(
    () => assert.fail('expected a cancellation'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CancelledFailure, `a CancelledFailure, so Temporal reports the activity cancelled (got ${String(err)})`);
  await until(() => server.requests[0]!.aborted);
  assert.ok(Date.now() - started < 5000, 'did not wait for the reply');
});

test('an empty or oversized transcript is refused without calling the API', async () => {
  const { server, call } = await setup([]);
  const err = await failureOf(call({ system, messages: [] }));
  assert.equal(err.nonRetryable, true);
  assert.equal(err.type, LLM_FAILURE.invalidInput);
  const huge = await failureOf(call(ask('x'.repeat(500_000))));
  assert.match(huge.message, /boundTranscript/);
  assert.equal(server.requests.length, 0);
});

test('without ANTHROPIC_API_KEY: the offline model the worker was given answers; a worker given none fails for good', async () => {
  const llm: LlmSettings = { model: 'claude-sonnet-5-5', maxTokens: 256, requestTimeoutMs: 10_000 };
  const env = new MockActivityEnvironment(undefined, { logger: silentLogger });
  // The production worker's composition: no stand-in (it refuses to start without a key; this is the last guard).
  const bare = createLlmActivities({ llm, heartbeatIntervalMs: 20 });
  const err = await failureOf(env.run(bare.callModel, ask('hi')) as Promise<unknown>);
  assert.equal(err.nonRetryable, true);
  assert.equal(err.type, LLM_FAILURE.authentication);
  assert.match(err.message, /ANTHROPIC_API_KEY is not set and this worker has no offline model/);
  // The local run's composition (dev/): the offline model, reached through the same SDK.
  const { callModel } = createLlmActivities({ llm, heartbeatIntervalMs: 20, offlineModel });
  try {
    const result = (await env.run(callModel, ask('hello'))) as CallModelResult;
    assert.equal(result.model, 'offline-model');
    assert.ok(result.content.some((b) => b.type === 'text'));
  } finally {
    await closeOfflineModel();
  }
});

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
