/**
 * The app's long-lived objects, built once per process from config: the Lark client (with user tokens
 * from the token store), the token store, and the OAuth service. Without Lark credentials only the
 * intake runs (Lark calls need them).
 */
import type { Client } from '@temporalio/client';
import { ConfigError, type Config } from './config';
import type { Pool } from './db/pool';
import { ensureLocalSecret } from './local-secrets';
import type { Logger } from './logger';
import { createLarkClient, type LarkClient } from './lark/client';
import { LarkOAuthClient } from './lark/oauth-client';
import { OAuthService, type CallbackOutcome } from './oauth/service';
import { OAuthStateStore } from './storage/oauth-state-store';
import { SecretBox } from './storage/secret-box';
import { UserTokenStore } from './storage/token-store';
import { userWorkflowId } from '../workflows/ids';
import { authResultSignal, confirmationSignal } from '../workflows/user-messages';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { LarkCardActionEvent } from './lark/event-types';
import { TemporalUnavailableError } from './webhook/event-starter';
import { asUser } from './lark/client';

export interface LarkServices {
  lark: LarkClient;
  tokens: UserTokenStore;
  oauth: OAuthService;
}

/** Secrets the local run may generate into DATA_DIR; long-running processes must be given them. */
function secret(config: Config, value: string | undefined, name: string, envName: string, allowLocal: boolean): string {
  if (value) return value;
  if (allowLocal) return ensureLocalSecret(config.dataDir, name);
  throw new ConfigError([`${envName} is required when LARK_APP_ID is set (see .env.example)`]);
}

export function buildLarkServices(config: Config, pool: Pool, log: Logger, opts: { allowLocalSecrets: boolean }): LarkServices | undefined {
  const { appId, appSecret } = config.lark;
  if (!appId || !appSecret) return undefined;
  const box = SecretBox.fromBase64(secret(config, config.oauth.tokenEncryptionKey, 'token-encryption', 'TOKEN_ENCRYPTION_KEY', opts.allowLocalSecrets));
  const stateSecret = secret(config, config.oauth.stateSecret, 'oauth-state', 'OAUTH_STATE_SECRET', opts.allowLocalSecrets);
  const oauthClient = new LarkOAuthClient({
    baseUrl: config.lark.baseUrl,
    authorizeUrl: config.oauth.authorizeUrl,
    appId,
    appSecret,
    timeoutMs: config.lark.requestTimeoutMs,
  });
  const tokens = new UserTokenStore(pool, box, oauthClient);
  const lark = createLarkClient(config.lark, { userTokens: tokens, logger: log });
  const oauth = new OAuthService(
    { redirectUri: config.oauth.redirectUri, scopes: config.oauth.scopes, stateSecret, stateTtlMs: config.oauth.stateTtlMs },
    oauthClient,
    new OAuthStateStore(pool, box),
    tokens,
    log,
    // Remember the user's primary calendar now, so the first calendar tool call does not have to.
    async (openId) => {
      const cal = await lark.primaryCalendar({ as: asUser(openId) });
      await tokens.setPrimaryCalendar(openId, cal.calendar_id);
    },
  );
  return { lark, tokens, oauth };
}

/**
 * A Confirm / Cancel click, as a signal to the CLICKER's workflow: a click by someone else lands in their
 * own workflow, which is not waiting for that key, so it changes nothing.
 */
export function signalCardAction(client: Client, timeoutMs: number) {
  return async (event: LarkCardActionEvent): Promise<{ toast: string } | undefined> => {
    const v = event.value;
    if (v.kind !== 'confirm' || typeof v.key !== 'string' || (v.decision !== 'confirm' && v.decision !== 'cancel')) return undefined;
    try {
      await client.connection.withDeadline(Date.now() + timeoutMs, () =>
        client.workflow.getHandle(userWorkflowId(event.openId)).signal(confirmationSignal, { key: v.key as string, decision: v.decision as 'confirm' | 'cancel' }),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { toast: 'Yêu cầu này không còn nữa. / This request is gone.' };
      throw new TemporalUnavailableError(err);
    }
    return { toast: v.decision === 'confirm' ? 'Đã xác nhận / Confirmed' : 'Đã huỷ / Cancelled' };
  };
}

/** The OAuth callback's outcome, as a signal to the user's workflow. */
export function signalAuthOutcome(client: Client) {
  return async (outcome: CallbackOutcome): Promise<void> => {
    if (outcome.kind !== 'authorized' && outcome.kind !== 'denied') return;
    await client.workflow.getHandle(userWorkflowId(outcome.openId)).signal(authResultSignal, { outcome: outcome.kind });
  };
}
