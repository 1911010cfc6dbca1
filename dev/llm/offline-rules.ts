/**
 * The offline stand-in model's "brain": from a Messages API request to an assistant reply. Stateless like the
 * real API: everything it needs is in the request (the system prompt's time line, the transcript). It acts
 * only on the LATEST user text and the tool results that follow it, works like an agent (list the day, pick
 * the event by its title and time, then change it by id; ask when several match or none), and answers from
 * what the tools returned, in the language of that message. Pure: the server (offline-model.ts) does the HTTP.
 */
import { addDays, formatLocal, formatLocalDate, type LocalDateTime, parseCurrentTimeLine, parseLocal, toLocal } from '../../src/agent/time';
import { detectLanguage, languageSignal, type Lang } from '../../src/i18n/language';
import { DEFAULT_TIMEZONE } from '../../src/lark/time';
import { understand, type EventChange, type EventTarget, type Intent, type InvitationResponse, type InvitationTarget, type Window } from './offline-intent';
import { bestMatches, fold, type Keywords } from './offline-match';
import { notDone, overlapNote, Speaker, type Action, type Item, type Next, type Step } from './offline-say';
import { planReminder } from './offline-reminders';

// --- Wire shapes (the subset of the Messages API the offline model reads) ---

export type WireBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content?: string | { type: string; text?: string }[]; is_error?: boolean }
  | { type: string; [k: string]: unknown };

export interface WireMessage {
  role: 'user' | 'assistant';
  content: string | WireBlock[];
}

export interface WireRequest {
  model: string;
  max_tokens: number;
  system?: string | { type: 'text'; text: string }[];
  messages: WireMessage[];
  tools?: { name: string }[];
}

export type ReplyBlock = { type: 'text'; text: string } | { type: 'tool_use'; name: string; input: Record<string, unknown> };

export interface OfflineReply {
  content: ReplyBlock[];
  stop_reason: 'end_turn' | 'tool_use';
}

export function offlineReply(req: WireRequest, clock: () => Date = () => new Date()): OfflineReply {
  const system = typeof req.system === 'string' ? req.system : (req.system ?? []).map((b) => b.text).join('\n');
  const tools = new Set((req.tools ?? []).map((t) => t.name));
  const turn = currentTurn(req.messages);
  // A message with no language of its own ("👍🎉", "ok") is answered in the one the system prompt says the user
  // last wrote in (LANGUAGE_FALLBACK_LINE); without that line, as before.
  const fallback = /no words of its own language .* is answered in (Vietnamese|English)/.exec(system)?.[1];
  const lang = languageSignal(turn.text) ?? (fallback ? (fallback === 'Vietnamese' ? 'vi' : 'en') : detectLanguage(turn.text));
  const label = lang === 'vi' ? '(mô hình offline)' : '(offline model)';
  const say = (text: string): OfflineReply => ({ content: [{ type: 'text', text: `${label} ${text}` }], stop_reason: 'end_turn' });
  const call = (name: string, input: Record<string, unknown>): OfflineReply =>
    tools.has(name)
      ? { content: [{ type: 'tool_use', name, input }], stop_reason: 'tool_use' }
      : say(lang === 'vi' ? `Tôi chưa làm được việc này: không có công cụ ${name} lúc này.` : `I can't do that right now: the ${name} tool is not available.`);

  // "Now": the system prompt's time line; without one, ask the get_current_time tool, as a real agent would.
  let now = parseCurrentTimeLine(system)?.local;
  const timeStep = turn.steps.find((s) => s.name === 'get_current_time');
  if (!now && timeStep && !timeStep.isError) now = parseWall(String(timeStep.data?.now ?? ''));
  if (!now && !timeStep && tools.has('get_current_time')) return call('get_current_time', {});
  now ??= toLocal(clock(), DEFAULT_TIMEZONE).local;
  const steps = turn.steps.filter((s) => s.name !== 'get_current_time');

  // Only emoji or punctuation ("👍🎉"): a reaction, not a request. A short word back, not the help paragraph.
  if (!/[\p{L}\p{N}]/u.test(turn.text) && !steps.length)
    return say(lang === 'vi' ? '👍 Cần gì bạn cứ nhắn mình nhé.' : '👍 Tell me whenever you need something.');
  const speaker = new Speaker(lang, formatLocalDate(now));
  const ctx = { now, lastTitle: turn.lastTitle };
  const intent = followUp(turn, lang, ctx) ?? understand(turn.text, ctx);
  const next = plan(intent, steps, speaker);
  return 'say' in next ? say(next.say) : call(next.call, next.input);
}

/**
 * A short answer to the bot's own question ("Bạn muốn dời sang lúc nào?" → "10h sáng mai"): understood together
 * with the request that was asked about. Only when the answer alone means nothing, and only into something
 * the bot can act on; otherwise the answer is read on its own as before.
 */
function followUp(turn: { text: string; askedAbout?: string; previous?: string }, lang: Lang, ctx: Parameters<typeof understand>[1]): Intent | undefined {
  const accepted = offerAccepted(turn, ctx);
  if (accepted) return accepted;
  // A bare no to the bot's question changes nothing; a bare yes to no offer it can act on is read alone. Neither is
  // joined to the request asked about ("đặt lịch … không, giữ nguyên" would book it again).
  if (turn.previous?.includes('?') && isBareNo(turn.text))
    return { kind: 'ask', text: { en: 'OK, I changed nothing.', vi: 'Được, mình giữ nguyên, không thay đổi gì.' } };
  if (isBareYes(turn.text)) return undefined;
  if (!turn.askedAbout || understand(turn.text, ctx).kind !== 'help') return undefined;
  const joiners = lang === 'vi' ? [' ', ' sang ', ' lúc '] : [' ', ' to ', ' at '];
  for (const j of joiners) {
    const intent = understand(`${turn.askedAbout}${j}${turn.text}`, ctx);
    if (intent.kind !== 'help' && intent.kind !== 'ask') return intent;
  }
  return undefined;
}

const EN_MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** Words a bare yes is made of ("yes, move it", "ok, do it", "có, dời đi", "được"); one of YES_CORE must be there. */
const YES_WORDS = new Set(
  (
    'yes yeah yep yup ok okay sure please go ahead do it move that sounds good fine there thanks thank you great ' +
    'có ừ ừm vâng dạ được đồng ý dời đi giúp mình tôi em nhé nha luôn làm sang đó vậy thế bạn cảm ơn'
  ).split(' '),
);
const YES_CORE = new Set('yes yeah yep yup ok okay sure please do move có ừ ừm vâng dạ được đồng dời làm'.split(' '));

const NO_WORDS = new Set(
  (
    "no nope nah don't dont do not keep it as is leave thanks thank you that's fine ok okay " +
    'không thôi đừng giữ nguyên như cũ vậy thế đi nhé nha cảm ơn bạn mình ok được rồi cứ để'
  ).split(' '),
);
const NO_CORE = new Set("no nope nah don't dont not keep leave không thôi đừng giữ".split(' '));
const wordsOf = (text: string) =>
  text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s']/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);

/** "yes, move it" / "có, dời đi" / "ok, do it": a bare confirmation, nothing else in it. */
export function isBareYes(text: string): boolean {
  const words = wordsOf(text);
  return words.length > 0 && words.length <= 6 && words.every((w) => YES_WORDS.has(w)) && words.some((w) => YES_CORE.has(w));
}

/** "no, keep it" / "không, giữ nguyên" / "thôi": a bare refusal, nothing else in it. */
export function isBareNo(text: string): boolean {
  const words = wordsOf(text);
  return words.length > 0 && words.length <= 6 && words.every((w) => NO_WORDS.has(w)) && words.some((w) => NO_CORE.has(w));
}

/**
 * A bare yes to the bot's own offer after a write that overlaps ("The next free time is Thu 3 Dec, 10:30–11:00;
 * should I move it there?" / "Giờ trống tiếp theo là …; bạn có muốn dời sang đó không?"): move the event that
 * answer named first to the offered start. Anything else (a no, a yes to no offer) is not this.
 */
function offerAccepted(turn: { text: string; previous?: string }, ctx: Parameters<typeof understand>[1]): Intent | undefined {
  if (!turn.previous || !isBareYes(turn.text)) return undefined;
  const en = /The next free time is (?:\w{3} )?(\d{1,2}) (\w{3})(?: (\d{4}))?, (\d{2}):(\d{2})[^;]*; should I move it there\?/.exec(turn.previous);
  const vi = /Giờ trống tiếp theo là [^\d;]*?(\d{1,2})\/(\d{1,2})(?:\/(\d{4}))?, (\d{2}):(\d{2})[^;]*; bạn có muốn dời sang đó không\?/u.exec(turn.previous);
  const title = /"([^"\n]{1,100})"/.exec(turn.previous)?.[1];
  if (!title || (!en && !vi)) return undefined;
  const day = en ? +en[1]! : +vi![1]!;
  const month = en ? EN_MONTHS.indexOf(en[2]!.toLowerCase()) + 1 : +vi![2]!;
  const year = +((en ? en[3] : vi![3]) ?? ctx.now.year);
  const [hh, mm] = en ? [en[4]!, en[5]!] : [vi![4]!, vi![5]!];
  if (month < 1) return undefined;
  const at = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} ${hh}:${mm}`;
  const intent = understand(en ? `move "${title}" to ${at}` : `dời "${title}" sang ${at}`, ctx);
  return intent.kind === 'change_event' && intent.action === 'move' ? intent : undefined;
}

// --- The transcript ---

const EARLIER = /^\(Earlier in this chat:[\s\S]*?\)\n\n/;

/** The latest user text, the tool steps after it, and the title the previous answer named. */
function currentTurn(messages: WireMessage[]): { text: string; steps: Step[]; lastTitle?: string; askedAbout?: string; previous?: string } {
  let at = -1;
  let text = '';
  for (let i = messages.length - 1; i >= 0 && at < 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user') continue;
    const typed = typeof m.content === 'string' ? m.content : m.content.flatMap((b) => (b.type === 'text' ? [(b as { text: string }).text] : [])).join('\n');
    if (typed.trim()) {
      at = i;
      // An older contract put a summary of earlier turns in front of the request: it is context, not the request.
      text = typed.normalize('NFC').replace(EARLIER, '');
    }
  }
  const uses = new Map<string, { name: string; input: Record<string, unknown> }>();
  const steps: Step[] = [];
  for (const m of messages.slice(at + 1)) {
    if (!Array.isArray(m.content)) continue;
    for (const b of m.content) {
      if (m.role === 'assistant' && b.type === 'tool_use')
        uses.set(b.id as string, { name: b.name as string, input: (b.input ?? {}) as Record<string, unknown> });
      if (m.role === 'user' && b.type === 'tool_result') {
        const r = b as Extract<WireBlock, { type: 'tool_result' }>;
        const use = uses.get(r.tool_use_id);
        const body = typeof r.content === 'string' ? r.content : (r.content ?? []).map((c) => c.text ?? '').join('\n');
        steps.push({
          name: use?.name ?? '?',
          input: use?.input ?? {},
          text: body,
          isError: r.is_error === true,
          data: r.is_error ? undefined : parseJson(body),
        });
      }
    }
  }
  const earlier = messages.slice(0, Math.max(at, 0));
  const previousAt = earlier.map((m) => m.role).lastIndexOf('assistant');
  const previous = earlier[previousAt];
  const previousText = previous
    ? typeof previous.content === 'string'
      ? previous.content
      : previous.content.map((b) => (b.type === 'text' ? (b as { text: string }).text : '')).join(' ')
    : '';
  const titles = [...previousText.matchAll(/"([^"\n]{1,100})"/g)].map((m) => m[1]!);
  // The bot's last answer asked something: the request it asked about, for a short follow-up.
  const askedRequest = previousText.includes('?')
    ? earlier
        .slice(0, Math.max(previousAt, 0))
        .reverse()
        .find((m) => m.role === 'user' && typeof m.content === 'string')
    : undefined;
  const askedAbout = typeof askedRequest?.content === 'string' ? askedRequest.content.normalize('NFC').replace(EARLIER, '').trim() : undefined;
  return { text, steps, lastTitle: titles.at(-1), ...(askedAbout ? { askedAbout } : {}), ...(previousText ? { previous: previousText } : {}) };
}

// --- What to do next ---

function plan(intent: Intent, steps: Step[], s: Speaker): Next {
  const last = steps.at(-1);
  switch (intent.kind) {
    case 'help':
      return { say: s.pick({ en: HELP_EN, vi: HELP_VI }) };
    case 'ask':
      return { say: s.pick(intent.text) };
    case 'create_event':
      if (!last) return { call: 'create_event', input: intent.input };
      return { say: createdEvent(s, intent.input, last) };
    case 'list_events':
      if (!last) return { call: 'list_events', input: { start: intent.window.start, end: intent.window.end } };
      return { say: listedEvents(s, intent.window, last) };
    case 'change_event':
      return changeEvent(s, intent.action, intent.target, intent.change, steps);
    case 'create_task':
      if (!last) return { call: 'create_task', input: intent.input };
      return { say: createdTask(s, intent.input, last) };
    case 'list_tasks':
      if (!last) return { call: 'list_tasks', input: intent.completed ? { completed: true } : {} };
      return { say: listedTasks(s, intent.completed, last) };
    case 'complete_task':
      return completeTask(s, intent.words, steps);
    case 'find_person':
      if (!last) return { call: 'find_person', input: { query: intent.query } };
      return { say: foundPeople(s, intent.query, last) };
    case 'find_time':
      if (!last) return { call: 'find_time', input: intent.input };
      return { say: foundTimes(s, intent.window, last) };
    case 'list_invitations':
      if (!last) return { call: 'list_invitations', input: intent.window ? { start: intent.window.start, end: intent.window.end } : {} };
      return { say: listedInvitations(s, last) };
    case 'reply_invitation':
      return replyInvitation(s, intent.response, intent.target, steps);
    case 'undo':
      return {
        say: s.pick({
          en: 'To undo a change, press the Undo button under the answer that made it: it reverses exactly those changes. I have not changed anything now.',
          vi: 'Để hoàn tác, bạn bấm nút Hoàn tác dưới câu trả lời đã thực hiện thay đổi: nút đó đảo ngược đúng những thay đổi ấy. Lần này tôi chưa thay đổi gì.',
        }),
      };
    case 'set_reminder':
    case 'list_reminders':
    case 'cancel_reminder':
    case 'daily_agenda':
    case 'reminder_before_event':
    case 'set_timezone':
      return planReminder(intent, steps, s);
  }
}

const succeeded = (step: Step) => !step.isError && step.data !== undefined && typeof step.data === 'object';

function createdEvent(s: Speaker, input: Record<string, unknown>, step: Step): string {
  const c = step.data?.created as Item | undefined;
  if (!succeeded(step) || !c) return notDone(s, { tool: 'create_event', summary: String(input.summary), start: str(input.start), end: str(input.end) }, step);
  const who: string[] = Array.isArray(step.data.attendees) ? step.data.attendees.map(String) : [];
  return (
    s.pick({
      en: `Created ${s.title(c)} on ${s.when(c.start, c.end)}${who.length ? `, with ${s.list(who)} invited` : ''}.`,
      vi: `Đã tạo ${s.title(c)} vào ${s.when(c.start, c.end)}${who.length ? `, đã mời ${s.list(who)}` : ''}.`,
    }) +
    roomSentence(s, step.data.room as RoomSaid | undefined) +
    overlapNote(s, step.data)
  );
}

/** What a booked room answered (create_event's result), as the tool said it. */
type RoomSaid = { name?: string; status?: string };

/** One sentence on the room: booked only when it accepted; not yet, or declined, said plainly. */
function roomSentence(s: Speaker, room: RoomSaid | undefined): string {
  if (!room?.name) return '';
  const name = `"${room.name}"`;
  if (room.status === 'accepted') return s.pick({ en: ` Room ${name} is booked.`, vi: ` Đã đặt phòng ${name}.` });
  if (room.status === 'declined')
    return s.pick({ en: ` The room ${name} declined, so the meeting has no room yet.`, vi: ` Phòng ${name} đã từ chối nên cuộc họp chưa có phòng.` });
  return s.pick({ en: ` The room ${name} has not accepted yet (it may need approval).`, vi: ` Phòng ${name} chưa chấp nhận (có thể đang chờ duyệt).` });
}

function rangeWords(s: Speaker, w: Window): { en: string; vi: string } {
  if (w.day) return { en: `on ${s.day(w.day)}`, vi: `vào ${s.day(w.day)}` };
  const lastDay = formatLocalDate(addDays(parseLocal(w.end)!, -1));
  return { en: `from ${s.day(w.start)} to ${s.day(lastDay)}`, vi: `từ ${s.day(w.start)} đến ${s.day(lastDay)}` };
}

function eventLine(s: Speaker, e: Item, oneDay: boolean): string {
  const when = s.when(e.start, e.end);
  const shown = oneDay && when.includes(', ') ? when.slice(when.indexOf(', ') + 2) : when;
  return `${shown} ${s.title(e)}`;
}

function listedEvents(s: Speaker, w: Window, step: Step): string {
  const range = rangeWords(s, w);
  if (!succeeded(step)) return notDone(s, { tool: 'read', what: s.pick({ en: `read your calendar ${range.en}`, vi: `xem lịch ${range.vi}` }) }, step);
  const events = itemsOf(step.data, 'events');
  if (!events.length) return s.pick({ en: `Nothing on your calendar ${range.en}.`, vi: `Bạn không có sự kiện nào ${range.vi}.` });
  const n = events.length;
  const head = s.pick({
    en: `${capital(range.en)} you have ${n} ${n === 1 ? 'event' : 'events'}:`,
    vi: `${capital(range.vi.replace(/^vào /, ''))} bạn có ${n} sự kiện:`,
  });
  const more = step.data.truncated
    ? `\n${s.pick({ en: '(there are more; ask for a shorter range)', vi: '(còn nữa; hãy hỏi khoảng thời gian ngắn hơn)' })}`
    : '';
  return `${head}\n${s.bullets(events.map((e) => eventLine(s, e, Boolean(w.day))))}${more}`;
}

function changeEvent(s: Speaker, action: 'move' | 'rename' | 'delete', target: EventTarget, change: EventChange, steps: Step[]): Next {
  const [listed, done] = steps;
  if (!listed) return { call: 'list_events', input: { start: target.window.start, end: target.window.end } };
  const range = rangeWords(s, target.window);
  if (!succeeded(listed))
    return { say: notDone(s, { tool: 'read', what: s.pick({ en: `read your calendar ${range.en}`, vi: `xem lịch ${range.vi}` }) }, listed) };
  const events = itemsOf(listed.data, 'events');
  if (done) {
    const event = events.find((e) => e.event_id === done.input.event_id) ?? { event_id: str(done.input.event_id) };
    return { say: changed(s, action, event, done) };
  }
  // By id; else an event whose whole title the user wrote ("rename Call with Minh ..."); else by title words and attendees.
  const exact = target.eventId || !target.phrase ? [] : exactTitles(events, target.phrase);
  let found = target.eventId
    ? events.filter((e) => e.event_id === target.eventId)
    : exact.length
      ? exact
      : bestMatches(events, (e) => `${e.summary ?? ''} ${((e as { attendees?: unknown[] }).attendees ?? []).join(' ')}`, target.words);
  if (target.clock && found.length > 1) {
    const atClock = found.filter((e) => sameClock(e.start, target.clock!));
    if (atClock.length) found = atClock;
  }
  if (!found.length) {
    const what = target.words.said.length ? `"${target.words.said.join(' ')}"` : '';
    return {
      say: s.pick({
        en: `I found no event ${what ? `matching ${what} ` : ''}${range.en}, so nothing was changed. Which event do you mean?`,
        vi: `Tôi không tìm thấy sự kiện nào ${what ? `khớp với ${what} ` : ''}${range.vi}, nên chưa thay đổi gì. Bạn muốn nói sự kiện nào?`,
      }),
    };
  }
  if (found.length > 1) {
    const options = s.choices(found.slice(0, 5).map((e) => `${s.title(e)} (${s.when(e.start, e.end)})`));
    return {
      say: s.pick({ en: `Which one do you mean: ${options}? Nothing was changed yet.`, vi: `Bạn muốn nói sự kiện nào: ${options}? Tôi chưa thay đổi gì.` }),
    };
  }
  const event = found[0]!;
  const id = event.event_id!;
  if (action === 'delete') return { call: 'delete_event', input: { event_id: id } };
  if (action === 'rename') return { call: 'update_event', input: { event_id: id, summary: change.title! } };
  const start = newStart(event.start, change);
  if (!start)
    return {
      say: s.pick({
        en: `I can't tell when ${s.title(event)} starts, so I did not move it.`,
        vi: `Tôi không rõ ${s.title(event)} bắt đầu lúc nào nên chưa dời.`,
      }),
    };
  if (start === newStart(event.start, {})) {
    return {
      say: s.pick({
        en: `${s.title(event)} is already at ${s.when(event.start, event.end)}; nothing was changed.`,
        vi: `${s.title(event)} đã ở ${s.when(event.start, event.end)} rồi; tôi không thay đổi gì.`,
      }),
    };
  }
  return { call: 'update_event', input: { event_id: id, start } };
}

/** The events whose whole title is in the user's words, the longest such title only ("Call with Minh" over "Call"). */
function exactTitles(events: Item[], phrase: string): Item[] {
  const norm = (t: string) =>
    ` ${fold(t)
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim()} `;
  const said = norm(phrase);
  const hits = events.filter((e) => e.summary && norm(e.summary).trim().length >= 3 && said.includes(norm(e.summary)));
  const longest = Math.max(0, ...hits.map((e) => norm(e.summary!).length));
  return hits.filter((e) => norm(e.summary!).length === longest);
}

function changed(s: Speaker, action: 'move' | 'rename' | 'delete', event: Item, step: Step): string {
  const a: Action =
    action === 'delete'
      ? { tool: 'delete', event }
      : action === 'rename'
        ? { tool: 'rename', event, title: str(step.input.summary) ?? '' }
        : { tool: 'move', event, start: str(step.input.start) };
  if (!succeeded(step)) return notDone(s, a, step);
  if (action === 'delete') {
    if (step.data.deleted === undefined) return notDone(s, a, step);
    return s.pick({
      en: `Deleted ${s.title(event)} (${s.when(event.start, event.end)}).`,
      vi: `Đã xóa ${s.title(event)} (${s.when(event.start, event.end)}).`,
    });
  }
  const u = step.data.updated as Item | undefined;
  if (!u) return notDone(s, a, step);
  if (action === 'rename') {
    return s.pick({
      en: `Renamed ${s.title(event)} to ${s.title(u)} (${s.when(u.start, u.end)}).`,
      vi: `Đã đổi tên ${s.title(event)} thành ${s.title(u)} (${s.when(u.start, u.end)}).`,
    });
  }
  return (
    s.pick({ en: `Moved ${s.title(u)} to ${s.when(u.start, u.end)}.`, vi: `Đã dời ${s.title(u)} sang ${s.when(u.start, u.end)}.` }) +
    roomSentence(s, step.data.room as RoomSaid | undefined) +
    overlapNote(s, step.data)
  );
}

type Invitation = Item & { organizer?: string };

function invitationLine(s: Speaker, e: Invitation): string {
  return `${s.when(e.start, e.end)} ${s.title(e)}${e.organizer ? s.pick({ en: ` (from ${e.organizer})`, vi: ` (từ ${e.organizer})` }) : ''}`;
}

function listedInvitations(s: Speaker, step: Step): string {
  if (!succeeded(step)) return notDone(s, { tool: 'read', what: s.pick({ en: 'read your invitations', vi: 'xem các lời mời' }) }, step);
  const pending = itemsOf(step.data, 'invitations') as Invitation[];
  if (!pending.length) return s.pick({ en: 'You have no invitations waiting for an answer.', vi: 'Bạn không có lời mời nào chưa trả lời.' });
  const n = pending.length;
  const head = s.pick({ en: `You have ${n} ${n === 1 ? 'invitation' : 'invitations'} waiting for your answer:`, vi: `Bạn có ${n} lời mời chưa trả lời:` });
  const more = step.data.truncated
    ? `\n${s.pick({ en: '(there may be more; ask for a shorter range)', vi: '(có thể còn nữa; hãy hỏi khoảng thời gian ngắn hơn)' })}`
    : '';
  return `${head}\n${s.bullets(pending.map((e) => invitationLine(s, e)))}${more}`;
}

/** Lists the pending invitations, picks the one meant (time, then words), answers it; asks when several or none match. */
function replyInvitation(s: Speaker, response: InvitationResponse, target: InvitationTarget, steps: Step[]): Next {
  const [listed, done] = steps;
  if (!listed) return { call: 'list_invitations', input: target.window ? { start: target.window.start, end: target.window.end } : {} };
  if (!succeeded(listed)) return { say: notDone(s, { tool: 'read', what: s.pick({ en: 'read your invitations', vi: 'xem các lời mời' }) }, listed) };
  const pending = itemsOf(listed.data, 'invitations') as Invitation[];
  if (done) {
    const event = pending.find((e) => e.event_id === done.input.event_id) ?? { event_id: str(done.input.event_id) };
    const action = { tool: 'reply_invitation' as const, event, response };
    const r = (done.data as { replied?: Invitation } | undefined)?.replied;
    if (!succeeded(done) || !r) return { say: notDone(s, action, done) };
    const who = r.organizer ?? (event as Invitation).organizer;
    const said = {
      accept: { en: `Accepted ${s.title(r)} (${s.when(r.start, r.end)}).`, vi: `Đã chấp nhận lời mời ${s.title(r)} (${s.when(r.start, r.end)}).` },
      decline: { en: `Declined ${s.title(r)} (${s.when(r.start, r.end)}).`, vi: `Đã từ chối lời mời ${s.title(r)} (${s.when(r.start, r.end)}).` },
      tentative: {
        en: `Answered "maybe" to ${s.title(r)} (${s.when(r.start, r.end)}).`,
        vi: `Đã trả lời "có thể tham dự" lời mời ${s.title(r)} (${s.when(r.start, r.end)}).`,
      },
    }[response];
    return { say: s.pick(said) + (who ? s.pick({ en: ` ${who} will see your answer.`, vi: ` ${who} sẽ thấy câu trả lời của bạn.` }) : '') };
  }
  let found = bestMatches(pending, (e) => `${e.summary ?? ''} ${e.organizer ?? ''}`, target.words);
  if (target.clock) found = found.filter((e) => sameClock(e.start, target.clock!));
  if (!found.length) {
    const waiting = pending.length
      ? s.pick({
          en: ` Invitations waiting: ${s.choices(pending.slice(0, 5).map((e) => invitationLine(s, e)))}.`,
          vi: ` Các lời mời đang chờ: ${s.choices(pending.slice(0, 5).map((e) => invitationLine(s, e)))}.`,
        })
      : '';
    return {
      say: s.pick({
        en: `I found no unanswered invitation like that, so I answered nothing.${waiting}`,
        vi: `Tôi không tìm thấy lời mời chưa trả lời nào như vậy nên chưa trả lời gì.${waiting}`,
      }),
    };
  }
  if (found.length > 1) {
    const options = s.choices(found.slice(0, 5).map((e) => invitationLine(s, e)));
    return {
      say: s.pick({
        en: `Which invitation do you mean: ${options}? I have not answered any yet.`,
        vi: `Bạn muốn nói lời mời nào: ${options}? Tôi chưa trả lời lời mời nào.`,
      }),
    };
  }
  return { call: 'reply_invitation', input: { event_id: found[0]!.event_id!, response } };
}

function createdTask(s: Speaker, input: Record<string, unknown>, step: Step): string {
  const c = step.data?.created as Item | undefined;
  if (!succeeded(step) || !c) return notDone(s, { tool: 'create_task', summary: String(input.summary), assignee: str(input.assignee) }, step);
  const assignee = typeof step.data.assignee === 'string' && step.data.assignee !== 'the user' ? step.data.assignee : undefined;
  return s.pick({
    en: `Added the task ${s.title(c)}${c.due ? `, due ${s.when(c.due)}` : ''}${assignee ? `, assigned to ${assignee}` : ''}.`,
    vi: `Đã thêm việc ${s.title(c)}${c.due ? `, hạn ${s.when(c.due)}` : ''}${assignee ? `, giao cho ${assignee}` : ''}.`,
  });
}

function listedTasks(s: Speaker, completed: boolean, step: Step): string {
  const kind = completed ? { en: 'completed', vi: 'đã xong' } : { en: 'open', vi: 'đang mở' };
  if (!succeeded(step)) return notDone(s, { tool: 'read', what: s.pick({ en: `read your ${kind.en} tasks`, vi: `xem các việc ${kind.vi}` }) }, step);
  const tasks = itemsOf(step.data, 'tasks');
  if (!tasks.length) return s.pick({ en: `You have no ${kind.en} tasks.`, vi: `Bạn không có việc nào ${kind.vi}.` });
  const n = tasks.length;
  const lines = tasks.map((t) => `${s.title(t)}${t.due ? s.pick({ en: ` (due ${s.when(t.due)})`, vi: ` (hạn ${s.when(t.due)})` }) : ''}`);
  return `${s.pick({ en: `You have ${n} ${kind.en} ${n === 1 ? 'task' : 'tasks'}:`, vi: `Bạn có ${n} việc ${kind.vi}:` })}\n${s.bullets(lines)}`;
}

function completeTask(s: Speaker, words: Keywords, steps: Step[]): Next {
  const [listed, done] = steps;
  if (!listed) return { call: 'list_tasks', input: {} };
  if (!succeeded(listed)) return { say: notDone(s, { tool: 'read', what: s.pick({ en: 'read your open tasks', vi: 'xem các việc đang mở' }) }, listed) };
  const tasks = itemsOf(listed.data, 'tasks');
  if (done) {
    const task = tasks.find((t) => t.task_id === done.input.task_id) ?? { task_id: str(done.input.task_id) };
    if (!succeeded(done) || done.data.completed === undefined) return { say: notDone(s, { tool: 'complete_task', task }, done) };
    return { say: s.pick({ en: `Marked ${s.title(task)} as done.`, vi: `Đã đánh dấu xong ${s.title(task)}.` }) };
  }
  if (!tasks.length)
    return {
      say: s.pick({
        en: 'You have no open tasks, so there is nothing to mark as done.',
        vi: 'Bạn không có việc nào đang mở nên không có gì để đánh dấu xong.',
      }),
    };
  const found = bestMatches(tasks, (t) => t.summary ?? '', words);
  const open = s.choices(tasks.slice(0, 5).map((t) => s.title(t)));
  if (!found.length) {
    const what = words.said.join(' ');
    return {
      say: s.pick({
        en: `I found no open task matching "${what}", so nothing was marked as done. Your open tasks: ${open}.`,
        vi: `Tôi không tìm thấy việc nào đang mở khớp với "${what}" nên chưa đánh dấu gì. Các việc đang mở: ${open}.`,
      }),
    };
  }
  if (found.length > 1) {
    const options = s.choices(found.slice(0, 5).map((t) => s.title(t)));
    return {
      say: s.pick({
        en: `Which task do you mean: ${options}? Nothing was marked as done yet.`,
        vi: `Bạn muốn nói việc nào: ${options}? Tôi chưa đánh dấu gì.`,
      }),
    };
  }
  return { call: 'complete_task', input: { task_id: found[0]!.task_id! } };
}

function foundPeople(s: Speaker, query: string, step: Step): string {
  if (!succeeded(step)) return notDone(s, { tool: 'read', what: s.pick({ en: `look up "${query}"`, vi: `tìm "${query}"` }) }, step);
  const people = itemsOf(step.data, 'people').map((p) => p.name ?? '?');
  if (!people.length)
    return s.pick({
      en: `I found nobody matching "${query}" in the company directory.`,
      vi: `Tôi không tìm thấy ai khớp với "${query}" trong danh bạ công ty.`,
    });
  if (people.length === 1) return s.pick({ en: `Found ${people[0]} in the company directory.`, vi: `Đã tìm thấy ${people[0]} trong danh bạ công ty.` });
  return s.pick({
    en: `${people.length} people match "${query}": ${s.list(people)}.`,
    vi: `Có ${people.length} người khớp với "${query}": ${s.list(people)}.`,
  });
}

/** The slots find_time returned, in words, or why there are none. Books nothing: the user picks. */
function foundTimes(s: Speaker, w: Window, step: Step): string {
  const minutes = Number(step.input.duration_minutes);
  if (!succeeded(step)) return notDone(s, { tool: 'read', what: s.pick({ en: 'find a time', vi: 'tìm thời gian' }) }, step);
  // The workflow's slot card already asked the user: the result says what they picked and what happened.
  const outcome = str((step.data as { outcome?: unknown }).outcome);
  if (outcome)
    return slotOutcome(
      s,
      outcome,
      step.data as { slot?: { start?: string; end?: string }; booked?: { created?: { summary?: string }; attendees?: string[]; room?: RoomSaid } },
    );
  const names: string[] = Array.isArray(step.data.attendees) ? step.data.attendees.map((a: { name?: string }) => String(a.name ?? '?')) : [];
  const who = s.list([s.pick({ en: 'you', vi: 'bạn' }), ...names]);
  const length =
    minutes % 60 === 0
      ? s.pick({ en: `${minutes / 60} ${minutes === 60 ? 'hour' : 'hours'}`, vi: `${minutes / 60} tiếng` })
      : s.pick({ en: `${minutes} minutes`, vi: `${minutes} phút` });
  const slots = itemsOf(step.data, 'slots') as Array<Item & { attendee_local?: Record<string, string> }>;
  const range = rangeWords(s, w);
  if (!slots.length && step.input.room && typeof step.data.none === 'string' && step.data.none.startsWith('No meeting room')) {
    const need = step.input.room as { capacity?: number; place?: string };
    const seats = need.capacity ?? names.length + 1;
    return s.pick({
      en: `No meeting room has ${seats} seats${need.place ? ` on ${need.place}` : ''}, so I booked nothing. Should I look for a smaller number of seats or another place?`,
      vi: `Không có phòng họp nào đủ ${seats} chỗ${need.place ? ` ở ${need.place.replace(/^Floor/i, 'tầng')}` : ''} nên tôi chưa đặt gì. Bạn muốn tìm ít chỗ hơn hay chỗ khác?`,
    });
  }
  if (!slots.length && step.input.room) {
    return s.pick({
      en: `I found no time ${range.en} when ${who} and a fitting meeting room are free for ${length} within working hours. Should I look at a wider window or another place?`,
      vi: `Tôi không tìm thấy lúc nào ${range.vi} mà ${who} và một phòng họp phù hợp đều rảnh ${length} trong giờ làm việc. Bạn muốn tìm trong khoảng rộng hơn hay chỗ khác?`,
    });
  }
  if (!slots.length) {
    return s.pick({
      en: `I found no time ${range.en} when ${who} ${names.length ? 'are all' : 'are'} free for ${length} within working hours. Should I look at a wider window or a shorter meeting?`,
      vi: `Tôi không tìm thấy lúc nào ${range.vi} mà ${who} đều rảnh ${length} trong giờ làm việc. Bạn muốn tìm trong khoảng rộng hơn hay họp ngắn hơn?`,
    });
  }
  const lines = slots.map((sl) => {
    const local = Object.entries(sl.attendee_local ?? {}).map(([name, when]) => `${name}: ${s.words(when)}`);
    return `${s.when(sl.start, sl.end)}${local.length ? ` (${local.join('; ')})` : ''}`;
  });
  const head = s.pick({
    en: `${capital(who)} ${names.length ? 'are all' : 'are'} free for ${length} at:`,
    vi: `${capital(who)} ${names.length ? 'đều ' : ''}rảnh ${length} vào:`,
  });
  return `${head}\n${s.bullets(lines)}\n${s.pick({ en: 'Which one should I book?', vi: 'Bạn muốn đặt giờ nào?' })}`;
}

/** After the find-a-time card: booked, none chosen, taken, expired or failed; never a claim the result does not make. */
function slotOutcome(
  s: Speaker,
  outcome: string,
  data: { slot?: { start?: string; end?: string }; booked?: { created?: { summary?: string }; attendees?: string[]; room?: RoomSaid } },
): string {
  const when = data.slot?.start && data.slot.end ? s.when(data.slot.start, data.slot.end) : '';
  switch (outcome) {
    case 'booked': {
      const title = data.booked?.created?.summary ?? 'the meeting';
      const who = data.booked?.attendees?.length ? s.pick({ en: ` with ${s.list(data.booked.attendees)}`, vi: ` với ${s.list(data.booked.attendees)}` }) : '';
      return s.pick({ en: `Booked "${title}" on ${when}${who}.`, vi: `Đã đặt "${title}" vào ${when}${who}.` }) + roomSentence(s, data.booked?.room);
    }
    case 'none':
      return s.pick({ en: 'OK, I booked nothing. What time would work better?', vi: 'Được, tôi chưa đặt gì. Giờ nào thì hợp với bạn hơn?' });
    case 'taken':
      return s.pick({
        en: 'All the times I proposed were taken before you could book one, so nothing was booked. Should I search again?',
        vi: 'Các giờ tôi đề xuất đều vừa có người bận nên chưa đặt được gì. Tôi tìm lại nhé?',
      });
    case 'failed':
      return s.pick({
        en: `Not done: booking ${when} failed, so nothing was booked.`,
        vi: `Chưa làm: đặt lịch ${when} không thành công, chưa có gì được đặt.`,
      });
    default:
      return s.pick({ en: 'No time was picked, so nothing was booked.', vi: 'Chưa chọn giờ nào nên chưa đặt lịch.' });
  }
}

// --- Small helpers ---

function itemsOf(data: unknown, key: string): Item[] {
  const arr = Array.isArray(data) ? data : typeof data === 'object' && data ? (data as Record<string, unknown>)[key] : undefined;
  return Array.isArray(arr) ? (arr.filter((x) => typeof x === 'object' && x) as Item[]) : [];
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const capital = (t: string) => (t ? t[0]!.toLocaleUpperCase() + t.slice(1) : t);
/** Tool results write "2026-12-03 15:00"; tool inputs "2026-12-03T15:00". */
function parseWall(w: string | undefined): LocalDateTime | undefined {
  return w ? parseLocal(w.trim().replace(' ', 'T')) : undefined;
}

function sameClock(start: string | undefined, clock: { hour: number; minute: number }): boolean {
  const t = parseWall(start);
  return Boolean(t && t.hour === clock.hour && t.minute === clock.minute);
}

/** The moved start: the new day and/or time, keeping what the user did not change; or shifted by minutes. */
function newStart(current: string | undefined, change: EventChange): string | undefined {
  const t = parseWall(current);
  if (!t) return undefined;
  if (change.shiftMinutes) {
    const ms = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute) + change.shiftMinutes * 60_000;
    const d = new Date(ms);
    return formatLocal({
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: 0,
    });
  }
  const day = change.day ?? t;
  const clock = change.clock ?? t;
  return formatLocal({ year: day.year, month: day.month, day: day.day, hour: clock.hour, minute: clock.minute, second: 0 });
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

const HELP_EN =
  "I'm running without a language model right now, so I understand simple requests such as " +
  '"schedule a meeting tomorrow at 3pm with Lan", "what\'s on my calendar Friday?", "move the meeting with Lan to 11am", ' +
  '"cancel the meeting with Lan tomorrow", "add a task to send the report by Monday", "show my tasks", ' +
  '"mark the report task as done", "which invites haven\'t I answered?", "accept the 3 pm invite" or "find Lan".';
const HELP_VI =
  'Hiện tôi đang chạy offline, không có mô hình ngôn ngữ, nên chỉ hiểu các yêu cầu đơn giản như ' +
  '"tạo cuộc họp 3h chiều mai với Lan", "lịch của tôi thứ sáu", "dời cuộc họp với Lan sang 11h sáng mai", ' +
  '"hủy cuộc họp với Lan ngày mai", "thêm việc gửi báo cáo trước thứ hai", "danh sách việc của tôi", ' +
  '"đánh dấu việc gửi báo cáo là xong", "những lời mời nào mình chưa trả lời?", "chấp nhận lời mời họp 3h chiều" hoặc "tìm Lan".';
