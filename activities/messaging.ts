/**
 * The bot's messaging activities: reply, send, update a card. They act as the app (tenant token); inputs carry
 * ids and small facts, outputs are small summaries so workflow histories stay small.
 * Idempotency: a reply's or a send's message uuid is derived from the source message and the step, so a
 * Temporal retry repeats the same request and Lark keeps one copy (within its 1-hour uuid window).
 * Errors: everything thrown goes through toLarkFailure (typed, retryable or not; see src/lark/errors.ts).
 * Text: `{ text }` is plain text, shown as typed; the Lark client neutralizes any markup in it as it sends it
 * (src/lark/text-message.ts), so a title or a name inside cannot mention anyone or become a link.
 * The agent's calendar, task and directory work runs in activities/tools/ (runTool), as the user.
 */
import { Context } from '@temporalio/activity';
import { type CallOptions, type LarkClient, type MessageContent, messageUuid, type MsgType, type ReceiveIdType, TENANT } from '../src/lark/client';
import { isCardStreamClosed, LarkApiError, LarkRequestInvalid, toLarkFailure } from '../src/lark/errors';
import { cardOp, nextCardSequence } from '../src/lark/card-stream';
import { finalAnswerCard, STATUS_ELEMENT_ID, streamingAnswerCard } from '../src/cards/answer-card';
import { stableUuid } from '../src/lark/uuid';

/** No streaming update of an answer card later than this after its creation (Lark closes streaming at 10 minutes). */
export const ANSWER_STREAM_CLOSE_AFTER_MS = 9 * 60_000;

/** A streamed answer card: its entity and when it was created (its operations' sequences count from there). */
export interface AnswerCardRef {
  cardId: string;
  createdAtMs: number;
}

export interface MessagingActivityDeps {
  client: LarkClient;
}

/** Which side effect this is: the user message that caused it and the step of its handling. */
export interface EffectRef {
  sourceMessageId: string;
  /** Unique within the handling of sourceMessageId, e.g. "answer", "tool-3". */
  step: string;
}

/** Message body: plain text, or a Lark msg_type with its content (card JSON, post, ...). */
export type MessageBody = { text: string } | { msgType: MsgType; content: MessageContent };

export type ReplyToMessageInput = MessageBody & {
  /** The message replied to; it is also the source of this effect. */
  messageId: string;
  step: string;
  replyInThread?: boolean;
};

export type SendMessageInput = MessageBody &
  EffectRef & {
    receiveIdType: ReceiveIdType;
    receiveId: string;
  };

export interface UpdateCardInput {
  messageId: string;
  card: Record<string, unknown>;
}

function inActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (tests, scripts)
  }
}

/** As the app, and cancellable: a cancelled activity aborts its HTTP request. */
function callOptions(): CallOptions {
  return { as: TENANT, signal: inActivity()?.cancellationSignal };
}

async function larkActivity<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // A RangeError is the caller's input problem (refused as invalid input, never retried).
    if (err instanceof RangeError) throw toLarkFailure(new LarkRequestInvalid(err.message));
    throw toLarkFailure(err);
  }
}

function body(b: MessageBody): { msgType: MsgType; content: MessageContent } {
  return 'text' in b ? { msgType: 'text', content: { text: b.text } } : { msgType: b.msgType, content: b.content };
}

export function createMessagingActivities({ client }: MessagingActivityDeps) {
  return {
    /** Reply to a user's message; the uuid makes a retried reply a no-op at Lark (1-hour window). */
    async replyToMessage(input: ReplyToMessageInput): Promise<{ messageId: string }> {
      return larkActivity(async () => {
        const sent = await client.replyMessage(
          input.messageId,
          { ...body(input), replyInThread: input.replyInThread ?? false, uuid: messageUuid('reply', input.messageId, input.step) },
          callOptions(),
        );
        return { messageId: sent.message_id };
      });
    },

    async sendMessage(input: SendMessageInput): Promise<{ messageId: string }> {
      return larkActivity(async () => {
        const uuid = messageUuid('send', input.sourceMessageId, input.step, input.receiveIdType, input.receiveId);
        const sent = await client.sendMessage(input.receiveIdType, input.receiveId, { ...body(input), uuid }, callOptions());
        return { messageId: sent.message_id };
      });
    },

    /** Replace a card's content (idempotent by nature: the same content twice is the same card). */
    async updateCard(input: UpdateCardInput): Promise<void> {
      return larkActivity(() => client.updateCard(input.messageId, input.card, callOptions()));
    },
  };
}

export type MessagingActivities = ReturnType<typeof createMessagingActivities>;

/**
 * The streamed answer card's steps. Creating the entity has no idempotency key at Lark: a retry after a crash in
 * the middle may leave one extra entity that nobody ever sees (it is never sent); the workflow sends the card it
 * got (a reply with a uuid) and every later step names that card.
 */
export function createAnswerCardActivities({ client }: MessagingActivityDeps) {
  return {
    async createAnswerCard(input: { statusLine: string }): Promise<AnswerCardRef> {
      return larkActivity(async () => {
        const createdAtMs = Date.now();
        const { cardId } = await client.createCardEntity(streamingAnswerCard(input.statusLine), callOptions());
        return { cardId, createdAtMs };
      });
    },

    /** The card's status line ("⏳ checking your calendar…"); a card that no longer streams is left as it is. */
    async updateAnswerStatus(input: AnswerCardRef & { statusLine: string }): Promise<void> {
      if (Date.now() - input.createdAtMs > ANSWER_STREAM_CLOSE_AFTER_MS) return;
      return larkActivity(async () => {
        try {
          await client.streamCardText(
            input.cardId,
            STATUS_ELEMENT_ID,
            input.statusLine || ' ',
            cardOp(input.cardId, input.createdAtMs, 'status'),
            callOptions(),
          );
        } catch (err) {
          if (!isCardStreamClosed(err)) throw err;
        }
      });
    },

    /**
     * The card's end: the whole card replaced by the final text (the answer as the history holds it, with its
     * footer) and streaming off, in one operation. Its uuid is the card's "final": a retry whose first attempt
     * reached Lark is a no-op there (200770, a uuid already used, counts as done).
     */
    async finishAnswerCard(input: AnswerCardRef & { text: string; note?: string }): Promise<void> {
      return larkActivity(async () => {
        const op = { sequence: nextCardSequence(input.cardId, input.createdAtMs), uuid: stableUuid(input.cardId, 'final') };
        try {
          await client.replaceCardEntity(input.cardId, finalAnswerCard(input.text, input.note), op, callOptions());
        } catch (err) {
          if (err instanceof LarkApiError && err.code === 200770) return;
          throw err;
        }
      });
    },
  };
}

export type AnswerCardActivities = ReturnType<typeof createAnswerCardActivities>;
