/**
 * Part 1: kill -9 the worker at random moments while conversations are in flight, restart it each time.
 * Conversations are sent spread over the kill period so some are always mid-way (model step, tool, reply).
 */
import { deliver, prepare, sleep, verify, waitForReplies, type Conversation } from './conversations';
import { startHarness } from './harness';
import { verificationFigures, type PartResult } from './report';

export interface KillOptions {
  temporalAddress: string;
  conversations: number;
  kills: number;
  random: () => number;
  timeoutMs: number;
}

export async function killWorkerPart(o: KillOptions): Promise<PartResult> {
  const t0 = Date.now();
  const h = await startHarness({ temporalAddress: o.temporalAddress, users: Math.max(3, Math.ceil(o.conversations / 3)) });
  try {
    const convs: Conversation[] = Array.from({ length: o.conversations }, (_, i) => prepare(h, i));
    // Kill moments: 0.5-2.5 s after each (re)start; sends spread over the whole kill period.
    const gaps = Array.from({ length: o.kills }, () => 500 + Math.round(o.random() * 2000));
    const spreadMs = gaps.reduce((a, b) => a + b, 0) + o.kills * 1500;
    const sending = (async () => {
      for (const c of convs) {
        deliver(h, c);
        await sleep(spreadMs / convs.length);
      }
    })();
    const killed: string[] = [];
    const restartMs: number[] = [];
    for (const gap of gaps) {
      await sleep(gap);
      const inFlight = convs.filter((c) => c.deliveries.length && !h.emu.calls.repliesTo(c.messageId)).length;
      await h.worker.kill9();
      killed.push(`${inFlight} in flight`);
      await sleep(Math.round(o.random() * 1000));
      await h.worker.start();
      restartMs.push(h.worker.lastStartMs);
    }
    await sending;
    const waited = await waitForReplies(h, convs, o.timeoutMs);
    const v = verify(h, convs);
    const failures = [...v.failures];
    if (h.worker.unexpectedExits) failures.push(`the worker exited on its own ${h.worker.unexpectedExits} time(s): ${h.worker.stderrTail()}`);
    const unacked = convs.filter((c) => !c.deliveries.some((d) => d.attempts.some((a) => a.ok))).length;
    if (unacked) failures.push(`${unacked} events never acknowledged by the webhook`);
    return {
      name: `kill -9 the worker (${o.conversations} conversations, ${o.kills} kills)`,
      ok: failures.length === 0,
      seconds: (Date.now() - t0) / 1000,
      figures: [
        ['kills (at kill time: conversations without a reply)', `${h.worker.kills} (${killed.join(', ')})`],
        ['worker restart to READY (ms)', restartMs.join(', ')],
        ['all answered after the last send (s)', (waited.ms / 1000).toFixed(1)],
        ...verificationFigures(v),
      ],
      failures,
    };
  } finally {
    await h.stop();
  }
}
