/**
 * One run per Lark delivery (`lark-event-<event_id>`): Temporal's id uniqueness is the dedup of redeliveries.
 * It hands a message to its sender's long-lived per-user workflow and ends.
 */
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { IntakeActivities } from '../activities/intake';
import type { LarkEvent } from '../src/lark/event-types';
import { toUserMessage } from '../src/lark/event-types';
import { AgentState } from './search-attributes';

const { routeMessageToUser } = proxyActivities<IntakeActivities>({
  // Signal-with-start is one quick RPC; retry it for a day of Temporal or network trouble.
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  summary: 'route message to the per-user workflow',
});

export type EventOutcome =
  | { outcome: 'routed'; userWorkflowId: string; messageId: string }
  | { outcome: 'ignored'; reason: string };

export async function larkEventWorkflow(event: LarkEvent): Promise<EventOutcome> {
  if (event.kind !== 'message') {
    upsertSearchAttributes([{ key: AgentState, value: 'ignored' }]);
    return { outcome: 'ignored', reason: `no handler for ${event.eventType}` };
  }
  const { userWorkflowId } = await routeMessageToUser(toUserMessage(event));
  upsertSearchAttributes([{ key: AgentState, value: 'routed' }]);
  return { outcome: 'routed', userWorkflowId, messageId: event.message.messageId };
}
