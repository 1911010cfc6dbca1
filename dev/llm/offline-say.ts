/**
 * The offline model's sentences, in Vietnamese and English, built only from what the tools returned (and
 * what the model asked them to do): a success names the event, the task or the day; a Cancel or a
 * confirmation that timed out is "Not done"; an error says what failed. Dates in words, never ISO strings.
 */
import { formatWallDay, formatWallWhen } from '../../src/i18n/dates';
import type { Lang } from '../../src/i18n/language';

export interface Item {
  event_id?: string;
  task_id?: string;
  summary?: string;
  start?: string;
  end?: string;
  due?: string;
  name?: string;
}

export class Speaker {
  constructor(
    readonly lang: Lang,
    /** Today's date (local wall-clock): the year is shown only for other years. */
    private readonly today: string,
  ) {}

  pick(text: Record<Lang, string>): string {
    return text[this.lang];
  }

  when(start: string | undefined, end?: string): string {
    return start ? formatWallWhen(start, end, this.lang, this.today) : '';
  }

  day(wall: string): string {
    return formatWallDay(wall, this.lang, this.today);
  }

  /** "Thu 3 Dec, 15:00–16:00" in any text: tool messages may quote raw local times. */
  words(text: string): string {
    return text.replace(/\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?/g, (m) => this.when(m));
  }

  title(it: Item): string {
    return `"${it.summary ?? it.name ?? '?'}"`;
  }

  /** A bullet list, at most `max` lines, with "and N more". */
  bullets(lines: string[], max = 10): string {
    const shown = lines.slice(0, max).map((l) => `• ${l}`);
    if (lines.length > max) shown.push(this.pick({ en: `… and ${lines.length - max} more`, vi: `… và ${lines.length - max} mục nữa` }));
    return shown.join('\n');
  }

  list(names: string[]): string {
    if (names.length <= 1) return names.join('');
    return `${names.slice(0, -1).join(', ')} ${this.pick({ en: 'and', vi: 'và' })} ${names.at(-1)}`;
  }

  /** "A", "B" or "C" */
  choices(items: string[]): string {
    if (items.length <= 1) return items.join('');
    return `${items.slice(0, -1).join(', ')} ${this.pick({ en: 'or', vi: 'hay' })} ${items.at(-1)}`;
  }
}

/** What a refused or failed action was, for "Not done: ..." and "Couldn't ...". */
export type Action =
  | { tool: 'create_event'; summary: string; start?: string; end?: string }
  | { tool: 'move'; event: Item; start?: string }
  | { tool: 'rename'; event: Item; title: string }
  | { tool: 'delete'; event: Item }
  | { tool: 'create_task'; summary: string; due?: string; assignee?: string }
  | { tool: 'complete_task'; task: Item }
  | { tool: 'reply_invitation'; event: Item; response: 'accept' | 'decline' | 'tentative' }
  | { tool: 'read'; what: string };

export function describeAction(s: Speaker, a: Action): string {
  switch (a.tool) {
    case 'create_event':
      return (
        s.pick({ en: `creating "${a.summary}"`, vi: `tạo "${a.summary}"` }) + (a.start ? ` ${s.pick({ en: 'on', vi: 'vào' })} ${s.when(a.start, a.end)}` : '')
      );
    case 'move':
      return (
        s.pick({ en: `moving ${s.title(a.event)}`, vi: `dời ${s.title(a.event)}` }) + (a.start ? ` ${s.pick({ en: 'to', vi: 'sang' })} ${s.when(a.start)}` : '')
      );
    case 'rename':
      return s.pick({ en: `renaming ${s.title(a.event)} to "${a.title}"`, vi: `đổi tên ${s.title(a.event)} thành "${a.title}"` });
    case 'delete':
      return s.pick({ en: `deleting ${s.title(a.event)}`, vi: `xóa ${s.title(a.event)}` }) + (a.event.start ? ` (${s.when(a.event.start, a.event.end)})` : '');
    case 'create_task':
      return (
        s.pick({ en: `adding the task "${a.summary}"`, vi: `thêm việc "${a.summary}"` }) +
        (a.assignee ? s.pick({ en: ` for ${a.assignee}`, vi: ` cho ${a.assignee}` }) : '')
      );
    case 'complete_task':
      return s.pick({ en: `marking ${s.title(a.task)} as done`, vi: `đánh dấu xong ${s.title(a.task)}` });
    case 'reply_invitation': {
      const verb = {
        accept: { en: 'accepting', vi: 'chấp nhận lời mời' },
        decline: { en: 'declining', vi: 'từ chối lời mời' },
        tentative: { en: 'answering "maybe" to', vi: 'trả lời "có thể tham dự" lời mời' },
      }[a.response];
      return `${s.pick(verb)} ${s.title(a.event)}` + (a.event.start ? ` (${s.when(a.event.start, a.event.end)})` : '');
    }
    case 'read':
      return a.what;
  }
}

/**
 * The answer when a tool did not do what was asked: the user declined or did not confirm ("Not done"),
 * or the tool failed. Known directory problems become the question a person would ask.
 */
export function notDone(s: Speaker, a: Action, result: { text: string; isError: boolean }): string {
  const text = result.text.trim();
  const several = /"([^"]+)" matches several people: (.+?)\.\s*Ask/i.exec(text);
  if (several) {
    return s.pick({
      en: `Not done yet: "${several[1]}" matches several people: ${several[2]}. Which one do you mean?`,
      vi: `Chưa làm: có nhiều người khớp với "${several[1]}": ${several[2]}. Bạn muốn chọn ai?`,
    });
  }
  const nobody = /Nobody named "([^"]+)" was found/i.exec(text) ?? /Nobody in the directory has the e-mail (\S+?)\.?$/im.exec(text);
  if (nobody) {
    return s.pick({
      en: `Not done: I couldn't find "${nobody[1]}" in the company directory. What is their e-mail address?`,
      vi: `Chưa làm: tôi không tìm thấy "${nobody[1]}" trong danh bạ công ty. Bạn cho tôi địa chỉ email của họ nhé?`,
    });
  }
  const what = describeAction(s, a);
  // The tools refuse a time in the past: ask which was meant, do not guess.
  if (result.isError && /is in the past/.test(text)) {
    return s.pick({
      en: `Not done: ${what}: that time has already passed. Which day or time did you mean?`,
      vi: `Chưa làm: ${what}: thời điểm đó đã qua. Bạn muốn ngày giờ nào?`,
    });
  }
  if (a.tool === 'read') {
    return s.pick({ en: `I couldn't ${what}: ${s.words(clip(text))}`, vi: `Không thể ${what}: ${s.words(clip(text))}` });
  }
  if (!result.isError) {
    if (/pressed cancel|cancelled|canceled|declined|do not do this/i.test(text)) {
      return s.pick({ en: `Not done: ${what}. You pressed Cancel.`, vi: `Chưa làm: ${what}. Bạn đã bấm Hủy.` });
    }
    if (/did not confirm|not confirmed|expired|timed out|in time/i.test(text)) {
      return s.pick({ en: `Not done: ${what}. It was not confirmed in time.`, vi: `Chưa làm: ${what}. Yêu cầu chưa được xác nhận kịp thời.` });
    }
    return s.pick({ en: `Not done: ${what}. ${s.words(clip(text))}`, vi: `Chưa làm: ${what}. ${s.words(clip(text))}` });
  }
  return s.pick({ en: `Not done: ${what} failed: ${s.words(clip(text))}`, vi: `Chưa làm được: ${what} bị lỗi: ${s.words(clip(text))}` });
}

/** " It overlaps "Standup" (…). The next free time is …; should I move it there?" after a write that overlaps. */
export function overlapNote(
  s: Speaker,
  data: { conflicts?: Item[]; next_free?: { start: string; end: string }; attendees_busy?: Array<{ who?: string; start?: string; end?: string }> } | undefined,
): string {
  // Attendees busy then (their free/busy), each named with when: said even when the user's own calendar is free.
  const busy = Array.isArray(data?.attendees_busy) ? data.attendees_busy : [];
  const byWho = new Map<string, string[]>();
  for (const b of busy) byWho.set(String(b.who ?? '?'), [...(byWho.get(String(b.who ?? '?')) ?? []), s.when(b.start, b.end)]);
  const busyNote = [...byWho]
    .map(([who, times]) => s.pick({ en: ` ${who} is busy then (${s.list(times)}).`, vi: ` ${who} bận vào lúc đó (${s.list(times)}).` }))
    .join('');
  const next = data?.next_free ? s.when(data.next_free.start, data.next_free.end) : undefined;
  const offer = next
    ? s.pick({ en: ` The next free time is ${next}; should I move it there?`, vi: ` Giờ trống tiếp theo là ${next}; bạn có muốn dời sang đó không?` })
    : '';
  if (!Array.isArray(data?.conflicts) || !data.conflicts.length) return busyNote ? busyNote + offer : '';
  const clashes = s.list(data.conflicts.map((c) => `${s.title(c)} (${s.when(c.start, c.end)})`));
  return s.pick({ en: ` It overlaps ${clashes}.`, vi: ` Lịch này trùng với ${clashes}.` }) + busyNote + offer;
}

export function clip(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** One tool call of the current turn and what came back. */
export interface Step {
  name: string;
  input: Record<string, unknown>;
  text: string;
  isError: boolean;
  /** The result as JSON; undefined for a sentence (a Cancel, an error). */
  data: any;
}

export type Next = { say: string } | { call: string; input: Record<string, unknown> };
