/** A workflow that only imports the workflow-side agent modules, so the bundler proves they do no I/O. */
import { buildSystemPrompt } from '../../src/agent/system-prompt';
import { needsConfirmation, validateToolInput } from '../../src/tools';
import { boundTranscript } from '../../src/llm/transcript';
import type { CallModelInput } from '../../src/llm/types';

export async function agentProbe(): Promise<string> {
  const v = validateToolInput('list_tasks', {});
  const input: CallModelInput = { system: buildSystemPrompt({ now: new Date() }), messages: boundTranscript([{ role: 'user', content: 'hi' }]) };
  return `${v.ok && !needsConfirmation(v.call)} ${input.system.length}`;
}
