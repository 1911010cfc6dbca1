/**
 * The durable floor (`npm run bench`, part (f)): the least a durable bot can do per message. The sender
 * signal-with-starts this run (one run per message, id = the message id, as the event id dedups), the run replies
 * through one local activity (the product's own replyToMessage: real Lark client, idempotency uuid) and completes.
 * One workflow task, no timer, no search attribute: what the product's cost per message is divided by.
 */
import { condition, defineSignal, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { MessagingActivities } from '../../activities/messaging';

const { replyToMessage } = proxyLocalActivities<MessagingActivities>({ startToCloseTimeout: '30 seconds' });

export interface FloorMessage {
  messageId: string;
}

export const floorMessage = defineSignal<[FloorMessage]>('message');

export async function floorWorkflow(): Promise<void> {
  let msg: FloorMessage | undefined;
  setHandler(floorMessage, (m) => {
    msg ??= m;
  });
  await condition(() => msg !== undefined);
  await replyToMessage({ messageId: msg!.messageId, step: 'answer', text: 'ok' });
}
