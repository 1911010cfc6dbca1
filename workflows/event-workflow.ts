/**
 * One run per Lark delivery (`lark-event-<event_id>`): Temporal's id uniqueness is the dedup of redeliveries.
 * It hands a message to its sender's long-lived per-user workflow and ends, or, past the sender's intake limit
 * (src/storage/intake-limits.ts), refuses it; the first refusal of a burst in a chat sends the one notice.
 */
import { log, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { detectLanguage } from '../src/i18n/language';
import { tooManyAtOnce } from '../src/i18n/messages';
import type { LarkEvent, UserMessage } from '../src/lark/event-types';
import { toUserMessage } from '../src/lark/event-types';
import { lark, routeMessageToUser, takeIntakeRefusals } from './activity-proxies';
import { AgentState, type EventOutcome } from './contract';
import { failureName } from './failure-name';

/** How long a burst's notice waits, so one reply names the whole burst rather than its first message. */
const INTAKE_NOTICE_DELAY_MS = 5_000;

export async function larkEventWorkflow(event: LarkEvent): Promise<EventOutcome> {
  if (event.kind !== 'message') {
    upsertSearchAttributes([{ key: AgentState, value: 'ignored' }]);
    return { outcome: 'ignored', reason: `no handler for ${event.eventType}` };
  }
  // Age counts up to ACCEPTANCE: the run's start time is when the webhook had Temporal record the event, so
  // a worker outage does not make acknowledged messages stale (Lark replays after reconnects can still be
  // hours old). The per-user workflow judges it against its settings on arrival.
  const msg = { ...toUserMessage(event), acceptedAtMs: workflowInfo().startTime.getTime() };
  const { userWorkflowId, limited } = await routeMessageToUser(msg);
  if (limited) {
    upsertSearchAttributes([{ key: AgentState, value: 'rate_limited' }]);
    const noticed = limited.noticeOwner ? await noticeRefusals(msg) : undefined;
    return { outcome: 'rate_limited', userWorkflowId, messageId: msg.messageId, ...(noticed !== undefined ? { noticed } : {}) };
  }
  // No AgentState here: nothing reads it, and it was a history event per message. (No patch: a routed run completes
  // in the task that routes it, so no running event run holds that upsert to replay.)
  return { outcome: 'routed', userWorkflowId, messageId: event.message.messageId };
}

/** The one reply naming every message of the chat refused since the last notice; returns how many it named. */
async function noticeRefusals(msg: UserMessage): Promise<number> {
  await sleep(INTAKE_NOTICE_DELAY_MS);
  const previews = await takeIntakeRefusals({ openId: msg.openId, chatId: msg.chatId, noticeMessageId: msg.messageId });
  if (!previews.length) return 0;
  const text = tooManyAtOnce(detectLanguage(msg.text), previews.length, previews);
  try {
    await lark.replyToMessage({ messageId: msg.messageId, step: 'rate-limited', text, replyInThread: Boolean(msg.threadId) });
  } catch (err) {
    log.warn('intake limit notice not delivered', { open_id: msg.openId, chat_id: msg.chatId, refused: previews.length, error: failureName(err) });
  }
  return previews.length;
}
