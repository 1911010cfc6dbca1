/**
 * User OAuth: the authorize page (a sandbox login picker), the programmatic authorize() for tests,
 * the v2 token endpoint (codes and single-use rotating refresh tokens) and user_info.
 * Token endpoint errors are HTTP 400 `{code, error, error_description}`, as Lark's v2 endpoint does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { bodyObject, ok, type Ctx, type Json, type Reply, type Router } from './http';
import { REFRESH_GRACE_S, REFRESH_TOKEN_TTL_S, USER_TOKEN_TTL_S, DEFAULT_APP_SCOPES, parseScopes, type Auth } from './auth';
import type { Clock, EmulatorState } from './state';

const CODE_TTL_MS = 5 * 60 * 1000;

export interface AuthorizeRequest {
  openId: string;
  redirectUri: string;
  state?: string;
  /** Space-separated; default: the app's scopes. */
  scope?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  /** Simulate the user pressing "deny". */
  deny?: boolean;
}

export interface OAuthOptions {
  appId: string;
  appSecret: string;
  /** When set, authorize refuses other redirect URIs (Lark requires them registered). */
  redirectUris?: string[];
}

function oauthError(code: number, error: string, description: string, status = 400): Reply {
  return { kind: 'json', status, body: { code, error, error_description: description } };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class OAuth {
  constructor(
    private readonly state: EmulatorState,
    private readonly auth: Auth,
    private readonly clock: Clock,
    private readonly opts: OAuthOptions,
  ) {}

  register(router: Router): void {
    router.add('GET', '/open-apis/authen/v1/authorize', (ctx) => this.page(ctx));
    router.add('POST', '/open-apis/authen/v2/oauth/token', (ctx) => this.token(ctx));
    router.add('GET', '/open-apis/authen/v1/user_info', (ctx) => this.userInfo(ctx));
  }

  /** What Lark does once the user consents: a redirect URL carrying a fresh code (or the denial). */
  authorize(req: AuthorizeRequest): string {
    const url = new URL(req.redirectUri);
    if (req.deny) {
      url.searchParams.set('error', 'access_denied');
      if (req.state !== undefined) url.searchParams.set('state', req.state);
      return url.toString();
    }
    if (!this.state.findUser(req.openId)) throw new Error(`authorize: no emulator user with open_id ${req.openId}`);
    const code = randomBytes(16).toString('hex');
    this.state.authCodes.set(code, {
      openId: req.openId,
      redirectUri: req.redirectUri,
      scopes: req.scope ? parseScopes(req.scope) : new Set(DEFAULT_APP_SCOPES),
      codeChallenge: req.codeChallenge,
      codeChallengeMethod: req.codeChallenge ? (req.codeChallengeMethod ?? 'S256') : undefined,
      expiresAt: this.clock.now() + CODE_TTL_MS,
    });
    url.searchParams.set('code', code);
    if (req.state !== undefined) url.searchParams.set('state', req.state);
    return url.toString();
  }

  /** The sandbox login picker; `emulator_login` / `emulator_deny` are this page's own buttons. */
  private page(ctx: Ctx): Reply {
    const q = ctx.query;
    const clientId = q.get('client_id') ?? q.get('app_id');
    const redirectUri = q.get('redirect_uri');
    if (clientId !== this.opts.appId) return { kind: 'html', status: 400, html: '<h1>20048: app does not exist</h1>' };
    if (!redirectUri || !/^https?:\/\//.test(redirectUri)) return { kind: 'html', status: 400, html: '<h1>20001: redirect_uri is required</h1>' };
    if (this.opts.redirectUris && !this.opts.redirectUris.includes(redirectUri)) {
      return { kind: 'html', status: 400, html: '<h1>20029: redirect_uri is not registered for this app</h1>' };
    }
    const request = {
      redirectUri,
      state: q.get('state') ?? undefined,
      scope: q.get('scope') ?? undefined,
      codeChallenge: q.get('code_challenge') ?? undefined,
      codeChallengeMethod: (q.get('code_challenge_method') as 'S256' | 'plain' | null) ?? undefined,
    };
    const login = q.get('emulator_login');
    if (login) return { kind: 'redirect', location: this.authorize({ ...request, openId: login }) };
    if (q.get('emulator_deny')) return { kind: 'redirect', location: this.authorize({ ...request, openId: '', deny: true }) };

    const link = (extra: Record<string, string>) => {
      const u = new URLSearchParams(q);
      for (const [k, v] of Object.entries(extra)) u.set(k, v);
      return `/open-apis/authen/v1/authorize?${u.toString()}`;
    };
    const rows = this.state.users
      .map(
        (u) =>
          `<li><a class="btn" href="${escapeHtml(link({ emulator_login: u.open_id }))}">Log in as ${escapeHtml(u.name)}</a> <small>${escapeHtml(u.email)}</small></li>`,
      )
      .join('\n');
    const html = `<!doctype html><meta charset="utf-8"><title>Lark emulator: authorize</title>
<style>body{font-family:sans-serif;max-width:36em;margin:3em auto}li{margin:.6em 0}.btn{padding:.3em .8em;border:1px solid #36c;border-radius:4px;text-decoration:none}</style>
<h1>Authorize app ${escapeHtml(clientId)}</h1>
<p>Scopes: <code>${escapeHtml(request.scope ?? '(app default)')}</code></p>
<ul>${rows}</ul>
<p><a class="btn" href="${escapeHtml(link({ emulator_deny: '1' }))}">Deny</a></p>`;
    return { kind: 'html', html };
  }

  private token(ctx: Ctx): Reply {
    const body = bodyObject(ctx);
    const grant = body.grant_type;
    ctx.note.grant = typeof grant === 'string' ? grant : undefined;
    if (typeof grant !== 'string' || grant === '') return oauthError(20001, 'invalid_request', 'grant_type is required');
    if (grant !== 'authorization_code' && grant !== 'refresh_token') return oauthError(20036, 'unsupported_grant_type', `grant_type ${grant} is not supported`);
    if (typeof body.client_id !== 'string' || typeof body.client_secret !== 'string') {
      return oauthError(20001, 'invalid_request', 'client_id and client_secret are required');
    }
    if (body.client_id !== this.opts.appId) return oauthError(20048, 'invalid_client', 'the app does not exist');
    if (body.client_secret !== this.opts.appSecret) return oauthError(20002, 'invalid_client', 'client_secret is invalid');
    return grant === 'authorization_code' ? this.exchangeCode(ctx, body) : this.refresh(ctx, body);
  }

  private exchangeCode(ctx: Ctx, body: Json): Reply {
    const code = body.code;
    if (typeof code !== 'string' || code === '') return oauthError(20001, 'invalid_request', 'code is required');
    const rec = this.state.authCodes.get(code);
    if (!rec) return oauthError(20003, 'invalid_grant', 'the authorization code was not found');
    ctx.note.openId = rec.openId;
    if (rec.usedAt !== undefined) return oauthError(20065, 'invalid_grant', 'the authorization code has already been used');
    if (rec.expiresAt <= this.clock.now()) return oauthError(20004, 'invalid_grant', 'the authorization code has expired');
    if (body.redirect_uri !== undefined && body.redirect_uri !== rec.redirectUri) {
      return oauthError(20071, 'invalid_grant', 'redirect_uri does not match the one used to authorize');
    }
    if (rec.codeChallenge) {
      const verifier = body.code_verifier;
      const verified =
        typeof verifier === 'string' &&
        (rec.codeChallengeMethod === 'plain'
          ? verifier === rec.codeChallenge
          : createHash('sha256').update(verifier).digest('base64url') === rec.codeChallenge);
      if (!verified) return oauthError(20049, 'invalid_grant', 'PKCE verification failed: code_verifier does not match code_challenge');
    }
    // Consumed only on success: Lark lets a client fix a bad verifier within the code's lifetime (UNCONFIRMED).
    rec.usedAt = this.clock.now();
    return this.grantReply(rec.openId, rec.scopes);
  }

  private refresh(ctx: Ctx, body: Json): Reply {
    const value = body.refresh_token;
    if (typeof value !== 'string' || value === '') return oauthError(20001, 'invalid_request', 'refresh_token is required');
    const rec = this.state.refreshTokens.get(value);
    if (!rec) return oauthError(20064, 'invalid_grant', 'the refresh token is invalid or revoked');
    ctx.note.openId = rec.openId;
    if (rec.revoked) return oauthError(20064, 'invalid_grant', 'the refresh token has been revoked');
    if (rec.usedAt !== undefined) return oauthError(20073, 'invalid_grant', 'the refresh token has already been used');
    if (rec.expiresAt <= this.clock.now()) return oauthError(20037, 'invalid_grant', 'the refresh token has expired');
    rec.usedAt = this.clock.now();
    // The access token issued alongside keeps working briefly, so in-flight calls do not fail.
    const old = this.state.accessTokens.get(rec.accessToken);
    if (old) old.expiresAt = Math.min(old.expiresAt, this.clock.now() + REFRESH_GRACE_S * 1000);
    return this.grantReply(rec.openId, rec.scopes);
  }

  private grantReply(openId: string, scopes: Set<string>): Reply {
    const { accessToken, refreshToken } = this.auth.issueUserTokens(openId, scopes);
    const body: Json = { code: 0, access_token: accessToken, expires_in: USER_TOKEN_TTL_S, token_type: 'Bearer', scope: [...scopes].join(' ') };
    if (refreshToken) {
      body.refresh_token = refreshToken;
      body.refresh_token_expires_in = REFRESH_TOKEN_TTL_S;
    }
    return { kind: 'json', body };
  }

  private userInfo(ctx: Ctx): Reply {
    const caller = this.auth.authenticate(ctx, 'user');
    const u = this.state.user(caller.openId as string);
    return ok({
      name: u.name,
      en_name: u.en_name,
      avatar_url: u.avatar_url,
      avatar_thumb: u.avatar_url,
      open_id: u.open_id,
      union_id: u.union_id,
      user_id: u.user_id,
      email: u.email,
      enterprise_email: u.email,
      mobile: u.mobile,
      tenant_key: this.state.tenantKey,
    });
  }
}
