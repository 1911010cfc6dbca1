/**
 * Part 3: 30% of Lark calls fail (429 with a 1-2 s reset header, 1254290, 5xx, timeouts), on every endpoint.
 * Everything must complete once, and a retry after a 429 must wait at least the reset it was given.
 */
import type { CallRecord, FaultSpec } from '../../dev/emulator';
import { deliver, prepare, sleep, verify, waitForReplies, type Conversation } from './conversations';
import { startHarness } from './harness';
import { verificationFigures, type PartResult } from './report';

export interface FaultOptions {
  temporalAddress: string;
  conversations: number;
  random: () => number;
  timeoutMs: number;
}

const FAILURE_RATE = 0.3;
/** The client gives up on a held call after this; the timeout fault holds a little longer. */
const REQUEST_TIMEOUT_MS = 2000;
/** Timer and clock slack allowed when comparing a retry's gap with the reset header. */
const GAP_TOLERANCE_MS = 50;

const KINDS: FaultSpec[] = [
  { kind: 'rateLimit', resetSeconds: 1 },
  { kind: 'rateLimit', resetSeconds: 2 },
  { kind: 'larkCode', code: 1254290 },
  { kind: 'http5xx', status: 503 },
  { kind: 'timeout', ms: REQUEST_TIMEOUT_MS + 500 },
];

/** Faults are tried in order and the first that fires answers: conditional odds give each kind an equal share of 30%. */
function faultSpecs(): FaultSpec[] {
  const share = FAILURE_RATE / KINDS.length;
  return KINDS.map((k, i) => ({ ...k, match: { path: '/open-apis/*' }, probability: share / (1 - share * i) }));
}

/** What makes a retry recognisable as the same request: its idempotency key, or a per-message path. */
function requestKey(c: CallRecord): string | undefined {
  const body = (c.body ?? {}) as Record<string, unknown>;
  const key = body.uuid ?? body.client_token ?? c.query.idempotency_key ?? c.query.client_token;
  return typeof key === 'string' ? `${c.method} ${c.path} ${key}` : undefined;
}

export function retryGaps(calls: readonly CallRecord[]): { measured: number; minMarginMs: number; violations: string[] } {
  const violations: string[] = [];
  let measured = 0;
  let minMarginMs = Infinity;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    if (c.status !== 429) continue;
    const key = requestKey(c);
    if (!key) continue;
    const next = calls.slice(i + 1).find((n) => requestKey(n) === key);
    if (!next) continue;
    const reset = Number((c.note as Record<string, unknown>).rateLimitReset ?? 1);
    const gap = next.at - (c.at + c.ms);
    measured++;
    minMarginMs = Math.min(minMarginMs, gap - reset * 1000);
    if (gap < reset * 1000 - GAP_TOLERANCE_MS) violations.push(`${c.method} ${c.path}: retried ${gap} ms after a 429 with reset ${reset} s`);
  }
  return { measured, minMarginMs, violations };
}

export async function larkFaultsPart(o: FaultOptions): Promise<PartResult> {
  const t0 = Date.now();
  const h = await startHarness({
    temporalAddress: o.temporalAddress,
    users: Math.max(3, Math.ceil(o.conversations / 3)),
    env: { LARK_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
    random: () => o.random(),
  });
  try {
    const faults = faultSpecs().map((s) => h.emu.faults.add(s));
    const firstSeq = h.emu.calls.lastSeq();
    const convs: Conversation[] = Array.from({ length: o.conversations }, (_, i) => prepare(h, i));
    for (const c of convs) {
      deliver(h, c);
      await sleep(50);
    }
    const waited = await waitForReplies(h, convs, o.timeoutMs, 3000);
    for (const f of faults) f.remove();
    const v = verify(h, convs);
    const calls = h.emu.calls.since(firstSeq);
    const byKind = new Map<string, number>();
    for (const c of calls) if (c.faults.length) byKind.set(c.faults[0]!, (byKind.get(c.faults[0]!) ?? 0) + 1);
    const faulted = calls.filter((c) => c.faults.length).length;
    const endpoints = new Set(calls.filter((c) => c.faults.length).map((c) => c.path.replace(/\/(om|oc|ou|cal|ev|t)[_\w.@-]{6,}/g, '/:id')));
    const gaps = retryGaps(calls);
    const failures = [...v.failures, ...gaps.violations];
    if (h.worker.unexpectedExits) failures.push(`the worker exited on its own: ${h.worker.stderrTail()}`);
    if (!gaps.measured) failures.push('no 429 retry was measured: the rate-limit faults were not exercised');
    return {
      name: `30% of Lark calls fail (${o.conversations} conversations)`,
      ok: failures.length === 0,
      seconds: (Date.now() - t0) / 1000,
      figures: [
        ['Lark calls / failed by injection', `${calls.length} / ${faulted} (${((100 * faulted) / Math.max(1, calls.length)).toFixed(0)}%)`],
        ['failures by kind', [...byKind].map(([k, n]) => `${k}: ${n}`).join(', ')],
        ['endpoints that failed', endpoints.size],
        ['429 retries measured / min margin over the reset', `${gaps.measured} / ${gaps.measured ? `${gaps.minMarginMs} ms` : '-'}`],
        ['all answered after the last send (s)', (waited.ms / 1000).toFixed(1)],
        ...verificationFigures(v),
      ],
      failures,
    };
  } finally {
    await h.stop();
  }
}
