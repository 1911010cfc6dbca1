/**
 * Token buckets for what outside input may cost this process and the user's run: the OAuth callback (per
 * client address and overall) and card clicks (per user). In memory, per process: with N webhook replicas
 * the allowance is N times larger, which is fine for its purpose (one link hit 10,000 times in 16 s must not
 * become 10,000 database round trips and signals; a person signing in or clicking never notices).
 */
import type { RateSpec } from './config';

interface Bucket {
  tokens: number;
  at: number;
}

/** ms until a bucket holding `tokens` has one, at `perMinute` (at least 1 ms). */
const waitFor = (tokens: number, perMinute: number) => Math.max(1, Math.ceil(((1 - tokens) * 60_000) / perMinute));

function refill(b: Bucket, spec: RateSpec, now: number): void {
  if (now > b.at) b.tokens = Math.min(spec.burst, b.tokens + ((now - b.at) * spec.perMinute) / 60_000);
  b.at = now;
}

/** One bucket: `burst` requests at once, then `perMinute` (0: no limit). */
export class TokenBucket {
  private readonly bucket: Bucket;

  constructor(
    private readonly spec: RateSpec,
    private readonly now: () => number = Date.now,
  ) {
    this.bucket = { tokens: spec.burst, at: now() };
  }

  /** 0 when a request may go ahead (its token is taken); else the ms until one may (nothing is taken). */
  take(): number {
    if (this.spec.perMinute <= 0) return 0;
    refill(this.bucket, this.spec, this.now());
    if (this.bucket.tokens >= 1) {
      this.bucket.tokens -= 1;
      return 0;
    }
    return waitFor(this.bucket.tokens, this.spec.perMinute);
  }

  /** Gives back a token taken for a request that was refused by another limit after all. */
  refund(): void {
    if (this.spec.perMinute > 0) this.bucket.tokens = Math.min(this.spec.burst, this.bucket.tokens + 1);
  }
}

/**
 * A bucket per key (a client address, an open_id). Bounded: past `maxKeys` the least recently seen keys are
 * forgotten (a forgotten key starts again with a full bucket, so many addresses buy a little; the overall
 * bucket is what holds against those). Full buckets are dropped as they are met: an idle key costs nothing.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly spec: RateSpec,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.spec.perMinute > 0;
  }

  /** 0 when the key may go ahead (its token is taken); else the ms until it may (nothing is taken). */
  take(key: string): number {
    if (!this.enabled) return 0;
    const now = this.now();
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key); // re-inserted below: Map order is least recently seen first
      refill(b, this.spec, now);
    } else {
      b = { tokens: this.spec.burst, at: now };
    }
    const wait = b.tokens >= 1 ? 0 : waitFor(b.tokens, this.spec.perMinute);
    if (!wait) b.tokens -= 1;
    this.buckets.set(key, b);
    this.prune(now);
    return wait;
  }

  refund(key: string): void {
    const b = this.buckets.get(key);
    if (b) b.tokens = Math.min(this.spec.burst, b.tokens + 1);
  }

  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (this.buckets.size <= this.maxKeys) {
        // Within bounds: drop only the oldest entries that have refilled completely.
        refill(b, this.spec, now);
        if (b.tokens < this.spec.burst) break;
      }
      this.buckets.delete(key);
    }
  }
}

/** Whole seconds for a Retry-After header (at least 1). */
export const retryAfterSeconds = (waitMs: number) => Math.max(1, Math.ceil(waitMs / 1000));
