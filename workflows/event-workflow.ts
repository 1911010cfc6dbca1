/**
 * One run per Lark delivery (`lark-event-<event_id>`): Temporal's id uniqueness is the dedup of redeliveries.
 * It hands a message to its sender's long-lived per-user workflow and ends.
 */
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { LarkEvent } from '../src/lark/event-types';
import { toUserMessage } from '../src/lark/event-types';
import { routeMessageToUser } from './activity-proxies';
import { AgentState, type EventOutcome } from './contract';

export async function larkEventWorkflow(event: LarkEvent): Promise<EventOutcome> {
  if (event.kind !== 'message') {
    upsertSearchAttributes([{ key: AgentState, value: 'ignored' }]);
    return { outcome: 'ignored', reason: `no handler for ${event.eventType}` };
  }
  // Age counts up to ACCEPTANCE: the run's start time is when the webhook had Temporal record the event, so
  // a worker outage does not make acknowledged messages stale (Lark replays after reconnects can still be
  // hours old). The per-user workflow judges it against its settings on arrival.
  const msg = { ...toUserMessage(event), acceptedAtMs: workflowInfo().startTime.getTime() };
  const { userWorkflowId } = await routeMessageToUser(msg);
  upsertSearchAttributes([{ key: AgentState, value: 'routed' }]);
  return { outcome: 'routed', userWorkflowId, messageId: event.message.messageId };
}
