/**
 * What a request needs before the agent runs: whether to answer at all (groups: only when the bot is
 * @mentioned), the text without the bot's mention, and the user's name for the prompt.
 */
import type { LarkClient } from '../src/lark/client';
import { toLarkFailure } from '../src/lark/errors';
import type { UserMessage } from '../src/lark/event-types';
import type { UserTokenStore } from '../src/storage/token-store';
import { languageSignal, type Lang } from '../src/i18n/language';

export type PreparedRequest =
  | { action: 'ignore'; reason: string }
  | {
      action: 'run';
      text: string;
      userName?: string;
      timezone?: string;
      /**
       * The language to answer in: what this message says confidently, else the last language the user's
       * messages said (stored per open_id); absent when neither is known (then detect it from the text).
       */
      lang?: Lang;
    };

/** The zone the user set in chat (set_timezone, stored with the reminders): absent means DEFAULT_TIMEZONE. */
export interface UserZones {
  timezoneOf(openId: string): Promise<string | undefined>;
}

/** The user's remembered language (UserLanguageStore, PostgreSQL). */
export interface UserLanguages {
  languageOf(openId: string): Promise<Lang | undefined>;
  setLanguage(openId: string, lang: Lang): Promise<void>;
}

export function createRequestActivities({
  client,
  tokens,
  zones,
  languages,
}: {
  client: LarkClient;
  tokens: UserTokenStore;
  zones?: UserZones;
  languages?: UserLanguages;
}) {
  let botOpenId: Promise<string> | undefined;
  const bot = () => {
    botOpenId ??= client.botInfo().then((b) => b.openId);
    botOpenId.catch(() => (botOpenId = undefined));
    return botOpenId;
  };

  return {
    async prepareRequest(msg: UserMessage): Promise<PreparedRequest> {
      try {
        let text = msg.text ?? '';
        if (msg.chatType === 'group' || msg.mentions.length) {
          const me = await bot();
          const mention = msg.mentions.find((m) => m.openId === me);
          if (msg.chatType === 'group' && !mention) return { action: 'ignore', reason: 'group message without an @mention of the bot' };
          if (mention) text = text.split(`@${mention.name}`).join(' ');
        }
        text = text.replace(/\s+/g, ' ').trim();
        // Two independent reads on every message's path: side by side.
        // A message that says its language updates the user's; one that says none (emoji, numbers, links) uses it.
        const signal = languageSignal(text);
        const [{ name }, timezone, lang] = await Promise.all([
          tokens.status(msg.openId),
          zones?.timezoneOf(msg.openId),
          signal ? languages?.setLanguage(msg.openId, signal).then(() => signal) : languages?.languageOf(msg.openId),
        ]);
        return { action: 'run', text, ...(name ? { userName: name } : {}), ...(timezone ? { timezone } : {}), ...(lang ? { lang } : {}) };
      } catch (err) {
        throw toLarkFailure(err);
      }
    },
  };
}

export type RequestActivities = ReturnType<typeof createRequestActivities>;
