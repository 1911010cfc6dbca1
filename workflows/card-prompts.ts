/**
 * Cards that wait for a click (Confirm / Cancel, a find-a-time choice): a durable wait for the click, the
 * card's expiry, or a newer message in the same chat (which supersedes the card). The click arrives as an
 * Update (confirmationUpdate) that UserState.decide records.
 */
import { condition } from '@temporalio/workflow';
import { confirmCard, resolvedCard, type ConfirmDetails } from '../src/cards/confirm-card';
import type { UserSettings } from './contract';
import type { UserMessage } from '../src/lark/event-types';
import { lark } from './activity-proxies';
import type { ConfirmOutcome } from '../src/cards/confirm-card';
import type { UserState } from './user-state';

export class CardPrompts {
  constructor(
    private readonly state: UserState,
    private readonly settings: () => UserSettings,
    private readonly changed: () => void,
  ) {}

  /** Posts (or, with cardMessageId, replaces) a card and waits for its click: the choice, 'expired' or 'superseded'. */
  async ask(msg: UserMessage, key: string, card: Record<string, unknown>, cardMessageId?: string): Promise<{ choice: string; cardMessageId: string }> {
    this.state.awaiting.set(key, { chatId: msg.chatId, messageId: msg.messageId });
    this.changed();
    try {
      let id = cardMessageId;
      if (id) await lark.updateCard({ messageId: id, card }).catch(() => undefined);
      else
        id = (
          await lark.replyToMessage({
            messageId: msg.messageId,
            step: `ask-${key}`,
            msgType: 'interactive',
            content: card,
            replyInThread: Boolean(msg.threadId),
          })
        ).messageId;
      const clicked = await condition(() => this.state.decisions.has(key) || this.state.hasNewerInChat(msg), this.settings().confirmTimeoutMs);
      return { choice: this.state.decisions.get(key) ?? (clicked ? 'superseded' : 'expired'), cardMessageId: id };
    } finally {
      this.state.settle(key);
      this.changed();
    }
  }

  /** A Confirm / Cancel card for one change; the card then shows the outcome. */
  async confirm(msg: UserMessage, key: string, details: ConfirmDetails): Promise<ConfirmOutcome> {
    const { choice, cardMessageId } = await this.ask(msg, key, confirmCard(key, this.state.openId, details));
    const outcome = (['confirm', 'cancel', 'expired', 'superseded'].includes(choice) ? choice : 'expired') as ConfirmOutcome;
    try {
      await lark.updateCard({ messageId: cardMessageId, card: resolvedCard(details, outcome) });
    } catch {
      // The card only shows the outcome; the decision itself is already taken.
    }
    return outcome;
  }
}
