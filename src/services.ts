/**
 * The app's long-lived objects, built once per process from config: the Lark client (with user tokens
 * from the token store), the token store, and the OAuth service. Without Lark credentials only the
 * intake runs (Lark calls need them).
 */
import { ConfigError, type Config } from './config';
import type { Pool } from './db/pool';
import { asUser, LarkClient } from './lark/client';
import { LarkOAuthClient } from './lark/oauth-client';
import type { Logger } from './logger';
import { OAuthService } from './oauth/service';
import { ReminderStore } from './reminders/store';
import { OAuthStateStore } from './storage/oauth-state-store';
import { SecretBox } from './storage/secret-box';
import { UserTokenStore } from './storage/token-store';
import { IntakeLimits } from './storage/intake-limits';
import { UserLanguageStore } from './storage/user-languages';

export interface LarkServices {
  lark: LarkClient;
  tokens: UserTokenStore;
  oauth: OAuthService;
  /** The reminders index (listing, cancelling, the cap); Temporal owns the firing. */
  reminders: ReminderStore;
  /** Each user's remembered language (prepareRequest); absent in services built without it. */
  languages?: UserLanguageStore;
  /** The per-sender intake limit (routeMessageToUser); absent in services built without it. */
  intakeLimits?: IntakeLimits;
}

/** Secrets every process must be given (the local run generates its own into DATA_DIR first: dev/local-run.ts). */
function secret(value: string | undefined, envName: string): string {
  if (value) return value;
  throw new ConfigError([`${envName} is required when LARK_APP_ID is set (see .env.example)`]);
}

export function buildLarkServices(config: Config, pool: Pool, log: Logger): LarkServices | undefined {
  const { appId, appSecret } = config.lark;
  if (!appId || !appSecret) return undefined;
  // The current key seals; the old ones (a rotation) only open, and what they opened is sealed again when read.
  const box = SecretBox.fromBase64(secret(config.oauth.tokenEncryptionKey, 'TOKEN_ENCRYPTION_KEY'), config.oauth.tokenEncryptionOldKeys);
  const stateSecret = secret(config.oauth.stateSecret, 'OAUTH_STATE_SECRET');
  const oauthClient = new LarkOAuthClient({
    baseUrl: config.lark.baseUrl,
    authorizeUrl: config.oauth.authorizeUrl,
    appId,
    appSecret,
    timeoutMs: config.lark.requestTimeoutMs,
  });
  const tokens = new UserTokenStore(pool, box, oauthClient);
  const lark = new LarkClient({ baseUrl: config.lark.baseUrl, appId, appSecret, timeoutMs: config.lark.requestTimeoutMs, userTokens: tokens, logger: log });
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
  return {
    lark,
    tokens,
    oauth,
    reminders: new ReminderStore(pool, box),
    languages: new UserLanguageStore(pool),
    intakeLimits: new IntakeLimits(pool, config.intake.userLimit),
  };
}
