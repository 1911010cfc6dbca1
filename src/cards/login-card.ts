/**
 * The interactive login card, in the user's language: a sign-in button (not a bare link) and a "send me a
 * new link" button for when the link expired or was used (the workflow sends a fresh card, at most one a minute).
 */
import type { Lang } from '../i18n/language';

export interface LoginLinkValue {
  kind: 'login_link';
  owner: string;
  lang: Lang;
}

export function loginCard(link: string, pendingCount: number, owner: string, lang: Lang = 'en'): Record<string, unknown> {
  const vi = lang === 'vi';
  const pending =
    pendingCount > 1
      ? vi
        ? `Bạn có **${pendingCount} yêu cầu** đang chờ; chúng sẽ tự chạy tiếp sau khi bạn đăng nhập.`
        : `**${pendingCount} requests** are waiting and will continue once you sign in.`
      : vi
        ? 'Yêu cầu của bạn sẽ tự chạy tiếp sau khi bạn đăng nhập.'
        : 'Your request will continue once you sign in.';
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'blue', title: { tag: 'plain_text', content: vi ? 'Kết nối Lịch & Công việc' : 'Connect Calendar & Tasks' } },
    elements: [
      {
        tag: 'div',
        text: {
          tag: 'lark_md',
          content: `${vi ? 'Để làm việc này, trợ lý cần quyền truy cập Lịch và Công việc Lark của bạn.' : 'To do this, the assistant needs access to your Lark Calendar and Tasks.'}\n\n${pending}`,
        },
      },
      {
        tag: 'action',
        actions: [
          {
            tag: 'button',
            type: 'primary',
            text: { tag: 'plain_text', content: vi ? 'Đăng nhập với Lark' : 'Sign in with Lark' },
            multi_url: { url: link, pc_url: link, android_url: link, ios_url: link },
          },
          {
            tag: 'button',
            type: 'default',
            text: { tag: 'plain_text', content: vi ? 'Gửi liên kết mới' : 'Send me a new link' },
            value: { kind: 'login_link', owner, lang } satisfies LoginLinkValue,
          },
        ],
      },
      {
        tag: 'note',
        elements: [{ tag: 'plain_text', content: vi ? 'Liên kết dùng một lần, hết hạn sau 15 phút.' : 'Single-use link; it expires in 15 minutes.' }],
      },
    ],
  };
}
