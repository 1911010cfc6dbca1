/**
 * What the Temporal UI shows of a per-user run: the AgentState and LarkChatId search attributes and the
 * current details line. Ids, counts and states only, never message text, titles or names.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { AuthGate } from './auth-gate';
import { AgentState, LarkChatId } from './contract';
import type { UserState } from './user-state';

type Shown = 'idle' | 'working' | 'awaiting_auth' | 'awaiting_confirmation';

export class UserView {
  private shownState = '';
  private shownChat = '';

  constructor(
    private readonly state: UserState,
    private readonly authGate: () => AuthGate,
  ) {}

  /** Shows the run's state now; the search attribute is upserted only on change (every upsert is a history event). */
  refresh(): void {
    const { state } = this;
    const waitingSince = this.authGate().waitingSince;
    const shown: Shown = waitingSince !== undefined ? 'awaiting_auth' : state.awaiting.size ? 'awaiting_confirmation' : state.activeChats.size ? 'working' : 'idle';
    if (shown !== this.shownState) upsertSearchAttributes([{ key: AgentState, value: shown }]);
    this.shownState = shown;
    const last = state.lastFailures.at(-1);
    setCurrentDetails(
      `State: ${shown}. Pending ${state.queue.length}, active chats ${state.activeChats.size}, awaiting confirmation ${state.awaiting.size}; ` +
        `completed ${state.n.completed}, failed ${state.n.failed}, expired ${state.n.expired}, duplicates ${state.n.duplicates}.` +
        (waitingSince !== undefined ? ` Waiting for sign-in since ${new Date(waitingSince).toISOString()}.` : '') +
        (last ? ` Last failure: ${last.type} on ${last.messageId}.` : ''),
    );
  }

  /** LarkChatId follows the chat of the request being worked on, so `LarkChatId = "oc_..."` finds the user too. */
  showChat(chatId: string): void {
    if (chatId === this.shownChat) return;
    upsertSearchAttributes([{ key: LarkChatId, value: chatId }]);
    this.shownChat = chatId;
  }
}
