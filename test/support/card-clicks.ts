/** A card's buttons and a click on one, as Lark delivers it (the stack's card callback), for end-to-end tests. */
import assert from 'node:assert/strict';
import type { Message } from '../../dev/emulator/state';
import type { Stack } from './stack';

export type CardButton = { text: { content: string }; value: Record<string, unknown> };

/** The buttons of a card's action row (card JSON 1.0, as the bot sends them). */
export const buttonsOf = (card: Message): CardButton[] => JSON.parse(card.content).elements.find((e: { tag: string }) => e.tag === 'action').actions;

/** Clicks a button of `card` as `from`; returns the toast the callback answered with ('' when none). */
export async function clickCard(s: Stack, card: Message, value: Record<string, unknown>, from = 'minh'): Promise<string> {
  const attempt = await s.callback(s.emu.events.cardAction({ from, messageId: card.message_id, value }));
  assert.ok(attempt.ok);
  return (JSON.parse(attempt.responseText || '{}') as { toast?: { content?: string } }).toast?.content ?? '';
}
