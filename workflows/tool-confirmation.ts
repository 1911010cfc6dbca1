/**
 * Before a tool call runs: the reads its confirmation needs (the event it answers or changes, the room it books,
 * both as the user), the rule (the tool's own, from the registry, or a write the user did not ask for after
 * content others wrote was read), the Confirm / Cancel card, and what the model is told when the user did not
 * confirm. Deterministic workflow code: the rules and the card's wording are the tools' specs (src/tools/).
 */
import { READS_OTHERS_CONTENT, userAskedFor } from '../src/agent/others-content';
import type { EventFacts } from '../src/agent/tool-io';
import type { ConfirmOutcome } from '../src/cards/confirm-card';
import type { Lang } from '../src/i18n/language';
import type { UserMessage } from '../src/lark/event-types';
import { confirmDetails, eventToInspect, needsConfirmation, roomToBook, WRITE_TOOLS, type ToolCall } from '../src/tools';
import { inspectEvent, inspectRoom } from './activity-proxies';
import type { RequestEnv } from './request';
import { PATCH_CONFIRM_UNASKED_WRITES } from './patches';

/** What the user will recognise about an event before it is changed or deleted (read with their token). */
export async function inspect(msg: UserMessage, call: ToolCall, timezone: string): Promise<EventFacts | undefined> {
  const eventId = eventToInspect(call);
  if (eventId === undefined) return undefined;
  return inspectEvent({ openId: msg.openId, eventId, timezone });
}

/** What the turn knows when a call may need the user's confirmation. */
export interface CallContext {
  /** The event the call changes, as inspect() read it. */
  facts: EventFacts | undefined;
  /** The call in the user's words (the ❌ line's, with the event's title when it was read). */
  what: string;
  /** The tools this turn has run so far, and the user's own message. */
  toolsUsed: string[];
  userText: string;
}

/**
 * Asks the user to confirm the call when its rule says so, or when it is a write the user's words did not ask for
 * after content others wrote was read this turn. 'confirm' means go ahead (confirmed, or nothing to confirm).
 */
export async function confirmCall(
  msg: UserMessage,
  toolUseId: string,
  call: ToolCall,
  { facts, what, toolsUsed, userText }: CallContext,
  env: Pick<RequestEnv, 'confirm' | 'status' | 'timezone' | 'patches'>,
  lang: Lang,
): Promise<ConfirmOutcome> {
  // A room to book: its name and place for the card (a tool no older history called with a room).
  const roomId = roomToBook(call);
  const room = roomId ? await inspectRoom({ roomId }) : undefined;
  // Content others wrote was read this turn and the user's words did not ask for this kind of write: the
  // user confirms it on a card (patched: a turn replaying from before asks the old way).
  const unasked =
    WRITE_TOOLS.has(call.name) &&
    toolsUsed.some((n) => READS_OTHERS_CONTENT.has(n as never)) &&
    !userAskedFor(call.name, userText) &&
    env.patches.on(PATCH_CONFIRM_UNASKED_WRITES);
  if (!unasked && !needsConfirmation(call, { eventHasOtherAttendees: facts?.othersAttend ?? true })) return 'confirm';
  env.status.set({ kind: 'confirm' });
  const details = confirmDetails(call, env.timezone, lang, facts, what);
  if (roomId) details.room = room?.found && room.name ? `${room.name}${room.place ? ` (${room.place})` : ''}` : roomId;
  return env.confirm(msg, `${msg.messageId}:${toolUseId}`, unasked ? { ...details, unasked: true } : details);
}

/** What the model reads when the user did not confirm. */
export function notConfirmed(decision: Exclude<ConfirmOutcome, 'confirm'>): string {
  return decision === 'cancel'
    ? 'The user pressed Cancel: this was NOT done. Do not do it, and do not say it was done.'
    : decision === 'expired'
      ? 'The user did not confirm in time: this was NOT done.'
      : 'The user sent a new message instead of confirming: this was NOT done.';
}
