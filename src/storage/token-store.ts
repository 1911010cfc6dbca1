/**
 * Per-user Lark tokens in PostgreSQL, sealed with AES-256-GCM (each bound to its row and column; see secret-box.ts).
 * Refresh happens inside a row lock (SELECT ... FOR UPDATE) around read, refresh and write, so any
 * number of activities on any number of workers spend a single-use refresh token exactly once.
 * A value sealed with an old key (or in the earlier format) is sealed again when it is read.
 *
 * A refresh whose answer never came (timeout, connection cut) may or may not have spent the refresh token at Lark.
 * The same call settles it: the lock is released (a sign-in may be waiting to store new tokens), the row is read
 * again, and unless it changed the refresh is tried once more with the same token: Lark either does it (the first
 * never arrived) or answers 20073, already used (the first did, and its new tokens are lost): then the user must
 * sign in, which is said with the typed LarkUserAuthRequired the workflows turn into one sign-in card.
 */
import type { Pool, PoolClient } from 'pg';
import { LarkTransportError, LarkUserAuthRequired } from '../lark/errors';
import { LarkOAuthError, type LarkOAuthClient, type UserTokens } from '../lark/oauth-client';
import { sealedFor, type SealedPlace, type SecretBox } from './secret-box';

export type AuthState = 'authorized' | 'missing' | 'revoked';

export interface AuthStatus {
  state: AuthState;
  scopes: string[];
  primaryCalendarId?: string;
  name?: string;
}

const REFRESH_API = 'POST /open-apis/authen/v2/oauth/token';

/** The user must (re)authorize: no tokens, revoked, or refresh refused for good (typed for errors.ts). */
const authRequired = (openId: string, reason: 'missing' | 'revoked' | 'refresh_refused' | 'refresh token spent by a refresh whose answer was lost') =>
  new LarkUserAuthRequired(openId, reason);

/** Lark's "refresh token already used" (single-use refresh tokens). */
const REFRESH_TOKEN_USED = 20073;

/** Where each token column's value belongs (secret-box.ts): v1 rows were bound to the open_id alone. */
export const tokenPlace = (openId: string, column: 'access_token' | 'refresh_token'): SealedPlace => ({
  aad: sealedFor('lark_user_tokens', column, openId),
  legacy: openId,
});

interface OpenTokens {
  access: string;
  refresh: string;
}

/** What one locked pass ends with: a token, or a refresh whose answer never came. */
type Pass = { token: string } | { lost: true };

interface Row {
  access_token: string;
  refresh_token: string;
  expires_at: string;
  refresh_expires_at: string | null;
  status: 'active' | 'revoked';
  scopes: string | null;
  primary_calendar_id: string | null;
  name: string | null;
}

export interface TokenStoreOptions {
  /** Refresh when less than this remains. Default 5 minutes. */
  refreshBeforeMs?: number;
  now?: () => number;
}

export class UserTokenStore {
  private readonly refreshBeforeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly pool: Pool,
    private readonly box: SecretBox,
    private readonly oauth: Pick<LarkOAuthClient, 'refresh'>,
    opts: TokenStoreOptions = {},
  ) {
    this.refreshBeforeMs = opts.refreshBeforeMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  async save(openId: string, tokens: UserTokens, info: { userId?: string; name?: string } = {}): Promise<void> {
    await this.pool.query(
      `insert into lark_user_tokens (open_id, user_id, name, access_token, refresh_token, expires_at, refresh_expires_at, scopes, status, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, 'active', now())
       on conflict (open_id) do update set user_id = coalesce(excluded.user_id, lark_user_tokens.user_id),
         name = coalesce(excluded.name, lark_user_tokens.name), access_token = excluded.access_token,
         refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
         refresh_expires_at = excluded.refresh_expires_at, scopes = excluded.scopes, status = 'active', updated_at = now()`,
      [openId, info.userId ?? null, info.name ?? null, ...this.sealed(openId, tokens)],
    );
  }

  async setPrimaryCalendar(openId: string, calendarId: string): Promise<void> {
    await this.pool.query('update lark_user_tokens set primary_calendar_id = $2, updated_at = now() where open_id = $1', [openId, calendarId]);
  }

  async status(openId: string): Promise<AuthStatus> {
    const { rows } = await this.pool.query<Row>('select * from lark_user_tokens where open_id = $1', [openId]);
    const row = rows[0];
    if (!row) return { state: 'missing', scopes: [] };
    return {
      state: row.status === 'active' ? 'authorized' : 'revoked',
      scopes: (row.scopes ?? '').split(/\s+/).filter(Boolean),
      primaryCalendarId: row.primary_calendar_id ?? undefined,
      name: row.name ?? undefined,
    };
  }

  /** A valid access token, refreshed first when it is about to expire. */
  getAccessToken(openId: string): Promise<string> {
    return this.tokenFlow(openId, (t, row) => (Number(row.expires_at) - this.now() > this.refreshBeforeMs ? t.access : undefined));
  }

  /** Lark refused `rejected`: refresh, unless another caller already replaced it. */
  refreshAfterInvalid(openId: string, rejected: string): Promise<string> {
    return this.tokenFlow(openId, (t) => (t.access !== rejected ? t.access : undefined));
  }

  /**
   * `usable` says whether the stored tokens do (a token) or need a refresh (undefined). When a refresh's answer is
   * lost, a second pass reads the row again after the lock was released, and decides again.
   */
  private async tokenFlow(openId: string, usable: (t: OpenTokens, row: Row) => string | undefined): Promise<string> {
    let afterLostAnswer = false;
    for (let pass = 0; pass < 2; pass++) {
      const out = await this.withRow<Pass>(openId, async (row, client) => {
        const t = await this.openTokens(openId, row, client);
        const ready = usable(t, row);
        if (ready !== undefined) return { token: ready };
        return this.refreshLocked(openId, row, t, client, afterLostAnswer);
      });
      if ('token' in out) return out.token;
      afterLostAnswer = true;
    }
    throw new LarkTransportError('timeout', REFRESH_API, 'token refresh got no answer, twice: not known whether Lark did it');
  }

  /** Opens both tokens; a value sealed with an old key or format is written back sealed anew (same transaction). */
  private async openTokens(openId: string, row: Row, client: PoolClient): Promise<OpenTokens> {
    const access = this.box.openChecked(row.access_token, tokenPlace(openId, 'access_token'));
    const refresh = this.box.openChecked(row.refresh_token, tokenPlace(openId, 'refresh_token'));
    if (access.stale || refresh.stale) {
      await client.query('update lark_user_tokens set access_token = $2, refresh_token = $3 where open_id = $1', [
        openId,
        this.box.seal(access.value, tokenPlace(openId, 'access_token').aad),
        this.box.seal(refresh.value, tokenPlace(openId, 'refresh_token').aad),
      ]);
    }
    return { access: access.value, refresh: refresh.value };
  }

  private async refreshLocked(openId: string, row: Row, t: OpenTokens, client: PoolClient, afterLostAnswer: boolean): Promise<Pass> {
    if (row.refresh_expires_at && Number(row.refresh_expires_at) <= this.now()) {
      await client.query("update lark_user_tokens set status = 'revoked', updated_at = now() where open_id = $1", [openId]);
      throw authRequired(openId, 'refresh_refused');
    }
    let fresh: UserTokens;
    try {
      fresh = await this.oauth.refresh(t.refresh);
    } catch (err) {
      // No answer at all: Lark may have spent the refresh token. The caller reads the row again and decides.
      if (err instanceof LarkOAuthError && err.answerLost && !afterLostAnswer) return { lost: true };
      if (err instanceof LarkOAuthError && err.retryable) {
        // Lark's token service had trouble (20050/20072, 5xx, network): retryable; the token is not spent.
        throw new LarkTransportError('network', REFRESH_API, `token refresh temporarily failed${err.code ? ` (Lark ${err.code})` : ''}`);
      }
      // Revoked, expired, already used, not v2-issued, or anything else Lark refuses for good:
      // the stored tokens are dead; ask the user again rather than loop.
      await client.query("update lark_user_tokens set status = 'revoked', updated_at = now() where open_id = $1", [openId]);
      if (afterLostAnswer && err instanceof LarkOAuthError && err.code === REFRESH_TOKEN_USED) {
        throw authRequired(openId, 'refresh token spent by a refresh whose answer was lost');
      }
      throw authRequired(openId, 'refresh_refused');
    }
    if (!fresh.refreshToken) fresh = { ...fresh, refreshToken: t.refresh };
    await client.query(
      `update lark_user_tokens set access_token = $2, refresh_token = $3, expires_at = $4, refresh_expires_at = $5,
       scopes = coalesce(nullif($6, ''), scopes), updated_at = now() where open_id = $1`,
      [openId, ...this.sealed(openId, fresh)],
    );
    return { token: fresh.accessToken };
  }

  private sealed(openId: string, t: UserTokens): [string, string, number, number | null, string] {
    return [
      this.box.seal(t.accessToken, tokenPlace(openId, 'access_token').aad),
      this.box.seal(t.refreshToken, tokenPlace(openId, 'refresh_token').aad),
      t.expiresAt,
      t.refreshExpiresAt ?? null,
      t.scopes.join(' '),
    ];
  }

  /** Runs `fn` holding the user's row lock; a commit keeps what fn wrote even when it then throws. */
  private async withRow<T>(openId: string, fn: (row: Row, client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query<Row>('select * from lark_user_tokens where open_id = $1 for update', [openId]);
      const row = rows[0];
      if (!row) {
        await client.query('commit');
        throw authRequired(openId, 'missing');
      }
      if (row.status !== 'active') {
        await client.query('commit');
        throw authRequired(openId, 'revoked');
      }
      try {
        const out = await fn(row, client);
        await client.query('commit');
        return out;
      } catch (err) {
        await client.query(err instanceof LarkUserAuthRequired ? 'commit' : 'rollback');
        throw err;
      }
    } finally {
      client.release();
    }
  }
}
