/**
 * Starts the event workflow: the acknowledgement to Lark is sent only after Temporal has accepted it.
 * The workflow id is the event id and duplicates are rejected, so a redelivery never starts a second run.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { LarkEvent } from '../lark/event-types';
import { eventWorkflowId, userWorkflowId } from '../../workflows/ids';
import { LarkChatId, LarkEventType, LarkOpenId } from '../../workflows/search-attributes';
import type { larkEventWorkflow } from '../../workflows/event-workflow';

export type StartOutcome = 'started' | 'duplicate';

export interface EventStarter {
  start(event: LarkEvent): Promise<StartOutcome>;
}

export class TemporalUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Temporal did not accept the workflow start: ${describe(cause)}`);
    this.name = 'TemporalUnavailableError';
  }
}

function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e && parts.length < 4; e = e.cause as typeof e) {
    if (e.message) parts.push(e.message);
    if ((e as any).details) parts.push(String((e as any).details));
  }
  return parts.join(': ') || String(err);
}

function eventDetails(event: LarkEvent, openId: string | undefined, chatId: string | undefined): string {
  if (event.kind !== 'message') return `One delivery of Lark event ${event.eventId}; no handler for ${event.eventType}, so the run only records it.`;
  return `One delivery of Lark event ${event.eventId}: hands message ${event.message.messageId}${chatId ? ` (chat ${chatId})` : ''} to ${userWorkflowId(openId ?? '?')}, then ends. The event id is the workflow id, so a redelivery cannot start a second run.`;
}

export function temporalEventStarter(client: Client, taskQueue: string, timeoutMs: number, maxMessageAgeMs?: number): EventStarter {
  return {
    async start(event) {
      const openId = event.kind === 'message' ? event.sender.openId : event.openId;
      const chatId = event.kind === 'message' ? event.message.chatId : undefined;
      try {
        const starting = client.connection.withDeadline(Date.now() + timeoutMs, () =>
          client.workflow.start<typeof larkEventWorkflow>('larkEventWorkflow', {
            workflowId: eventWorkflowId(event.eventId),
            taskQueue,
            args: [event, { maxMessageAgeMs }],
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            // A workflow task in flight on a worker that dies is retried elsewhere after this (default 10 s).
            workflowTaskTimeout: '4 seconds',
            typedSearchAttributes: [
              { key: LarkEventType, value: event.eventType },
              ...(openId ? [{ key: LarkOpenId, value: openId }] : []),
              ...(chatId ? [{ key: LarkChatId, value: chatId }] : []),
            ],
            staticSummary: `Lark ${event.eventType}${openId ? ` from ${openId}` : ''}`,
            // Ids only, never message text: user metadata is shown in the UI to anyone who can see the run.
            staticDetails: eventDetails(event, openId, chatId),
          }),
        );
        // The client's gRPC retries can outlast the deadline; Lark waits 3 s at most, so answer 503 on time.
        // An abandoned start may still succeed later: Lark's redelivery then finds the run (duplicate, 200).
        starting.catch(() => undefined);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        });
        try {
          await Promise.race([starting, late]);
        } finally {
          clearTimeout(timer);
        }
        return 'started';
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return 'duplicate';
        throw new TemporalUnavailableError(err);
      }
    },
  };
}
