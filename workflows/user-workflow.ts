/**
 * The long-lived per-user workflow (`lark-user-<open_id>`), the signal-with-start target.
 * It owns the user's requests: accepts each message once (Lark's dedup key is message_id), queues them in
 * the user's order, and works through them one at a time per chat (chats run side by side, so a Confirm card
 * waiting in one chat never blocks another). When a request needs the user's authorization it sends ONE
 * login card, keeps queueing, waits for the OAuth result, then resumes every pending request.
 *
 * Containment: every request ends in exactly one outcome (answered, one apology, or dropped with a notice).
 * An activity failure of any kind is caught per request; the queue, dedup window, memory and counters
 * survive it. Only a bug in workflow code (a non-Temporal error) escapes: it fails the workflow TASK, which
 * Temporal retries, so a fixed worker can continue the run.
 */
import {
  log,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UserMessage } from '../src/lark/event-types';
import { detectLanguage } from '../src/i18n/language';
import { authDenied, authExpired } from '../src/i18n/messages';
import { confirmCard, resolvedCard, type ConfirmDetails } from '../src/cards/confirm-card';
import { auth, lark, logAudit, undoChange } from './activity-proxies';
import { TemporalFailure } from '@temporalio/workflow';
import type { Lang } from '../src/i18n/language';
import type { ToolEffect } from '../src/i18n/messages';
import { undoCard, undoneCard, type UndoResult } from '../src/cards/undo-card';
import { contain, handleRequest, type ConfirmOutcome } from './request-handler';
import { AgentState, LarkChatId } from './search-attributes';
import { UserState, type CarriedState, type UndoRecord } from './user-state';
import { StatusMessage } from './status-message';
import {
  authResultSignal,
  confirmationUpdate,
  loginLinkUpdate,
  newMessageSignal,
  undoUpdate,
  userStateQuery,
  type AuthResult,
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
  /** A fresh login card at most this often (a new message or the card's button asks for one). */
  loginCardIntervalMs: number;
  /** A request not answered within this long gets one status message (0: never). */
  statusAfterMs: number;
  /** How long an answer's Undo button works. */
  undoValidMs: number;
  /** Whether changes and undos are written as audit rows (LARK_BASE_AUDIT_TABLE_ID is set). */
  audit: boolean;
}

export const DEFAULT_USER_SETTINGS: UserSettings = {
  dedupWindow: 1000,
  authWaitTimeoutMs: 24 * 3600_000,
  confirmTimeoutMs: 15 * 60_000,
  stepCap: 8,
  timezone: 'Asia/Ho_Chi_Minh',
  historyEventCap: 5000,
  loginCardIntervalMs: 60_000,
  statusAfterMs: 1500,
  undoValidMs: 24 * 3600_000,
  audit: false,
};

export interface UserWorkflowInput {
  openId: string;
  settings?: Partial<UserSettings>;
  /** Carried across continue-as-new. */
  carried?: CarriedState;
}

/** While waiting, re-check the token store this often in case the callback's signal was lost. */
const AUTH_RECHECK_MS = 5 * 60_000;

export async function larkUserWorkflow(input: UserWorkflowInput): Promise<void> {
  const { openId } = input;
  const settings: UserSettings = { ...DEFAULT_USER_SETTINGS, ...input.settings };
  const state = new UserState(openId, settings.dedupWindow, input.carried);
  let authorized: boolean | undefined;
  let waitingSince: number | undefined;
  let authResult: AuthResult | undefined;
  let lastCardAt = 0;
  let freshCardWanted = false;
  /** A bug in a lane (not an activity failure): rethrown by the main loop so the workflow task retries. */
  let laneBug: unknown;

  setHandler(newMessageSignal, (msg) => {
    // While the user waits for sign-in, a new message means the old link may be dead: offer a fresh one.
    if (state.accept(msg) && waitingSince !== undefined) freshCardWanted = true;
  });
  setHandler(authResultSignal, (result) => {
    if (result.outcome === 'failed') freshCardWanted = true;
    else authResult = result;
  });
  setHandler(confirmationUpdate, ({ key, decision }) => ({ result: state.decide(key, decision) }));
  setHandler(undoUpdate, ({ key }) => ({ result: state.requestUndo(key, settings.undoValidMs, Date.now()) }));
  setHandler(loginLinkUpdate, () => {
    if (waitingSince === undefined) return { result: 'not_waiting' as const };
    if (Date.now() - lastCardAt < settings.loginCardIntervalMs) return { result: 'too_soon' as const };
    freshCardWanted = true;
    return { result: 'sending' as const };
  });
  setHandler(userStateQuery, () => state.snapshot({ authorized, waitingForAuthSince: waitingSince }));

  // ---- What the Temporal UI shows: ids, counts and states only (never message text, titles or names).
  let shownState = '';
  let shownChat = '';
  const showState = (agentState: 'idle' | 'working' | 'awaiting_auth' | 'awaiting_confirmation') => {
    // Only on change: every upsert is a history event.
    if (agentState !== shownState) upsertSearchAttributes([{ key: AgentState, value: agentState }]);
    shownState = agentState;
    const failures = state.lastFailures.length ? ` Last failure: ${state.lastFailures.at(-1)!.type} on ${state.lastFailures.at(-1)!.messageId}.` : '';
    setCurrentDetails(
      `State: ${agentState}. Pending ${state.queue.length}, active chats ${state.activeChats.size}, awaiting confirmation ${state.awaiting.size}; ` +
        `completed ${state.n.completed}, failed ${state.n.failed}, expired ${state.n.expired}, duplicates ${state.n.duplicates}.` +
        (waitingSince !== undefined ? ` Waiting for sign-in since ${new Date(waitingSince).toISOString()}.` : '') +
        failures,
    );
  };
  const refresh = () =>
    showState(waitingSince !== undefined ? 'awaiting_auth' : state.awaiting.size ? 'awaiting_confirmation' : state.activeChats.size ? 'working' : 'idle');
  /** LarkChatId follows the chat of the request being worked on, so `LarkChatId = "oc_..."` finds the user too. */
  const showChat = (chatId: string) => {
    if (chatId === shownChat) return;
    upsertSearchAttributes([{ key: LarkChatId, value: chatId }]);
    shownChat = chatId;
  };

  // ---- Authorization: one wait shared by every chat.
  async function sendCard(): Promise<void> {
    lastCardAt = Date.now();
    freshCardWanted = false;
    try {
      await auth.sendLoginCard({ openId, waitId: `${openId}:${lastCardAt}`, pendingCount: state.queue.length, lang: detectLanguage(state.queue[0]?.text) });
      state.n.loginCards++;
    } catch (err) {
      // The wait goes on: the user's next message (or the recheck) tries again.
      state.n.undelivered++;
      log.warn('login card not delivered', { open_id: openId, error: failureName(err) });
    }
  }

  async function waitForAuthorization(missingScopes: string[]): Promise<boolean> {
    waitingSince = Date.now();
    authResult = undefined;
    authorized = false;
    refresh();
    await sendCard();
    log.info('waiting for authorization', { open_id: openId, pending: state.queue.length, missing_scopes: missingScopes });
    const deadline = waitingSince + settings.authWaitTimeoutMs;
    let nextRecheck = Date.now() + AUTH_RECHECK_MS;
    for (;;) {
      const now = Date.now();
      if (now >= deadline) break;
      const cardDue = freshCardWanted ? Math.max(0, lastCardAt + settings.loginCardIntervalMs - now) : Infinity;
      const wake = Math.min(deadline - now, nextRecheck - now, cardDue);
      const cardWasWanted = freshCardWanted;
      if (await condition(() => authResult !== undefined || (freshCardWanted && !cardWasWanted), Math.max(1, wake))) {
        if (authResult !== undefined) break;
        continue; // a new reason for a fresh card: re-plan the wake-up
      }
      if (freshCardWanted && Date.now() - lastCardAt >= settings.loginCardIntervalMs) await sendCard();
      if (Date.now() >= nextRecheck) {
        nextRecheck = Date.now() + AUTH_RECHECK_MS;
        // No signal yet: the callback may have stored tokens while Temporal was unreachable.
        try {
          if ((await auth.checkAuthorization(openId)).authorized) {
            authResult = { outcome: 'authorized' };
            break;
          }
        } catch (err) {
          log.warn('authorization recheck failed', { open_id: openId, error: failureName(err) });
        }
      }
    }
    waitingSince = undefined;
    authorized = authResult?.outcome === 'authorized';
    log.info('authorization wait ended', { open_id: openId, outcome: authResult?.outcome ?? 'timeout' });
    if (!authorized) await expirePending(authResult?.outcome === 'denied' ? 'denied' : 'timeout');
    refresh();
    return authorized;
  }

  let authGate: Promise<boolean> | undefined;
  const authorize = (missingScopes: string[]): Promise<boolean> => {
    authGate ??= waitForAuthorization(missingScopes).finally(() => {
      authGate = undefined;
    });
    return authGate;
  };

  /** Tells the user which requests were dropped and what to do, then clears the queue. Never throws. */
  async function expirePending(reason: 'timeout' | 'denied'): Promise<void> {
    const dropped = state.dropAll();
    if (!dropped.length) return;
    const lang = detectLanguage(dropped[0]!.text);
    const list = dropped.map((m) => `• ${preview(m)}`).join('\n');
    const text = reason === 'timeout' ? authExpired(lang, list) : authDenied(lang, list);
    try {
      await lark.sendMessage({ sourceMessageId: dropped[0]!.messageId, step: `auth-${reason}`, receiveIdType: 'open_id', receiveId: openId, text });
    } catch (err) {
      state.n.undelivered++;
      log.warn('expiry notice not delivered', { open_id: openId, error: failureName(err) });
    }
  }

  // ---- Cards that wait for a click: a durable wait for the click, the card's expiry, or a newer message in the chat.
  async function ask(msg: UserMessage, key: string, card: Record<string, unknown>, cardMessageId?: string): Promise<{ choice: string; cardMessageId: string }> {
    state.awaiting.set(key, { chatId: msg.chatId, messageId: msg.messageId });
    refresh();
    try {
      let id = cardMessageId;
      if (id) await lark.updateCard({ messageId: id, card }).catch(() => undefined);
      else id = (await lark.replyToMessage({ messageId: msg.messageId, step: `ask-${key}`, msgType: 'interactive', content: card, replyInThread: Boolean(msg.threadId) })).messageId;
      const clicked = await condition(() => state.decisions.has(key) || state.hasNewerInChat(msg), settings.confirmTimeoutMs);
      return { choice: state.decisions.get(key) ?? (clicked ? 'superseded' : 'expired'), cardMessageId: id };
    } finally {
      state.settle(key);
      refresh();
    }
  }

  async function confirm(msg: UserMessage, key: string, details: ConfirmDetails): Promise<ConfirmOutcome> {
    const { choice, cardMessageId } = await ask(msg, key, confirmCard(key, openId, details));
    const outcome = (['confirm', 'cancel', 'expired', 'superseded'].includes(choice) ? choice : 'expired') as ConfirmOutcome;
    try {
      await lark.updateCard({ messageId: cardMessageId, card: resolvedCard(details, outcome) });
    } catch {
      // The card only shows the outcome; the decision itself is already taken.
    }
    return outcome;
  }

  // ---- Undo: the card after an answer that changed something, and the reversal when it is clicked.
  async function offerUndo(msg: UserMessage, changes: ToolEffect[], lang: Lang): Promise<void> {
    const now = Date.now();
    try {
      const card = await lark.replyToMessage({
        messageId: msg.messageId,
        step: 'undo-card',
        msgType: 'interactive',
        content: undoCard(msg.messageId, openId, lang, changes, state.progressOf(msg).prepared?.timezone ?? settings.timezone, Math.round(settings.undoValidMs / 3600_000), now),
        replyInThread: Boolean(msg.threadId),
      });
      state.offerUndo({ key: msg.messageId, chatId: msg.chatId, messageId: msg.messageId, cardMessageId: card.messageId, createdAt: now, lang, changes, status: 'open' }, settings.undoValidMs, now);
    } catch (err) {
      // The answer has gone out; without its card the changes simply cannot be undone from the chat.
      log.warn('undo card not delivered', { open_id: openId, message_id: msg.messageId, error: failureName(err) });
    }
  }

  /** Reverses an answer's changes, newest first, exactly once; the card then says what was and was not restored. */
  async function runUndo(record: UndoRecord): Promise<void> {
    record.status = 'running';
    refresh();
    const results: UndoResult[] = [];
    for (let i = record.changes.length - 1; i >= 0; i--) {
      const change = record.changes[i]!;
      try {
        const r = await undoChange({ openId, undoKey: `${record.key}:${i}`, plan: change.undo! });
        results.unshift(r.ok ? { change, ok: true } : { change, ok: false, why: r.why });
      } catch (err) {
        if (!(err instanceof TemporalFailure)) throw err;
        results.unshift({ change, ok: false, why: 'unavailable' });
      }
    }
    record.status = 'done';
    if (settings.audit) try {
      await logAudit(
        results.map((r, index) => ({
          atMs: Date.now(),
          openId,
          messageId: record.key,
          index,
          undo: true,
          action: `${r.change.action} ${r.change.kind}`,
          objectId: r.change.id,
          ...(r.change.title ? { title: r.change.title } : {}),
          before: { ...r.change, undo: undefined },
          after: r.ok ? { restored: true } : { restored: false, why: r.why },
        })),
      );
    } catch {
      // best effort: the undo itself is done
    }
    log.info('undo done', { open_id: openId, message_id: record.key, restored: results.filter((r) => r.ok).length, not_restored: results.filter((r) => !r.ok).length });
    if (record.cardMessageId) {
      try {
        await lark.updateCard({ messageId: record.cardMessageId, card: undoneCard(record.lang, results) });
      } catch {
        // The reversal itself is done; the card only reports it.
      }
    }
  }

  // ---- One chat's lane: its requests in order, each contained.
  async function runLane(chatId: string): Promise<void> {
    for (let head = state.headOf(chatId); head && !wantContinueAsNew(); head = state.headOf(chatId)) {
      // patched: runs started before this upsert existed replay without it (per-user workflows live for months).
      if (patched('lark-chat-id-search-attribute')) showChat(head.chatId);
      refresh();
      const progress = state.progressOf(head);
      const status = new StatusMessage(head, settings.statusAfterMs);
      try {
        const outcome = await handleRequest(head, progress, {
          memory: state.memory,
          timezone: settings.timezone,
          stepCap: settings.stepCap,
          confirm,
          ask: (msg, key, card, cardMessageId) => ask(msg, key, card, cardMessageId),
          waitingElsewhere: () => state.waitingElsewhere(head!.chatId),
          status,
          offerUndo,
          audit: settings.audit,
        });
        if (outcome.kind === 'needs_auth') {
          await status.close('auth');
          await authorize(outcome.missingScopes); // on failure the queue was dropped with a notice
          continue; // resume the same request (its progress is kept) or the next one
        }
        if (outcome.authorized) authorized = true;
        log.info('request done', { open_id: openId, message_id: head.messageId, event_id: head.eventId, model_steps: progress.step });
        state.finish(head, 'completed');
      } catch (err) {
        const delivered = await contain(head, progress, err, progress.prepared?.timezone ?? settings.timezone, status); // rethrows bugs
        state.recordFailure(head.messageId, failureName(err), Date.now());
        if (!delivered) state.n.undelivered++;
        log.warn('request failed; apology sent', { open_id: openId, message_id: head.messageId, error: failureName(err), apology_delivered: delivered });
        state.finish(head, 'failed');
      }
    }
  }

  const wantContinueAsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > settings.historyEventCap;

  const busy = () => state.activeChats.size > 0 || state.activeUndos.size > 0;
  for (;;) {
    refresh();
    await condition(
      () =>
        laneBug !== undefined ||
        (!wantContinueAsNew() && (state.startableChat() !== undefined || state.nextUndo() !== undefined)) ||
        (wantContinueAsNew() && !busy()),
    );
    if (laneBug !== undefined) throw laneBug;
    if (wantContinueAsNew()) break; // the queue, progress and undo records travel with continue-as-new
    const undo = state.nextUndo();
    if (undo) {
      state.activeUndos.add(undo.key);
      void runUndo(undo)
        .catch((err) => {
          laneBug = err;
        })
        .finally(() => {
          state.activeUndos.delete(undo.key);
          refresh();
        });
      continue;
    }
    const chatId = state.startableChat()!;
    state.activeChats.add(chatId);
    void runLane(chatId)
      .catch((err) => {
        laneBug = err;
      })
      .finally(() => {
        state.activeChats.delete(chatId);
        refresh(); // idle again (or still working in other chats)
      });
  }

  await condition(allHandlersFinished);
  await continueAsNew<typeof larkUserWorkflow>({ openId, settings, carried: state.carried() });
}

/** The failure's type name for logs and details: never its message (it may quote user content). */
function failureName(err: unknown): string {
  let cur = err as { name?: string; type?: string; cause?: unknown } | undefined;
  let name = cur?.name ?? 'Error';
  for (let depth = 0; cur && depth < 5; depth++, cur = cur.cause as typeof cur) {
    if (cur.type) return cur.type;
    if (cur.name === 'TimeoutFailure') name = 'TimeoutFailure';
  }
  return name;
}

function preview(m: UserMessage): string {
  const text = (m.text ?? `[${m.messageType}]`).replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
