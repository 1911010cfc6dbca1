/**
 * The authorization round trip: a login link (signed state + PKCE) and the callback's checks:
 * state valid and unused, code exchanged, the signed-in user is the one the link was made for,
 * tokens stored sealed. The caller (callback route) turns the typed outcome into a page and, when
 * `shouldSignal` says so, a signal: a dead link tells the user's workflow once, however often it is hit.
 */
import type { Logger } from '../logger';
import { LarkOAuthError, type LarkOAuthClient } from '../lark/oauth-client';
import type { OAuthStateStore } from '../storage/oauth-state-store';
import type { UserTokenStore } from '../storage/token-store';
import { createPkce } from './pkce';
import { createState, StateError, verifyState } from './state';

export interface OAuthSettings {
  redirectUri: string;
  scopes: string[];
  stateSecret: string;
  stateTtlMs: number;
}

export type CallbackOutcome =
  | { kind: 'authorized'; openId: string; name?: string }
  | { kind: 'denied'; openId: string }
  /**
   * openId: the link is one we signed and issued for this user (its row is known), so the page may promise a fresh
   * card. notify: this hit is the ONE that tells the user's workflow (the first hit of the dead link; see
   * OAuthStateStore.claimFailureSignal); every other hit gets the same page and signals nothing.
   */
  | { kind: 'bad_state'; problem: StateError['problem']; openId?: string; notify?: { nonce: string } }
  | { kind: 'wrong_user'; openId: string }
  | { kind: 'lark_error'; openId: string; code?: number; error: string };

/**
 * Whether this outcome is told to the user's workflow: every outcome of a link's one use (authorized, denied,
 * wrong account, refused exchange: consume() lets one hit per link get there), and of the dead-link hits only
 * the one that won the claim. Unknown or forged links never.
 */
export function shouldSignal(outcome: CallbackOutcome): boolean {
  if (!('openId' in outcome) || !outcome.openId) return false;
  return outcome.kind !== 'bad_state' || outcome.notify !== undefined;
}

/** Lark codes the user or operator can act on, with what to say. */
export const OAUTH_ERROR_HINTS: Record<number, string> = {
  20029: 'the redirect URL is not registered in the Lark app (Security Settings > Redirect URLs)',
  20071: 'the redirect URL does not match the one registered in the Lark app',
  20003: 'the authorization code was not found; start again from the login card',
  20004: 'the authorization code expired; start again from the login card',
  20065: 'the authorization code was already used; start again from the login card',
  20049: 'the PKCE check failed; start again from the login card',
  20027: 'the app has not enabled one of the requested scopes',
};

export class OAuthService {
  constructor(
    private readonly settings: OAuthSettings,
    private readonly client: LarkOAuthClient,
    private readonly states: OAuthStateStore,
    private readonly tokens: UserTokenStore,
    private readonly log: Logger,
    /** Best-effort work after tokens are stored (finding the primary calendar). */
    private readonly afterAuthorized?: (openId: string) => Promise<void>,
  ) {}

  /** A fresh single-use login link for this user. */
  async loginLink(openId: string): Promise<string> {
    const { state, payload } = createState(this.settings.stateSecret, openId, this.settings.stateTtlMs);
    const pkce = createPkce();
    await this.states.save(payload.nonce, openId, pkce.verifier, payload.expiresAt);
    return this.client.authorizeLink({ redirectUri: this.settings.redirectUri, scopes: this.settings.scopes, state, codeChallenge: pkce.challenge });
  }

  async handleCallback(query: Record<string, string | string[] | undefined>): Promise<CallbackOutcome> {
    const one = (k: string) => (typeof query[k] === 'string' ? (query[k] as string) : undefined);
    let openId: string;
    let verifier: string;
    try {
      const payload = verifyState(this.settings.stateSecret, one('state'));
      verifier = await this.states.consume(payload.nonce, payload.openId);
      openId = payload.openId;
    } catch (err) {
      if (err instanceof StateError) return this.deadLink(err);
      throw err;
    }
    const error = one('error');
    if (error) {
      this.log.info({ open_id: openId, error }, 'oauth: user did not authorize');
      return error === 'access_denied' ? { kind: 'denied', openId } : { kind: 'lark_error', openId, error, code: num(one('code')) };
    }
    const code = one('code');
    if (!code) return { kind: 'lark_error', openId, error: 'missing_code' };
    try {
      const tokens = await this.client.exchangeCode(code, this.settings.redirectUri, verifier);
      const info = await this.client.userInfo(tokens.accessToken);
      if (info.openId !== openId) {
        this.log.warn({ open_id: openId, signed_in_as: info.openId }, 'oauth: signed in as another user; tokens discarded');
        return { kind: 'wrong_user', openId };
      }
      await this.tokens.save(openId, tokens, { userId: info.userId, name: info.name });
      await this.afterAuthorized?.(openId).catch((err) =>
        this.log.warn({ open_id: openId, err: String(err?.message ?? err) }, 'oauth: post-authorization step failed'),
      );
      this.log.info({ open_id: openId, scopes: tokens.scopes }, 'oauth: authorized');
      return { kind: 'authorized', openId, name: info.name };
    } catch (err) {
      if (err instanceof LarkOAuthError) {
        this.log.warn({ open_id: openId, code: err.code, error: err.error, http: err.httpStatus }, 'oauth: Lark refused the code exchange');
        return { kind: 'lark_error', openId, code: err.code, error: err.error };
      }
      throw err;
    }
  }

  /**
   * A link that cannot be used. One we issued (signed, its row known) that expired or was used: the user's
   * workflow sends a fresh card for it, told by the first hit only. Anything else (forged, malformed, never
   * issued, purged) tells nobody: the page asks the user to message the bot.
   */
  private async deadLink(err: StateError): Promise<CallbackOutcome> {
    const { problem, openId, nonce } = err;
    if ((problem !== 'expired' && problem !== 'reused') || !openId || !nonce) return { kind: 'bad_state', problem };
    const claim = await this.states.claimFailureSignal(nonce, openId);
    if (claim === 'unknown') return { kind: 'bad_state', problem };
    if (claim === 'first') this.log.info({ open_id: openId, problem }, 'oauth: dead login link; the user workflow is told once');
    return { kind: 'bad_state', problem, openId, ...(claim === 'first' ? { notify: { nonce } } : {}) };
  }

  /** The dead-link signal this outcome claimed could not be sent: the next hit of the link may send it. */
  async signalFailed(outcome: CallbackOutcome): Promise<void> {
    if (outcome.kind === 'bad_state' && outcome.notify) await this.states.releaseFailureSignal(outcome.notify.nonce);
  }
}

const num = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : undefined);
