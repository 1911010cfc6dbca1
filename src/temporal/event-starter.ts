/**
 * Starts the event workflow: the acknowledgement to Lark is sent only after Temporal has accepted it.
 * The workflow id is the event id and duplicates are rejected, so a redelivery never starts a second run.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import { HttpError } from '../http-error';
import { grpcCode, GrpcCode, shortMessage } from './setup';
import type { LarkEvent } from '../lark/event-types';
import { eventWorkflowId, userWorkflowId, LarkChatId, LarkEventType, LarkOpenId, type LarkEventWorkflow } from '../../workflows/contract';

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

/** The gRPC codes that mean "this start will never be accepted as configured", with their metric label. */
const PERMANENT: Record<number, RefusalCode> = {
  [GrpcCode.INVALID_ARGUMENT]: 'invalid_argument', // e.g. a search attribute the namespace does not have
  [GrpcCode.NOT_FOUND]: 'not_found', // the namespace does not exist
  [GrpcCode.PERMISSION_DENIED]: 'permission_denied',
  [GrpcCode.UNAUTHENTICATED]: 'unauthenticated',
  [GrpcCode.UNIMPLEMENTED]: 'unimplemented',
};
export type RefusalCode = 'invalid_argument' | 'not_found' | 'permission_denied' | 'unauthenticated' | 'unimplemented';

/**
 * Temporal refused the start for a reason retrying will not fix (a missing search attribute or namespace, no
 * permission). Answered 500 `temporal_misconfigured`, not 503: a 503 says "busy, try later", and a
 * misconfiguration answered that way looks like a passing outage while every event is refused for hours. A 500
 * is an error of ours: it is logged as an error with the cause, counted in /metrics
 * (lark_agent_workflow_start_refused_total) and health names the missing search attributes. Not a 200 either:
 * the event is not recorded, and Lark still redelivers a non-200 answer on its own schedule, so an event refused
 * before the operator fixes the setup (or before the webhook re-registers what was removed) is accepted later.
 */
export class TemporalRefusedError extends HttpError {
  constructor(
    readonly code: RefusalCode,
    /** The server's words (names of attributes or namespaces, never secrets): for the log, not the answer. */
    readonly causeText: string,
  ) {
    super(500, 'temporal_misconfigured', 'Temporal refused to record the event (a configuration problem, see the webhook log)');
    this.name = 'TemporalRefusedError';
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

export function temporalEventStarter(client: Client, taskQueue: string, timeoutMs: number): EventStarter {
  return {
    async start(event) {
      const openId = event.kind === 'message' ? event.sender.openId : event.openId;
      const chatId = event.kind === 'message' ? event.message.chatId : undefined;
      try {
        const starting = client.connection.withDeadline(Date.now() + timeoutMs, () =>
          client.workflow.start<LarkEventWorkflow>('larkEventWorkflow', {
            workflowId: eventWorkflowId(event.eventId),
            taskQueue,
            args: [event],
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
        if (err instanceof NamespaceNotFoundError) throw new TemporalRefusedError('not_found', shortMessage(err));
        const permanent = PERMANENT[grpcCode(err) ?? -1];
        if (permanent) throw new TemporalRefusedError(permanent, shortMessage(err));
        throw new TemporalUnavailableError(err);
      }
    },
  };
}
