/**
 * The Lark emulator: a local Open API server speaking Lark's wire format, plus the sending side
 * (events to the app's webhook). Start one per test file with startLarkEmulator().
 */
import { Auth, DEFAULT_APP_SCOPES, parseScopes } from './auth';
import { Bitable } from './bitable';
import { cardActionLegacy, cardActionTrigger, challengePayload, messageEventV1, messageReceiveV2, newEventId, type MentionSpec } from './builders';
import { Calendar } from './calendar';
import { CallLog } from './calls';
import { Contact } from './contact';
import { Faults } from './faults';
import { Router, type Json } from './http';
import { Im } from './im';
import { CardKit } from './cardkit';
import { OAuth, type AuthorizeRequest } from './oauth';
import { Sender, eventType, isLegacyCard, type Delivery, type SendOptions, type WebhookTarget } from './sender';
import { LongConnectionServer, type LongConnectionOptions, type SocketSendOptions } from './long-connection';
import { startHttpFront } from './server';
import { Clock, DEFAULT_RETENTION, DEFAULT_USERS, EmulatorState, type Chat, type EmulatorUser, type Message, type Retention, type SeedUser } from './state';
import { Tasks } from './task';
import { seedBusyCalendars, seedRoomBusy } from './seed-calendars';
import { Rooms, seedRooms } from './rooms';
import { registerSandbox, type SandboxReminderSource, type SandboxZoneSource } from './sandbox';

export type { CallRecord, CallFilter } from './calls';
export type { Fault, FaultSpec, FaultMatch } from './faults';
export type { Delivery, DeliveryAttempt, SendOptions, WebhookTarget } from './sender';
export type { AuthorizeRequest } from './oauth';
export type { EmulatorUser, SeedUser, Message, Chat, CalendarEvent, Task, BaseRecord, Retention } from './state';
export { DEFAULT_RETENTION } from './state';
export { CardKit, CARD_UPDATES_PER_SECOND, STREAMING_LIMIT_MS, type CardEntity } from './cardkit';
export type { LongConnectionInfo, LongConnectionOptions, LongConnectionServer, SocketSendOptions } from './long-connection';
export { WS_CODE, WS_ENDPOINT_PATH } from './long-connection';
export * as frames from './frame';
export { LARK_RETRY_SCHEDULE_MS } from './sender';
export { SEED_BLOCKS, seedBusyCalendars } from './seed-calendars';
export { roomIdOf } from './rooms';
export * as builders from './builders';

export interface LarkEmulatorOptions {
  /** 0 (default) picks a free port. Always bound to 127.0.0.1. */
  port?: number;
  appId?: string;
  appSecret?: string;
  tenantKey?: string;
  users?: SeedUser[];
  /** The app's webhook, used by sendEvent() when no target is given. */
  webhook?: WebhookTarget;
  /** Defaults for the sending side (ack timeout, retry schedule, timeScale). */
  delivery?: SendOptions;
  /** Registered OAuth redirect URIs; when unset, any http(s) URI is accepted. */
  redirectUris?: string[];
  /** How long a Base write holds its table (concurrent writes meanwhile get 1254291). Default 25 ms. */
  baseWriteLatencyMs?: number;
  /** Random source for probabilistic faults (tests can make it deterministic). */
  random?: () => number;
  /** The sandbox page links each user to their runs here. */
  temporalUiUrl?: string;
  temporalNamespace?: string;
  /** Give the seeded users a few busy blocks each for the next two weeks (seed-calendars.ts). Default false. */
  seedCalendars?: boolean;
  /** Most items one event or task list page holds (default 20): clients must follow page_token. */
  pageCap?: number;
  /** How long the approval room that declines ("Boardroom") answers needs_action before its decline (default 0: the next read). */
  roomApprovalDelayMs?: number;
  /** How much is kept (messages per chat, edits, call log, deliveries): DEFAULT_RETENTION unless given. */
  retention?: Partial<Retention>;
  /**
   * How the app receives what Lark sends, as set in the console (Events & Callbacks > subscription mode), for
   * events and for callbacks (card clicks): 'webhook' (POSTs to `webhook`, the default) or 'long-connection'
   * (pushed over the app's WebSocket, long-connection.ts). Can be changed later: `emulator.subscription`.
   */
  subscription?: Partial<Subscription>;
  /** The long connection's ClientConfig and limits (long-connection.ts). */
  longConnection?: LongConnectionOptions;
}

export type SubscriptionMode = 'webhook' | 'long-connection';
export interface Subscription {
  events: SubscriptionMode;
  callbacks: SubscriptionMode;
}

export interface UserMessageSpec {
  /** The sender: a seeded user's key ('lan') or open_id. */
  from: string;
  text?: string;
  /** Default 'p2p' (the bot's chat with the sender). */
  chatType?: 'p2p' | 'group';
  /** Default: the sender's p2p chat, or the seeded group chat. */
  chatId?: string;
  /** Users to @-mention (keys or open_ids); `mentionBot` puts the bot first. */
  mentions?: string[];
  mentionBot?: boolean;
  messageId?: string;
  messageType?: string;
  content?: string;
  rootId?: string;
  parentId?: string;
  threadId?: string;
  eventId?: string;
}

export interface LarkEmulator {
  /** Base URL, e.g. http://127.0.0.1:41234 (the Open API lives under /open-apis). */
  url: string;
  appId: string;
  appSecret: string;
  tenantKey: string;
  state: EmulatorState;
  /** CardKit card entities (streamed answers): their current JSON, updates counted per card, `permitted`. */
  cardkit: CardKit;
  faults: Faults;
  calls: CallLog;
  clock: Clock;
  /** The latest deliveries to the webhook (retention.deliveries, default 1,000), with their attempts (pushes over the long connection: longConnection.deliveries). */
  deliveries: Delivery[];
  /** The console's subscription mode for events and callbacks; sendEvent without a target follows it. */
  subscription: Subscription;
  /** The long-connection side: its endpoint, open connections, pushes, drop() and raw frames. */
  longConnection: LongConnectionServer;
  /** The seeded group chat holding every user. */
  groupChat: Chat;
  user(keyOrOpenId: string): EmulatorUser;
  /** The consent step without a browser: a redirect URL with code and state (or error=access_denied). */
  authorize(req: AuthorizeRequest): string;
  /** Issues user tokens directly (skipping OAuth) for tests that only need a valid user token. */
  issueUserToken(openId: string, scope?: string): { accessToken: string; refreshToken?: string };
  expireAllTokens(): void;
  /** Expires one user's access tokens (open_id or seed key). */
  expireToken(openId: string): void;
  /** Revokes one user's refresh tokens: the next refresh gets 20064. */
  revokeRefreshToken(openId: string): void;
  /** The app's active reminders of a user, for the sandbox's side panel (the app owns them, not Lark). */
  setReminderSource(source: SandboxReminderSource | undefined): void;
  /** Each user's own zone as the app knows it, for the sandbox's side panel and chat times. */
  setUserZoneSource(source: SandboxZoneSource | undefined): void;
  /**
   * Sends a payload to the app as Lark does. With a target, a POST there; without one, by the subscription mode
   * of its kind (a card.action.trigger is a callback, anything else an event): options.webhook, or a push over
   * the long connection.
   */
  sendEvent(target: WebhookTarget | string | undefined, payload: Json, opts?: SocketSendOptions): Delivery;
  /** Payload builders bound to this tenant; message builders also record the message so the app can reply to it. */
  events: {
    challenge(opts?: { challenge?: string; withType?: boolean }): Json;
    message(spec: UserMessageSpec): Json;
    messageV1(spec: UserMessageSpec): Json;
    cardAction(spec: { from: string; messageId: string; value?: Json; action?: Json; chatId?: string }): Json;
    /** The legacy card callback schema (open_id, open_message_id, action.value; sha1-signed by the sender). */
    cardActionLegacy(spec: { from: string; messageId: string; value?: Json; chatId?: string }): Json;
  };
  stop(): Promise<void>;
}

export async function startLarkEmulator(options: LarkEmulatorOptions = {}): Promise<LarkEmulator> {
  // cli_ and 16 hex digits, as Lark issues them (the SDK's long-connection client refuses any other form).
  const appId = options.appId ?? 'cli_a0e1a0e1a0e1a0e1';
  const appSecret = options.appSecret ?? 'emulator-app-secret';
  const tenantKey = options.tenantKey ?? 'emulator_tenant';
  const clock = new Clock();
  const retention: Retention = { ...DEFAULT_RETENTION, ...options.retention };
  const state = new EmulatorState({ appId, tenantKey, users: options.users ?? DEFAULT_USERS, messagesPerChat: retention.messagesPerChat });
  const groupChat = state.addGroupChat(
    'Emulator team',
    state.users.map((u) => u.open_id),
    'team',
  );
  const faults = new Faults(options.random);
  const calls = new CallLog(retention.calls);
  const auth = new Auth(state, clock, { appId, appSecret });
  const oauth = new OAuth(state, auth, clock, { appId, appSecret, redirectUris: options.redirectUris });
  const cardkit = new CardKit(auth, clock);
  const im = new Im(state, auth, clock, retention.editsPerMessage, (id) => cardkit.cards.has(id));

  const router = new Router();
  auth.register(router);
  oauth.register(router);
  im.register(router);
  cardkit.register(router);
  new Calendar(state, auth, clock, options.pageCap, options.roomApprovalDelayMs).register(router);
  new Tasks(state, auth, clock, options.pageCap).register(router);
  seedRooms(state);
  new Rooms(state, auth, options.pageCap ?? 20).register(router);
  if (options.seedCalendars) {
    seedBusyCalendars(state, clock.now());
    seedRoomBusy(state, clock.now());
  }
  new Contact(state, auth).register(router);
  new Bitable(state, auth, options.baseWriteLatencyMs ?? 25).register(router);
  // Resolved lazily: the page's handlers use the emulator object built below.
  let self: LarkEmulator | undefined;
  let reminderSource: SandboxReminderSource | undefined;
  let zoneSource: SandboxZoneSource | undefined;
  registerSandbox(router, () => ({
    reminders: reminderSource,
    userZone: zoneSource,
    state,
    cardEntity: (id) => cardkit.cards.get(id)?.card,
    groupChatId: groupChat.chat_id,
    webhookUrl: options.webhook?.url,
    callbacksOverSocket: () => subscription.callbacks === 'long-connection',
    temporalUiUrl: options.temporalUiUrl,
    namespace: options.temporalNamespace,
    sendEvent: (t, p, o) => self!.sendEvent(t, p, o),
    message: (spec) => self!.events.message(spec),
    cardAction: (spec) => self!.events.cardAction(spec),
  }));

  const subscription: Subscription = { events: 'webhook', callbacks: 'webhook', ...options.subscription };
  const longConnection = new LongConnectionServer(
    { appId, appSecret, verificationToken: options.webhook?.verificationToken },
    options.longConnection,
    options.delivery,
    options.random,
  );
  longConnection.register(router);
  const front = await startHttpFront({ port: options.port ?? 0, router, faults, calls });
  longConnection.attach(front.server, front.url);
  const sender = new Sender(options.delivery, retention.deliveries);

  const header = (eventId?: string) => ({ appId, tenantKey, eventId });
  const ids = (u: EmulatorUser) => ({ openId: u.open_id, unionId: u.union_id, userId: u.user_id });

  /** Resolves chat and mentions, and records the message the user "sent". */
  const prepare = (spec: UserMessageSpec) => {
    const sender = state.user(spec.from);
    const known = spec.chatId ? state.chats.get(spec.chatId) : undefined;
    const chatType: 'p2p' | 'group' = spec.chatType ?? known?.chat_type ?? 'p2p';
    const chatId = spec.chatId ?? (chatType === 'group' ? groupChat.chat_id : sender.p2pChatId);
    const mentions: MentionSpec[] = (spec.mentions ?? []).map((k) => {
      const u = state.user(k);
      return { ...ids(u), name: u.name };
    });
    if (spec.mentionBot) mentions.unshift({ openId: state.botOpenId, name: 'Bot' });
    const msgType = spec.messageType ?? 'text';
    const m = {
      chatId,
      chatType,
      text: spec.text,
      messageType: msgType,
      content: spec.content,
      mentions,
      rootId: spec.rootId,
      parentId: spec.parentId,
      threadId: spec.threadId,
    };
    return { sender, m, msgType };
  };
  const record = (spec: UserMessageSpec, payloadMessageId: string, content: string, chatId: string, mentions?: Json[]): Message =>
    im.addUserMessage({
      messageId: payloadMessageId,
      chatId,
      senderOpenId: state.user(spec.from).open_id,
      msgType: spec.messageType ?? 'text',
      content,
      rootId: spec.rootId,
      parentId: spec.parentId,
      threadId: spec.threadId,
      mentions,
    });

  const emulator: LarkEmulator = {
    url: front.url,
    appId,
    appSecret,
    tenantKey,
    state,
    cardkit,
    faults,
    calls,
    clock,
    deliveries: sender.deliveries,
    subscription,
    longConnection,
    groupChat,
    user: (k) => state.user(k),
    authorize: (req) => oauth.authorize(req),
    issueUserToken: (openId, scope) => auth.issueUserTokens(state.user(openId).open_id, scope ? parseScopes(scope) : new Set(DEFAULT_APP_SCOPES)),
    expireAllTokens: () => auth.expireAll(),
    expireToken: (openId) => auth.expireUser(state.user(openId).open_id),
    revokeRefreshToken: (openId) => auth.revokeRefresh(state.user(openId).open_id),
    setReminderSource: (source) => {
      reminderSource = source;
    },
    setUserZoneSource: (source) => {
      zoneSource = source;
    },
    sendEvent(target, payload, opts) {
      const callback = eventType(payload) === 'card.action.trigger' || isLegacyCard(payload);
      if (target === undefined && subscription[callback ? 'callbacks' : 'events'] === 'long-connection') return longConnection.deliver(payload, opts);
      const t: WebhookTarget | undefined = typeof target === 'string' ? { ...options.webhook, url: target } : (target ?? options.webhook);
      if (!t) throw new Error('sendEvent: no target and no webhook configured');
      return sender.send(t, payload, opts);
    },
    events: {
      challenge: (opts) => challengePayload(opts),
      message(spec) {
        const { sender: from, m } = prepare(spec);
        const payload = messageReceiveV2(header(spec.eventId), ids(from), { ...m, messageId: spec.messageId });
        const msg = (payload.event as { message: { message_id: string; content: string; mentions?: Json[] } }).message;
        record(spec, msg.message_id, msg.content, m.chatId, msg.mentions);
        return payload;
      },
      messageV1(spec) {
        const { sender: from, m } = prepare(spec);
        const payload = messageEventV1(header(spec.eventId), ids(from), { ...m, messageId: spec.messageId, isMention: Boolean(spec.mentionBot) });
        const ev = payload.event as { open_message_id: string; text: string };
        record(spec, ev.open_message_id, JSON.stringify({ text: ev.text }), m.chatId);
        return payload;
      },
      cardAction(spec) {
        const msg = state.messages.get(spec.messageId);
        return cardActionTrigger(header(newEventId()), {
          operator: ids(state.user(spec.from)),
          action: { ...(spec.action ?? {}), value: spec.value ?? spec.action?.value ?? {} },
          openMessageId: spec.messageId,
          openChatId: spec.chatId ?? msg?.chat_id ?? state.user(spec.from).p2pChatId,
        });
      },
      cardActionLegacy(spec) {
        const msg = state.messages.get(spec.messageId);
        return cardActionLegacy(header(), {
          operator: ids(state.user(spec.from)),
          action: { value: spec.value ?? {} },
          openMessageId: spec.messageId,
          openChatId: spec.chatId ?? msg?.chat_id ?? state.user(spec.from).p2pChatId,
        });
      },
    },
    async stop() {
      sender.stop();
      longConnection.close();
      await front.close();
    },
  };
  self = emulator;
  return emulator;
}
