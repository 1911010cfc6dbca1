/** A test-only workflow: runs one Lark activity with its production options (retry policy included). */
import { proxyActivities } from '@temporalio/workflow';
import type { ToolActivities } from '../../activities/agent-tools';
import { proxyLarkActivities } from '../../workflows/activity-policies';

export async function runLarkActivity(name: string, input: unknown): Promise<unknown> {
  const activities = proxyLarkActivities() as unknown as Record<string, (i: unknown) => Promise<unknown>>;
  return activities[name]!(input);
}

/** Runs one agent tool (list_tasks) as the user: for concurrency tests of the token refresh. */
export async function toolProbeWorkflow(openId: string): Promise<unknown> {
  const { runTool } = proxyActivities<ToolActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });
  return runTool({ openId, sourceMessageId: 'probe', toolUseId: 'probe', name: 'list_tasks', input: {}, timezone: 'Asia/Ho_Chi_Minh', nowMs: Date.now() });
}
