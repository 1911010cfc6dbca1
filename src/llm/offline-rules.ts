/**
 * The offline stand-in model's "brain": from a Messages API request to an assistant reply.
 * Stateless like the real API: everything it needs is in the request (system prompt time line, transcript).
 * It calls tools by name with inputs in the tool schemas, then answers in the user's language and says
 * it is offline. Pure: the server (offline-model.ts) does the HTTP.
 */
import { DEFAULT_TIMEZONE as DEFAULT_TIME_ZONE } from '../lark/time';
import { addDays, formatLocal, formatLocalDate, type LocalDateTime, parseCurrentTimeLine, parseLocal, toLocal } from '../agent/time';
import {
  capitalize,
  cutAtStop,
  isVietnamese,
  midnight,
  parseAttendees,
  parseClock,
  parseDay,
  parseDurationMinutes,
  TASK_STOP,
  word,
} from './offline-parse';

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

const DEFAULT_DUE = { hour: 17, minute: 0 };
const DEFAULT_EVENT_TIME = { hour: 9, minute: 0 };

export function offlineReply(req: WireRequest, clock: () => Date = () => new Date()): OfflineReply {
  const system = typeof req.system === 'string' ? req.system : (req.system ?? []).map((b) => b.text).join('\n');
  const now = parseCurrentTimeLine(system)?.local ?? toLocal(clock(), DEFAULT_TIME_ZONE).local;
  const tools = new Set((req.tools ?? []).map((t) => t.name));
  const userText = latestUserText(req.messages);
  const vi = isVietnamese(userText);
  const say = (text: string): OfflineReply => ({ content: [{ type: 'text', text: `${vi ? '(mô hình offline)' : '(offline model)'} ${text}` }], stop_reason: 'end_turn' });
  const call = (name: string, input: Record<string, unknown>): OfflineReply =>
    tools.has(name)
      ? { content: [{ type: 'tool_use', name, input }], stop_reason: 'tool_use' }
      : say(vi ? `Tôi không có công cụ ${name} lúc này.` : `I don't have the ${name} tool right now.`);

  const last = req.messages[req.messages.length - 1];
  const results = last?.role === 'user' && Array.isArray(last.content) ? last.content.filter(isToolResult) : [];
  if (results.length) return afterTools(req.messages, results, userText, vi, say, call);

  const intent = understand(userText, now, vi);
  if (!intent) return say(vi ? HELP_VI : HELP_EN);
  return call(intent.tool, intent.input);
}

// --- Understanding a request ---

interface Intent {
  tool: string;
  input: Record<string, unknown>;
}

const RE = {
  complete: word('complete|completed|finish|finished|mark|tick off|done with|hoàn thành|đánh dấu|đã xong|xong'),
  createTask: /(?<![\p{L}])(?:(?:add|create|make|new)\s+(?:a\s+)?(?:new\s+)?(?:task|todo|to-do|reminder)(?:\s*(?:to|:|-|for))?|remind me to|(?:thêm|tạo)\s+(?:một\s+)?(?:công việc|việc|task|nhiệm vụ|lời nhắc)(?:\s*(?::|-|là))?|nhắc (?:tôi|mình|em|anh|chị))\s+/iu,
  tasks: word('tasks?|to-?dos?|việc|công việc|nhiệm vụ'),
  createEvent: [
    /(?<![\p{L}])(?:schedule|book|set up|arrange|create|add|plan|organi[sz]e)\s+(?:a\s+|an\s+)?(?:new\s+)?(?:\p{L}+\s+)?(?:meeting|call|event|appointment|sync|lunch)/iu,
    /(?<![\p{L}])(?:meeting|call|sync|lunch) with(?![\p{L}])/iu,
    /(?<![\p{L}])(?:tạo|đặt|lên|xếp|thêm|sắp xếp)\s+(?:một\s+)?(?:cuộc họp|buổi họp|lịch họp|lịch hẹn|lịch|họp|sự kiện|hẹn)/iu,
    /(?<![\p{L}])(?:họp|hẹn|gặp) với(?![\p{L}])/iu,
  ],
  events: word('what do i have|what have i got|calendar|schedule|agenda|events?|meetings?|busy|free|lịch|cuộc họp|sự kiện|bận|rảnh'),
  about: /(?<![\p{L}])(?:about|regarding|về|bàn về)\s+(.+)$/iu,
  asking: word('show|list|what|which|see|view|xem|danh sách|liệt kê|những|nào|gì'),
};

/** "mark the report task done", "hoàn thành việc gửi báo cáo" — but not "show my completed tasks". */
function wantsCompletion(text: string): boolean {
  return RE.complete.test(text) && RE.tasks.test(text) && !RE.asking.test(text) && !RE.createTask.test(text);
}

function understand(text: string, now: LocalDateTime, vi: boolean): Intent | undefined {
  if (!text.trim()) return undefined;
  const taskTrigger = RE.createTask.exec(text);
  if (taskTrigger) return createTask(text.slice(taskTrigger.index + taskTrigger[0].length), text, now);
  if (wantsCompletion(text)) return { tool: 'list_tasks', input: {} }; // the task id comes from the list
  if (RE.createEvent.some((re) => re.test(text))) return createEvent(text, now, vi);
  if (RE.tasks.test(text)) return { tool: 'list_tasks', input: word('completed|done|đã xong|đã hoàn thành').test(text) ? { completed: true } : {} };
  if (RE.events.test(text)) return listEvents(text, now);
  return undefined;
}

function createTask(rest: string, text: string, now: LocalDateTime): Intent {
  const summary = capitalize(cutAtStop(' ' + rest, TASK_STOP).trim()) || rest.trim();
  const input: Record<string, unknown> = { summary };
  const day = parseDay(text, now);
  const clock = parseClock(text);
  if (day || clock) {
    const date = day?.kind === 'day' ? day.date : day?.kind === 'week' ? addDays(day.start, 4) : midnight(now); // a week: its Friday
    input.due = formatLocal({ ...date, ...(clock ?? DEFAULT_DUE), second: 0 });
  }
  return { tool: 'create_task', input };
}

function createEvent(text: string, now: LocalDateTime, vi: boolean): Intent {
  const day = parseDay(text, now);
  const clock = parseClock(text);
  let date = day?.kind === 'day' ? day.date : day?.kind === 'week' ? day.start : midnight(now);
  const time = clock ?? DEFAULT_EVENT_TIME;
  // A time already past today, with no day named, means tomorrow.
  if (!day && (time.hour < now.hour || (time.hour === now.hour && time.minute <= now.minute))) date = addDays(date, 1);
  const attendees = parseAttendees(text);
  const topic = RE.about.exec(text)?.[1];
  const summary = topic ? capitalize(cutAtStop(' ' + topic)) : undefined;
  const input: Record<string, unknown> = {
    summary: summary || (attendees.length ? `${vi ? 'Họp với' : 'Meeting with'} ${attendees.join(vi ? ', ' : ', ')}` : vi ? 'Cuộc họp' : 'Meeting'),
    start: formatLocal({ ...date, ...time, second: 0 }),
  };
  const minutes = parseDurationMinutes(text);
  if (minutes && minutes >= 5 && minutes <= 1440) input.duration_minutes = minutes;
  if (attendees.length) input.attendees = attendees;
  return { tool: 'create_event', input };
}

function listEvents(text: string, now: LocalDateTime): Intent {
  const day = parseDay(text, now);
  const start = day?.kind === 'day' ? day.date : day?.kind === 'week' ? day.start : midnight(now);
  const days = day?.kind === 'week' ? 7 : 1;
  return { tool: 'list_events', input: { start: formatLocal(start), end: formatLocal(addDays(start, days)) } };
}

// --- After tool results ---

type ToolResult = Extract<WireBlock, { type: 'tool_result' }>;

function isToolResult(b: WireBlock): b is ToolResult {
  return b.type === 'tool_result';
}

function afterTools(
  messages: WireMessage[],
  results: ToolResult[],
  userText: string,
  vi: boolean,
  say: (t: string) => OfflineReply,
  call: (name: string, input: Record<string, unknown>) => OfflineReply,
): OfflineReply {
  const uses = new Map<string, { name: string; input: Record<string, unknown> }>();
  for (const m of messages) {
    if (m.role !== 'assistant' || !Array.isArray(m.content)) continue;
    for (const b of m.content) if (b.type === 'tool_use') uses.set(b.id as string, b as { name: string; input: Record<string, unknown> });
  }
  const lines: string[] = [];
  for (const r of results) {
    const use = uses.get(r.tool_use_id);
    const body = resultText(r);
    if (r.is_error) {
      lines.push(vi ? `Công cụ báo lỗi: ${clip(body)}` : `The tool reported a problem: ${clip(body)}`);
      continue;
    }
    if (use?.name === 'list_tasks' && wantsCompletion(userText)) {
      const match = bestTask(parseJson(body), userText);
      if (match) return call('complete_task', { task_id: match });
      lines.push(vi ? 'Tôi không tìm thấy việc nào khớp với yêu cầu.' : "I couldn't find a matching task.");
      continue;
    }
    lines.push(describe(use?.name, use?.input ?? {}, parseJson(body), vi));
  }
  return say(lines.join(' '));
}

function describe(tool: string | undefined, input: Record<string, unknown>, data: unknown, vi: boolean): string {
  const when = (s: unknown) => (typeof s === 'string' ? showTime(s, vi) : '');
  switch (tool) {
    case 'create_event':
      return vi
        ? `Đã tạo sự kiện "${input.summary}" lúc ${when(input.start)}.`
        : `Created the event "${input.summary}" at ${when(input.start)}.`;
    case 'create_task':
      return vi
        ? `Đã thêm việc "${input.summary}"${input.due ? `, hạn ${when(input.due)}` : ''}.`
        : `Added the task "${input.summary}"${input.due ? `, due ${when(input.due)}` : ''}.`;
    case 'complete_task':
      return vi ? 'Đã đánh dấu việc là xong.' : 'Marked the task as done.';
    case 'list_events':
    case 'list_tasks': {
      const items = listOf(data, tool === 'list_events' ? 'events' : 'tasks');
      const noun = tool === 'list_events' ? (vi ? 'sự kiện' : 'event(s)') : vi ? 'việc' : 'task(s)';
      if (!items.length) return vi ? `Không có ${noun} nào.` : `No ${noun.replace('(s)', 's')} found.`;
      const shown = items.slice(0, 5).map((it) => {
        const t = it.start ?? it.due;
        return `• ${t ? `${when(t)} ` : ''}${it.summary ?? it.title ?? '?'}`;
      });
      return `${vi ? `Có ${items.length} ${noun}:` : `${items.length} ${noun}:`}\n${shown.join('\n')}`;
    }
    default:
      return vi ? 'Xong.' : 'Done.';
  }
}

type Item = { id?: string; task_id?: string; summary?: string; title?: string; start?: string; due?: string };

function listOf(data: unknown, key: string): Item[] {
  const arr = Array.isArray(data) ? data : typeof data === 'object' && data ? (data as Record<string, unknown>)[key] ?? (data as Record<string, unknown>).items : [];
  return Array.isArray(arr) ? (arr.filter((x) => typeof x === 'object' && x) as Item[]) : [];
}

/** The task whose title shares the most words with what the user said. */
function bestTask(data: unknown, userText: string): string | undefined {
  const words = (s: string) => new Set(s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1));
  const said = words(userText);
  let best: { id: string; score: number } | undefined;
  for (const t of listOf(data, 'tasks')) {
    const id = t.task_id ?? t.id;
    if (!id) continue;
    const score = [...words(t.summary ?? t.title ?? '')].filter((w) => said.has(w)).length;
    if (score > 0 && (!best || score > best.score)) best = { id, score };
  }
  return best?.id;
}

function showTime(s: string, vi: boolean): string {
  const t = parseLocal(s);
  if (!t) return s;
  const hm = `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
  return vi ? `${hm} ngày ${t.day}/${t.month}/${t.year}` : `${formatLocalDate(t)} ${hm}`;
}

function resultText(r: ToolResult): string {
  if (typeof r.content === 'string') return r.content;
  return (r.content ?? []).map((b) => b.text ?? '').join('\n');
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

/** The text of the user's latest typed message (not a message that only carries tool results). */
function latestUserText(messages: WireMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content.normalize('NFC');
    const text = m.content.flatMap((b) => (b.type === 'text' ? [(b as { text: string }).text] : [])).join('\n');
    if (text.trim()) return text.normalize('NFC');
  }
  return '';
}

const HELP_EN =
  "I'm running without a language model right now, so I only understand simple requests such as " +
  '"schedule a meeting tomorrow at 3pm with Lan", "what\'s on my calendar Friday?", "add a task to send the report by Monday", ' +
  '"show my tasks" or "mark the report task as done".';
const HELP_VI =
  'Hiện tôi đang chạy offline, không có mô hình ngôn ngữ, nên chỉ hiểu các yêu cầu đơn giản như ' +
  '"tạo cuộc họp 3h chiều mai với Lan", "lịch của tôi thứ sáu", "thêm việc gửi báo cáo trước thứ hai", ' +
  '"danh sách việc của tôi" hoặc "đánh dấu việc gửi báo cáo là xong".';
