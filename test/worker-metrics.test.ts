/** A worker on its own serves /metrics with the counters its activities move (LLM tokens, Lark API errors). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startMetricsServer } from '../src/metrics-server';
import { recordLarkApiError, recordLlmUsage } from '../src/metrics';

test('the worker metrics server serves the activity counters, behind the bearer token when set', async () => {
  const server = await startMetricsServer(0, '127.0.0.1', 'metrics-token-0123456789');
  try {
    recordLlmUsage({ input_tokens: 120, output_tokens: 30, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 }, 'claude-test');
    recordLarkApiError(1254290, 200);
    assert.equal((await fetch(server.url)).status, 401);
    const res = await fetch(server.url, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /lark_agent_llm_tokens_total\{kind="input",model="claude-test"\} 120/);
    assert.match(text, /lark_agent_llm_tokens_total\{kind="cache_read",model="claude-test"\} 100/);
    assert.match(text, /lark_agent_lark_api_errors_total\{code="1254290",http_status="200"\} 1/);
    assert.match(text, /process_resident_memory_bytes/);
    assert.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
  } finally {
    await server.close();
  }
});
