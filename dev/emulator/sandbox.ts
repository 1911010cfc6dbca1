/**
 * The sandbox: a small web chat page on the emulator where a person chats with the bot as a simulated Lark
 * user and sees what Lark would show: a DM and a team group (with or without @mention), replies and threads
 * with a quote of the message answered, Lark markdown and mentions rendered, toasts from card clicks, a status
 * line while the bot works, a disabled Sign-in button once signed in, and a notice (never a silent cut) when a
 * message is over Lark's text limit. It drives the app exactly as Lark would: signed events to the webhook,
 * card callbacks to /webhook/card, or both pushed over the app's long connection when the emulator's
 * subscription mode says so. The page itself is in sandbox-page.ts.
 */
import type { Json, Router } from './http';
import { bodyObject } from './http';
import { formatWhen } from '../../src/i18n/dates';
import { TEXT_LIMIT } from './im';
import { larkTextToHtml, type MentionView } from './lark-markdown';
import { SANDBOX_HTML } from './sandbox-page';
import type { Delivery, SendOptions, WebhookTarget } from './sender';
import { randomId, type EmulatorState, type EmulatorUser, type Message } from './state';

/** A user's active reminders as the side panel lists them (the app provides them: Lark has no reminders). */
export type SandboxReminderSource = (openId: string) => Promise<Array<{ text: string; when: string; repeats?: string }>>;
/** A user's own zone as the app knows it (Lark has a profile zone; the bot keeps its own): the panel's times use it. */
export type SandboxZoneSource = (openId: string) => Promise<string>;

export interface SandboxDeps {
  state: EmulatorState;
  /** A CardKit card entity's JSON as it is now (a streamed answer grows in it). */
  cardEntity?: (cardId: string) => Json | undefined;
  reminders?: SandboxReminderSource;
  userZone?: SandboxZoneSource;
  groupChatId: string;
  /** The app's event URL; card clicks go to the sibling /webhook/card. */
  webhookUrl?: string;
  /** Card callbacks go over the long connection (the console's callback subscription mode) instead. */
  callbacksOverSocket(): boolean;
  temporalUiUrl?: string;
  namespace?: string;
  timeZone?: string;
  sendEvent(target: WebhookTarget | string | undefined, payload: Json, opts?: SendOptions): Delivery;
  message(spec: { from: string; text: string; chatType: 'p2p' | 'group'; mentionBot: boolean; rootId?: string; parentId?: string; threadId?: string }): Json;
  cardAction(spec: { from: string; messageId: string; value: Json }): Json;
}

interface CardView {
  title?: string;
  /** Lark's header colour template: blue, orange, green, grey, ... */
  template?: string;
  /** Rendered (safe) HTML of each block. */
  body: string[];
  buttons: Array<{ label: string; url?: string; value?: Json; primary: boolean; done?: boolean }>;
}

/** How long the status line says "working" before it says no answer came. */
const NO_ANSWER_AFTER_MS = 3 * 60_000;

/**
 * Messages the page shows per chat, newest: Lark's client also opens a chat on its latest page. The page polls every
 * second, so this bounds the work of a poll however long the chat (the emulator keeps up to 500 per chat).
 */
const SHOWN_PER_CHAT = 200;

/** The newest `n` messages of each chat, in the order given (the emulator's insertion order). */
function newestPerChat(list: Message[], n: number): Message[] {
  const left = new Map<string, number>();
  const out: Message[] = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i]!;
    const k = left.get(m.chat_id) ?? n;
    if (k === 0) continue;
    left.set(m.chat_id, k - 1);
    out.push(m);
  }
  return out.reverse();
}

export function registerSandbox(router: Router, deps: () => SandboxDeps): void {
  router.add('GET', '/sandbox', () => ({ kind: 'html', html: SANDBOX_HTML }));
  router.add('GET', '/sandbox/api/state', async (ctx) => {
    const d = deps();
    const me = userByKey(d, ctx.query.get('user') ?? '') ?? d.state.users[0]!;
    const zone = d.userZone ? await d.userZone(me.open_id).catch(() => undefined) : undefined;
    const v = view(d, me.key, zone);
    const reminders = d.reminders ? await d.reminders(v.me.openId).catch(() => []) : [];
    return { kind: 'json', body: { ...v, reminders } };
  });
  router.add('POST', '/sandbox/api/send', async (ctx) => {
    const d = deps();
    const b = bodyObject(ctx);
    const text = typeof b.text === 'string' ? b.text : '';
    const user = typeof b.user === 'string' ? userByKey(d, b.user) : undefined;
    if (!text.trim() || !user) return { kind: 'json', status: 400, body: { ok: false, error: 'user and text are required' } };
    // Lark refuses a text message over its limit: say so, with the numbers, instead of cutting it.
    const bytes = Buffer.byteLength(JSON.stringify({ text }), 'utf8');
    if (bytes > TEXT_LIMIT) {
      return { kind: 'json', status: 413, body: { ok: false, error: tooLong(bytes), limitBytes: TEXT_LIMIT, bytes } };
    }
    const chatType = b.chat === 'group' ? 'group' : 'p2p';
    const chatId = chatType === 'group' ? d.groupChatId : user.p2pChatId;
    const thread = typeof b.replyTo === 'string' ? replyPlace(d, b.replyTo, chatId, b.inThread === true) : undefined;
    if (thread === null) return { kind: 'json', status: 400, body: { ok: false, error: 'replyTo is not a message of this chat' } };
    const payload = d.message({ from: user.key, text, chatType, mentionBot: chatType === 'group' && b.mentionBot !== false, ...thread });
    const messageId = (payload.event as { message?: { message_id?: string } } | undefined)?.message?.message_id;
    const attempt = await d.sendEvent(undefined, payload).done;
    return { kind: 'json', body: { ok: attempt.ok, status: attempt.status ?? attempt.error, messageId } };
  });
  router.add('POST', '/sandbox/api/click', async (ctx) => {
    const d = deps();
    const b = bodyObject(ctx);
    const overSocket = d.callbacksOverSocket();
    if (typeof b.user !== 'string' || typeof b.messageId !== 'string' || typeof b.value !== 'object' || (!d.webhookUrl && !overSocket)) {
      return { kind: 'json', status: 400, body: { ok: false, error: 'user, messageId and value are required' } };
    }
    const user = userByKey(d, b.user);
    if (!user) return { kind: 'json', status: 400, body: { ok: false, error: 'unknown user' } };
    // Over the long connection the toast comes back in the ack's data, over HTTP in the answer's body.
    const cardUrl = overSocket ? undefined : d.webhookUrl!.replace(/\/webhook\/event$/, '/webhook/card');
    const attempt = await d.sendEvent(cardUrl, d.cardAction({ from: user.key, messageId: b.messageId, value: b.value as Json })).done;
    // Lark shows the callback's {toast:{content}} over the card; the page does the same.
    const response = attempt.responseText ? safeJson(attempt.responseText) : undefined;
    const toast = (response as { toast?: { content?: unknown; type?: unknown } } | undefined)?.toast;
    return {
      kind: 'json',
      body: {
        ok: attempt.ok,
        status: attempt.status ?? attempt.error,
        toast: typeof toast?.content === 'string' ? { content: toast.content, type: String(toast.type ?? 'info') } : undefined,
      },
    };
  });
}

export function tooLong(bytes: number): string {
  return `Not sent: Lark accepts text messages up to ${Math.floor(TEXT_LIMIT / 1024)} KB and this one is ${Math.ceil(bytes / 1024)} KB. Shorten it or split it into several messages.`;
}

/** Where a reply goes: quoted under its parent, or in the parent's thread (a new thread if it has none yet). */
function replyPlace(d: SandboxDeps, replyTo: string, chatId: string, inThread: boolean): { rootId: string; parentId: string; threadId?: string } | null {
  const parent = d.state.messages.get(replyTo);
  if (!parent || parent.chat_id !== chatId || parent.deleted) return null;
  if (parent.thread_id) return { rootId: parent.root_id ?? parent.message_id, parentId: parent.message_id, threadId: parent.thread_id };
  if (!inThread) return { rootId: parent.root_id ?? parent.message_id, parentId: parent.message_id };
  // A new thread is rooted at the message replied to; Lark gives that message the thread id.
  parent.thread_id = randomId('omt_', 8);
  return { rootId: parent.message_id, parentId: parent.message_id, threadId: parent.thread_id };
}

/**
 * One formatter per zone, made once. A new Intl.DateTimeFormat per message per poll (the page polls every second)
 * grew the process by megabytes a minute: each one allocates ICU objects outside V8's heap (tens of kB of malloc,
 * invisible to the garbage collector's accounting), and freed or not, glibc keeps the pages. `npm run soak`.
 */
const clockFormats = new Map<string, Intl.DateTimeFormat>();
function clockFormat(timeZone: string): Intl.DateTimeFormat {
  let f = clockFormats.get(timeZone);
  if (!f) clockFormats.set(timeZone, (f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' })));
  return f;
}

function view(d: SandboxDeps, userKey: string, userZone?: string) {
  // The user's own zone as the app knows it; without the app's answer, the emulator's default. The page names it.
  const tz = userZone ?? d.timeZone ?? 'Asia/Ho_Chi_Minh';
  const users = d.state.users.map((u) => ({ key: u.key, name: u.name, openId: u.open_id }));
  const me = userByKey(d, userKey) ?? d.state.users[0]!;
  const signedInAt = lastSignIn(d, me);
  const chats = { p2p: me.p2pChatId, group: d.groupChatId };
  // The side panels use the words people use ("Thu 3 Dec, 15:00–16:00"), like the bot's answers.
  const when = (ms: number, endMs?: number) => formatWhen(ms, endMs, tz, 'en', Date.now());
  const clock = (ms: number) => clockFormat(tz).format(ms);
  const all = d.state.messageList().filter((m) => (m.chat_id === chats.p2p || m.chat_id === chats.group) && !m.deleted);
  const nameOf = (openId: string) => d.state.findUser(openId)?.name ?? (openId === d.state.botOpenId ? 'Bot' : undefined);
  const fromOf = (m: Message) => (m.sender.sender_type === 'app' ? 'bot' : (nameOf(m.sender.id) ?? m.sender.id));
  const buzzed = new Set(d.state.urgents.filter((u) => u.open_ids.includes(me.open_id)).map((u) => u.message_id));
  const messages = newestPerChat(all, SHOWN_PER_CHAT)
    .map((m) => {
      const parent = m.parent_id ? d.state.messages.get(m.parent_id) : undefined;
      return {
        id: m.message_id,
        chat: m.chat_id === chats.group ? 'group' : 'p2p',
        from: fromOf(m),
        mine: m.sender.id === me.open_id,
        time: Number(m.create_time),
        clock: clock(Number(m.create_time)),
        parentId: m.parent_id,
        rootId: m.root_id,
        threadId: m.thread_id,
        // A quote of the message this one answers, as Lark shows above a reply.
        quote: parent ? { from: fromOf(parent), text: snippet(plainText(parent)) } : undefined,
        edited: m.updated,
        // Lark marks a message buzzed with urgent_app (an urgent reminder nobody clicked) for its recipient.
        urgent: buzzed.has(m.message_id) || undefined,
        ...render(m, nameOf, signedInAt, d.cardEntity),
      };
    })
    .sort((a, b) => a.time - b.time);
  const onMyCalendar = (calendarId: string) => d.state.calendars.get(calendarId)?.owner === me.open_id;
  const events = d.state
    .eventList()
    .filter(
      (e) => e.status !== 'cancelled' && (onMyCalendar(e.organizer_calendar_id) || e.attendees.some((a) => (a as { user_id?: string }).user_id === me.open_id)),
    )
    // In time order, as a calendar reads (not in the order they were created).
    .sort((a, b) => Number(a.start_time?.timestamp ?? 0) - Number(b.start_time?.timestamp ?? 0))
    .map((e) => ({
      summary: e.summary ?? '(no title)',
      when: whenOf(e.start_time, e.end_time, when),
      attendees: e.attendees.map((a) => d.state.findUser(String((a as { user_id?: string }).user_id ?? ''))?.name).filter(Boolean),
    }));
  const tasks = d.state
    .taskList()
    .filter((t) => t.members.some((m) => m.id === me.open_id))
    .map((t) => ({
      summary: t.summary,
      due: (t.due as { timestamp?: string } | undefined)?.timestamp ? when(Number((t.due as { timestamp: string }).timestamp)) : undefined,
      completed: t.completed_at !== '0' && t.completed_at !== '',
    }));
  const runs = d.temporalUiUrl
    ? `${d.temporalUiUrl}/namespaces/${d.namespace ?? 'default'}/workflows?query=${encodeURIComponent(`LarkOpenId="${me.open_id}"`)}`
    : undefined;
  const status = { p2p: statusOf(d, me, chats.p2p, all, signedInAt), group: statusOf(d, me, chats.group, all, signedInAt) };
  return {
    users,
    me: { key: me.key, name: me.name, openId: me.open_id, signedIn: signedInAt !== undefined },
    zone: tz,
    messages,
    status,
    events,
    tasks,
    runs,
    textLimitBytes: TEXT_LIMIT,
  };
}

/** When the user last got a user access token (signed in, or a refresh): undefined if never. */
function lastSignIn(d: SandboxDeps, me: EmulatorUser): number | undefined {
  let last: number | undefined;
  for (const t of d.state.accessTokens.values())
    if (t.kind === 'user' && t.openId === me.open_id && (last === undefined || t.issuedAt > last)) last = t.issuedAt;
  return last;
}

type Status = { state: 'working' | 'confirm' | 'sign-in' | 'no-answer' | 'ignored'; messageId: string };

/**
 * The status line for the user's latest message in a chat: what the bot is doing about it, until an answer
 * (a text reply) arrives. A group message without @mention never reaches the bot, and the line says so.
 */
function statusOf(d: SandboxDeps, me: EmulatorUser, chatId: string, all: Message[], signedInAt: number | undefined): Status | undefined {
  const mine = all
    .filter((m) => m.chat_id === chatId && m.sender.id === me.open_id)
    .sort((a, b) => Number(a.create_time) - Number(b.create_time))
    .at(-1);
  if (!mine) return undefined;
  const messageId = mine.message_id;
  const isGroup = chatId === d.groupChatId;
  const mentionsBot = (mine.mentions ?? []).some((m) => (m as { id?: { open_id?: string } }).id?.open_id === d.state.botOpenId);
  if (isGroup && !mentionsBot) return { state: 'ignored', messageId };
  const sent = Number(mine.create_time);
  const replies = all.filter((m) => m.sender.sender_type === 'app' && (m.parent_id === messageId || m.root_id === messageId) && Number(m.create_time) >= sent);
  // Answered: a text reply, or a streamed answer card (CardKit) the app has finished (streaming off).
  const finishedCard = (m: Message) => {
    const id = (parse(m)?.data as { card_id?: unknown } | undefined)?.card_id;
    return typeof id === 'string' && (d.cardEntity?.(id)?.config as { streaming_mode?: unknown } | undefined)?.streaming_mode === false;
  };
  if (replies.some((m) => m.msg_type === 'text' || (m.msg_type === 'interactive' && finishedCard(m)))) return undefined;
  // A notice that ends several requests at once (after Deny: "these requests were cancelled: • …") replies to none
  // of them: it answers this one when it names its words, in this chat or the direct one.
  const words = plainText(mine)
    .replace(/@\S+\s*/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 40);
  const named = all.some(
    (m) =>
      m.sender.sender_type === 'app' &&
      m.msg_type === 'text' &&
      !m.parent_id &&
      (m.chat_id === chatId || m.chat_id === me.p2pChatId) &&
      Number(m.create_time) >= sent &&
      words.length > 0 &&
      plainText(m).replace(/\s+/g, ' ').includes(words),
  );
  if (named) return undefined;
  if (replies.some((m) => m.msg_type === 'interactive' && !m.updated && /"value"\s*:/.test(m.content))) return { state: 'confirm', messageId };
  const loginCard = all.some(
    (m) =>
      m.sender.sender_type === 'app' &&
      m.chat_id === me.p2pChatId &&
      m.msg_type === 'interactive' &&
      isLoginCard(m) &&
      Number(m.create_time) >= sent - 1000 &&
      !(signedInAt !== undefined && signedInAt >= Number(m.create_time)),
  );
  if (loginCard) return { state: 'sign-in', messageId };
  return { state: Date.now() - sent > NO_ANSWER_AFTER_MS ? 'no-answer' : 'working', messageId };
}

const isLoginCard = (m: Message) => m.content.includes('/authen/v1/authorize');

function userByKey(d: SandboxDeps, key: string) {
  return d.state.users.find((u) => u.key === key || u.open_id === key);
}

function parse(m: Message): Json | undefined {
  try {
    const c = JSON.parse(m.content) as unknown;
    return typeof c === 'object' && c !== null ? (c as Json) : undefined;
  } catch {
    return undefined;
  }
}

function mentionsOf(m: Message): MentionView[] {
  return (m.mentions ?? []).map((x) => ({ key: String(x.key ?? ''), name: String(x.name ?? '') })).filter((x) => x.key);
}

/** The words of a message, for a quote. */
function plainText(m: Message): string {
  const c = parse(m);
  if (!c) return m.content;
  if (m.msg_type === 'text') {
    let t = String(c.text ?? '');
    for (const x of mentionsOf(m)) t = t.split(x.key).join(`@${x.name}`);
    return t.replace(/<at[^>]*>([^<]*)<\/at>/g, '@$1').replace(/\*\*/g, '');
  }
  if (m.msg_type === 'interactive') return String((c.header as { title?: { content?: string } } | undefined)?.title?.content ?? '[card]');
  return `[${m.msg_type}]`;
}

const snippet = (s: string) => (s.length > 120 ? `${s.slice(0, 119)}…` : s).replace(/\s+/g, ' ');

function render(
  m: Message,
  nameOf: (id: string) => string | undefined,
  signedInAt: number | undefined,
  cardEntity?: (cardId: string) => Json | undefined,
): { html?: string; card?: CardView } {
  let content = parse(m);
  // A card entity (CardKit) shows as it is NOW: a streamed answer grows on each poll.
  const entityId = content?.type === 'card' ? (content.data as { card_id?: unknown } | undefined)?.card_id : undefined;
  if (typeof entityId === 'string') content = cardEntity?.(entityId) ?? { elements: [{ tag: 'markdown', content: '[card entity not found]' }] };
  if (!content) return { html: larkTextToHtml(m.content) };
  if (m.msg_type === 'text') return { html: larkTextToHtml(String(content.text ?? ''), { mentions: mentionsOf(m), nameOf }) };
  if (m.msg_type !== 'interactive') return { html: larkTextToHtml(`[${m.msg_type}]`) };
  const md = (s: unknown) => larkTextToHtml(String(s ?? ''), { nameOf, cardMarkdown: true });
  const header = content.header as { title?: { content?: string }; template?: string } | undefined;
  const card: CardView = { title: header?.title?.content, template: header?.template, body: [], buttons: [] };
  // Card JSON 1.0 keeps elements at the top; 2.0 under body.
  const elements = (content.elements as Json[] | undefined) ?? (content.body as { elements?: Json[] } | undefined)?.elements ?? [];
  for (const el of elements) {
    if (el.tag === 'div') card.body.push(md((el.text as { content?: string } | undefined)?.content));
    if (el.tag === 'markdown') card.body.push(md(el.content));
    if (el.tag === 'hr') card.body.push('<hr>');
    if (el.tag === 'note')
      card.body.push(`<span class="note">${md(((el.elements as Array<{ content?: string }>) ?? []).map((n) => n.content ?? '').join(' '))}</span>`);
    const actions = el.tag === 'action' ? ((el.actions as Json[]) ?? []) : el.tag === 'button' ? [el] : [];
    for (const a of actions) {
      const label = String((a.text as { content?: string } | undefined)?.content ?? 'Button');
      const url = (a.multi_url as { url?: string } | undefined)?.url ?? (typeof a.url === 'string' ? a.url : undefined);
      const primary = a.type === 'primary' || a.type === 'primary_filled';
      // A sign-in link is spent once the user signed in after this card was sent.
      const done = url !== undefined && url.includes('/authen/v1/authorize') && signedInAt !== undefined && signedInAt >= Number(m.create_time);
      card.buttons.push(url ? { label, url, primary, done } : { label, value: (a.value as Json) ?? {}, primary });
    }
  }
  return { card };
}

function whenOf(start: Json, end: Json, when: (ms: number, endMs?: number) => string): string {
  const s = (start as { timestamp?: string }).timestamp;
  const e = (end as { timestamp?: string }).timestamp;
  if (s) return when(Number(s) * 1000, e ? Number(e) * 1000 : undefined);
  return String((start as { date?: string }).date ?? '');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
