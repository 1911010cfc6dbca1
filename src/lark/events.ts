/**
 * Parses a decrypted Lark callback body (schema 1.0 or 2.0) into a challenge or a normalized event.
 * Missing or mistyped fields become a 400 naming the field; nothing here throws anything else.
 */
import { HttpError } from '../http-error';
import type { ChatType, LarkCardActionEvent, LarkEvent, LarkMention, LarkMessage, LarkMessageEvent } from './event-types';

export type LarkCallback = { kind: 'challenge'; challenge: string; token?: string } | { kind: 'event'; token?: string; event: LarkEvent };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(field: string, what: string): never {
  throw new HttpError(400, 'missing_field', `${field} ${what}`);
}

function obj(parent: Json, key: string, path: string): Json {
  const v = parent[key];
  if (!isObject(v)) bad(`${path}${key}`, 'must be an object');
  return v;
}

function reqStr(parent: Json, key: string, path: string): string {
  const v = parent[key];
  if (typeof v !== 'string' || v.length === 0) bad(`${path}${key}`, 'must be a non-empty string');
  return v;
}

function optStr(parent: Json, key: string, path: string): string | undefined {
  const v = parent[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') bad(`${path}${key}`, 'must be a string');
  return v;
}

const PRINTABLE_ID = /^[\x21-\x7e]{1,128}$/;

/** Ids become Temporal workflow ids: keep them short and printable. */
function eventIdOf(v: string, field: string): string {
  if (!PRINTABLE_ID.test(v)) {
    throw new HttpError(400, 'invalid_event_id', `${field} must be 1-128 printable characters`);
  }
  return v;
}

/**
 * open_id, chat_id and the event type become workflow ids and search attribute values: a huge or unprintable
 * one made Temporal refuse the start, answered 503, so Lark would redeliver it forever (found by the fuzz suite).
 */
function idOf(v: string, field: string): string {
  if (!PRINTABLE_ID.test(v)) throw new HttpError(400, 'invalid_id', `${field} must be 1-128 printable characters`);
  return v;
}

function msOf(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  // Lark sends 10 (s), 13 (ms) or 16 (us) digits in different places.
  if (n < 1e11) return Math.round(n * 1000);
  if (n > 1e14) return Math.round(n / 1000);
  return Math.round(n);
}

export function isChallenge(body: Json): boolean {
  if (body.type === 'url_verification') return true;
  // The callback-configuration form has no type and no header.
  return typeof body.challenge === 'string' && body.type === undefined && body.header === undefined && body.schema === undefined;
}

export function parseLarkCallback(body: unknown): LarkCallback {
  if (!isObject(body)) throw new HttpError(400, 'malformed_json', 'body must be a JSON object');
  if (isChallenge(body)) {
    const challenge = body.challenge;
    if (typeof challenge !== 'string' || challenge.length === 0 || challenge.length > 512) {
      bad('challenge', 'must be a non-empty string');
    }
    return { kind: 'challenge', challenge, token: typeof body.token === 'string' ? body.token : undefined };
  }
  if (body.schema === '2.0' || isObject(body.header)) return parseV2(body);
  if (body.type === 'event_callback') return parseV1(body);
  throw new HttpError(400, 'unknown_schema', 'body is neither a challenge, a schema 2.0 event nor a schema 1.0 event_callback');
}

/** A legacy card callback (the message card request URL): no header, no schema, the clicker at the top level. */
export function isLegacyCardCallback(body: unknown): boolean {
  return isObject(body) && body.schema === undefined && body.header === undefined && typeof body.open_message_id === 'string' && isObject(body.action);
}

/**
 * The legacy card callback normalized into the same card_action as `card.action.trigger`. It has no event id,
 * so the caller passes one derived from the signed bytes; its `token` is the card-update token, not the
 * verification token (the sha1 signature over the verification token authenticates it instead).
 */
export function parseLegacyCardCallback(body: unknown, eventId: string): LarkCardActionEvent {
  if (!isLegacyCardCallback(body)) throw new HttpError(400, 'unknown_schema', 'body is not a card callback (open_id, open_message_id, action)');
  const b = body as Json;
  const action = b.action as Json;
  return {
    kind: 'card_action',
    schema: '1.0',
    eventId: eventIdOf(eventId, 'event id'),
    eventType: 'card.action.trigger_v1',
    tenantKey: optStr(b, 'tenant_key', ''),
    appId: optStr(b, 'app_id', ''),
    openId: idOf(reqStr(b, 'open_id', ''), 'open_id'),
    messageId: idOf(reqStr(b, 'open_message_id', ''), 'open_message_id'),
    value: isObject(action.value) ? action.value : {},
  };
}

function parseV2(body: Json): LarkCallback {
  const header = obj(body, 'header', '');
  const eventId = eventIdOf(reqStr(header, 'event_id', 'header.'), 'header.event_id');
  const eventType = idOf(reqStr(header, 'event_type', 'header.'), 'header.event_type');
  const token = optStr(header, 'token', 'header.');
  const base = {
    schema: '2.0' as const,
    eventId,
    eventType,
    tenantKey: optStr(header, 'tenant_key', 'header.'),
    appId: optStr(header, 'app_id', 'header.'),
  };
  const event = obj(body, 'event', '');
  if (eventType === 'card.action.trigger') {
    const operator = obj(event, 'operator', 'event.');
    const action = obj(event, 'action', 'event.');
    const context = isObject(event.context) ? event.context : {};
    return {
      kind: 'event',
      token,
      event: {
        kind: 'card_action',
        ...base,
        openId: idOf(reqStr(operator, 'open_id', 'event.operator.'), 'event.operator.open_id'),
        messageId: typeof context.open_message_id === 'string' && PRINTABLE_ID.test(context.open_message_id) ? context.open_message_id : undefined,
        value: isObject(action.value) ? action.value : {},
      },
    };
  }
  if (eventType !== 'im.message.receive_v1') {
    const operator = isObject(event.operator) ? event.operator : isObject(event.sender) ? event.sender : undefined;
    const ids = operator && isObject(operator.sender_id) ? operator.sender_id : operator;
    // Not checked strictly for events the agent ignores, but only a valid id reaches a search attribute.
    const openId = ids && typeof ids.open_id === 'string' && PRINTABLE_ID.test(ids.open_id) ? ids.open_id : undefined;
    return { kind: 'event', token, event: { kind: 'other', ...base, openId } };
  }
  const sender = obj(event, 'sender', 'event.');
  const senderId = obj(sender, 'sender_id', 'event.sender.');
  const m = obj(event, 'message', 'event.');
  const messageType = reqStr(m, 'message_type', 'event.message.');
  const content = reqStr(m, 'content', 'event.message.');
  const mentions = parseMentions(m.mentions);
  const message: LarkMessage = {
    messageId: eventIdOf(reqStr(m, 'message_id', 'event.message.'), 'event.message.message_id'),
    chatId: idOf(reqStr(m, 'chat_id', 'event.message.'), 'event.message.chat_id'),
    chatType: chatTypeOf(reqStr(m, 'chat_type', 'event.message.')),
    messageType,
    text: textOf(messageType, content, mentions),
    rootId: optStr(m, 'root_id', 'event.message.'),
    parentId: optStr(m, 'parent_id', 'event.message.'),
    threadId: optStr(m, 'thread_id', 'event.message.'),
    createTimeMs: msOf(m.create_time),
    mentions,
  };
  const from = {
    openId: idOf(reqStr(senderId, 'open_id', 'event.sender.sender_id.'), 'event.sender.sender_id.open_id'),
    unionId: optStr(senderId, 'union_id', 'event.sender.sender_id.'),
    userId: optStr(senderId, 'user_id', 'event.sender.sender_id.'),
    senderType: optStr(sender, 'sender_type', 'event.sender.'),
  };
  return messageCallback(token, base, from, message);
}

function parseV1(body: Json): LarkCallback {
  const eventId = eventIdOf(reqStr(body, 'uuid', ''), 'uuid');
  const token = optStr(body, 'token', '');
  const event = obj(body, 'event', '');
  const eventType = idOf(reqStr(event, 'type', 'event.'), 'event.type');
  const base = { schema: '1.0' as const, eventId, eventType, tenantKey: optStr(event, 'tenant_key', 'event.'), appId: optStr(event, 'app_id', 'event.') };
  if (eventType !== 'message') {
    const openId = optStr(event, 'open_id', 'event.');
    return { kind: 'event', token, event: { kind: 'other', ...base, openId: openId && PRINTABLE_ID.test(openId) ? openId : undefined } };
  }
  const messageType = optStr(event, 'msg_type', 'event.') ?? 'text';
  const text = optStr(event, 'text', 'event.');
  const message: LarkMessage = {
    messageId: eventIdOf(reqStr(event, 'open_message_id', 'event.'), 'event.open_message_id'),
    chatId: idOf(optStr(event, 'open_chat_id', 'event.') ?? reqStr(event, 'open_id', 'event.'), 'event.open_chat_id'),
    chatType: chatTypeOf(optStr(event, 'chat_type', 'event.') ?? 'p2p'),
    messageType,
    text: messageType === 'text' ? (text ?? '') : undefined,
    rootId: optStr(event, 'root_id', 'event.'),
    parentId: optStr(event, 'parent_id', 'event.'),
    createTimeMs: msOf(body.ts),
    mentions: [],
  };
  const from = {
    openId: idOf(reqStr(event, 'open_id', 'event.'), 'event.open_id'),
    unionId: optStr(event, 'union_id', 'event.'),
    userId: optStr(event, 'user_id', 'event.'),
  };
  return messageCallback(token, base, from, message);
}

/** A message event of either schema, once its parts are read. */
function messageCallback(
  token: string | undefined,
  base: Omit<LarkMessageEvent, 'kind' | 'sender' | 'message'>,
  sender: LarkMessageEvent['sender'],
  message: LarkMessage,
): LarkCallback {
  return { kind: 'event', token, event: { kind: 'message', ...base, sender, message } };
}

function chatTypeOf(v: string): ChatType {
  if (v === 'p2p' || v === 'private') return 'p2p';
  if (v === 'group' || v === 'topic_group') return 'group';
  throw new HttpError(400, 'missing_field', `chat_type "${v.slice(0, 20)}" is not p2p or group`);
}

function parseMentions(v: unknown): LarkMention[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) bad('event.message.mentions', 'must be an array');
  return v.map((m, i) => {
    if (!isObject(m)) bad(`event.message.mentions[${i}]`, 'must be an object');
    const id = isObject(m.id) ? m.id : {};
    return {
      key: reqStr(m, 'key', `event.message.mentions[${i}].`),
      name: typeof m.name === 'string' ? m.name : '',
      openId: typeof id.open_id === 'string' ? id.open_id : undefined,
    };
  });
}

function resolveMentions(text: string, mentions: LarkMention[]): string {
  if (mentions.length === 0) return text;
  const byKey = new Map(mentions.map((m) => [m.key, m.name]));
  return text.replace(/@_user_\d+|@_all/g, (key) => (byKey.has(key) ? `@${byKey.get(key)}` : key === '@_all' ? '@all' : key));
}

function textOf(messageType: string, content: string, mentions: LarkMention[]): string | undefined {
  if (messageType !== 'text' && messageType !== 'post') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    throw new HttpError(400, 'bad_content', 'event.message.content is not a JSON string');
  }
  if (!isObject(parsed)) throw new HttpError(400, 'bad_content', 'event.message.content must encode an object');
  if (messageType === 'text') {
    if (typeof parsed.text !== 'string') bad('event.message.content.text', 'must be a string');
    return resolveMentions(parsed.text, mentions);
  }
  return resolveMentions(flattenPost(parsed), mentions);
}

/** A post is a title and lines of elements; some payloads wrap it in a locale key (zh_cn, en_us). */
export function flattenPost(post: Json): string {
  let body: Json = post;
  if (!Array.isArray(post.content)) {
    const locale = Object.values(post).find((v) => isObject(v) && Array.isArray(v.content));
    if (!isObject(locale)) throw new HttpError(400, 'bad_content', 'post content has no lines');
    body = locale;
  }
  const lines: string[] = [];
  if (typeof body.title === 'string' && body.title) lines.push(body.title);
  for (const line of body.content as unknown[]) {
    if (!Array.isArray(line)) continue;
    lines.push(line.map(elementText).join(''));
  }
  return lines.join('\n').trim();
}

function elementText(el: unknown): string {
  if (!isObject(el)) return '';
  const s = (k: string) => (typeof el[k] === 'string' ? (el[k] as string) : '');
  switch (el.tag) {
    case 'text':
    case 'code_block':
      return s('text');
    case 'a':
      return s('text') || s('href');
    case 'at':
      return s('user_name') ? `@${s('user_name')}` : s('user_id');
    case 'emotion':
      return s('emoji_type') ? `:${s('emoji_type')}:` : '';
    case 'img':
      return '[image]';
    case 'media':
      return '[video]';
    case 'hr':
      return '\n---\n';
    default:
      return s('text');
  }
}
