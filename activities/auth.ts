/**
 * Authorization activities for the per-user workflow. They take the open_id only: tokens are looked up
 * here and never cross into workflow history.
 */
import { stableUuid, type LarkClient } from '../src/lark/client';
import { toLarkFailure } from '../src/lark/errors';
import { loginCard } from '../src/cards/login-card';
import type { Lang } from '../src/i18n/language';
import type { OAuthService } from '../src/oauth/service';
import type { UserTokenStore } from '../src/storage/token-store';

export interface AuthActivityDeps {
  store: UserTokenStore;
  oauth: OAuthService;
  client: LarkClient;
  /** Scopes a request needs before it runs (the OAuth scopes minus offline_access). */
  requiredScopes: string[];
}

export interface AuthCheck {
  authorized: boolean;
  reason?: 'missing' | 'revoked' | 'scope';
  missingScopes: string[];
  /** The decision the workflow handed in, returned as given (see RecordedDecision). */
  recorded?: RecordedDecision;
}

/**
 * A decision the workflow took as it asked, returned unchanged: the result is in history, so a replay reads the
 * decision back rather than taking it again from state that can differ on replay (workflows/patches.ts). The
 * TypeScript SDK has no side-effect API; this rides on a check every request makes anyway.
 */
export interface RecordedDecision {
  /** The turn's first model step may hold the run's workflow task (a local activity). */
  holdTask: boolean;
  /** The turn is written to the Base table. False: no table is configured, so no turn-log step at all. */
  logTurn?: boolean;
}

export function createAuthActivities({ store, oauth, client, requiredScopes }: AuthActivityDeps) {
  return {
    async checkAuthorization(openId: string, record?: RecordedDecision): Promise<AuthCheck> {
      const recorded = record ? { recorded: record } : {};
      const status = await store.status(openId);
      if (status.state !== 'authorized') return { authorized: false, reason: status.state, missingScopes: [], ...recorded };
      const missing = requiredScopes.filter((s) => !status.scopes.includes(s));
      return missing.length
        ? { authorized: false, reason: 'scope', missingScopes: missing, ...recorded }
        : { authorized: true, missingScopes: [], ...recorded };
    },

    /**
     * One login card per waiting period, as a direct message (the link is personal even when the request
     * came from a group). The uuid is the waiting period's id, so a retried activity cannot send two.
     */
    async sendLoginCard(input: { openId: string; waitId: string; pendingCount: number; lang?: Lang }): Promise<{ messageId: string }> {
      try {
        const link = await oauth.loginLink(input.openId);
        const sent = await client.sendMessage('open_id', input.openId, {
          msgType: 'interactive',
          content: loginCard(link, input.pendingCount, input.openId, input.lang),
          uuid: stableUuid('login-card', input.waitId),
        });
        return { messageId: sent.message_id };
      } catch (err) {
        throw toLarkFailure(err);
      }
    },
  };
}

export type AuthActivities = ReturnType<typeof createAuthActivities>;
