/**
 * Part 4: every user's access token expires mid-run. Lark rejects all of them (emulator.expireAllTokens) and,
 * for every other user, the stored expires_at is set to now too, so both paths run: the refresh after a
 * rejected token and the refresh ahead of expiry. Each user's refresh token is single-use: exactly one refresh.
 */
import { deliver, prepare, sleep, verify, waitForReplies, replyCounts, type Conversation } from './conversations';
import { startHarness } from './harness';
import { verificationFigures, type PartResult } from './report';

export interface TokenOptions {
  temporalAddress: string;
  users: number;
  timeoutMs: number;
}

export async function tokenExpiryPart(o: TokenOptions): Promise<PartResult> {
  const t0 = Date.now();
  const h = await startHarness({ temporalAddress: o.temporalAddress, users: o.users });
  try {
    // Every conversation uses the user's token (task, meeting or calendar read); two per user, a wave each.
    const wave = (base: number) => h.users.map((u, i) => prepare(h, base + i, u, (['task', 'event', 'list'] as const)[(base + i) % 3]));
    const first = wave(0);
    for (const c of first) deliver(h, c);
    // Mid-run: once some of the first wave is answered, while the rest is still in flight.
    const deadline = Date.now() + o.timeoutMs;
    while (Date.now() < deadline && [...replyCounts(h).keys()].filter((id) => first.some((c) => c.messageId === id)).length < first.length / 3) await sleep(20);
    const answeredBefore = first.filter((c) => replyCounts(h).get(c.messageId)).length;
    h.emu.expireAllTokens();
    const stored = h.users.filter((_, i) => i % 2 === 1).map((u) => h.emu.user(u).open_id);
    await h.db.pool.query('update lark_user_tokens set expires_at = $2 where open_id = any($1)', [stored, Date.now()]);
    const second = wave(first.length);
    for (const c of second) deliver(h, c);
    const convs: Conversation[] = [...first, ...second];
    const waited = await waitForReplies(h, convs, o.timeoutMs);
    const v = verify(h, convs);
    const failures = [...v.failures];
    const refreshes = h.users.map((u) => h.emu.calls.refreshCalls(h.emu.user(u).open_id));
    refreshes.forEach((n, i) => n !== 1 && failures.push(`${h.users[i]}: ${n} refreshes`));
    const rejected = h.emu.calls.count((c) => c.token === 'user' && c.code === 99991677);
    if (h.worker.unexpectedExits) failures.push(`the worker exited on its own: ${h.worker.stderrTail()}`);
    return {
      name: `every user's token expires mid-run (${o.users} users, ${convs.length} conversations)`,
      ok: failures.length === 0,
      seconds: (Date.now() - t0) / 1000,
      figures: [
        ['first-wave answers before the expiry', `${answeredBefore} / ${first.length}`],
        ['users expired at Lark / also in the token store', `${h.users.length} / ${stored.length}`],
        ['calls rejected with an expired user token (99991677)', rejected],
        ['refreshes per user (min / max / total)', `${Math.min(...refreshes)} / ${Math.max(...refreshes)} / ${refreshes.reduce((a, b) => a + b, 0)}`],
        ['all answered after the second wave (s)', (waited.ms / 1000).toFixed(1)],
        ...verificationFigures(v),
      ],
      failures,
    };
  } finally {
    await h.stop();
  }
}
