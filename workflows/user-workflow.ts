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
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { contain, handleRequest } from './agent-loop';
import { AuthGate } from './auth-gate';
import { CardPrompts } from './card-prompts';
import {
  authResultSignal,
  confirmationUpdate,
  loginLinkUpdate,
  newMessageSignal,
  undoUpdate,
  userStateQuery,
  type UserWorkflowInput,
} from './contract';
import { failureName } from './failure-name';
import { StatusMessage } from './status-message';
import { UndoRunner } from './undo-runner';
import { UserState, type CarriedState } from './user-state';
import { UserView } from './user-view';

/** The input, plus what the previous run carried over (only continue-as-new passes it). */
export async function larkUserWorkflow(input: UserWorkflowInput & { carried?: CarriedState }): Promise<void> {
  const { openId } = input;
  let settings = input.settings;
  const current = () => settings;
  const state = new UserState(openId, input.carried);
  const view = new UserView(state, () => authGate);
  const refresh = () => view.refresh();
  const authGate = new AuthGate(state, current, refresh);
  const prompts = new CardPrompts(state, current, refresh);
  const undos = new UndoRunner(state, current, refresh);
  /** A bug in a lane (not an activity failure): rethrown by the main loop so the workflow task retries. */
  let laneBug: unknown;

  setHandler(newMessageSignal, (msg, latest) => {
    if (latest) settings = latest;
    if (state.accept(msg, settings)) authGate.messageArrived();
  });
  setHandler(authResultSignal, (result) => authGate.resultArrived(result));
  setHandler(confirmationUpdate, ({ key, decision }) => ({ result: state.decide(key, decision) }));
  setHandler(undoUpdate, ({ key }) => ({ result: state.requestUndo(key, settings.undoValidMs, Date.now()) }));
  setHandler(loginLinkUpdate, () => ({ result: authGate.newLinkRequested() }));
  setHandler(userStateQuery, () => state.snapshot({ authorized: authGate.authorized, waitingForAuthSince: authGate.waitingSince }));

  // ---- One chat's lane: its requests in order, each contained.
  async function runLane(chatId: string): Promise<void> {
    for (let head = state.headOf(chatId); head && !wantContinueAsNew(); head = state.headOf(chatId)) {
      view.showChat(head.chatId);
      refresh();
      const progress = state.progressOf(head);
      const status = new StatusMessage(head, settings.statusAfterMs);
      try {
        const outcome = await handleRequest(head, progress, {
          memory: state.memory,
          timezone: settings.timezone,
          stepCap: settings.stepCap,
          confirm: (msg, key, details) => prompts.confirm(msg, key, details),
          ask: (msg, key, card, cardMessageId) => prompts.ask(msg, key, card, cardMessageId),
          waitingElsewhere: () => state.waitingElsewhere(head!.chatId),
          status,
          offerUndo: (msg, changes, lang) => undos.offer(msg, changes, lang),
          audit: settings.audit,
        });
        if (outcome.kind === 'needs_auth') {
          await status.close('auth');
          await authGate.authorize(outcome.missingScopes); // on failure the queue was dropped with a notice
          continue; // resume the same request (its progress is kept) or the next one
        }
        if (outcome.authorized) authGate.authorized = true;
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
        (wantContinueAsNew() && !busy()),
    );
    if (laneBug !== undefined) throw laneBug;
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
  await continueAsNew<typeof larkUserWorkflow>({ openId, settings, carried: state.carried() });
}
