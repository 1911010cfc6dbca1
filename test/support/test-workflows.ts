/**
 * Test-only workflows: one activity of the agent's path, through the very proxy the per-user workflow uses
 * (workflows/activity-proxies.ts: same options, same retry policy, local where the agent's is local).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ToolActivities } from '../../activities/tools';
import type { RunToolInput, ToolOutcome } from '../../src/agent/tool-io';
import type { MessagingActivities } from '../../activities/messaging';
import type { TurnRecord } from '../../activities/turn-log';
import { lark, logTurn, runTool } from '../../workflows/activity-proxies';

/** One agent tool call, as the agent loop makes it. */
export async function runToolWorkflow(input: RunToolInput): Promise<ToolOutcome> {
  return runTool(`test: ${input.name}`)(input);
}

/** One reply, send or card update, as the agent sends it. */
export async function messagingWorkflow<N extends keyof MessagingActivities>(name: N, input: Parameters<MessagingActivities[N]>[0]): Promise<unknown> {
  return (lark[name] as (i: typeof input) => Promise<unknown>)(input);
}

/** The conversation log row after a reply. */
export async function logTurnWorkflow(turn: TurnRecord): Promise<{ logged: boolean }> {
  return logTurn(turn);
}

/** Runs one agent tool (list_tasks) as the user: for concurrency tests of the token refresh. */
export async function toolProbeWorkflow(openId: string): Promise<unknown> {
  const { runTool } = proxyActivities<ToolActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });
  return runTool({ openId, sourceMessageId: 'probe', toolUseId: 'probe', name: 'list_tasks', input: {}, timezone: 'Asia/Ho_Chi_Minh', nowMs: Date.now() });
}
