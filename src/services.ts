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
import { authResultSignal, confirmationUpdate, loginLinkUpdate } from '../workflows/user-messages';
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

/** The toast for each click outcome, in the clicker's language when the card said it (vi/en both otherwise). */
const TOAST = {
  confirmed: 'Đã xác nhận / Confirmed',
  cancelled: 'Đã huỷ: không thực hiện / Cancelled: not done',
  already: 'Yêu cầu này đã được trả lời rồi / This was already answered',
  gone: 'Yêu cầu này không còn chờ xác nhận (đã hết hạn hoặc đã xong) / This request is no longer waiting (it expired or was answered)',
  notYours: 'Chỉ người đã gửi yêu cầu mới xác nhận được / Only the person who made this request can confirm it',
  linkSending: 'Đang gửi thẻ đăng nhập mới / A new sign-in card is on its way',
  linkTooSoon: 'Vừa gửi thẻ mới, bạn xem tin nhắn nhé / A new card was just sent: check your messages',
  linkNotNeeded: 'Bạn đã đăng nhập rồi / You are already signed in',
} as const;

/**
 * A card click, as an Update to the card OWNER's workflow, so the toast tells what the click changed.
 * The button value comes from a card we built (and the callback is signed), so `owner` is ours; a click by
 * anyone else is refused without touching Temporal.
 */
export function signalCardAction(client: Client, timeoutMs: number) {
  return async (event: LarkCardActionEvent): Promise<{ toast: string } | undefined> => {
    const v = event.value;
    const owner = typeof v.owner === 'string' ? v.owner : event.openId;
    const kind = v.kind;
    if (kind !== 'confirm' && kind !== 'login_link') return undefined;
    if (owner !== event.openId) return { toast: TOAST.notYours };
    const handle = client.workflow.getHandle(userWorkflowId(owner));
    try {
      if (kind === 'login_link') {
        const r = await client.connection.withDeadline(Date.now() + timeoutMs, () => handle.executeUpdate(loginLinkUpdate));
        return { toast: r.result === 'sending' ? TOAST.linkSending : r.result === 'too_soon' ? TOAST.linkTooSoon : TOAST.linkNotNeeded };
      }
      if (typeof v.key !== 'string' || (v.decision !== 'confirm' && v.decision !== 'cancel')) return undefined;
      const decision = v.decision;
      const r = await client.connection.withDeadline(Date.now() + timeoutMs, () =>
        handle.executeUpdate(confirmationUpdate, { args: [{ key: v.key as string, decision }] }),
      );
      if (r.result === 'accepted') return { toast: decision === 'confirm' ? TOAST.confirmed : TOAST.cancelled };
      return { toast: r.result === 'already_answered' ? TOAST.already : TOAST.gone };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { toast: TOAST.gone };
      // Not recorded: the callback answers 503 and Lark tells the user to try again.
      throw new TemporalUnavailableError(err);
    }
  };
}

/**
 * The OAuth callback's outcome, as a signal to the user's workflow. A failed sign-in (used or expired link,
 * wrong account, refused exchange) is signalled too: the workflow answers it with a fresh login card.
 */
export function signalAuthOutcome(client: Client) {
  return async (outcome: CallbackOutcome): Promise<void> => {
    const openId = 'openId' in outcome ? outcome.openId : undefined;
    if (!openId) return;
    const result = outcome.kind === 'authorized' || outcome.kind === 'denied' ? outcome.kind : 'failed';
    await client.workflow.getHandle(userWorkflowId(openId)).signal(authResultSignal, { outcome: result });
  };
}
