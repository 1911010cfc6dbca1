/**
 * The normalized shape of a Lark event, whatever schema it arrived in.
 * Pure types: workflow code imports this file.
 */

export type ChatType = 'p2p' | 'group';

export interface LarkUserIds {
  openId: string;
  unionId?: string;
  userId?: string;
}

export interface LarkMention {
  /** The placeholder in the text, e.g. "@_user_1". */
  key: string;
  name: string;
  openId?: string;
}

export interface LarkMessage {
  messageId: string;
  chatId: string;
  chatType: ChatType;
  /** text, post, image, file, interactive, ... (kept as Lark names it). */
  messageType: string;
  /** Plain text for text and post messages, mentions resolved to "@Name"; undefined for other types. */
  text?: string;
  rootId?: string;
  parentId?: string;
  threadId?: string;
  /** Milliseconds since the epoch, when Lark gives it. */
  createTimeMs?: number;
  mentions: LarkMention[];
}

interface LarkEventBase {
  schema: '1.0' | '2.0';
  /** v2 header.event_id, v1 uuid: Lark's id for this delivery. */
  eventId: string;
  eventType: string;
  tenantKey?: string;
  appId?: string;
}

export interface LarkMessageEvent extends LarkEventBase {
  kind: 'message';
  sender: LarkUserIds & { senderType?: string };
  message: LarkMessage;
}

/** Any other event: recorded and acknowledged, handled by later features. */
export interface LarkOtherEvent extends LarkEventBase {
  kind: 'other';
  openId?: string;
}

/** A click on an interactive card (card.action.trigger): who clicked, on which message, and the button's value. */
export interface LarkCardActionEvent extends LarkEventBase {
  kind: 'card_action';
  openId: string;
  messageId?: string;
  value: Record<string, unknown>;
}

export type LarkEvent = LarkMessageEvent | LarkOtherEvent | LarkCardActionEvent;

/** What the per-user workflow receives for each message: ids and the text, nothing secret. */
export interface UserMessage {
  eventId: string;
  messageId: string;
  openId: string;
  chatId: string;
  chatType: ChatType;
  messageType: string;
  text?: string;
  threadId?: string;
  rootId?: string;
  parentId?: string;
  createTimeMs?: number;
  mentions: LarkMention[];
  /** When Temporal accepted the event (its event run's start): the age that counts is up to here. */
  acceptedAtMs?: number;
  /** Older than MESSAGE_MAX_AGE_SECONDS when accepted (the per-user workflow decides on arrival): a notice, no action. */
  stale?: boolean;
}

export function toUserMessage(event: LarkMessageEvent): UserMessage {
  const { message: m } = event;
  return {
    eventId: event.eventId,
    messageId: m.messageId,
    openId: event.sender.openId,
    chatId: m.chatId,
    chatType: m.chatType,
    messageType: m.messageType,
    text: m.text,
    threadId: m.threadId,
    rootId: m.rootId,
    parentId: m.parentId,
    createTimeMs: m.createTimeMs,
    mentions: m.mentions,
  };
}
