/**
 * tenant_access_token cache: renewed before expiry, single-flight, and dropped on rejection.
 * The endpoint returns the same token until under 30 min remain (so `expire` may be small) and issues a
 * fresh one after that; renewing when under 5 min remain therefore always gets a new token.
 */

export interface FetchedTenantToken {
  token: string;
  /** Seconds the token remains valid, as the endpoint reports it. */
  expireSeconds: number;
}

export class TenantTokenCache {
  private cached?: { token: string; freshUntil: number };
  private inflight?: Promise<string>;

  constructor(
    private readonly fetchToken: () => Promise<FetchedTenantToken>,
    private readonly now: () => number = Date.now,
    private readonly renewBeforeMs = 5 * 60_000,
  ) {}

  /** A token with more than the renewal margin left; at most one fetch is in flight, others await it. */
  get(): Promise<string> {
    if (this.cached && this.now() < this.cached.freshUntil) return Promise.resolve(this.cached.token);
    if (!this.inflight) {
      const p = this.fetchAndStore();
      this.inflight = p;
      // Clear once settled (success or failure) so a failed fetch is not cached.
      p.then(
        () => this.clearInflight(p),
        () => this.clearInflight(p),
      );
    }
    return this.inflight;
  }

  /**
   * Lark rejected `token`: forget it, unless a newer one already replaced it (several callers can fail
   * with the same old token at once; only the first should cause a fetch).
   */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private clearInflight(p: Promise<string>) {
    if (this.inflight === p) this.inflight = undefined;
  }

  private async fetchAndStore(): Promise<string> {
    const { token, expireSeconds } = await this.fetchToken();
    const lifetimeMs = Math.max(0, expireSeconds) * 1000;
    // Keep at least half the lifetime even if it is shorter than the margin, so we never fetch on every call.
    const freshForMs = Math.max(lifetimeMs - this.renewBeforeMs, lifetimeMs / 2);
    this.cached = { token, freshUntil: this.now() + freshForMs };
    return token;
  }
}
