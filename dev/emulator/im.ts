/**
 * IM v1: send, reply and update (cards). Tenant token only. `uuid` makes sends idempotent for an
 * hour: the same uuid answers with the first message and never creates a second one.
 */
import { LarkError, bodyObject, invalidParam, ok, optString, reqString, type Ctx, type Json, type Router } from './http';
import type { Auth } from './auth';
import { DEFAULT_RETENTION, randomId, type Clock, type EmulatorState, type Message } from './state';

const MSG_TYPES = new Set(['text', 'post', 'image', 'file', 'audio', 'media', 'sticker', 'interactive', 'share_chat', 'share_user']);
const RECEIVE_ID_TYPES = new Set(['open_id', 'user_id', 'union_id', 'email', 'chat_id']);
const UUID_WINDOW_MS = 60 * 60 * 1000;
const EDIT_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;
/** Lark's limit for a text message's content JSON (the sandbox says so rather than cut a message). */
export const TEXT_LIMIT = 150 * 1024;
const CARD_LIMIT = 30 * 1024;

export class Im {
  constructor(
    private readonly state: EmulatorState,
    private readonly auth: Auth,
    private readonly clock: Clock,
    private readonly editsPerMessage = DEFAULT_RETENTION.editsPerMessage,
    /** Whether a CardKit card entity exists (a card message may name one: {"type":"card","data":{"card_id"}}). */
    private readonly cardExists: (cardId: string) => boolean = () => false,
  ) {}

  register(router: Router): void {
    router.add('POST', '/open-apis/im/v1/messages', (ctx) => this.send(ctx));
    router.add('POST', '/open-apis/im/v1/messages/:message_id/reply', (ctx) => this.reply(ctx));
    router.add('PATCH', '/open-apis/im/v1/messages/:message_id', (ctx) => this.update(ctx));
    router.add('GET', '/open-apis/im/v1/messages/:message_id', (ctx) => this.get(ctx));
    router.add('PATCH', '/open-apis/im/v1/messages/:message_id/urgent_app', (ctx) => this.urgentApp(ctx));
    // Lark answers this one outside `data`: {code, msg, bot: {...}}.
    router.add('GET', '/open-apis/bot/v3/info', (ctx) => {
      this.auth.authenticate(ctx, 'tenant');
      return {
        kind: 'json',
        body: { code: 0, msg: 'ok', bot: { activate_status: 2, app_name: 'Lark Agent', open_id: this.state.botOpenId, ip_white_list: [] } },
      };
    });
  }

  /** Records a message a user sent (an injected event), so the app can reply to it. */
  addUserMessage(m: {
    messageId?: string;
    chatId: string;
    senderOpenId: string;
    msgType: string;
    content: string;
    rootId?: string;
    parentId?: string;
    threadId?: string;
    mentions?: Json[];
  }): Message {
    const now = String(this.clock.now());
    const msg: Message = {
      message_id: m.messageId ?? randomId('om_'),
      root_id: m.rootId,
      parent_id: m.parentId,
      thread_id: m.threadId,
      msg_type: m.msgType,
      content: m.content,
      chat_id: m.chatId,
      sender: { id: m.senderOpenId, id_type: 'open_id', sender_type: 'user' },
      create_time: now,
      update_time: now,
      updated: false,
      deleted: false,
      edits: [],
      ...(m.mentions?.length ? { mentions: m.mentions } : {}),
    };
    this.state.addMessage(msg);
    return msg;
  }

  private checkContent(body: Json): { msgType: string; content: string } {
    const msgType = reqString(body, 'msg_type');
    if (!MSG_TYPES.has(msgType)) throw invalidParam(`msg_type "${msgType}" is not supported`);
    const content = reqString(body, 'content');
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      // Lark wants content as a JSON *string*; a plain string here is a common client bug.
      throw new LarkError(230001, 'Your request contains an invalid request parameter: content is not a JSON string.');
    }
    if (typeof parsed !== 'object' || parsed === null) {
      throw new LarkError(230001, 'Your request contains an invalid request parameter: content must encode a JSON object.');
    }
    const entity =
      (parsed as { type?: unknown; data?: { card_id?: unknown } }).type === 'card' ? (parsed as { data?: { card_id?: unknown } }).data?.card_id : undefined;
    if (msgType === 'interactive' && (parsed as { type?: unknown }).type === 'card' && (typeof entity !== 'string' || !this.cardExists(entity))) {
      throw new LarkError(230099, 'Failed to create card content: the card entity (data.card_id) does not exist.');
    }
    const limit = msgType === 'text' ? TEXT_LIMIT : msgType === 'interactive' || msgType === 'post' ? CARD_LIMIT : TEXT_LIMIT;
    if (Buffer.byteLength(content, 'utf8') > limit) throw new LarkError(230025, 'The message content is too long.');
    return { msgType, content };
  }

  private checkUuid(body: Json): string | undefined {
    const uuid = optString(body, 'uuid');
    if (uuid !== undefined && (uuid.length === 0 || uuid.length > 50)) throw invalidParam('uuid must be 1-50 characters');
    return uuid;
  }

  /** The first message sent with this uuid within the window, if any. */
  /** A send or reply with a uuid seen within the window: Lark answers with the first message, and sends nothing. */
  private repeated(ctx: Ctx, uuid: string | undefined) {
    const dup = this.byUuid(uuid);
    if (!dup) return undefined;
    ctx.note.duplicateUuid = true;
    return ok(view(dup, this.state.tenantKey));
  }

  private byUuid(uuid: string | undefined): Message | undefined {
    if (!uuid) return undefined;
    const hit = this.state.messageUuids.get(uuid);
    if (!hit || this.clock.now() - hit.at > UUID_WINDOW_MS) return undefined;
    return this.state.messages.get(hit.messageId);
  }

  private store(msg: Omit<Message, 'message_id' | 'create_time' | 'update_time' | 'updated' | 'deleted' | 'edits' | 'sender'>): Message {
    const now = String(this.clock.now());
    const full: Message = {
      ...msg,
      message_id: randomId('om_'),
      sender: { id: this.state.appId, id_type: 'app_id', sender_type: 'app' },
      create_time: now,
      update_time: now,
      updated: false,
      deleted: false,
      edits: [],
    };
    this.state.addMessage(full);
    if (full.uuid) {
      this.forgetOldUuids();
      this.state.messageUuids.delete(full.uuid); // re-inserted at the end: the map stays in time order
      this.state.messageUuids.set(full.uuid, { messageId: full.message_id, at: this.clock.now() });
    }
    return full;
  }

  /** Uuids older than the window no longer count (byUuid ignores them): forgotten, oldest first. */
  private forgetOldUuids(): void {
    const now = this.clock.now();
    for (const [uuid, hit] of this.state.messageUuids) {
      if (now - hit.at <= UUID_WINDOW_MS) break;
      this.state.messageUuids.delete(uuid);
    }
  }

  private send(ctx: Ctx) {
    this.auth.authenticate(ctx, 'tenant');
    const idType = ctx.query.get('receive_id_type');
    if (!idType || !RECEIVE_ID_TYPES.has(idType)) throw invalidParam('receive_id_type must be one of open_id, user_id, union_id, email, chat_id');
    const body = bodyObject(ctx);
    const receiveId = reqString(body, 'receive_id');
    const { msgType, content } = this.checkContent(body);
    const uuid = this.checkUuid(body);
    const dup = this.repeated(ctx, uuid);
    if (dup) return dup;
    let chatId: string;
    if (idType === 'chat_id') {
      if (!this.state.chats.has(receiveId)) throw new LarkError(230002, 'Bot/User can NOT be out of the chat.');
      chatId = receiveId;
    } else {
      const user = this.state.findUser(receiveId, idType);
      if (!user) throw new LarkError(230013, 'Bot has NO availability to this user.');
      chatId = user.p2pChatId;
    }
    const msg = this.store({ msg_type: msgType, content, chat_id: chatId, uuid, receive_id: receiveId, receive_id_type: idType });
    return ok(view(msg, this.state.tenantKey));
  }

  private target(ctx: Ctx): Message {
    const msg = this.state.messages.get(ctx.params.message_id ?? '');
    if (!msg) throw new LarkError(230001, 'Your request contains an invalid request parameter: message_id not found.');
    if (msg.deleted) throw new LarkError(230011, 'The message was recalled.');
    return msg;
  }

  private reply(ctx: Ctx) {
    this.auth.authenticate(ctx, 'tenant');
    const body = bodyObject(ctx);
    const parent = this.target(ctx);
    const { msgType, content } = this.checkContent(body);
    const uuid = this.checkUuid(body);
    const dup = this.repeated(ctx, uuid);
    if (dup) return dup;
    const inThread = body.reply_in_thread === true;
    const threadId = parent.thread_id ?? (inThread ? randomId('omt_', 8) : undefined);
    if (inThread && !parent.thread_id) parent.thread_id = threadId;
    const msg = this.store({
      msg_type: msgType,
      content,
      chat_id: parent.chat_id,
      uuid,
      root_id: parent.root_id ?? parent.message_id,
      parent_id: parent.message_id,
      thread_id: threadId,
    });
    return ok(view(msg, this.state.tenantKey));
  }

  private update(ctx: Ctx) {
    this.auth.authenticate(ctx, 'tenant');
    const body = bodyObject(ctx);
    const msg = this.target(ctx);
    if (msg.msg_type !== 'interactive')
      throw new LarkError(230001, 'Your request contains an invalid request parameter: only interactive (card) messages can be updated.');
    if (msg.sender.sender_type !== 'app') throw new LarkError(230027, 'Lack of necessary permissions: the bot did not send this message.');
    if (this.clock.now() - Number(msg.create_time) > EDIT_WINDOW_MS) throw new LarkError(230031, 'The message can only be edited within 14 days.');
    const { content } = this.checkContent({ ...body, msg_type: 'interactive' });
    msg.edits.push(content);
    if (msg.edits.length > this.editsPerMessage) msg.edits.splice(0, msg.edits.length - this.editsPerMessage);
    msg.content = content;
    msg.updated = true;
    msg.update_time = String(this.clock.now());
    return ok({});
  }

  /**
   * In-app urgent ("buzz") on a message the bot sent: free, unlike urgent_sms / urgent_phone. Recipients must be
   * in the message's chat; the ones that are not come back in invalid_user_id_list (the call still succeeds).
   */
  private urgentApp(ctx: Ctx) {
    this.auth.authenticate(ctx, 'tenant');
    const body = bodyObject(ctx);
    const msg = this.target(ctx);
    if (msg.sender.sender_type !== 'app') throw new LarkError(230027, 'Lack of necessary permissions: the bot did not send this message.');
    if (ctx.query.get('user_id_type') !== 'open_id') throw invalidParam('user_id_type must be open_id here');
    const ids = body.user_id_list;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => typeof x === 'string'))
      throw invalidParam('user_id_list must be a non-empty array of ids');
    const members = this.state.chats.get(msg.chat_id)?.members ?? [];
    const valid = (ids as string[]).filter((id) => members.includes(id));
    if (valid.length) this.state.log(this.state.urgents, { message_id: msg.message_id, open_ids: valid, kind: 'app', at: this.clock.now() });
    return ok({ invalid_user_id_list: (ids as string[]).filter((id) => !members.includes(id)) });
  }

  private get(ctx: Ctx) {
    this.auth.authenticate(ctx, 'tenant');
    const msg = this.target(ctx);
    return ok({ items: [view(msg, this.state.tenantKey)] });
  }
}

/** The message object as Lark returns it. */
function view(m: Message, tenantKey: string): Json {
  return {
    message_id: m.message_id,
    root_id: m.root_id,
    parent_id: m.parent_id,
    thread_id: m.thread_id,
    msg_type: m.msg_type,
    create_time: m.create_time,
    update_time: m.update_time,
    deleted: m.deleted,
    updated: m.updated,
    chat_id: m.chat_id,
    sender: { ...m.sender, tenant_key: tenantKey },
    body: { content: m.content },
    mentions: m.mentions ?? [],
  };
}
