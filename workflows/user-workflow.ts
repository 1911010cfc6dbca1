/**
 * The long-lived per-user workflow (`lark-user-<open_id>`), the signal-with-start target.
 * It owns the user's requests: accepts each message once (Lark's dedup key is message_id),
 * queues them, and works through them in order. Later features process each request here.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UserMessage } from '../src/lark/event-types';
import { AgentState } from './search-attributes';
import { newMessageSignal, userStateQuery, type UserWorkflowState } from './user-messages';

export interface UserWorkflowInput {
  openId: string;
  /** Size of the bounded dedup window of accepted message ids. */
  dedupWindow?: number;
  /** Carried across continue-as-new. */
  carried?: {
    recentMessageIds: string[];
    queue: UserMessage[];
    acceptedCount: number;
    duplicateCount: number;
  };
}

const DEFAULT_DEDUP_WINDOW = 1000;
/** Continue-as-new well before Temporal's 10k-event warning even if the server does not suggest it. */
const HISTORY_EVENT_CAP = 5000;

export async function larkUserWorkflow(input: UserWorkflowInput): Promise<void> {
  const window = input.dedupWindow ?? DEFAULT_DEDUP_WINDOW;
  const recent: string[] = [...(input.carried?.recentMessageIds ?? [])];
  const seen = new Set(recent);
  const queue: UserMessage[] = [...(input.carried?.queue ?? [])];
  let acceptedCount = input.carried?.acceptedCount ?? 0;
  let duplicateCount = input.carried?.duplicateCount ?? 0;

  setHandler(newMessageSignal, (msg) => {
    if (seen.has(msg.messageId)) {
      duplicateCount++;
      return;
    }
    seen.add(msg.messageId);
    recent.push(msg.messageId);
    if (recent.length > window) seen.delete(recent.shift()!);
    queue.push(msg);
    acceptedCount++;
  });

  setHandler(
    userStateQuery,
    (): UserWorkflowState => ({
      openId: input.openId,
      acceptedCount,
      duplicateCount,
      pendingCount: queue.length,
      recentMessageIds: [...recent],
    }),
  );

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_EVENT_CAP;

  let shownState = '';
  const showState = (state: 'idle' | 'working') => {
    // Only on change: every upsert is a history event.
    if (state !== shownState) upsertSearchAttributes([{ key: AgentState, value: state }]);
    shownState = state;
  };

  for (;;) {
    if (queue.length === 0) showState('idle');
    await condition(() => queue.length > 0 || shouldContinueAsNew());
    if (shouldContinueAsNew()) break; // the queue travels with continue-as-new
    showState('working');
    // Requests are handled strictly in arrival order; the request handler arrives with the agent feature.
    queue.shift();
  }

  await condition(allHandlersFinished);
  await continueAsNew<typeof larkUserWorkflow>({
    openId: input.openId,
    dedupWindow: window,
    carried: { recentMessageIds: recent, queue, acceptedCount, duplicateCount },
  });
}
