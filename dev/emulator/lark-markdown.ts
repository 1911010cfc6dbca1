/**
 * Lark's text and lark_md rendering, the subset a chat shows: **bold**, *italic*, ~~strike~~, <b>/<i>/<u>/<s>,
 * [links](https://...), bare links, <at user_id="ou_...">Name</at> and the "@_user_1" keys of a received
 * message's mentions shown as the person's name. Everything else is escaped: the output is safe HTML.
 */

export interface MentionView {
  /** "@_user_1" as it appears in the text. */
  key: string;
  name: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Placeholders keep already-built HTML out of later passes (a link inside bold, a name with asterisks). */
class Pieces {
  private readonly parts: string[] = [];
  hold(html: string): string {
    this.parts.push(html);
    return `\u0000${this.parts.length - 1}\u0000`;
  }
  restore(s: string): string {
    // Nested placeholders (bold around a link) are restored until none is left.
    let out = s;
    for (let i = 0; i < 5 && out.includes('\u0000'); i++) out = out.replace(/\u0000(\d+)\u0000/g, (_, n: string) => this.parts[Number(n)] ?? '');
    return out;
  }
}

const safeUrl = (u: string) => /^https?:\/\/[^\s"'<>]+$/i.test(u);

/** The entities Lark's card markdown documents for special characters ("特殊字符转义"), besides numeric ones. */
const NAMED: Record<string, string> = { nbsp: '\u00a0', lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function larkTextToHtml(
  text: string,
  opts: { mentions?: MentionView[]; nameOf?: (openId: string) => string | undefined; cardMarkdown?: boolean } = {},
): string {
  const p = new Pieces();
  let s = text.replace(/\u0000/g, '');
  // In a card's markdown an entity is the character itself, never markup ("&#42;" shows "*", not italics): held
  // as a literal before any other pass. A text message shows entities as typed, so only cards decode them.
  if (opts.cardMarkdown) {
    s = s.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(nbsp|lt|gt|amp|quot|apos));/gi, (all, dec?: string, hex?: string, named?: string) => {
      const code = dec ? Number(dec) : hex ? parseInt(hex, 16) : undefined;
      const ch = code !== undefined ? (code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined) : NAMED[named!.toLowerCase()];
      return ch === undefined ? all : p.hold(escapeHtml(ch));
    });
  }
  // <at user_id="ou_x">Name</at>, <at id=all></at>, <at open_id="..."></at>
  s = s.replace(/<at\s+(?:user_id|id|open_id|email)\s*=\s*["']?([^"'\s>]+)["']?\s*>([^<]*)<\/at>/gi, (_, id: string, name: string) => {
    const shown = name.trim() || (id === 'all' ? 'all' : (opts.nameOf?.(id) ?? id));
    return p.hold(`<span class="mention">@${escapeHtml(shown.replace(/^@/, ''))}</span>`);
  });
  for (const m of opts.mentions ?? []) {
    s = s.split(m.key).join(p.hold(`<span class="mention">@${escapeHtml(m.name)}</span>`));
  }
  s = s.replace(/\[([^\]\n]{1,300})\]\(([^)\s]{1,2000})\)/g, (all, label: string, url: string) =>
    safeUrl(url) ? p.hold(`<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(label)}</a>`) : all,
  );
  // A bare link ends before trailing punctuation ("see https://x.com/a." links https://x.com/a).
  s = s.replace(/https?:\/\/[^\s<>"'）)]+/g, (found) => {
    const url = found.replace(/[.,;:!?]+$/, '');
    return p.hold(`<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(url)}</a>`) + found.slice(url.length);
  });
  s = escapeHtml(s);
  const wrap = (re: RegExp, tag: string) => {
    s = s.replace(re, (_, inner: string) => p.hold(`<${tag}>${inner}</${tag}>`));
  };
  // The tags Lark's text messages accept, after escaping (so only these exact forms come back).
  for (const tag of ['b', 'i', 'u', 's'])
    wrap(new RegExp(`&#60;${tag}&#62;([\\s\\S]*?)&#60;/${tag}&#62;`, 'g'), tag === 's' ? 'del' : tag === 'b' ? 'strong' : tag === 'i' ? 'em' : 'u');
  wrap(/\*\*([^*\n][\s\S]*?)\*\*/g, 'strong');
  wrap(/~~([^~\n][\s\S]*?)~~/g, 'del');
  wrap(/(?<![*\w])\*([^*\s][^*\n]*?)\*(?![*\w])/g, 'em');
  return p.restore(s).replace(/\n/g, '<br>');
}
