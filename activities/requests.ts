/**
 * What a request needs before the agent runs: whether to answer at all (groups: only when the bot is
 * @mentioned), the text without the bot's mention, and the user's name for the prompt.
 */
import type { LarkClient } from '../src/lark/client';
import { toLarkFailure } from '../src/lark/errors';
import type { UserMessage } from '../src/lark/event-types';
import type { UserTokenStore } from '../src/storage/token-store';

export type PreparedRequest =
  | { action: 'ignore'; reason: string }
  | { action: 'run'; text: string; userName?: string; timezone?: string };

/** The zone the user set in chat (set_timezone, stored with the reminders): absent means DEFAULT_TIMEZONE. */
export interface UserZones {
  timezoneOf(openId: string): Promise<string | undefined>;
}

export function createRequestActivities({ client, tokens, zones }: { client: LarkClient; tokens: UserTokenStore; zones?: UserZones }) {
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
        const [{ name }, timezone] = await Promise.all([tokens.status(msg.openId), zones?.timezoneOf(msg.openId)]);
        return { action: 'run', text, ...(name ? { userName: name } : {}), ...(timezone ? { timezone } : {}) };
      } catch (err) {
        throw toLarkFailure(err);
      }
    },
  };
}

export type RequestActivities = ReturnType<typeof createRequestActivities>;
