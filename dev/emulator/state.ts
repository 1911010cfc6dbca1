/**
 * The emulator's in-memory world: the tenant, its users, tokens, and every object the Open API
 * creates. Plain data, exposed to tests for assertions. Times that Lark takes as strings are kept
 * exactly as sent, so a test can see whether the client sent seconds or milliseconds.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Json } from './http';

/** A clock the tests can move forward (token and code expiry) without waiting. */
export class Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export function randomId(prefix: string, bytes = 16): string {
  return prefix + randomBytes(bytes).toString('hex');
}

/** Stable ids from a seed key, so a restarted sandbox keeps the same open_ids. */
export function stableHex(seed: string, len = 32): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, len);
}

export interface SeedUser {
  /** Short handle used by tests: emulator.user('lan'). */
  key: string;
  name: string;
  enName?: string;
  email?: string;
  mobile?: string;
  /** Where the person works (IANA). Kept in the emulator only: Lark's Contact v3 user has no zone field. */
  timezone?: string;
}

export interface EmulatorUser {
  key: string;
  name: string;
  en_name: string;
  open_id: string;
  union_id: string;
  user_id: string;
  email: string;
  mobile: string;
  avatar_url: string;
  primaryCalendarId: string;
  /** The bot's p2p chat with this user. */
  p2pChatId: string;
  timezone: string;
}

export const DEFAULT_USERS: SeedUser[] = [
  { key: 'lan', name: 'Nguyễn Thị Lan', enName: 'Lan Nguyen', email: 'lan@example.com', mobile: '+84901234567', timezone: 'Asia/Ho_Chi_Minh' },
  { key: 'minh', name: 'Trần Văn Minh', enName: 'Minh Tran', email: 'minh@example.com', mobile: '+84907654321', timezone: 'Asia/Singapore' },
  { key: 'alice', name: 'Alice Smith', enName: 'Alice Smith', email: 'alice@example.com', mobile: '+14155550100', timezone: 'Europe/Berlin' },
];

export interface AccessToken {
  kind: 'tenant' | 'user';
  openId?: string;
  scopes: Set<string>;
  expiresAt: number;
  issuedAt: number;
}

export interface RefreshToken {
  openId: string;
  scopes: Set<string>;
  expiresAt: number;
  /** Set once used: a second use is 20073. */
  usedAt?: number;
  revoked?: boolean;
  /** The access token issued with it, to give that one a grace period on refresh. */
  accessToken: string;
}

export interface AuthCode {
  openId: string;
  redirectUri: string;
  scopes: Set<string>;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  expiresAt: number;
  usedAt?: number;
}

export interface Chat {
  chat_id: string;
  chat_type: 'p2p' | 'group';
  name: string;
  /** open_ids of the human members. */
  members: string[];
}

export interface Message {
  message_id: string;
  root_id?: string;
  parent_id?: string;
  thread_id?: string;
  msg_type: string;
  /** The content JSON string exactly as sent. */
  content: string;
  chat_id: string;
  /** 'app' for what the app sent; 'user' for messages the emulator injected as events. */
  sender: { id: string; id_type: 'app_id' | 'open_id'; sender_type: 'app' | 'user' };
  create_time: string;
  update_time: string;
  updated: boolean;
  deleted: boolean;
  uuid?: string;
  receive_id?: string;
  receive_id_type?: string;
  /** Every PATCH of the content, oldest first. */
  edits: string[];
  /** A received message's mentions as Lark lists them ({key: "@_user_1", id: {open_id}, name}). */
  mentions?: Json[];
}

export interface CalendarEntity {
  calendar_id: string;
  summary: string;
  type: 'primary' | 'shared';
  /** open_id of the owner, or 'app' for the bot's calendar. */
  owner: string;
}

export interface CalendarEvent {
  event_id: string;
  organizer_calendar_id: string;
  summary?: string;
  description?: string;
  /** As sent: {timestamp: seconds string, timezone} or {date}. */
  start_time: Json;
  end_time: Json;
  status: 'confirmed' | 'cancelled';
  attendees: Json[];
  create_time: string;
  idempotency_key?: string;
  /** Every other field the client sent (location, reminders, visibility, ...). */
  extra: Json;
}

/** A meeting room of the tenant (VC room API); `approval` rooms answer a booking later, or decline it. */
export interface Room {
  room_id: string;
  name: string;
  capacity: number;
  room_level_id: string;
  /** 'pending': bookings wait for an approver (needs_action); 'decline': the approver declines them. */
  approval?: 'pending' | 'decline';
}

/** A room level: a building, or a floor in it (parent_id). */
export interface RoomLevel {
  room_level_id: string;
  name: string;
  parent_id: string;
}

export interface TaskMember {
  id: string;
  type: string;
  role: string;
}

export interface Task {
  guid: string;
  task_id: string;
  summary: string;
  description: string;
  /** As sent: {timestamp: ms string, is_all_day}. */
  due?: Json;
  start?: Json;
  completed_at: string;
  creator: { id: string; type: 'user' | 'app' };
  members: TaskMember[];
  created_at: string;
  updated_at: string;
  client_token?: string;
  extra: Json;
}

export interface BaseRecord {
  record_id: string;
  app_token: string;
  table_id: string;
  fields: Json;
  client_token?: string;
}

/**
 * How much the emulator keeps, newest first, so a sandbox left open for an afternoon (the page polls every second,
 * every message adds a few calls and a delivery) stays a few MB instead of growing with its age. Lark itself keeps
 * a chat's history and its developer console's logs for a while, not in one process's memory; every limit here is
 * far above what one test looks at. Pass `retention` to startLarkEmulator to change them.
 */
export interface Retention {
  /** Messages kept per chat; the oldest is forgotten (a reply to it gets 230001, message_id not found). */
  messagesPerChat: number;
  /** PATCHes kept per message in `edits` (the content is always the latest). */
  editsPerMessage: number;
  /** Records in the call log (`calls.all()`); `seq` keeps counting. */
  calls: number;
  /** Deliveries in `emu.deliveries` (each holds its raw bodies and attempts); a caller's own reference stays whole. */
  deliveries: number;
}

export const DEFAULT_RETENTION: Retention = { messagesPerChat: 500, editsPerMessage: 20, calls: 5000, deliveries: 1000 };

export interface StateOptions {
  appId: string;
  tenantKey: string;
  users: SeedUser[];
  /** Default DEFAULT_RETENTION.messagesPerChat. */
  messagesPerChat?: number;
}

export class EmulatorState {
  readonly appId: string;
  readonly tenantKey: string;
  readonly users: EmulatorUser[] = [];
  readonly botCalendarId: string;
  /** The bot's own open_id, as it appears in mentions. */
  readonly botOpenId: string;
  readonly chats = new Map<string, Chat>();
  readonly calendars = new Map<string, CalendarEntity>();
  readonly events = new Map<string, CalendarEvent>();
  /** The newest entries kept in rsvpChanges and urgents, like the other logs (DEFAULT_RETENTION). */
  static readonly LOG_ENTRIES = 1000;
  /** Every invitation answer that changed an attendee's rsvp_status (event reply API), oldest first. */
  readonly rsvpChanges: Array<{ event_id: string; open_id: string; from: string; to: string; at: number }> = [];
  /** Urgent (buzz) notifications the app sent: PATCH /im/v1/messages/:id/urgent_app, one entry per call. */
  readonly urgents: Array<{ message_id: string; open_ids: string[]; kind: 'app'; at: number }> = [];
  /** Meeting rooms and their levels (rooms.ts); `roomBusy`: a room's own bookings made outside this app (ms). */
  readonly rooms = new Map<string, Room>();
  readonly roomLevels = new Map<string, RoomLevel>();
  readonly roomBusy: Array<{ room_id: string; startMs: number; endMs: number }> = [];
  /** An approval room's answer still to come, by attendee_id: it takes effect at `at` (clock ms). */
  readonly roomDecisions = new Map<string, { at: number; to: 'accept' | 'decline' }>();
  readonly tasks = new Map<string, Task>();
  /** Insertion-ordered; at most `messagesPerChat` per chat (the oldest are forgotten). Add with addMessage(). */
  readonly messages = new Map<string, Message>();
  /** Ids per chat, oldest first: what addMessage forgets first. */
  private readonly chatMessageIds = new Map<string, string[]>();
  private readonly messageListeners = new Set<(m: Message) => void>();
  readonly messagesPerChat: number;
  readonly baseRecords: BaseRecord[] = [];

  /** Token values live only here, keyed by value, and are never logged or copied into the call log. */
  readonly accessTokens = new Map<string, AccessToken>();
  readonly refreshTokens = new Map<string, RefreshToken>();
  readonly authCodes = new Map<string, AuthCode>();
  /** The tenant token currently handed out (reused until under 30 minutes remain). */
  currentTenantToken?: string;

  /** Idempotency keys -> created object id. */
  readonly messageUuids = new Map<string, { messageId: string; at: number }>();
  readonly eventKeys = new Map<string, string>();
  readonly taskTokens = new Map<string, string>();
  readonly baseTokens = new Map<string, string[]>();

  constructor(opts: StateOptions) {
    this.appId = opts.appId;
    this.tenantKey = opts.tenantKey;
    this.messagesPerChat = Math.max(1, opts.messagesPerChat ?? DEFAULT_RETENTION.messagesPerChat);
    this.botCalendarId = this.addCalendar('app', 'Bot calendar', `bot:${opts.appId}`);
    this.botOpenId = 'ou_' + stableHex('bot:' + opts.appId);
    for (const u of opts.users) this.addUser(u);
  }

  /** Appends to one of the logs above, forgetting its oldest entry past LOG_ENTRIES. */
  log<T>(list: T[], entry: T): void {
    list.push(entry);
    if (list.length > EmulatorState.LOG_ENTRIES) list.splice(0, list.length - EmulatorState.LOG_ENTRIES);
  }

  private addCalendar(owner: string, summary: string, seed: string): string {
    const id = `larksuite.com_${stableHex('cal:' + seed, 24)}@group.calendar.larksuite.com`;
    this.calendars.set(id, { calendar_id: id, summary, type: 'primary', owner });
    return id;
  }

  addUser(seed: SeedUser): EmulatorUser {
    // open_ids are per app in Lark, so they derive from the app id (tests with their own app id never collide).
    const openId = 'ou_' + stableHex(`open:${this.appId}:${seed.key}`);
    const p2pChatId = 'oc_' + stableHex(`p2p:${this.appId}:${seed.key}`);
    const user: EmulatorUser = {
      key: seed.key,
      name: seed.name,
      en_name: seed.enName ?? seed.name,
      open_id: openId,
      union_id: 'on_' + stableHex('union:' + seed.key),
      user_id: stableHex('user:' + seed.key, 8),
      email: seed.email ?? `${seed.key}@example.com`,
      mobile: seed.mobile ?? '',
      avatar_url: `https://example.invalid/avatar/${seed.key}.png`,
      primaryCalendarId: this.addCalendar(openId, seed.name, `user:${this.appId}:${seed.key}`),
      p2pChatId,
      timezone: seed.timezone ?? 'Asia/Ho_Chi_Minh',
    };
    this.users.push(user);
    this.chats.set(p2pChatId, { chat_id: p2pChatId, chat_type: 'p2p', name: seed.name, members: [openId] });
    return user;
  }

  /** A group chat; with a seed its id is stable across restarts (the sandbox's seeded group). */
  addGroupChat(name: string, memberOpenIds: string[], seed?: string): Chat {
    const chatId = seed ? 'oc_' + stableHex('group:' + seed) : randomId('oc_');
    const chat: Chat = { chat_id: chatId, chat_type: 'group', name, members: [...memberOpenIds] };
    this.chats.set(chat.chat_id, chat);
    return chat;
  }

  user(key: string): EmulatorUser {
    const u = this.users.find((x) => x.key === key || x.open_id === key);
    if (!u) throw new Error(`no emulator user "${key}"`);
    return u;
  }

  /** Resolves an id of the given Lark id type to a user. */
  findUser(id: string, idType: string = 'open_id'): EmulatorUser | undefined {
    switch (idType) {
      case 'open_id':
        return this.users.find((u) => u.open_id === id);
      case 'union_id':
        return this.users.find((u) => u.union_id === id);
      case 'user_id':
        return this.users.find((u) => u.user_id === id);
      case 'email':
        return this.users.find((u) => u.email.toLowerCase() === id.toLowerCase());
      default:
        return undefined;
    }
  }

  /**
   * Stores a message (a user's, or one the app sent) and tells the listeners; past `messagesPerChat` in its chat
   * the chat's oldest message is forgotten, with its uuid.
   */
  addMessage(m: Message): void {
    const again = this.messages.has(m.message_id); // a test may record the same message id twice: counted once
    this.messages.set(m.message_id, m);
    let ids = this.chatMessageIds.get(m.chat_id);
    if (!ids) this.chatMessageIds.set(m.chat_id, (ids = []));
    if (!again) ids.push(m.message_id);
    while (ids.length > this.messagesPerChat) {
      const id = ids.shift()!;
      const old = this.messages.get(id);
      this.messages.delete(id);
      if (old?.uuid && this.messageUuids.get(old.uuid)?.messageId === id) this.messageUuids.delete(old.uuid);
    }
    for (const fn of this.messageListeners) fn(m);
  }

  /** Calls `fn` with every message stored from now on (a watcher that must not rescan `messages`); returns the unsubscribe. */
  onMessage(fn: (m: Message) => void): () => void {
    this.messageListeners.add(fn);
    return () => this.messageListeners.delete(fn);
  }

  /** Lists for assertions. */
  eventList(): CalendarEvent[] {
    return [...this.events.values()];
  }
  taskList(): Task[] {
    return [...this.tasks.values()];
  }
  messageList(): Message[] {
    return [...this.messages.values()];
  }
}

/** A user's id in the requested id type (user_id_type query parameters). */
export function idOf(user: EmulatorUser, idType: string = 'open_id'): string {
  switch (idType) {
    case 'union_id':
      return user.union_id;
    case 'user_id':
      return user.user_id;
    default:
      return user.open_id;
  }
}
