/**
 * Remembers signatures of signed card callbacks for as long as their timestamp is accepted, so the same
 * signed click cannot be replayed inside the window (Lark never re-pushes a card callback). Bounded: past
 * `maxEntries` the oldest are forgotten (they are the first to leave the window anyway). Per process; the
 * timestamp window is what limits replays across replicas.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time a key is seen within `ttlMs`; false for a replay. */
  firstSight(key: string, ttlMs: number): boolean {
    const now = this.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    this.seen.delete(key);
    // Keys are kept at least twice the window: the timestamp may lie up to the tolerance in either direction.
    this.seen.set(key, now + 2 * ttlMs);
    this.prune(now);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    for (const [k, until] of this.seen) {
      if (this.seen.size <= this.maxEntries && until > now) break;
      this.seen.delete(k);
    }
  }
}
