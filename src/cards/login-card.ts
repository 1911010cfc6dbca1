/**
 * The interactive login card, in the user's language: a sign-in button (not a bare link) and a "send me a
 * new link" button for when the link expired or was used (the workflow sends a fresh card, at most one a minute).
 */
import { t, type Lang } from '../i18n/language';
import { loginCardText as T } from '../i18n/messages';

export interface LoginLinkValue {
  kind: 'login_link';
  owner: string;
  lang: Lang;
}

/** The login card after its wait ended with no sign-in (declined, or timed out): no buttons, nothing promised. */
export function closedLoginCard(reason: 'denied' | 'timeout', lang: Lang = 'en'): Record<string, unknown> {
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'grey', title: { tag: 'plain_text', content: t(lang, T.closedHeader) } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: t(lang, T.closed[reason]) } }],
  };
}

export function loginCard(link: string, pendingCount: number, owner: string, lang: Lang = 'en'): Record<string, unknown> {
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'blue', title: { tag: 'plain_text', content: t(lang, T.header) } },
    elements: [
      {
        tag: 'div',
        text: {
          tag: 'lark_md',
          content: `${t(lang, T.why)}\n\n${t(lang, T.pending(pendingCount))}`,
        },
      },
      {
        tag: 'action',
        actions: [
          {
            tag: 'button',
            type: 'primary',
            text: { tag: 'plain_text', content: t(lang, T.signIn) },
            multi_url: { url: link, pc_url: link, android_url: link, ios_url: link },
          },
          {
            tag: 'button',
            type: 'default',
            text: { tag: 'plain_text', content: t(lang, T.newLink) },
            value: { kind: 'login_link', owner, lang } satisfies LoginLinkValue,
          },
        ],
      },
      {
        tag: 'note',
        elements: [{ tag: 'plain_text', content: t(lang, T.note) }],
      },
    ],
  };
}
