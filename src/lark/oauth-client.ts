/**
 * Lark user OAuth v2: the authorize link, code exchange, refresh, and user_info.
 * The token endpoint answers `{code, error, error_description}` on failure (not the Open API envelope),
 * so it has its own small error type; tokens never appear in an error message.
 */

export interface UserTokens {
  accessToken: string;
  refreshToken: string;
  /** Unix ms. */
  expiresAt: number;
  /** Unix ms; undefined when Lark gave no refresh expiry. */
  refreshExpiresAt?: number;
  scopes: string[];
}

export interface LarkUserInfo {
  openId: string;
  unionId?: string;
  userId?: string;
  name?: string;
  email?: string;
  tenantKey?: string;
}

/** Refresh codes to retry (server trouble) and codes after which the user must authorize again. */
const RETRYABLE = new Set([20050, 20072]);
const REAUTHORIZE = new Set([20037, 20064, 20073, 20026, 20036, 20024, 20008, 20066]);

export class LarkOAuthError extends Error {
  constructor(
    readonly code: number | undefined,
    readonly error: string,
    readonly httpStatus: number | undefined,
    description: string,
  ) {
    super(`Lark OAuth ${code ?? httpStatus ?? 'network'} ${error}: ${description}`);
    this.name = 'LarkOAuthError';
  }
  get retryable(): boolean {
    return this.code === undefined ? true : RETRYABLE.has(this.code) || (this.httpStatus ?? 0) >= 500;
  }
  /**
   * No HTTP answer came (timeout, connection cut or refused): the request may have reached Lark and been
   * carried out. For a refresh that means the single-use refresh token may be spent.
   */
  get answerLost(): boolean {
    return this.code === undefined && this.httpStatus === undefined;
  }
  get needsReauthorization(): boolean {
    return this.code !== undefined && REAUTHORIZE.has(this.code);
  }
}

export interface OAuthClientOptions {
  /** Open API base, e.g. https://open.larksuite.com or an emulator. */
  baseUrl: string;
  /** The brand's authorize page. */
  authorizeUrl: string;
  appId: string;
  appSecret: string;
  timeoutMs?: number;
  now?: () => number;
}

export class LarkOAuthClient {
  constructor(private readonly o: OAuthClientOptions) {}

  authorizeLink(p: { redirectUri: string; scopes: string[]; state: string; codeChallenge: string }): string {
    const url = new URL(this.o.authorizeUrl);
    url.searchParams.set('client_id', this.o.appId);
    url.searchParams.set('app_id', this.o.appId); // the seed's name for it; Lark ignores the extra one
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('redirect_uri', p.redirectUri);
    url.searchParams.set('scope', p.scopes.join(' '));
    url.searchParams.set('state', p.state);
    url.searchParams.set('code_challenge', p.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    return url.toString();
  }

  exchangeCode(code: string, redirectUri: string, codeVerifier: string): Promise<UserTokens> {
    return this.token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier });
  }

  refresh(refreshToken: string): Promise<UserTokens> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  async userInfo(accessToken: string): Promise<LarkUserInfo> {
    const { status, body } = await this.call('GET', '/open-apis/authen/v1/user_info', undefined, accessToken);
    const data = body.data as Record<string, unknown> | undefined;
    if (body.code !== 0 || !data || typeof data.open_id !== 'string') {
      throw new LarkOAuthError(num(body.code), 'user_info_failed', status, str(body.msg) ?? 'no open_id in user_info');
    }
    return {
      openId: data.open_id,
      unionId: str(data.union_id),
      userId: str(data.user_id),
      name: str(data.name) ?? str(data.en_name),
      email: str(data.email),
      tenantKey: str(data.tenant_key),
    };
  }

  private async token(params: Record<string, string>): Promise<UserTokens> {
    const { status, body } = await this.call('POST', '/open-apis/authen/v2/oauth/token', {
      client_id: this.o.appId,
      client_secret: this.o.appSecret,
      ...params,
    });
    if (status !== 200 || body.code !== 0 || typeof body.access_token !== 'string') {
      throw new LarkOAuthError(
        num(body.code),
        str(body.error) ?? 'token_request_failed',
        status,
        str(body.error_description) ?? str(body.msg) ?? `HTTP ${status}`,
      );
    }
    const now = (this.o.now ?? Date.now)();
    const expiresIn = num(body.expires_in) ?? 7200;
    const refreshIn = num(body.refresh_token_expires_in);
    return {
      accessToken: body.access_token,
      refreshToken: str(body.refresh_token) ?? '',
      expiresAt: now + expiresIn * 1000,
      refreshExpiresAt: refreshIn ? now + refreshIn * 1000 : undefined,
      scopes: (str(body.scope) ?? '').split(/\s+/).filter(Boolean),
    };
  }

  private async call(method: 'GET' | 'POST', path: string, json?: unknown, bearer?: string) {
    let res: Response;
    try {
      res = await fetch(this.o.baseUrl.replace(/\/+$/, '') + path, {
        method,
        headers: {
          ...(json ? { 'content-type': 'application/json; charset=utf-8' } : {}),
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        body: json ? JSON.stringify(json) : undefined,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new LarkOAuthError(undefined, 'network', undefined, (err as Error).name === 'TimeoutError' ? 'timed out' : 'could not reach Lark');
    }
    let body: Record<string, any> = {};
    try {
      body = (await res.json()) as Record<string, any>;
    } catch {
      // a non-JSON answer: judged by its status below
    }
    return { status: res.status, body };
  }
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !isNaN(Number(v)) ? Number(v) : undefined);
