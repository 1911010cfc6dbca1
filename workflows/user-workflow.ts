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
 *
 * This file holds the message API and the main loop; the state is UserState, and the parts are the agent
 * loop (agent-loop.ts), the authorization wait (auth-gate.ts), cards that wait for a click (card-prompts.ts),
 * Undo (undo-runner.ts) and what the Temporal UI shows (user-view.ts).
 *
 * Settings: the run starts with the starting worker's, and adopts those that come with each new message
 * (see newMessageSignal), so a changed setting reaches a running user with their next message.
 */
import { allHandlersFinished, condition, continueAsNew, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { contain, handleRequest } from './agent-loop';
import { AuthGate } from './auth-gate';
import { CARRIED_LIMIT_BYTES, fitMemory, jsonBytes, QUEUE_LIMIT_BYTES, QUEUE_LIMIT_COUNT } from './carried-budget';
import { noticeRefused } from './refusal-notice';
import { CardPrompts } from './card-prompts';
import { authResultSignal, confirmationUpdate, loginLinkUpdate, newMessageSignal, undoUpdate, userStateQuery, type UserWorkflowInput } from './contract';
import { failureName } from './failure-name';
import { StatusMessage } from './status-message';
import { AnswerCard } from './answer-card';
import { UndoRunner } from './undo-runner';
import { UserState, type CarriedState } from './user-state';
import { UserView } from './user-view';
import { PATCH_BOUNDED_QUEUE, PATCH_STREAMED_ANSWERS, RunPatches } from './patches';

/** The input, plus what the previous run carried over (only continue-as-new passes it). */
export async function larkUserWorkflow(input: UserWorkflowInput & { carried?: CarriedState }): Promise<void> {
  // First, before anything awaits: the one point of the run replay cannot move (patches.ts).
  const patches = RunPatches.atRunStart();
  const { openId } = input;
  let settings = input.settings;
  const current = () => settings;
  const state = new UserState(openId, input.carried);
  const view = new UserView(state, () => authGate, patches);
  const refresh = () => view.refresh();
  const authGate = new AuthGate(state, current, refresh, () => wantContinueAsNew(), patches, input.carried?.authWait);
  const prompts = new CardPrompts(state, current, refresh);
  const undos = new UndoRunner(state, current, refresh);
  /** A bug in a lane (not an activity failure): rethrown by the main loop so the workflow task retries. */
  let laneBug: unknown;

  // Bounded intake: past QUEUE_LIMIT_* a message is refused with a notice (patched: runs from before replay as
  // they ran; the marker is written the first time a message is refused).
  const bounds = { count: QUEUE_LIMIT_COUNT, bytes: QUEUE_LIMIT_BYTES, mayRefuse: () => patches.on(PATCH_BOUNDED_QUEUE) };
  setHandler(newMessageSignal, (msg, latest) => {
    if (latest) settings = latest;
    if (state.accept(msg, settings, bounds)) authGate.messageArrived();
  });
  setHandler(authResultSignal, (result) => authGate.resultArrived(result));
  // A click names its clicker: only the owner's counts, here as in the webhook (a signed callback is not the
  // only way to reach Temporal).
  const foreign = (by: string | undefined) => by !== undefined && by !== openId;
  setHandler(confirmationUpdate, ({ key, decision, by }) => (foreign(by) ? { result: 'not_yours' as const } : { result: state.decide(key, decision) }));
  setHandler(undoUpdate, ({ key, by }) =>
    foreign(by) ? { result: 'not_yours' as const } : { result: state.requestUndo(key, settings.undoValidMs, Date.now()) },
  );
  setHandler(loginLinkUpdate, () => ({ result: authGate.newLinkRequested() }));
  setHandler(userStateQuery, () => state.snapshot({ authorized: authGate.authorized, waitingForAuthSince: authGate.waitingSince }));

  // ---- One chat's lane: its requests in order, each contained.
  async function runLane(chatId: string): Promise<void> {
    for (let head = state.headOf(chatId); head && !wantContinueAsNew(); head = state.headOf(chatId)) {
      view.showChat(head.chatId);
      refresh(); // AgentState 'working' waits until the request is slow (user-view.ts)
      const progress = state.progressOf(head);
      // Streamed answers (patched: a run replaying a request from before asks the old way; asked only when on).
      const answerCard =
        settings.streamAnswers === true && patches.on(PATCH_STREAMED_ANSWERS) ? new AnswerCard(head, progress, settings.statusAfterMs) : undefined;
      // The status clock says when the request is slow; without one (streamed, or no status), it is 'working' at once.
      if (answerCard || settings.statusAfterMs <= 0) view.slow();
      const status = answerCard ?? new StatusMessage(head, settings.statusAfterMs, () => view.slow());
      try {
        const outcome = await handleRequest(head, progress, {
          memory: state.memory,
          timezone: settings.timezone,
          stepCap: settings.stepCap,
          confirm: (msg, key, details) => prompts.confirm(msg, key, details),
          ask: (msg, key, card, cardMessageId) => prompts.ask(msg, key, card, cardMessageId),
          waitingElsewhere: () => state.waitingElsewhere(head!.chatId),
          status,
          ...(answerCard ? { answerCard } : {}),
          offerUndo: (msg, changes, lang) => undos.offer(msg, changes, lang),
          audit: settings.audit,
          mayHoldTask,
          decisions: () => ({ holdTask: settings.firstStepLocal !== false && mayHoldTask(), logTurn: settings.turnLog !== false }),
          patches,
        });
        if (outcome.kind === 'needs_auth') {
          await status.close('auth');
          await authGate.authorize(outcome.missingScopes); // on failure the queue was dropped with a notice
          continue; // resume the same request (its progress is kept) or the next one
        }
        if (outcome.authorized) authGate.confirmAuthorized();
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

  /**
   * A long local step (the turn's first model call) may hold the run's workflow task only while nothing else needs
   * it at once: a click on a card or an Undo button is an Update the webhook waits for (2 s), and another chat's
   * request would wait for the task's next extension (~3 s). Otherwise that step is a regular activity.
   */
  const mayHoldTask = () =>
    state.activeChats.size === 1 &&
    state.activeUndos.size === 0 &&
    state.awaiting.size === 0 &&
    noticing.size === 0 &&
    !state.undos.some((u) => u.status !== 'done' && Date.now() - u.createdAt <= settings.undoValidMs);

  const wantContinueAsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > settings.historyEventCap;

  const busy = () => state.activeChats.size > 0 || state.activeUndos.size > 0 || noticing.size > 0;
  /**
   * Refusal notices: at most one per chat per REFUSAL_NOTICE_INTERVAL_MS, without a timer. Refusals happen only
   * while the queue is full, so a lane finishing (or the next message) wakes the loop again soon enough.
   */
  const noticing = new Set<string>();
  const lastNoticeAt = new Map<string, number>();
  const noticeDue = () =>
    [...state.refused.keys()].find((c) => !noticing.has(c) && Date.now() - (lastNoticeAt.get(c) ?? -Infinity) >= REFUSAL_NOTICE_INTERVAL_MS);
  /** Runs a lane or an undo beside the main loop; a bug in it is rethrown by the loop (see laneBug). */
  const beside = (work: Promise<void>, finished: () => void) =>
    void work
      .catch((err) => {
        laneBug = err;
      })
      .finally(() => {
        finished();
        refresh(); // idle again, or still working elsewhere
      });
  for (;;) {
    refresh();
    await condition(
      () =>
        laneBug !== undefined ||
        (!wantContinueAsNew() && (state.startableChat() !== undefined || state.nextUndo() !== undefined)) ||
        noticeDue() !== undefined ||
        (wantContinueAsNew() && !busy()),
    );
    if (laneBug !== undefined) throw laneBug;
    const noticeChat = noticeDue();
    if (noticeChat !== undefined) {
      noticing.add(noticeChat);
      beside(noticeRefused(state, noticeChat), () => {
        noticing.delete(noticeChat);
        lastNoticeAt.set(noticeChat, Date.now());
      });
      continue;
    }
    if (wantContinueAsNew()) break; // the queue, progress and undo records travel with continue-as-new
    const undo = state.nextUndo();
    if (undo) {
      state.activeUndos.add(undo.key);
      beside(undos.run(undo), () => state.activeUndos.delete(undo.key));
      continue;
    }
    const chatId = state.startableChat()!;
    state.activeChats.add(chatId);
    beside(runLane(chatId), () => state.activeChats.delete(chatId));
  }

  await condition(allHandlersFinished);
  const carried = state.carried(authGate.carried());
  fitCarried(carried);
  await continueAsNew<typeof larkUserWorkflow>({ openId, settings, carried });
}

const REFUSAL_NOTICE_INTERVAL_MS = 10_000;

/**
 * The last guard before continue-as-new: Temporal terminates a run whose input is over 2 MB. Memory and Undo
 * records are already bounded as they grow; if the total is still over CARRIED_LIMIT_BYTES, memory goes first
 * (oldest chats), then Undo records (oldest). The queue is bounded at intake and never dropped here.
 */
function fitCarried(c: CarriedState): void {
  if (jsonBytes(c) <= CARRIED_LIMIT_BYTES) return;
  const before = jsonBytes(c);
  const others = () => jsonBytes({ ...c, memory: {} });
  fitMemory(
    c.memory,
    Math.max(0, CARRIED_LIMIT_BYTES - others()),
    c.queue.map((m) => m.chatId),
  );
  while (jsonBytes(c) > CARRIED_LIMIT_BYTES && c.undos?.some((u) => u.status === 'open' || u.status === 'done')) {
    c.undos.splice(
      c.undos.findIndex((u) => u.status === 'open' || u.status === 'done'),
      1,
    );
  }
  log.warn('carried state over budget: trimmed', { before_bytes: before, after_bytes: jsonBytes(c), limit_bytes: CARRIED_LIMIT_BYTES });
}
