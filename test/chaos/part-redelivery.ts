/**
 * Part 5: every event delivered 5 times: three copies at once, two more 0.2-2 s later (separate deliveries of
 * the same signed payload). Each must be acknowledged, and each message answered exactly once.
 */
import { deliver, prepare, sleep, verify, waitForReplies, type Conversation } from './conversations';
import { startHarness } from './harness';
import { verificationFigures, type PartResult } from './report';

export interface RedeliveryOptions {
  temporalAddress: string;
  conversations: number;
  random: () => number;
  timeoutMs: number;
}

const COPIES = 5;
const AT_ONCE = 3;

export async function redeliveryPart(o: RedeliveryOptions): Promise<PartResult> {
  const t0 = Date.now();
  const h = await startHarness({ temporalAddress: o.temporalAddress, users: Math.max(3, Math.ceil(o.conversations / 3)) });
  try {
    const convs: Conversation[] = Array.from({ length: o.conversations }, (_, i) => prepare(h, i));
    const later: Promise<void>[] = [];
    for (const c of convs) {
      for (let i = 0; i < AT_ONCE; i++) deliver(h, c);
      for (let i = AT_ONCE; i < COPIES; i++) {
        const delay = 200 + Math.round(o.random() * 1800);
        later.push(sleep(delay).then(() => void deliver(h, c)));
      }
      await sleep(30);
    }
    await Promise.all(later);
    const waited = await waitForReplies(h, convs, o.timeoutMs);
    const acks = await Promise.all(convs.flatMap((c) => c.deliveries.map((d) => d.done)));
    const v = verify(h, convs);
    const failures = [...v.failures];
    const notAcked = acks.filter((a) => !a.ok).length;
    if (notAcked) failures.push(`${notAcked} deliveries never acknowledged`);
    const byAnswer = new Map<string, number>();
    for (const a of acks) {
      const outcome = !a.ok ? String(a.status ?? a.error) : /"duplicate":true/.test(a.responseText ?? '') ? '200 duplicate' : '200 started';
      byAnswer.set(outcome, (byAnswer.get(outcome) ?? 0) + 1);
    }
    // One run per event, whatever the answers said: a start that outlasted the webhook's deadline is answered
    // 503, Lark delivers again, and that copy finds the run ("duplicate"), so count runs, not "started" answers.
    const started = byAnswer.get('200 started') ?? 0;
    if (started > convs.length) failures.push(`${started} deliveries started a workflow for ${convs.length} events`);
    let runs = 0;
    for await (const _ of h.client.workflow.list({ query: `TaskQueue = "${h.config.temporal.taskQueue}" AND WorkflowType = "larkEventWorkflow"` })) runs++;
    if (runs !== convs.length) failures.push(`${runs} event runs for ${convs.length} events`);
    if (h.worker.unexpectedExits) failures.push(`the worker exited on its own: ${h.worker.stderrTail()}`);
    return {
      name: `every event delivered ${COPIES} times (${o.conversations} conversations)`,
      ok: failures.length === 0,
      seconds: (Date.now() - t0) / 1000,
      figures: [
        ['deliveries (acknowledged)', `${acks.length} (${acks.length - notAcked})`],
        ['webhook answers', [...byAnswer].map(([k, n]) => `${k}: ${n}`).join(', ')],
        ['event runs', String(runs)],
        ['all answered after the last copy (s)', (waited.ms / 1000).toFixed(1)],
        ...verificationFigures(v),
      ],
      failures,
    };
  } finally {
    await h.stop();
  }
}
