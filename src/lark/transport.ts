/**
 * HTTP + auth for the Lark Open API: one request with a timeout (and the caller's AbortSignal), Lark's
 * envelope and logid, the tenant token cache, and the one refresh-and-retry on a rejected token.
 * Throws only the errors of errors.ts (or the caller's abort reason when the caller cancelled).
 */
import type { Logger } from '../logger';
import { recordLarkApiError } from '../metrics';
import type { LarkEnvelope } from './api-types';
import { isTokenRejection, LarkApiError, LarkRequestInvalid, LarkTransportError, scrubSecrets, type TokenKind } from './errors';
import { TenantTokenCache } from './tenant-token';

export type LarkAuth = { kind: 'tenant' } | { kind: 'user'; openId: string };

/** Call as the app (bot). */
export const TENANT: LarkAuth = Object.freeze({ kind: 'tenant' });
/** Call as this user, with their user_access_token from the UserTokenProvider. */
export const asUser = (openId: string): LarkAuth => ({ kind: 'user', openId });

/**
 * Where user_access_tokens come from (the OAuth feature implements it over the token table).
 * Throw LarkUserAuthRequired when the user has no usable authorization.
 */
export interface UserTokenProvider {
  /** A currently valid access token (the provider refreshes ahead of expiry itself). */
  getAccessToken(openId: string): Promise<string>;
  /**
   * Lark rejected `rejectedToken` (99991668/99991677): refresh now and return the new token. The provider
   * should skip the refresh if its stored token already differs from `rejectedToken` (another caller won).
   */
  refreshAfterInvalid(openId: string, rejectedToken: string): Promise<string>;
}

export interface CallOptions {
  /** Whose token to use; defaults to the app's tenant token. */
  as?: LarkAuth;
  /** Abort the request with this signal, e.g. Context.current().cancellationSignal in an activity. */
  signal?: AbortSignal;
  /** Overrides the client's per-request timeout. */
  timeoutMs?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export type QueryValue = string | number | boolean | undefined;

export interface RequestSpec {
  method: HttpMethod;
  /** Starts with /open-apis/; build it with apiPath so ids are encoded. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  auth: LarkAuth;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface TransportOptions {
  /** e.g. https://open.larksuite.com, https://open.feishu.cn, or an emulator's URL. */
  baseUrl: string;
  appId: string;
  appSecret: string;
  /** Per HTTP request. Default 10 s. */
  timeoutMs?: number;
  userTokens?: UserTokenProvider;
  logger?: Logger;
  /** Clock for token expiry (tests move it). */
  now?: () => number;
  /** Renew the tenant token when less than this remains. Default 5 min. */
  tenantTokenRenewBeforeMs?: number;
}

/** Tagged template for paths: every interpolated value is URL-encoded as one segment. */
export function apiPath(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(String(values[i])) : ''), '');
}

const TENANT_TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

interface Exchange<T> {
  envelope: LarkEnvelope<T> & Record<string, unknown>;
}

export class LarkTransport {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly tenantTokens: TenantTokenCache;

  constructor(private readonly opts: TransportOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.tenantTokens = new TenantTokenCache(() => this.fetchTenantToken(), opts.now ?? Date.now, opts.tenantTokenRenewBeforeMs ?? 5 * 60_000);
  }

  /** `data` of a successful call. A rejected token is refreshed and the call retried exactly once. */
  async request<T>(spec: RequestSpec): Promise<T> {
    return (await this.requestEnvelope<T>(spec)).data as T;
  }

  /** The whole envelope, for the few APIs that answer outside `data` (e.g. bot/v3/info's `bot`). */
  async requestEnvelope<T>(spec: RequestSpec): Promise<LarkEnvelope<T> & Record<string, unknown>> {
    const token = await this.tokenFor(spec.auth);
    try {
      return (await this.exchange<T>(spec, token)).envelope;
    } catch (err) {
      if (!isTokenRejection(err)) throw err;
      const api = `${spec.method} ${spec.path}`;
      this.opts.logger?.info(
        { api, code: (err as LarkApiError).code, logId: (err as LarkApiError).logId, tokenKind: spec.auth.kind },
        'lark token rejected; renewing once',
      );
      const fresh = await this.renewAfterRejection(spec.auth, token);
      return (await this.exchange<T>(spec, fresh)).envelope;
    }
  }

  private async tokenFor(auth: LarkAuth): Promise<string> {
    if (auth.kind === 'tenant') return this.tenantTokens.get();
    return this.userProvider(auth.openId).getAccessToken(auth.openId);
  }

  private async renewAfterRejection(auth: LarkAuth, rejected: string): Promise<string> {
    if (auth.kind === 'tenant') {
      this.tenantTokens.invalidate(rejected);
      return this.tenantTokens.get();
    }
    return this.userProvider(auth.openId).refreshAfterInvalid(auth.openId, rejected);
  }

  private userProvider(openId: string): UserTokenProvider {
    if (!this.opts.userTokens) {
      throw new LarkRequestInvalid(`A user-token call for ${openId} needs a UserTokenProvider, and none is configured`);
    }
    return this.opts.userTokens;
  }

  private async fetchTenantToken(): Promise<{ token: string; expireSeconds: number }> {
    const { envelope } = await this.exchange<never>(
      {
        method: 'POST',
        path: TENANT_TOKEN_PATH,
        body: { app_id: this.opts.appId, app_secret: this.opts.appSecret },
        auth: TENANT,
      },
      undefined,
    );
    const token = envelope.tenant_access_token;
    const expire = envelope.expire;
    if (typeof token !== 'string' || !token || typeof expire !== 'number') {
      throw new LarkTransportError('bad_response', `POST ${TENANT_TOKEN_PATH}`, 'no tenant_access_token/expire in the answer');
    }
    this.opts.logger?.debug({ expireSeconds: expire }, 'lark tenant token fetched');
    return { token, expireSeconds: expire };
  }

  /** One HTTP exchange. `token` undefined = no Authorization (the token endpoint itself). */
  private async exchange<T>(spec: RequestSpec, token: string | undefined): Promise<Exchange<T>> {
    const api = `${spec.method} ${spec.path}`;
    const url = new URL(this.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));

    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    const signal = spec.signal ? AbortSignal.any([spec.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';

    let status: number;
    let text: string;
    let resHeaders: Headers;
    try {
      const res = await fetch(url, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal,
      });
      status = res.status;
      resHeaders = res.headers;
      text = await res.text();
    } catch (err) {
      // The caller cancelled (activity cancellation): surface its reason so Temporal reports a cancel.
      if (spec.signal?.aborted) throw spec.signal.reason ?? err;
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new LarkTransportError('timeout', api, `no complete answer within ${timeoutMs} ms`);
      }
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new LarkTransportError('network', api, cause);
    }

    const logId = resHeaders.get('x-tt-logid') ?? undefined;
    let envelope: (LarkEnvelope<T> & Record<string, unknown>) | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && typeof (parsed as { code?: unknown }).code === 'number') {
        envelope = parsed as LarkEnvelope<T> & Record<string, unknown>;
      }
    } catch {
      // not JSON: handled below
    }
    const tokenKind: TokenKind | undefined = token ? spec.auth.kind : spec.path === TENANT_TOKEN_PATH ? 'tenant' : undefined;
    const openId = spec.auth.kind === 'user' ? spec.auth.openId : undefined;

    if (!envelope) {
      if (status >= 200 && status < 300) throw new LarkTransportError('bad_response', api, 'answer is not Lark JSON', status, logId);
      // A gateway or unknown-route page: classify by HTTP status alone (code -1 = no Lark code).
      throw this.apiFailure(
        new LarkApiError({
          code: -1,
          msg: `HTTP ${status} without a Lark body: ${scrubSecrets(text.slice(0, 200), [token])}`,
          httpStatus: status,
          api,
          logId,
          tokenKind,
          openId,
          rateLimitResetSeconds: resetSeconds(resHeaders),
        }),
      );
    }
    if (envelope.code !== 0 || status < 200 || status >= 300) {
      throw this.apiFailure(
        new LarkApiError({
          code: envelope.code,
          msg: scrubSecrets(String(envelope.msg ?? ''), [token, this.opts.appSecret]),
          httpStatus: status,
          api,
          logId: logId ?? envelope.error?.log_id,
          tokenKind,
          openId,
          rateLimitResetSeconds: resetSeconds(resHeaders),
          permissionViolations: (envelope.error?.permission_violations ?? [])
            .map((v) => v.subject)
            .filter((s): s is string => typeof s === 'string' && s.length > 0),
        }),
      );
    }
    return { envelope };
  }

  /** Every Lark error answer passes here once: logged and counted (by code and status only). */
  private apiFailure(err: LarkApiError): LarkApiError {
    this.opts.logger?.debug({ api: err.api, code: err.code, httpStatus: err.httpStatus, logId: err.logId }, 'lark call failed');
    recordLarkApiError(err.code, err.httpStatus);
    return err;
  }
}

/** Seconds to wait from x-ogw-ratelimit-reset (Lark) or Retry-After (plain HTTP). */
function resetSeconds(headers: Headers): number | undefined {
  for (const name of ['x-ogw-ratelimit-reset', 'retry-after']) {
    const raw = headers.get(name);
    if (raw !== null && /^\s*\d+(\.\d+)?\s*$/.test(raw)) return Math.ceil(Number(raw));
  }
  return undefined;
}
