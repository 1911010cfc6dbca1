/**
 * Escaping for text that goes into a card's `lark_md` / `markdown` content. Lark renders markup there:
 * `<at id=all></at>` (pings everyone), `<a href>`, `[text](url)`, `<font>`, `<text_tag>`, `<link>`, `<person>`,
 * `**bold**`, `*italic*`, `~~strike~~`, `:EMOJI:`, images `![x](key)`, lists and `---` at line starts. Text
 * from the model or a user must show as typed, never as markup, so every character with a meaning in that
 * syntax becomes the numeric HTML entity Lark documents for it ("特殊字符转义": `&#42;` for `*`, ...).
 * Pure and deterministic: workflow code imports it.
 */

/** Every character Lark's card markdown gives a meaning to, plus `&` so existing entities show as typed. */
const SPECIAL = /[&<>*_~`[\]()#+\-!\\/:"'$|.{}=@]/g;

/** Bidi overrides and isolates can make a title read differently from what it is; other controls are noise. */
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Escapes `text` for lark_md: what the user sees is exactly the text, with line breaks kept. */
export function escapeLarkMd(text: string): string {
  return String(text)
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(INVISIBLE, '')
    .replace(SPECIAL, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * For one-line places (a title, a name): line breaks become spaces and the result is cut at `maxChars`
 * characters of the ORIGINAL text (never inside an entity), with an ellipsis when cut.
 */
export function escapeLarkMdLine(text: string, maxChars = 200): string {
  const flat = String(text)
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim();
  const chars = [...flat];
  const cut = chars.length > maxChars ? chars.slice(0, maxChars).join('') + '…' : flat;
  return escapeLarkMd(cut);
}
