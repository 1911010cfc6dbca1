/** Workflow code may import the tools, the system prompt and the transcript bound: they bundle without I/O modules. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { bundleWorkflowCode } from '@temporalio/worker';
import { silentLogger } from './support/silent-logger';

test('src/agent and the workflow-side src/llm modules bundle into workflow code', async () => {
  const bundle = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'support/agent-probe-workflow.ts'), logger: silentLogger });
  for (const mod of ['src/tools/registry.ts', 'src/tools/calendar/spec.ts', 'src/agent/system-prompt.ts', 'src/agent/time.ts', 'src/llm/transcript.ts']) {
    assert.ok(bundle.code.includes(mod), `${mod} is in the bundle`);
  }
  assert.doesNotMatch(bundle.code, /@anthropic-ai\/sdk|offline-model|node:http/, 'no I/O module reached the bundle');
});
