/**
 * Every activity the per-user workflow calls, proxied once here with the reason for its policy.
 *
 * Shared reasoning:
 * - Every policy has bounded attempts AND a scheduleToCloseTimeout, so no activity retries forever, and a
 *   failure that outlasts it reaches the workflow, which contains it (one apology, the queue goes on).
 * - heartbeatTimeout 4 s on everything that talks to Lark, PostgreSQL or the model: the worker heartbeats
 *   every running activity (src/temporal/heartbeat-interceptor.ts), so after a kill -9 another worker takes
 *   the work over within seconds instead of waiting out startToClose.
 * - Steps that only need PostgreSQL (token store) retry for 30 minutes: a database restart must delay a
 *   request, not turn it into an apology.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { AuthActivities } from '../activities/auth';
import type { LlmActivities } from '../activities/llm';
import type { RequestActivities } from '../activities/requests';
import type { ToolActivities } from '../activities/agent-tools';
import type { TurnLogActivities } from '../activities/turn-log';
import type { UndoActivities } from '../activities/undo';
import type { ReminderActivities } from '../activities/reminders';
import { LarkFailureType, NON_RETRYABLE_LARK_FAILURES } from '../src/lark/failure-types';
import { NON_RETRYABLE_LLM_FAILURES } from '../src/llm/failure-types';
import { proxyLarkActivities } from './activity-policies';

const HEARTBEAT = '4 seconds';
const nonRetryableLark = [...NON_RETRYABLE_LARK_FAILURES];

/** Database-backed steps: survive a PostgreSQL restart (about 30 minutes of retries, 1 minute apart at most). */
const storeBacked: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: HEARTBEAT,
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 36, nonRetryableErrorTypes: nonRetryableLark },
};

export const auth = {
  checkAuthorization: proxyActivities<AuthActivities>({ ...storeBacked, summary: 'check authorization' }).checkAuthorization,
  /** A login link (stored state) and one DM; the uuid is the waiting period's id, so retries cannot send two. */
  sendLoginCard: proxyActivities<AuthActivities>({ ...storeBacked, summary: 'send login card' }).sendLoginCard,
};

/** The bot's own mention and the user's name: Lark plus the token store. */
export const { prepareRequest } = proxyActivities<RequestActivities>({ ...storeBacked, summary: 'prepare request' });

/** Replies, sends and card updates: larkActivityOptions explains each; all heartbeat for fast takeover. */
export const lark = proxyLarkActivities();

/**
 * One agent step. 429/529 honour retry-after; bad requests and auth problems fail at once (and are
 * contained as an apology). Each step shows as "Claude, step N" in the Temporal UI, hence one proxy per step.
 */
const modelOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT,
  scheduleToCloseTimeout: '15 minutes',
  // 1 s first retry: after a worker dies the step is retried right after its heartbeat timeout (429/529 use retry-after).
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8, nonRetryableErrorTypes: [...NON_RETRYABLE_LLM_FAILURES] },
};
export const callModel = (step: number) => proxyActivities<LlmActivities>({ ...modelOptions, summary: `Claude, step ${step}` }).callModel;

/**
 * Tools act as the user. Idempotency keys make writes safe to retry; about 7 minutes of Lark or database
 * trouble (a PostgreSQL restart included), then the model is told the tool failed and nothing was changed.
 * Authorization problems fail at once so the workflow can ask to sign in.
 */
const toolOptions: ActivityOptions = {
  startToCloseTimeout: '45 seconds',
  heartbeatTimeout: HEARTBEAT,
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 16,
    nonRetryableErrorTypes: [LarkFailureType.UserAuthRequired, LarkFailureType.PermissionDenied, LarkFailureType.InvalidInput, LarkFailureType.TokenInvalid],
  },
};
/** runTool is proxied per call so its summary names the tool ("calendar: create event"). */
export const runTool = (summary: string) => proxyActivities<ToolActivities>({ ...toolOptions, summary }).runTool;
/** A find-a-time click: everyone's free/busy again for exactly that slot, before booking it. */
export const { checkSlot } = proxyActivities<ToolActivities>({ ...toolOptions, summary: 'calendar: re-check a slot' });
/** The read before a change or delete: what the confirmation shows, and who else attends. */
export const { inspectEvent } = proxyActivities<ToolActivities>({ ...toolOptions, summary: 'calendar: read event' });

/** An Undo click reverses changes as the user: same reasoning as the tools (idempotent, ~7 minutes of trouble). */
export const { undoChange } = proxyActivities<UndoActivities>({ ...toolOptions, summary: 'undo a change' });

/** Best effort after the reply: a short window, and a failure is only logged. */
export const { logTurn, logAudit } = proxyActivities<TurnLogActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT,
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 6 },
  summary: 'log turn to Lark Base',
});

/**
 * Reminders (workflows/reminder-workflow.ts). fireReminder posts one card per occurrence with a uuid made of
 * the reminder id and the occurrence time; the window stays under Lark's 1-hour uuid dedup (50 minutes), and
 * the workflow tries again after that (same uuid) rather than give the occurrence up. A dead refresh token
 * fails at once (UserAuthRequired is non-retryable) so the workflow can ask the user to sign in.
 * updateReminderIndex only mirrors the workflow in PostgreSQL: store-backed, survives a database restart.
 */
export const reminders = {
  fireReminder: proxyActivities<ReminderActivities>({
    startToCloseTimeout: '45 seconds',
    heartbeatTimeout: HEARTBEAT,
    scheduleToCloseTimeout: '50 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 60, nonRetryableErrorTypes: nonRetryableLark },
    summary: 'reminder: fire',
  }).fireReminder,
  updateReminderIndex: proxyActivities<ReminderActivities>({ ...storeBacked, summary: 'reminder: update index' }).updateReminderIndex,
};
