/**
 * Tokens: the tenant_access_token endpoint, user-token issuance (used by OAuth), and the
 * Authorization check every Open API endpoint runs. Lark answers auth failures with HTTP 400.
 */
import { randomBytes } from 'node:crypto';
import { LarkError, type Caller, type Ctx, type Router, bodyObject, optString } from './http';
import type { Clock, EmulatorState } from './state';

export const TENANT_TOKEN_TTL_S = 7200;
/** Lark reissues the tenant token only when less than this remains. */
export const TENANT_REISSUE_BELOW_S = 30 * 60;
export const USER_TOKEN_TTL_S = 7200;
export const REFRESH_TOKEN_TTL_S = 604800;
/** After a refresh, the previous user access token keeps working this long. */
export const REFRESH_GRACE_S = 60;

/** What an app gets when authorize asks for no explicit scope. */
export const DEFAULT_APP_SCOPES = [
  'offline_access',
  'calendar:calendar',
  'task:task:read',
  'task:task:write',
  'contact:user:search',
  'contact:user.base:readonly',
];

/**
 * A scope requirement: any granted scope in `family` satisfies a read; a write needs one that is
 * not read-only. `subject` is what Lark names in permission_violations.
 */
export interface ScopeNeed {
  family: string;
  write: boolean;
  subject: string;
}

export type Accepts = 'tenant' | 'user' | 'any';

export interface AuthOptions {
  appId: string;
  appSecret: string;
}

export class Auth {
  constructor(
    private readonly state: EmulatorState,
    private readonly clock: Clock,
    private readonly opts: AuthOptions,
  ) {}

  register(router: Router): void {
    router.add('POST', '/open-apis/auth/v3/tenant_access_token/internal', (ctx) => this.tenantToken(ctx));
    // Old clients post app_access_token too; same credentials check.
    router.add('POST', '/open-apis/auth/v3/app_access_token/internal', (ctx) => this.tenantToken(ctx, true));
  }

  private tenantToken(ctx: Ctx, alsoApp = false) {
    const body = bodyObject(ctx);
    const appId = optString(body, 'app_id');
    const appSecret = optString(body, 'app_secret');
    if (appId !== this.opts.appId || appSecret !== this.opts.appSecret) {
      throw new LarkError(99991543, 'app_id or app_secret is invalid');
    }
    const now = this.clock.now();
    let token = this.state.currentTenantToken;
    const current = token ? this.state.accessTokens.get(token) : undefined;
    if (!token || !current || current.expiresAt - now < TENANT_REISSUE_BELOW_S * 1000) {
      token = 't-' + randomBytes(20).toString('hex');
      this.state.accessTokens.set(token, { kind: 'tenant', scopes: new Set(), issuedAt: now, expiresAt: now + TENANT_TOKEN_TTL_S * 1000 });
      this.state.currentTenantToken = token;
      ctx.note.issued = 'new';
    } else {
      ctx.note.issued = 'reused';
    }
    const rec = this.state.accessTokens.get(token)!;
    const expire = Math.floor((rec.expiresAt - now) / 1000);
    const body2: Record<string, unknown> = { code: 0, msg: 'ok', tenant_access_token: token, expire };
    if (alsoApp) body2.app_access_token = token;
    return { kind: 'json' as const, body: body2 };
  }

  /** A user access token, long like Lark's (1-2 KB) so storage limits get exercised. */
  issueUserTokens(openId: string, scopes: Set<string>): { accessToken: string; refreshToken?: string } {
    const now = this.clock.now();
    const accessToken = 'u-' + randomBytes(900).toString('base64url');
    this.state.accessTokens.set(accessToken, { kind: 'user', openId, scopes, issuedAt: now, expiresAt: now + USER_TOKEN_TTL_S * 1000 });
    // Lark returns a refresh token only when offline_access was granted.
    if (!scopes.has('offline_access')) return { accessToken };
    const refreshToken = 'ur-' + randomBytes(900).toString('base64url');
    this.state.refreshTokens.set(refreshToken, { openId, scopes, expiresAt: now + REFRESH_TOKEN_TTL_S * 1000, accessToken });
    return { accessToken, refreshToken };
  }

  /** Makes every current access token (tenant and user) expired. */
  expireAll(): void {
    const past = this.clock.now() - 1;
    for (const t of this.state.accessTokens.values()) t.expiresAt = Math.min(t.expiresAt, past);
  }

  expireUser(openId: string): void {
    const past = this.clock.now() - 1;
    for (const t of this.state.accessTokens.values()) if (t.openId === openId) t.expiresAt = Math.min(t.expiresAt, past);
  }

  revokeRefresh(openId: string): void {
    for (const r of this.state.refreshTokens.values()) if (r.openId === openId) r.revoked = true;
  }

  /** The Authorization check. Sets ctx.caller; throws Lark's auth codes. */
  authenticate(ctx: Ctx, accepts: Accepts, need?: ScopeNeed): Caller {
    const header = ctx.req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      throw new LarkError(99991661, 'Missing access token for authorization. Please make a request with token attached.');
    }
    const value = m[1] as string;
    const rec = this.state.accessTokens.get(value);
    const invalidTenant = () => new LarkError(99991663, 'Invalid access token for authorization. Please make a request with token attached.');
    const invalidUser = () => new LarkError(99991668, 'Invalid access token for authorization. Please make a request with token attached.');
    if (!rec) {
      if (accepts === 'user') throw invalidUser();
      if (accepts === 'tenant') throw invalidTenant();
      throw value.startsWith('u-') ? invalidUser() : invalidTenant();
    }
    ctx.note.token = rec.kind;
    if (rec.openId) ctx.note.openId = rec.openId;
    if (rec.expiresAt <= this.clock.now()) throw new LarkError(99991677, 'Authentication token expired.');
    if (accepts === 'user' && rec.kind !== 'user') throw invalidUser();
    if (accepts === 'tenant' && rec.kind !== 'tenant') throw invalidTenant();
    if (rec.kind === 'user' && need && !hasScope(rec.scopes, need)) {
      throw new LarkError(
        99991679,
        `Unauthorized. You do not have permission to perform the requested operation on the resource. Please request user re-authorization and try again. required one of these privileges under the user identity: [${need.subject}]`,
        400,
        {
          error: { permission_violations: [{ type: 'action_privilege_required', subject: need.subject, description: 'the user has not granted this scope' }] },
        },
      );
    }
    const caller: Caller = { kind: rec.kind, openId: rec.openId, scopes: rec.scopes };
    ctx.caller = caller;
    return caller;
  }
}

export function hasScope(granted: Set<string>, need: ScopeNeed): boolean {
  for (const s of granted) {
    if (s !== need.family && !s.startsWith(need.family + ':')) continue;
    if (!need.write || !/(readonly|:read)$/.test(s)) return true;
  }
  return false;
}

export function parseScopes(scope: string | undefined): Set<string> {
  return new Set((scope ?? '').split(/[\s,]+/).filter(Boolean));
}
