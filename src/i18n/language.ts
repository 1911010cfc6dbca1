/**
 * One language per user turn: Vietnamese or English, read from the message itself (Lark's locale when it
 * is known wins). Pure: workflow code imports this file.
 */

export type Lang = 'vi' | 'en';

// Letters only Vietnamese uses (English text never has them), plus a few unaccented Vietnamese words
// people type without diacritics ("nhac toi 5h chieu").
const VI_LETTERS = /[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]/i;
const VI_WORDS = /\b(toi|minh|lich|hop|cuoc|nhac|ngay|mai|chieu|sang|toan|viec|cong|xoa|doi|giup|nhe|voi|cua|tuan|thu|gio)\b/i;

/** The language to answer in: Lark's locale when known, else what the text looks like; English by default. */
export function detectLanguage(text: string | undefined, larkLocale?: string): Lang {
  if (larkLocale) {
    const l = larkLocale.toLowerCase();
    if (l.startsWith('vi')) return 'vi';
    if (l.startsWith('en')) return 'en';
  }
  if (!text) return 'en';
  if (VI_LETTERS.test(text)) return 'vi';
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const viHits = words.filter((w) => VI_WORDS.test(w)).length;
  return viHits >= 2 && viHits * 3 >= words.length ? 'vi' : 'en';
}

/** Picks the text for a language: `t(lang, { vi: '...', en: '...' })`. */
export function t(lang: Lang, text: { vi: string; en: string }): string {
  return text[lang];
}

/**
 * The language a message says confidently, or undefined when it says none: emoji, numbers, times, links,
 * mentions and a lone word ("ok") carry no signal. Vietnamese by its letters or two unaccented Vietnamese words;
 * English by two or more words of Latin letters and no Vietnamese.
 */
export function languageSignal(text: string | undefined): Lang | undefined {
  if (!text) return undefined;
  const plain = text.replace(/\bhttps?:\/\/\S+|\bwww\.\S+|\S+@\S+\.\S+|@_user_\d+/gi, ' ');
  if (VI_LETTERS.test(plain)) return 'vi';
  const words = plain.toLowerCase().match(/\p{L}{2,}/gu) ?? [];
  const viHits = words.filter((w) => VI_WORDS.test(w)).length;
  if (viHits >= 2 && viHits * 3 >= words.length) return 'vi';
  const latin = words.filter((w) => /^[a-z]+$/.test(w));
  return latin.length >= 2 ? 'en' : undefined;
}
