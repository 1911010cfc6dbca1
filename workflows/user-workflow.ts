/**
 * The long-lived per-user workflow (`lark-user-<open_id>`), the signal-with-start target.
 * It owns the user's requests: accepts each message once (Lark's dedup key is message_id), queues them,
 * and works through them strictly in order. When a request needs the user's authorization it sends ONE
 * login card, keeps queueing new messages, waits for the OAuth result, then resumes every pending request
 * from where it stopped.
 */
import {
  log,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AuthActivities } from '../activities/auth';
import type { UserMessage } from '../src/lark/event-types';
import { proxyLarkActivities } from './activity-policies';
import { handleRequest, type RequestProgress } from './request-handler';
import { confirmCard, resolvedCard } from '../src/cards/confirm-card';
import { pruneChats, type MemoryByChat } from './chat-memory';
import { AgentState, LarkChatId } from './search-attributes';
import {
  authResultSignal,
  confirmationSignal,
  newMessageSignal,
  userStateQuery,
  type AuthResult,
  type ConfirmationDecision,
  type UserWorkflowState,
} from './user-messages';

export interface UserSettings {
  /** Size of the bounded dedup window of accepted message ids. */
  dedupWindow: number;
  /** How long requests wait for authorization before they expire. */
  authWaitTimeoutMs: number;
  /** How long a Confirm / Cancel card waits for a click. */
  confirmTimeoutMs: number;
  /** Model steps per request before the agent stops and says so. */
  stepCap: number;
  timezone: string;
  /** Continue-as-new past this many history events, well before Temporal's 10k warning. */
  historyEventCap: number;
}

export const DEFAULT_USER_SETTINGS: UserSettings = {
  dedupWindow: 1000,
  authWaitTimeoutMs: 24 * 3600_000,
  confirmTimeoutMs: 15 * 60_000,
  stepCap: 8,
  timezone: 'Asia/Ho_Chi_Minh',
  historyEventCap: 5000,
};

export interface UserWorkflowInput {
  openId: string;
  settings?: Partial<UserSettings>;
  /** Carried across continue-as-new. */
  carried?: {
    recentMessageIds: string[];
    queue: UserMessage[];
    progress: Record<string, RequestProgress>;
    memory: MemoryByChat;
    counters: Counters;
  };
}

interface Counters {
  accepted: number;
  duplicates: number;
  completed: number;
  expired: number;
  loginCards: number;
}

/** While waiting, re-check the token store this often in case the callback's signal was lost. */
const AUTH_RECHECK_MS = 5 * 60_000;

const { checkAuthorization, sendLoginCard } = proxyActivities<AuthActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 25, nonRetryableErrorTypes: ['LarkPermissionDenied', 'LarkInvalidInput'] },
  summary: 'authorization',
});
const { sendMessage, replyToMessage, updateCard } = proxyLarkActivities();

export async function larkUserWorkflow(input: UserWorkflowInput): Promise<void> {
  const { openId } = input;
  const settings: UserSettings = { ...DEFAULT_USER_SETTINGS, ...input.settings };
  const window = settings.dedupWindow;
  const authWaitMs = settings.authWaitTimeoutMs;
  const memory: MemoryByChat = input.carried?.memory ?? {};
  const decisions = new Map<string, ConfirmationDecision['decision']>();
  const awaiting = new Set<string>();
  const recent: string[] = [...(input.carried?.recentMessageIds ?? [])];
  const seen = new Set(recent);
  const queue: UserMessage[] = [...(input.carried?.queue ?? [])];
  const progress: Record<string, RequestProgress> = { ...(input.carried?.progress ?? {}) };
  const n: Counters = input.carried?.counters ?? { accepted: 0, duplicates: 0, completed: 0, expired: 0, loginCards: 0 };
  let authorized: boolean | undefined;
  let waitingSince: number | undefined;
  let authResult: AuthResult | undefined;

  setHandler(newMessageSignal, (msg) => {
    if (seen.has(msg.messageId)) {
      n.duplicates++;
      return;
    }
    seen.add(msg.messageId);
    recent.push(msg.messageId);
    if (recent.length > window) seen.delete(recent.shift()!);
    // Deliveries race (each event has its own workflow), so keep the user's own order: by Lark's
    // create_time, never ahead of a request already started.
    let at = queue.length;
    while (at > 0 && !(queue[at - 1]!.messageId in progress) && (queue[at - 1]!.createTimeMs ?? 0) > (msg.createTimeMs ?? Infinity)) at--;
    queue.splice(at, 0, msg);
    n.accepted++;
  });
  setHandler(authResultSignal, (result) => {
    authResult = result;
  });
  setHandler(confirmationSignal, ({ key, decision }) => {
    // Only a card this workflow is waiting on counts; late or foreign clicks change nothing.
    if (awaiting.has(key) && !decisions.has(key)) decisions.set(key, decision);
  });
  setHandler(
    userStateQuery,
    (): UserWorkflowState => ({
      openId,
      acceptedCount: n.accepted,
      duplicateCount: n.duplicates,
      pendingCount: queue.length,
      recentMessageIds: [...recent],
      authorized,
      waitingForAuthSince: waitingSince,
      loginCardsSent: n.loginCards,
      completedCount: n.completed,
      expiredCount: n.expired,
      awaitingConfirmation: [...awaiting],
    }),
  );

  let shownState = '';
  let shownChat = '';
  const showState = (state: 'idle' | 'working' | 'awaiting_auth', details: string) => {
    // Only on change: every upsert is a history event.
    if (state !== shownState) upsertSearchAttributes([{ key: AgentState, value: state }]);
    shownState = state;
    setCurrentDetails(details);
  };
  /** LarkChatId follows the chat of the request being worked on, so `LarkChatId = "oc_..."` finds the user too. */
  const showChat = (chatId: string) => {
    if (chatId === shownChat) return;
    upsertSearchAttributes([{ key: LarkChatId, value: chatId }]);
    shownChat = chatId;
  };

  /** ONE login card per waiting period; true once authorized, false on timeout or denial. */
  async function waitForAuthorization(missingScopes: string[]): Promise<boolean> {
    waitingSince = Date.now();
    authResult = undefined;
    authorized = false;
    showState('awaiting_auth', `Waiting since ${new Date(waitingSince).toISOString()} for ${openId} to authorize${missingScopes.length ? ` (missing ${missingScopes.join(', ')})` : ''}; ${queue.length} request(s) pending.`);
    await sendLoginCard({ openId, waitId: `${openId}:${waitingSince}`, pendingCount: queue.length });
    n.loginCards++;
    log.info('waiting for authorization', { open_id: openId, pending: queue.length, missing_scopes: missingScopes });
    const deadline = waitingSince + authWaitMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      if (await condition(() => authResult !== undefined, Math.min(remaining, AUTH_RECHECK_MS))) break;
      // No signal yet: the callback may have stored tokens while Temporal was unreachable.
      if ((await checkAuthorization(openId)).authorized) {
        authResult = { outcome: 'authorized' };
        break;
      }
    }
    waitingSince = undefined;
    authorized = authResult?.outcome === 'authorized';
    log.info('authorization wait ended', { open_id: openId, outcome: authResult?.outcome ?? 'timeout' });
    return authorized;
  }

  /** Tells the user which requests were dropped and what to do, then clears the queue. */
  async function expirePending(reason: 'timeout' | 'denied'): Promise<void> {
    const dropped = queue.splice(0, queue.length);
    for (const m of dropped) delete progress[m.messageId];
    n.expired += dropped.length;
    const list = dropped.map((m) => `• ${preview(m)}`).join('\n');
    const text =
      reason === 'timeout'
        ? `Các yêu cầu này đã hết hạn vì chưa được cấp quyền truy cập Lark:\n${list}\nHãy gửi lại yêu cầu và bấm "Đăng nhập" trên thẻ mới.\n\nThese requests expired because the app was not authorized:\n${list}\nSend them again and press "Sign in" on the new card.`
        : `Bạn đã từ chối cấp quyền nên các yêu cầu này đã bị huỷ:\n${list}\n\nYou declined authorization, so these requests were cancelled:\n${list}`;
    await sendMessage({ sourceMessageId: dropped[0]!.messageId, step: `auth-${reason}`, receiveIdType: 'open_id', receiveId: openId, text });
  }

  /** A Confirm / Cancel card, then a durable wait for the click (or expiry). */
  async function confirm(msg: UserMessage, key: string, question: string): Promise<'confirm' | 'cancel' | 'expired'> {
    awaiting.add(key);
    setCurrentDetails(`Waiting for ${openId} to confirm: ${question.split('\n')[0]}`);
    const card = await replyToMessage({ messageId: msg.messageId, step: `confirm-${key}`, msgType: 'interactive', content: confirmCard(key, question), replyInThread: Boolean(msg.threadId) });
    const clicked = await condition(() => decisions.has(key), settings.confirmTimeoutMs);
    const outcome = clicked ? decisions.get(key)! : 'expired';
    awaiting.delete(key);
    decisions.delete(key);
    try {
      await updateCard({ messageId: card.messageId, card: resolvedCard(question, outcome) });
    } catch {
      // The card only shows the outcome; the decision itself is already taken.
    }
    return outcome;
  }

  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > settings.historyEventCap;

  for (;;) {
    if (queue.length === 0) showState('idle', `Idle; ${n.completed} request(s) completed${shownChat ? `, last in chat ${shownChat}` : ''}.`);
    await condition(() => queue.length > 0 || shouldContinueAsNew());
    if (shouldContinueAsNew()) break; // the queue and any progress travel with continue-as-new
    const head = queue[0]!;
    // patched: runs started before this upsert existed replay without it (per-user workflows live for months).
    if (patched('lark-chat-id-search-attribute')) showChat(head.chatId);
    showState('working', `Working on ${head.messageId} in chat ${head.chatId}; ${queue.length - 1} more pending.`);
    progress[head.messageId] ??= { step: 0 };
    const outcome = await handleRequest(head, progress[head.messageId]!, { memory, timezone: settings.timezone, stepCap: settings.stepCap, confirm });
    if (outcome.kind === 'needs_auth') {
      if (!(await waitForAuthorization(outcome.missingScopes))) await expirePending(authResult?.outcome === 'denied' ? 'denied' : 'timeout');
      continue; // resume the same request (its progress is kept) or the next one
    }
    if (outcome.authorized) authorized = true;
    queue.shift();
    log.info('request done', { open_id: openId, message_id: head.messageId, event_id: head.eventId, model_steps: progress[head.messageId]?.step ?? 0 });
    delete progress[head.messageId];
    n.completed++;
    pruneChats(memory, queue.map((m) => m.chatId));
  }

  await condition(allHandlersFinished);
  await continueAsNew<typeof larkUserWorkflow>({
    openId,
    settings,
    carried: { recentMessageIds: recent, queue, progress, memory, counters: n },
  });
}

function preview(m: UserMessage): string {
  const text = (m.text ?? `[${m.messageType}]`).replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
