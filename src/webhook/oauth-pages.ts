/** The small bilingual pages the OAuth callback answers with: the user's language first when it is known. */
import type { Lang } from '../i18n/language';
import type { CallbackOutcome } from '../oauth/service';
import { OAUTH_ERROR_HINTS } from '../oauth/service';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * What the page may say to a known user: `waiting` whether their run waits for sign-in (only then does a failed
 * link bring a new card by itself; undefined: the run could not be asked), `lang` their remembered language.
 */
export interface PageContext {
  waiting?: boolean;
  lang?: Lang;
}

function page(title: string, vi: string, en: string, lang: Lang = 'vi'): string {
  const [first, second] =
    lang === 'en'
      ? [
          ['en', en],
          ['vi', vi],
        ]
      : [
          ['vi', vi],
          ['en', en],
        ];
  // Titles are "Vietnamese / English": the user's language first, like the text under them.
  const halves = title.split(' / ');
  if (lang === 'en' && halves.length === 2) title = `${halves[1]} / ${halves[0]}`;
  return `<!doctype html><html lang="${first![0]}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1f2329}
h1{font-size:1.4rem}p.second{color:#646a73}</style></head><body><h1>${esc(title)}</h1><p lang="${first![0]}">${first![1]}</p><p class="second" lang="${second![0]}">${second![1]}</p></body></html>`;
}

/**
 * After a link that did not work: what brings a new one, as true as the run's state lets us say. `known`: the link
 * named a user we can vouch for (their run was told); `waiting` undefined there means the run was not asked (a
 * repeated hit of the same dead link) or did not answer in time, so both cases are said.
 */
function nextStep(waiting: boolean | undefined, known = true): [string, string] {
  if (waiting === true)
    return [
      'Quay lại Lark: bạn sẽ nhận được thẻ đăng nhập mới trong tin nhắn với bot.',
      'Go back to Lark: a new sign-in card is on its way in your chat with the bot.',
    ];
  if (waiting === false)
    return [
      'Hiện không có yêu cầu nào của bạn đang chờ đăng nhập. Quay lại Lark và gửi lại yêu cầu cho bot: thẻ đăng nhập mới sẽ đến cùng câu trả lời.',
      'No request of yours is waiting for sign-in now. Go back to Lark and send the bot your request again: a new sign-in card comes with it.',
    ];
  if (known)
    return [
      'Quay lại Lark: nếu có yêu cầu của bạn đang chờ đăng nhập, bạn sẽ nhận được thẻ đăng nhập mới trong tin nhắn với bot; nếu không, hãy gửi lại yêu cầu, thẻ mới sẽ đến cùng câu trả lời.',
      'Go back to Lark: if a request of yours is waiting for sign-in, a new sign-in card is on its way in your chat with the bot; if not, send the bot your request again and a card comes with it.',
    ];
  return [
    'Quay lại Lark và gửi lại yêu cầu cho bot (hoặc bấm "Gửi liên kết mới" trên thẻ mới nhất) để nhận liên kết mới.',
    'Go back to Lark and send the bot your request again (or press "Send me a new link" on the latest card) to get a new link.',
  ];
}

export function oauthPage(outcome: CallbackOutcome, ctx: PageContext = {}): { status: number; html: string } {
  const lang = ctx.lang;
  switch (outcome.kind) {
    case 'authorized':
      return {
        status: 200,
        html: page(
          'Đã kết nối / Connected',
          `Xong! Bạn đã cho phép trợ lý truy cập Lịch và Công việc${outcome.name ? ` của ${esc(outcome.name)}` : ''}. Bạn có thể đóng trang này và quay lại Lark: các yêu cầu đang chờ sẽ được xử lý tiếp.`,
          'Done! The assistant can now use your Calendar and Tasks. Close this page and go back to Lark: your pending requests will continue.',
          lang,
        ),
      };
    case 'denied':
      return {
        status: 200,
        html: page(
          'Chưa kết nối / Not connected',
          'Bạn đã từ chối cấp quyền. Trợ lý sẽ không truy cập Lịch và Công việc của bạn. Nhắn lại cho bot bất cứ lúc nào để thử lại.',
          'You declined. The assistant will not access your Calendar and Tasks. Message the bot any time to try again.',
          lang,
        ),
      };
    case 'bad_state': {
      const why: Record<string, [string, string]> = {
        expired: ['Liên kết đăng nhập đã hết hạn.', 'This login link has expired.'],
        reused: ['Liên kết đăng nhập này đã được dùng.', 'This login link was already used.'],
        bad_signature: ['Liên kết đăng nhập không hợp lệ.', 'This login link is not valid.'],
        malformed: ['Liên kết đăng nhập không hợp lệ.', 'This login link is not valid.'],
        unknown: ['Không tìm thấy liên kết đăng nhập này.', 'This login link is unknown.'],
      };
      const [vi, en] = why[outcome.problem] ?? why.malformed!;
      // A genuine link told the user's run, which sends a fresh card only while it waits for sign-in.
      const next = nextStep(ctx.waiting, outcome.openId !== undefined);
      return {
        status: 400,
        html: page('Liên kết không dùng được / Link not usable', `${vi} ${next[0]}`, `${en} ${next[1]}`, lang),
      };
    }
    case 'wrong_user': {
      const [vi, en] = nextStep(ctx.waiting);
      return {
        status: 400,
        html: page(
          'Sai tài khoản / Wrong account',
          `Bạn đã đăng nhập bằng một tài khoản khác với người nhận liên kết. Không có gì được lưu. Hãy đăng xuất tài khoản đó trong trình duyệt, rồi đăng nhập bằng đúng tài khoản bạn dùng để chat. ${vi}`,
          `You signed in with a different account than the one this link was made for. Nothing was saved. Sign out of that account in this browser, then sign in with the account you chat with. ${en}`,
          lang,
        ),
      };
    }
    case 'lark_error': {
      const hint = (outcome.code && OAUTH_ERROR_HINTS[outcome.code]) || outcome.error;
      const [vi, en] = nextStep(ctx.waiting);
      return {
        status: 400,
        html: page(
          'Lark từ chối đăng nhập / Lark refused the sign-in',
          `Lark trả về lỗi${outcome.code ? ` ${outcome.code}` : ''}: ${esc(hint)}. ${vi}`,
          `Lark answered with an error${outcome.code ? ` ${outcome.code}` : ''}: ${esc(hint)}. ${en}`,
          lang,
        ),
      };
    }
  }
}

/**
 * The callback's rate limit (429, sent with Retry-After): the same page for a person who reloaded too often and
 * for a flood; `who` says whether this client or everyone was too many.
 */
export function tooManyPage(retryAfterSeconds: number, who: 'client' | 'total'): { status: number; html: string } {
  const s = retryAfterSeconds;
  const [vi, en] =
    who === 'client'
      ? ['Trang đăng nhập được mở quá nhiều lần từ thiết bị của bạn.', 'This sign-in page was opened too many times from your device.']
      : ['Dịch vụ đăng nhập đang nhận quá nhiều yêu cầu.', 'The sign-in service is receiving too many requests right now.'];
  return {
    status: 429,
    html: page(
      'Quá nhiều lần thử / Too many attempts',
      `${vi} Hãy đợi ${s} giây rồi mở lại liên kết, hoặc quay lại Lark và dùng thẻ đăng nhập mới nhất.`,
      `${en} Wait ${s} second${s === 1 ? '' : 's'} and open the link again, or go back to Lark and use the latest sign-in card.`,
    ),
  };
}
