/**
 * Builders for what Lark posts to an app: URL-verification challenges, v2 and v1 message events and
 * card action callbacks. Pure functions returning plain payloads (before encryption).
 */
import { randomBytes } from 'node:crypto';
import type { Json } from './http';

export interface HeaderOptions {
  eventId?: string;
  appId: string;
  tenantKey: string;
  token?: string;
  /** Milliseconds since the epoch, as a string (Lark sends 13 or 16 digits). */
  createTime?: string;
}

export interface UserIds {
  openId: string;
  unionId?: string;
  userId?: string;
}

export interface MentionSpec extends UserIds {
  name: string;
}

export interface MessageSpec {
  messageId?: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  /** Text for a text message; ignored when `content` is given. Mentions go in as "@_user_N". */
  text?: string;
  messageType?: string;
  /** The raw content JSON string, for non-text messages. */
  content?: string;
  mentions?: MentionSpec[];
  rootId?: string;
  parentId?: string;
  threadId?: string;
  createTime?: string;
}

export const newEventId = (): string => randomBytes(16).toString('hex');
export const newMessageId = (): string => 'om_' + randomBytes(16).toString('hex');

export function challengePayload(opts: { challenge?: string; token?: string; withType?: boolean } = {}): Json {
  const body: Json = { challenge: opts.challenge ?? randomBytes(12).toString('hex') };
  if (opts.token !== undefined) body.token = opts.token;
  // The event-subscription form carries type; the card-callback configuration form has none.
  if (opts.withType !== false) body.type = 'url_verification';
  return body;
}

function header(eventType: string, h: HeaderOptions): Json {
  const out: Json = {
    event_id: h.eventId ?? newEventId(),
    event_type: eventType,
    create_time: h.createTime ?? String(Date.now()),
    app_id: h.appId,
    tenant_key: h.tenantKey,
  };
  if (h.token !== undefined) out.token = h.token;
  return out;
}

function mentionsOf(specs: MentionSpec[] | undefined, tenantKey: string): Json[] {
  return (specs ?? []).map((m, i) => ({
    key: `@_user_${i + 1}`,
    id: { open_id: m.openId, union_id: m.unionId, user_id: m.userId },
    name: m.name,
    tenant_key: tenantKey,
  }));
}

/** `im.message.receive_v1`, schema 2.0. */
export function messageReceiveV2(h: HeaderOptions, sender: UserIds, m: MessageSpec): Json {
  const mentions = mentionsOf(m.mentions, h.tenantKey);
  const mentionText = mentions.map((x) => x.key).join(' ');
  const text = m.text ?? '';
  const content = m.content ?? JSON.stringify({ text: mentionText ? `${mentionText} ${text}` : text });
  const createTime = m.createTime ?? String(Date.now());
  const message: Json = {
    message_id: m.messageId ?? newMessageId(),
    create_time: createTime,
    update_time: createTime,
    chat_id: m.chatId,
    chat_type: m.chatType,
    message_type: m.messageType ?? 'text',
    content,
    user_agent: 'Mozilla/5.0 (Lark emulator)',
  };
  if (mentions.length) message.mentions = mentions;
  if (m.rootId) message.root_id = m.rootId;
  if (m.parentId) message.parent_id = m.parentId;
  if (m.threadId) message.thread_id = m.threadId;
  return {
    schema: '2.0',
    header: header('im.message.receive_v1', h),
    event: {
      sender: {
        sender_id: { open_id: sender.openId, union_id: sender.unionId, user_id: sender.userId },
        sender_type: 'user',
        tenant_key: h.tenantKey,
      },
      message,
    },
  };
}

/** The legacy schema 1.0 message event (`event_callback` / `message`). */
export function messageEventV1(h: HeaderOptions, sender: UserIds, m: MessageSpec & { isMention?: boolean }): Json {
  const text = m.text ?? '';
  const event: Json = {
    type: 'message',
    app_id: h.appId,
    tenant_key: h.tenantKey,
    msg_type: m.messageType ?? 'text',
    open_id: sender.openId,
    user_open_id: sender.openId,
    open_chat_id: m.chatId,
    open_message_id: m.messageId ?? newMessageId(),
    chat_type: m.chatType === 'p2p' ? 'private' : 'group',
    is_mention: m.isMention ?? false,
    text,
    text_without_at_bot: text,
  };
  if (m.rootId) event.root_id = m.rootId;
  if (m.parentId) event.parent_id = m.parentId;
  const body: Json = { ts: String(Date.now() / 1000), uuid: h.eventId ?? newEventId(), type: 'event_callback', event };
  if (h.token !== undefined) body.token = h.token;
  return body;
}

export interface CardActionSpec {
  operator: UserIds;
  action: Json;
  openMessageId: string;
  openChatId: string;
  /** The delayed-update token handed to the app. */
  updateToken?: string;
}

/** `card.action.trigger`, schema 2.0. */
export function cardActionTrigger(h: HeaderOptions, c: CardActionSpec): Json {
  return {
    schema: '2.0',
    header: header('card.action.trigger', h),
    event: {
      operator: { tenant_key: h.tenantKey, open_id: c.operator.openId, union_id: c.operator.unionId, user_id: c.operator.userId },
      token: c.updateToken ?? 'c-' + randomBytes(16).toString('hex'),
      action: { tag: 'button', ...c.action },
      host: 'im_message',
      context: { open_message_id: c.openMessageId, open_chat_id: c.openChatId },
    },
  };
}

/**
 * The LEGACY card callback (the "message card request URL" of older apps): no header and no schema, the
 * clicker at the top level, `token` is the card-update token. Lark posts it plain and signs it with
 * sha1(timestamp + nonce + verification token + body) (see sender.ts).
 */
export function cardActionLegacy(h: HeaderOptions, c: CardActionSpec): Json {
  return {
    open_id: c.operator.openId,
    user_id: c.operator.userId,
    open_message_id: c.openMessageId,
    open_chat_id: c.openChatId,
    tenant_key: h.tenantKey,
    token: c.updateToken ?? 'c-' + randomBytes(16).toString('hex'),
    action: { tag: 'button', ...c.action },
  };
}
