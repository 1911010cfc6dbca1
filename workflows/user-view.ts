/**
 * What the Temporal UI shows of a per-user run: the AgentState and LarkChatId search attributes and the
 * current details line. Ids, counts and states only, never message text, titles or names.
 *
 * AgentState 'working' is indexed once a request in work is slow (its status message is due, see
 * status-message.ts) or after it waited for the user, not as it starts (patch `agent-state-working-when-slow`): a
 * request answered within the threshold costs the run no upserts (two history events and two visibility writes),
 * and its details line still says 'working' while it runs.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { AuthGate } from './auth-gate';
import { AgentState, LarkChatId } from './contract';
import type { UserState } from './user-state';
import { PATCH_WORKING_WHEN_SLOW, type RunPatches } from './patches';

type Shown = 'idle' | 'working' | 'awaiting_auth' | 'awaiting_confirmation';

export class UserView {
  /** What the AgentState search attribute holds. */
  private shownState = '';
  private shownChat = '';
  /** A request in work has been slow: 'working' is worth indexing (reset when no request is in work). */
  private slowWork = false;

  constructor(
    private readonly state: UserState,
    private readonly authGate: () => AuthGate,
    private readonly patches: RunPatches,
  ) {}

  /** Shows the run's state now; the search attribute is upserted only on change (every upsert is a history event). */
  refresh(): void {
    const { state } = this;
    const waitingSince = this.authGate().waitingSince;
    const shown: Shown =
      waitingSince !== undefined ? 'awaiting_auth' : state.awaiting.size ? 'awaiting_confirmation' : state.activeChats.size ? 'working' : 'idle';
    if (!state.activeChats.size) this.slowWork = false;
    if (shown !== this.shownState && !this.deferred(shown)) {
      upsertSearchAttributes([{ key: AgentState, value: shown }]);
      this.shownState = shown;
    }
    const last = state.lastFailures.at(-1);
    setCurrentDetails(
      `State: ${shown}. Pending ${state.queue.length}, active chats ${state.activeChats.size}, awaiting confirmation ${state.awaiting.size}; ` +
        `completed ${state.n.completed}, failed ${state.n.failed}, expired ${state.n.expired}, duplicates ${state.n.duplicates}.` +
        (waitingSince !== undefined ? ` Waiting for sign-in since ${new Date(waitingSince).toISOString()}.` : '') +
        (last ? ` Last failure: ${last.type} on ${last.messageId}.` : ''),
    );
  }

  /** A request in work is slow (its status is due) or cannot show its slowness: index 'working' now. */
  slow(): void {
    if (this.slowWork) return;
    this.slowWork = true;
    this.refresh();
  }

  /** idle -> working waits for slow() (patched: a run replaying from before upserted it at once, and still does). */
  private deferred(shown: Shown): boolean {
    return shown === 'working' && this.shownState === 'idle' && !this.slowWork && this.patches.on(PATCH_WORKING_WHEN_SLOW);
  }

  /** LarkChatId follows the chat of the request being worked on, so `LarkChatId = "oc_..."` finds the user too. */
  showChat(chatId: string): void {
    if (chatId === this.shownChat) return;
    upsertSearchAttributes([{ key: LarkChatId, value: chatId }]);
    this.shownChat = chatId;
  }
}
