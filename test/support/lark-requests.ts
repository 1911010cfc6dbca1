/** Builds what Lark sends to the webhook: event bodies, encrypted and signed as Lark does. */
import { randomBytes } from 'node:crypto';
import { encryptLarkPayload, signLarkRequest } from '../../src/lark/crypto';

export interface MessageEventOptions {
  eventId?: string;
  messageId?: string;
  openId?: string;
  chatId?: string;
  chatType?: 'p2p' | 'group';
  text?: string;
  token?: string;
  threadId?: string;
  mentions?: Array<{ key: string; name: string; openId: string }>;
}

export function v2MessageEvent(o: MessageEventOptions = {}) {
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId ?? randomBytes(16).toString('hex'),
      event_type: 'im.message.receive_v1',
      create_time: String(Date.now()),
      token: o.token ?? 'verification-token',
      app_id: 'cli_test',
      tenant_key: 'tenant-1',
    },
    event: {
      sender: { sender_id: { open_id: o.openId ?? 'ou_alice', union_id: 'on_alice', user_id: 'alice' }, sender_type: 'user', tenant_key: 'tenant-1' },
      message: {
        message_id: o.messageId ?? `om_${randomBytes(8).toString('hex')}`,
        create_time: String(Date.now()),
        chat_id: o.chatId ?? 'oc_chat',
        chat_type: o.chatType ?? 'p2p',
        message_type: 'text',
        content: JSON.stringify({ text: o.text ?? 'hello' }),
        ...(o.threadId ? { thread_id: o.threadId } : {}),
        mentions: (o.mentions ?? []).map((m) => ({ key: m.key, name: m.name, id: { open_id: m.openId }, tenant_key: 'tenant-1' })),
      },
    },
  };
}

export function v1MessageEvent(o: MessageEventOptions = {}) {
  return {
    uuid: o.eventId ?? randomBytes(16).toString('hex'),
    token: o.token ?? 'verification-token',
    ts: String(Date.now() / 1000),
    type: 'event_callback',
    event: {
      type: 'message',
      app_id: 'cli_test',
      tenant_key: 'tenant-1',
      open_id: o.openId ?? 'ou_alice',
      open_chat_id: o.chatId ?? 'oc_chat',
      open_message_id: o.messageId ?? `om_${randomBytes(8).toString('hex')}`,
      chat_type: o.chatType === 'group' ? 'group' : 'private',
      msg_type: 'text',
      text: o.text ?? 'hello v1',
    },
  };
}

export interface WireRequest {
  body: Buffer;
  headers: Record<string, string>;
}

/** Plain JSON, unsigned (for apps without an Encrypt Key). */
export function plainRequest(payload: unknown): WireRequest {
  return { body: Buffer.from(JSON.stringify(payload)), headers: { 'content-type': 'application/json; charset=utf-8' } };
}

/** `{"encrypt": ...}` with Lark's signature headers over the exact bytes sent. */
export function encryptedRequest(payload: unknown, encryptKey: string, opts: { sign?: boolean; nowMs?: number } = {}): WireRequest {
  const body = Buffer.from(JSON.stringify({ encrypt: encryptLarkPayload(encryptKey, JSON.stringify(payload)) }));
  return signedRaw(body, encryptKey, opts);
}

/** Signs arbitrary bytes (tests of what happens after a valid signature: bad base64, bad padding...). */
export function signedRaw(body: Buffer, encryptKey: string, opts: { sign?: boolean; nowMs?: number } = {}): WireRequest {
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(opts.sign === false ? {} : signLarkRequest(body, encryptKey, opts.nowMs)),
    },
  };
}

export async function post(url: string, req: WireRequest): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', body: req.body, headers: req.headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
