/**
 * Picking "the meeting with Lan" or "the report task" out of a list the tools returned, the way a person
 * would: by the words of its title (and attendees when the list has them), then by its time. It returns every
 * equally good candidate so the caller can ask when there is more than one, instead of guessing.
 */

/** Case- and diacritic-insensitive, so "lan" finds "Nguyễn Thị Lan" and "bao cao" finds "Báo cáo". */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toLowerCase();
}

const tokens = (s: string) => s.split(/[^\p{L}\p{N}@._-]+/u).filter(Boolean);

/** Words that say nothing about WHICH item: articles, pronouns, verbs of the request, day and time words. */
const STOP = new Set(
  (
    'the a an my our your his her their this that these those it its me i we you to of for on in at by with and or from about ' +
    'please pls can could would will should do does is are be as up so just also then now again all any one ' +
    'move moved reschedule postpone push pushed back forward bring shift delay put off cancel cancelled canceled delete remove drop call scrap clear ' +
    'rename retitle change title name new time later earlier mark marked complete completed finish finished tick done set make ' +
    'calendar schedule agenda off today tomorrow tonight morning afternoon evening noon day week next am pm hour hours minute minutes min mins ' +
    'monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thurs fri sat sun ' +
    'tôi mình em anh chị bạn của cho giúp hộ nhé nha đi với cùng và là thì lúc vào ngày hôm nay mai mốt kia sáng trưa chiều tối đêm ' +
    'giờ phút tiếng thứ hai ba tư năm sáu bảy chủ nhật tuần sau tới này đó đấy ấy cái những các một rồi đã xong ' +
    'dời chuyển lùi hoãn đổi đẩy dịch sang thành qua đến xuống lên hủy huỷ xóa xoá bỏ dẹp tên mới ' +
    'đánh dấu hoàn thành'
  )
    .split(' ')
    .map(fold),
);

/** Nouns that name a kind of item: they help when nothing more specific was said. */
const GENERIC = new Set(
  'meeting meetings sync call event events appointment lunch standup review task tasks todo to-do reminder cuộc họp buổi lịch sự kiện hẹn việc công nhiệm vụ'
    .split(' ')
    .map(fold),
);

export interface Keywords {
  /** Words that name this item in particular ("lan", "report", "budget"). */
  specific: string[];
  /** Words that name its kind ("meeting", "họp"). */
  generic: string[];
  /** The specific words as the user wrote them, to quote back ("Hùng", not "hung"). */
  said: string[];
}

/** The words of a request that could be in the title of what it is about. Digits (times, dates) are left out. */
export function keywords(text: string): Keywords {
  const specific: string[] = [];
  const generic: string[] = [];
  const said: string[] = [];
  for (const raw of tokens(text)) {
    const w = fold(raw);
    if (/\d/.test(w) || w.length < 2) continue;
    // "Mai" capitalised is a given name; lowercase "mai" is "tomorrow".
    if (GENERIC.has(w)) generic.push(w);
    else if (!STOP.has(w) || raw === 'Mai') {
      if (!specific.includes(w)) said.push(raw);
      specific.push(w);
    }
  }
  return { specific: [...new Set(specific)], generic: [...new Set(generic)], said };
}

function hits(words: string[], titleWords: string[]): number {
  // A prefix of four letters or more counts ("report" finds "reports").
  return words.filter((w) => titleWords.some((t) => t === w || (w.length >= 4 && t.startsWith(w)) || (t.length >= 4 && w.startsWith(t)))).length;
}

/**
 * The best candidates for the keywords: with specific words, only items that share at least one of them
 * (most shared first); without, items sharing a generic word, or all items when none does.
 */
export function bestMatches<T>(items: T[], textOf: (item: T) => string, k: Keywords): T[] {
  const scored = items.map((item) => {
    const words = tokens(textOf(item)).map(fold);
    return { item, specific: hits(k.specific, words), generic: hits(k.generic, words) };
  });
  let pool = k.specific.length ? scored.filter((s) => s.specific > 0) : scored;
  if (!k.specific.length && pool.some((s) => s.generic > 0)) pool = pool.filter((s) => s.generic > 0);
  if (!pool.length) return [];
  const score = (s: (typeof pool)[number]) => s.specific * 10 + s.generic;
  const top = Math.max(...pool.map(score));
  return pool.filter((s) => score(s) === top).map((s) => s.item);
}
