/**
 * The policy table: every activity any workflow calls, proxied once here with its timeouts, retry policy and
 * the reason for them. Workflow files import these proxies and never call proxyActivities themselves.
 *
 * Shared reasoning:
 * - Every policy has bounded attempts AND a scheduleToCloseTimeout, so no activity retries forever, and a
 *   failure that outlasts it reaches the workflow, which contains it (one apology, the queue goes on).
 * - Failures a retry cannot fix are thrown non-retryable already (src/lark/errors.ts, src/llm/errors.ts); they
 *   are also listed in nonRetryableErrorTypes, so a wrapper that loses the flag cannot turn them into loops.
 * - Rate limits (LarkRateLimited) carry nextRetryDelay from Lark's x-ogw-ratelimit-reset header, which
 *   overrides the backoff for that one retry (still within the attempts and the window).
 * - heartbeatTimeout 4 s on everything that talks to Lark, PostgreSQL or the model: the worker heartbeats
 *   every running activity (src/temporal/heartbeat-interceptor.ts), so after a kill -9 another worker takes
 *   the work over within seconds instead of waiting out startToClose.
 * - Steps that only need PostgreSQL (token store) retry for 30 minutes: a database restart must delay a
 *   request, not turn it into an apology.
 * - LOCAL activities for the short steps on every message's path (prepare, authorization check, the reply):
 *   they run inside the workflow task that reaches them, so a message costs no activity task, no poll and no
 *   extra workflow task for them. Same timeouts, attempts and windows as before, so the containment matrix
 *   (test/user-workflow-containment.test.ts) holds unchanged. What differs:
 *   - They cannot heartbeat. Takeover after a kill -9 comes from the workflow task timeout instead (4 s, set
 *     where the workflow is started): the task that was running the step times out and another worker replays
 *     the history and runs the step again, from its first attempt. The Lark writes among them carry an
 *     idempotency uuid, and the reads are reads, so a repeat is harmless.
 *   - Retries closer together than LOCAL_RETRY_THRESHOLD run inside the worker while the task stays open (the
 *     SDK extends it every ~3 s); later ones are durable timers, so a long outage does not hold a task open.
 *   - A step that runs long keeps the user's workflow task open (new messages wait for the next task
 *     extension, ~3 s): that is why only short steps are local; the model and the tools (seconds to minutes)
 *     stay regular activities, heartbeated. One exception, under conditions: the turn's first model step while
 *     nothing else in the user's run needs its task (callModelLocal below).
 */
import {
  ActivityFailure,
  CancelledFailure,
  proxyActivities,
  proxyLocalActivities as sdkProxyLocalActivities,
  TemporalFailure,
  type ActivityInterfaceFor,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { AuthActivities } from '../activities/auth';
export type { RecordedDecision } from '../activities/auth';
import type { IntakeActivities } from '../activities/intake';
import type { AnswerCardActivities, MessagingActivities } from '../activities/messaging';
import type { LlmActivities } from '../activities/llm';
import type { RequestActivities } from '../activities/requests';
import type { ToolActivities } from '../activities/tools';
import type { TurnLogActivities } from '../activities/turn-log';
import type { UndoActivities } from '../activities/undo';
import type { ReminderActivities } from '../activities/reminders';
import { LarkFailureType, NON_RETRYABLE_LARK_FAILURES } from '../src/lark/failure-types';
import { NON_RETRYABLE_LLM_FAILURES } from '../src/llm/failure-types';

const HEARTBEAT = '4 seconds';
/** Local retries at most this far apart stay in the worker; longer backoffs become workflow timers. */
const LOCAL_RETRY_THRESHOLD = '10 seconds';

/**
 * Local activities whose failures look like regular ones: this SDK rejects a local activity with the bare
 * cause (an ApplicationFailure, a TimeoutFailure), where a regular activity rejects with an ActivityFailure
 * around it. The request code tells a refused reply and an activity failure apart by that wrapper, so it is
 * added here: the workflow logic sees the same errors whichever kind of activity ran the step.
 */
function proxyLocalActivities<A extends object>(options: LocalActivityOptions): ActivityInterfaceFor<A> {
  const inner = sdkProxyLocalActivities<A>(options) as Record<string, (...args: unknown[]) => Promise<unknown>>;
  return new Proxy({} as ActivityInterfaceFor<A>, {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      return async (...args: unknown[]) => {
        try {
          return await inner[name]!(...args);
        } catch (err) {
          if (!(err instanceof TemporalFailure) || err instanceof ActivityFailure || err instanceof CancelledFailure) throw err;
          throw new ActivityFailure('Local activity failed', name, undefined, 'NON_RETRYABLE_FAILURE', undefined, err);
        }
      };
    },
  });
}

/** A regular policy as a local one: same timeouts and retry policy, minus the heartbeat a local activity cannot send. */
function asLocal({ heartbeatTimeout: _heartbeat, ...options }: ActivityOptions): LocalActivityOptions {
  return {
    ...(options.startToCloseTimeout !== undefined ? { startToCloseTimeout: options.startToCloseTimeout } : {}),
    ...(options.scheduleToCloseTimeout !== undefined ? { scheduleToCloseTimeout: options.scheduleToCloseTimeout } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.summary ? { summary: options.summary } : {}),
    localRetryThreshold: LOCAL_RETRY_THRESHOLD,
  };
}
const nonRetryableLark = [...NON_RETRYABLE_LARK_FAILURES];

/** Database-backed steps: survive a PostgreSQL restart (about 30 minutes of retries, 1 minute apart at most). */
const storeBacked: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: HEARTBEAT,
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 36, nonRetryableErrorTypes: nonRetryableLark },
};

export const auth = {
  /** Local: one PostgreSQL read on every message's path (see the header). */
  checkAuthorization: proxyLocalActivities<AuthActivities>(asLocal({ ...storeBacked, summary: 'check authorization' })).checkAuthorization,
  /** A login link (stored state) and one DM; the uuid is the waiting period's id, so retries cannot send two. */
  sendLoginCard: proxyActivities<AuthActivities>({ ...storeBacked, summary: 'send login card' }).sendLoginCard,
};

/**
 * The bot's own mention (one Lark call, cached per worker) and the user's name (one PostgreSQL read). Local:
 * on every message's path, and a repeat after a takeover only reads.
 */
export const { prepareRequest } = proxyLocalActivities<RequestActivities>(asLocal({ ...storeBacked, summary: 'prepare request' }));

/**
 * Replies and in-chat sends (the answer, an apology, a notice, a card): what the user waits for, so the longest
 * window, ~25 attempts at 1 s doubling to 1 minute, about 20 minutes of Lark trouble. It stays under 1 hour
 * because Lark deduplicates a message uuid only within 1 hour; a retry later than that could post twice.
 * LOCAL (see the header): one Lark request whose uuid makes a repeat after a takeover harmless; the window
 * stays under the uuid dedup unless a worker dies mid-window and the step starts over.
 */
const delivery: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: HEARTBEAT,
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 25, nonRetryableErrorTypes: nonRetryableLark },
};
export const lark = {
  replyToMessage: proxyLocalActivities<MessagingActivities>(asLocal({ ...delivery, summary: 'reply in Lark' })).replyToMessage,
  sendMessage: proxyLocalActivities<MessagingActivities>(asLocal({ ...delivery, summary: 'send a Lark message' })).sendMessage,
  /**
   * Card updates (a status card's progress, a resolved confirmation) are off the answer's path: a late update
   * is worthless (the next one replaces it) and Lark allows 5 QPS per message, so retry briefly and give up;
   * the workflow carries on without it. Regular, heartbeated.
   */
  updateCard: proxyActivities<MessagingActivities>({
    startToCloseTimeout: '15 seconds',
    heartbeatTimeout: HEARTBEAT,
    scheduleToCloseTimeout: '2 minutes',
    retry: {
      initialInterval: '500 milliseconds',
      backoffCoefficient: 2,
      maximumInterval: '10 seconds',
      maximumAttempts: 5,
      nonRetryableErrorTypes: nonRetryableLark,
    },
    summary: 'update a Lark card',
  }).updateCard,
} satisfies MessagingActivities;

/**
 * The streamed answer card (workflows/answer-card.ts). Creating it is worth a few quick tries only: after that
 * (or at once when the app lacks cardkit:card:write) the request falls back to the status message and a text
 * answer. Its status line is like a status card's edit: brief retries, then skipped. Its final replace IS the
 * answer: the delivery window (about 20 minutes of Lark trouble), then the text answer instead.
 */
/** A brief card step: a few quick tries within a minute, Lark's permanent refusals at once. */
const answerCardStep = (maximumAttempts: number, summary: string): ActivityOptions => ({
  startToCloseTimeout: '15 seconds',
  heartbeatTimeout: HEARTBEAT,
  scheduleToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts,
    nonRetryableErrorTypes: nonRetryableLark,
  },
  summary,
});
export const answerCards = {
  createAnswerCard: proxyActivities<AnswerCardActivities>(answerCardStep(4, 'create the answer card')).createAnswerCard,
  updateAnswerStatus: proxyActivities<AnswerCardActivities>(answerCardStep(3, 'answer card: status line')).updateAnswerStatus,
  finishAnswerCard: proxyActivities<AnswerCardActivities>({ ...delivery, summary: 'answer card: final text' }).finishAnswerCard,
} satisfies AnswerCardActivities;

/**
 * One agent step. 429/529 honour retry-after; bad requests and auth problems fail at once (and are
 * contained as an apology). Each step shows as "Claude, step N" in the Temporal UI, hence one proxy per step.
 */
const modelOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT,
  scheduleToCloseTimeout: '15 minutes',
  // 1 s first retry: after a worker dies the step is retried right after its heartbeat timeout (429/529 use retry-after).
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
    nonRetryableErrorTypes: [...NON_RETRYABLE_LLM_FAILURES],
  },
};
export const callModel = (step: number) => proxyActivities<LlmActivities>({ ...modelOptions, summary: `Claude, step ${step}` }).callModel;
/**
 * The FIRST model step of a turn as a LOCAL activity (agent-loop.ts, patch `first-model-step-local`): the task that
 * takes the message also prepares it, calls the model and, when the model answers without a tool, replies, so the
 * common turn is one workflow task with no activity task, and the prompt (the transcript) is no history bytes.
 * - Durability: the result is recorded when the task completes. A worker that dies mid-call loses the task; after
 *   the task timeout (4 s) another worker replays and calls the model again from the first attempt. A model call
 *   writes nothing to Lark (its answer goes out afterwards, under the "answer" uuid), so a repeat costs tokens, never a
 *   second answer; the status card it may post carries the request's "status" uuid, as the workflow's does.
 * - Long calls: the SDK keeps the task open by completing it every ~3 s (80% of the 4 s task timeout) and carrying on
 *   in the next; new messages, timers and card clicks wait for that. So agent-loop.ts takes this path only while the
 *   user's run has nothing else that a click or another chat could need at once (no card waiting for a click, no
 *   Undo button inside its window, no other chat's request running); otherwise the step is the regular one above.
 * - A held task holds one of the worker's workflow task slots (the SDK's default 40) for the whole call: a worker
 *   runs at most LOCAL_MODEL_STEPS (activities/llm.ts) at once; past that the step declines at once (a benign,
 *   non-retryable LocalModelStepDeclined) and agent-loop.ts calls the regular step, so a busy worker never runs
 *   out of slots for everyone else's tasks.
 * - The status message cannot be posted by the workflow while its task is held: the step posts it itself when it is
 *   due (workflows/status-message.ts, delegate()) and returns its id.
 * - Same per-attempt timeout (2 minutes), attempts and 15-minute window as the regular step. Retries closer than
 *   LOCAL_RETRY_THRESHOLD (1, 2, 4, 8 s, or a 429/529's retry-after when short) run inside the worker; longer
 *   backoffs become workflow timers, so an outage of the model does not hold the task open for minutes.
 */
export const callModelLocal = proxyLocalActivities<LlmActivities>({ ...asLocal(modelOptions), summary: 'Claude, step 1' }).callModel;

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
/** The read before booking a room: its name and place for the confirmation card. */
export const { inspectRoom } = proxyActivities<ToolActivities>({ ...toolOptions, summary: 'rooms: read room' });

/** An Undo click reverses changes as the user: same reasoning as the tools (idempotent, ~7 minutes of trouble). */
export const { undoChange } = proxyActivities<UndoActivities>({ ...toolOptions, summary: 'undo a change' });

/** Best effort after the reply: a short window, and a failure is only logged. */
const turnLog: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT,
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 6 },
  summary: 'log turn to Lark Base',
};
export const { logTurn, logAudit } = proxyActivities<TurnLogActivities>(turnLog);
/**
 * The turn log as a LOCAL activity (agent-loop.ts, patch `turn-log-local`): one Base row, written with a client
 * token made of the message id, so the rerun a worker crash causes writes it once. Local, it costs a message no
 * activity task and no extra workflow task, and its input (the question and the answer) no history bytes; a
 * Base write is short, so 30 s per attempt (the same window and attempts otherwise).
 */
export const { logTurn: logTurnLocal } = proxyLocalActivities<TurnLogActivities>({ ...asLocal(turnLog), startToCloseTimeout: '30 seconds' });

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
  /** A linked reminder's look at its meeting while it waits: a few quick tries; on failure it keeps the last known time. */
  checkLinkedEvent: proxyActivities<ReminderActivities>({
    startToCloseTimeout: '30 seconds',
    heartbeatTimeout: HEARTBEAT,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: nonRetryableLark },
    summary: 'reminder: re-read meeting',
  }).checkLinkedEvent,
  /**
   * An urgent reminder's one buzz (Lark's in-app urgent on the card): worth little once late, and Lark has no
   * idempotency key for it, so a few quick tries and then the reminder goes on without it.
   */
  escalateReminder: proxyActivities<ReminderActivities>({
    startToCloseTimeout: '15 seconds',
    heartbeatTimeout: HEARTBEAT,
    scheduleToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: nonRetryableLark },
    summary: 'reminder: urgent buzz',
  }).escalateReminder,
  /** Reschedule: one Lark post (uuid: reminder + occurrence) and a signal-with-start, both repeatable. */
  requestReschedule: proxyActivities<ReminderActivities>({ ...storeBacked, summary: 'reminder: start reschedule request' }).requestReschedule,
};

/**
 * The event workflow's one step, signal-with-start of the sender's per-user workflow: one quick RPC, retried
 * for a day of Temporal or network trouble. LOCAL: it is the run's only step, so the whole run is ONE workflow
 * task (start, route, complete). No heartbeat for a local activity: after a kill -9 the workflow task times
 * out (4 s, set by the webhook's start) and another worker routes again; a repeated signal is dropped by
 * message_id. The run's id (the event id) still dedups redeliveries: that is the start, not this step.
 */
const intake: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  localRetryThreshold: LOCAL_RETRY_THRESHOLD,
};
export const { routeMessageToUser } = proxyLocalActivities<IntakeActivities>({ ...intake, summary: 'route message to the per-user workflow' });
/** A refused message's notice (the intake limit): the same store and the same day of retries as routing. */
export const { takeIntakeRefusals } = proxyLocalActivities<IntakeActivities>({ ...intake, summary: 'intake limit: the refusals this notice names' });
