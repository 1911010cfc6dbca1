/**
 * Each messaging activity's own timeouts and retry policy (activities/messaging.ts), chosen per side effect.
 * Workflows call `proxyMessagingActivities()` (or pass `messagingActivityOptions.x` to proxyActivities themselves).
 *
 * Shared reasoning:
 * - heartbeatTimeout (4 s): the worker heartbeats every running activity, so after a kill -9 another worker
 *   retries within seconds instead of after startToClose.
 * - startToCloseTimeout bounds one attempt: the client's per-request timeout (10 s default) times the
 *   requests in the activity, plus a possible tenant-token fetch.
 * - Every policy has bounded attempts AND a scheduleToCloseTimeout, so no activity retries forever.
 * - Rate limits (LarkRateLimited) carry nextRetryDelay from Lark's x-ogw-ratelimit-reset header, which
 *   overrides the backoff below for that one retry (still within attempts and scheduleToClose).
 * - Failures that a retry cannot fix are thrown non-retryable already (errors.ts); they are also listed in
 *   nonRetryableErrorTypes so a wrapper that loses the flag cannot turn them into retry loops.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { MessagingActivities } from '../activities/messaging';
import { NON_RETRYABLE_LARK_FAILURES } from '../src/lark/failure-types';

const nonRetryableErrorTypes = [...NON_RETRYABLE_LARK_FAILURES];

export const messagingActivityOptions = {
  /**
   * The answer the user is waiting for: the longest window. It stays under 1 hour because Lark
   * deduplicates a message uuid only within 1 hour; a retry later than that could post twice.
   * ~25 attempts at 1 s doubling to 60 s covers about 20 minutes of Lark trouble.
   */
  replyToMessage: {
    startToCloseTimeout: '20 seconds',
    heartbeatTimeout: '4 seconds',
    scheduleToCloseTimeout: '30 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 25, nonRetryableErrorTypes },
    summary: 'reply in Lark',
  },
  /** Same reasoning as replies (same uuid window, same importance). */
  sendMessage: {
    startToCloseTimeout: '20 seconds',
    heartbeatTimeout: '4 seconds',
    scheduleToCloseTimeout: '30 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 25, nonRetryableErrorTypes },
    summary: 'send a Lark message',
  },
  /**
   * Progress cards: a late update is worthless (the next one replaces it) and Lark allows 5 QPS per
   * message, so retry briefly and give up; the workflow carries on without it.
   */
  updateCard: {
    startToCloseTimeout: '15 seconds',
    heartbeatTimeout: '4 seconds',
    scheduleToCloseTimeout: '2 minutes',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5, nonRetryableErrorTypes },
    summary: 'update a Lark card',
  },
} satisfies Record<keyof MessagingActivities, ActivityOptions>;

/** The messaging activities, each proxied with its own options above. */
export function proxyMessagingActivities(): MessagingActivities {
  const out = {} as Record<string, unknown>;
  for (const [name, options] of Object.entries(messagingActivityOptions)) {
    out[name] = proxyActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>(options)[name];
  }
  return out as MessagingActivities;
}
