/**
 * Evidence for a broken timing invariant: a workflow's history as a compact timeline relative to a moment
 * (e.g. a kill), with activity names, timeout kinds and the worker identity that picked each task up.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

const ms = (t: Event['eventTime']) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
const typeName = (e: Event) => (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '').toLowerCase();

function detail(e: Event, activities: Map<string, string>): string {
  const a = e.activityTaskScheduledEventAttributes;
  if (a) {
    activities.set(String(e.eventId), a.activityType?.name ?? '?');
    return `${a.activityType?.name} #${e.eventId}`;
  }
  const of = (id: unknown) => `${activities.get(String(id)) ?? '?'} #${String(id)}`;
  if (e.activityTaskStartedEventAttributes)
    return `${of(e.activityTaskStartedEventAttributes.scheduledEventId)} attempt ${e.activityTaskStartedEventAttributes.attempt} by ${e.activityTaskStartedEventAttributes.identity}`;
  if (e.activityTaskCompletedEventAttributes) return of(e.activityTaskCompletedEventAttributes.scheduledEventId);
  if (e.activityTaskFailedEventAttributes)
    return `${of(e.activityTaskFailedEventAttributes.scheduledEventId)}: ${e.activityTaskFailedEventAttributes.failure?.message ?? ''}`.slice(0, 160);
  if (e.activityTaskTimedOutEventAttributes) {
    const f = e.activityTaskTimedOutEventAttributes.failure;
    const kind = f?.timeoutFailureInfo?.timeoutType ?? f?.cause?.timeoutFailureInfo?.timeoutType;
    return `${of(e.activityTaskTimedOutEventAttributes.scheduledEventId)} ${kind !== undefined && kind !== null ? temporal.api.enums.v1.TimeoutType[kind] : ''}`;
  }
  if (e.workflowTaskStartedEventAttributes) return `by ${e.workflowTaskStartedEventAttributes.identity}`;
  if (e.workflowTaskTimedOutEventAttributes) return temporal.api.enums.v1.TimeoutType[e.workflowTaskTimedOutEventAttributes.timeoutType ?? 0] ?? '';
  if (e.workflowTaskScheduledEventAttributes)
    return `queue ${e.workflowTaskScheduledEventAttributes.taskQueue?.name} attempt ${e.workflowTaskScheduledEventAttributes.attempt}`;
  if (e.workflowExecutionSignaledEventAttributes) return e.workflowExecutionSignaledEventAttributes.signalName ?? '';
  return '';
}

/** Events of the workflow's current run between fromMs and toMs, as "+1.23 s activity_task_timed_out callModel #12 ...". */
export async function historyTimeline(client: Client, workflowId: string, zeroMs: number, fromMs: number, toMs: number): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const activities = new Map<string, string>();
  const out: string[] = [];
  for (const e of history.events ?? []) {
    const at = ms(e.eventTime);
    const d = detail(e, activities); // always, so activity names are known for later events
    if (at < fromMs || at > toMs) continue;
    out.push(`${((at - zeroMs) / 1000).toFixed(2).padStart(7)} s  ${typeName(e)} ${d}`);
  }
  return out;
}
