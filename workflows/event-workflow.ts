/**
 * One run per Lark delivery (`lark-event-<event_id>`): Temporal's id uniqueness is the dedup of redeliveries.
 * It hands a message to its sender's long-lived per-user workflow and ends.
 */
import { proxyLocalActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { IntakeActivities } from '../activities/intake';
import type { LarkEvent } from '../src/lark/event-types';
import { toUserMessage } from '../src/lark/event-types';
import { AgentState, type EventOutcome } from './contract';

/**
 * LOCAL: the run's only step, so the whole run is ONE workflow task (start, route, complete) instead of a task
 * that hands over to an activity and a second task that completes. The run's id (the event id) still dedups
 * redeliveries: that is the start, not this step.
 */
const { routeMessageToUser } = proxyLocalActivities<IntakeActivities>({
  // Signal-with-start is one quick RPC; retry it for a day of Temporal or network trouble.
  startToCloseTimeout: '10 seconds',
  // No heartbeat for a local activity: after a kill -9 the workflow task times out (4 s, set by the webhook's
  // start) and another worker runs the route again; a repeated signal is dropped by message_id.
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  // Backoffs past 10 s are durable timers, not a workflow task held open.
  localRetryThreshold: '10 seconds',
  summary: 'route message to the per-user workflow',
});

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
