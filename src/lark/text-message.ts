/**
 * The one renderer for what the bot posts as a Lark text message (msg_type "text", and the text of a "post").
 * The Lark client applies it to every text it sends (client.ts: sendMessage, replyMessage), as the last step
 * before the wire, so no caller can skip it: the model's answer, the footers built from tool results, notices,
 * apologies, reminder notices and the Reschedule request all carry text written by others (a task or event
 * title, a name, a reminder's words), and none of it may act as markup.
 *
 * What Lark renders in a text message, and what becomes of it here:
 * - `<at user_id="ou_..">name</at>` / `<at user_id="all"></at>` (pings one person, or everyone), and the
 *   variants `<at id=..>`, `<at open_id=..>`, `<at email=..>`; the style tags `<b>`, `<i>`, `<u>`, `<s>`; and
 *   anything else shaped like a tag (`<a href>`, `<https://..>` autolinks): the `<` of anything tag-shaped becomes
 *   `‹` (U+2039), so no tag survives. A `<` that starts no tag ("a < b") stays.
 * - `[label](url)` links and `![x](key)` images, whose label can hide where the link goes: the brackets become
 *   `［` `］` (fullwidth), so nothing is a link; the URL is still shown as text (a bare URL, which Lark may make
 *   clickable: it then shows its own destination, as anything a person types does).
 * - `**bold**`, `*italic*`, `~~strike~~`: `*` becomes `∗` (U+2217) and a run of `~~` becomes `∼∼` (U+223C).
 * - Character references (`&lt;at ...&gt;`, `&#60;`, and `&#60` or `&lt` without the `;` that HTML also decodes),
 *   in case anything decodes them before parsing tags: an `&` followed by `#`, a letter or a digit becomes `＆`.
 * - Invisible characters that could hide or reorder markup (zero-width space, word joiner, BOM, soft hyphen,
 *   bidi overrides and isolates, control characters) are removed first, so they cannot split a tag to slip past
 *   the rules above; line breaks are kept (`\r\n` becomes `\n`), tabs become spaces. Zero-width (non-)joiners
 *   stay (emoji sequences and some scripts need them) and are looked through when spotting a tag or a link.
 * Everything else is shown as typed. Lark documents no escape for text messages (cards have HTML entities, see
 * src/cards/lark-md.ts), hence look-alike characters rather than escapes.
 *
 * Intended mentions: the bot sends none today. Should it need one, it must be structured input (an open_id the
 * caller passes, rendered here as the one `<at>` this module emits), never parsed out of text.
 *
 * Pure and deterministic.
 */

/** Lark's limit for a text message's content JSON (230025 above it). */
export const TEXT_CONTENT_LIMIT_BYTES = 150 * 1024;

/** Removed outright: C0/C1 controls (not \n, \t), soft hyphen, Mongolian vowel separator, ZWSP, LRM/RLM, ALM, bidi embeddings/overrides/isolates, word joiner and invisible operators, BOM. */
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
/** Looked through between the pieces of a tag or a link: spaces and the joiners that are kept. */
const GAP = '[\\s\\u200c\\u200d]*';
const TAG_START = new RegExp(`<(?=${GAP}[A-Za-z!/?])`, 'g');
const LINK_PAIR = new RegExp(`\\[([^\\[\\]]*)\\](?=${GAP}\\()`, 'g');
const LINK_CLOSE = new RegExp(`\\](?=${GAP}\\()`, 'g');
const ENTITY = /&(?=[\u200c\u200d]*[#A-Za-z0-9])/g;

/** `text` as a Lark text message shows it, with nothing in it able to act as markup (see the module comment). */
export function neutralizeLarkText(text: string): string {
  return String(text)
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(INVISIBLE, '')
    .replace(TAG_START, '‹')
    .replace(ENTITY, '＆')
    .replace(LINK_PAIR, '［$1］')
    .replace(LINK_CLOSE, '］')
    .replace(/\*/g, '∗')
    .replace(/~{2,}/g, (run) => '∼'.repeat(run.length));
}

/**
 * The content of a text message: the neutralized text, cut (with "…") so its JSON fits Lark's 150 KB. The
 * look-alikes take more bytes than what they replace, which must not turn a message that fitted into a refusal.
 */
export function textMessageContent(text: string): { text: string } {
  let out = neutralizeLarkText(text);
  const size = (s: string) => Buffer.byteLength(JSON.stringify({ text: s }), 'utf8');
  if (size(out) <= TEXT_CONTENT_LIMIT_BYTES) return { text: out };
  let chars = [...out];
  while (chars.length && size(chars.join('') + '…') > TEXT_CONTENT_LIMIT_BYTES) {
    chars = chars.slice(0, Math.floor(chars.length * Math.min(0.98, TEXT_CONTENT_LIMIT_BYTES / size(chars.join('')))));
  }
  out = chars.join('') + '…';
  return { text: out };
}

type PostElement = Record<string, unknown> & { tag?: unknown };

/**
 * A "post" (rich text) with the same rules: its title and every text and md element neutralized, `un_escape`
 * dropped, links shown as "label (url)" text and @mentions as "@name" text. Images, emoji, rules and code
 * blocks are kept as they are.
 */
export function neutralizePost(content: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [locale, body] of Object.entries(content)) {
    if (!body || typeof body !== 'object') {
      out[locale] = body;
      continue;
    }
    const b = body as { title?: unknown; content?: unknown };
    out[locale] = {
      ...b,
      ...(typeof b.title === 'string' ? { title: neutralizeLarkText(b.title) } : {}),
      ...(Array.isArray(b.content)
        ? { content: b.content.map((line) => (Array.isArray(line) ? line.map((el) => postElement(el as PostElement)) : line)) }
        : {}),
    };
  }
  return out;
}

function postElement(el: PostElement): PostElement {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (el.tag) {
    case 'text':
    case 'md': {
      const { un_escape: _dropped, ...rest } = el;
      return { ...rest, text: neutralizeLarkText(str(el.text)) };
    }
    case 'a':
      return { tag: 'text', text: neutralizeLarkText(el.text ? `${str(el.text)} (${str(el.href)})` : str(el.href)) };
    case 'at':
      return { tag: 'text', text: neutralizeLarkText(`@${str(el.user_name) || str(el.user_id)}`) };
    default:
      return el;
  }
}

/**
 * The wire content of a message the bot sends: text and post neutralized (a content given as a JSON string is
 * parsed first); every other type (cards escape their own text, src/cards/lark-md.ts) as given.
 */
export function neutralizedContent(msgType: string, content: string | Record<string, unknown>): string | Record<string, unknown> {
  if (msgType !== 'text' && msgType !== 'post') return content;
  let parsed: unknown = content;
  if (typeof content === 'string') {
    try {
      parsed = JSON.parse(content);
    } catch {
      return content; // not JSON: Lark refuses it (230001), so nothing of it is shown
    }
  }
  const obj = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  if (msgType === 'post') return neutralizePost(obj);
  return { ...obj, ...textMessageContent(typeof obj.text === 'string' ? obj.text : '') };
}
