/**
 * Part 2: restart the Temporal dev server (file-backed) mid-run. While it is down the webhook answers 503
 * and the emulator's sender redelivers (Lark's schedule, compressed by timeScale); the worker reconnects.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, freePort, type DevServer } from '../../src/temporal/dev-server';
import { deliver, prepare, sleep, verify, waitForReplies, type Conversation } from './conversations';
import { startHarness } from './harness';
import { verificationFigures, type PartResult } from './report';

export interface RestartOptions {
  cliPath: string;
  conversations: number;
  downMs: number;
  random: () => number;
  timeoutMs: number;
}

export async function temporalRestartPart(o: RestartOptions): Promise<PartResult> {
  const t0 = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lark-chaos-temporal-'));
  const dbFile = path.join(dir, 'temporal.db');
  const port = await freePort();
  let dev: DevServer | undefined = await startDevServer({ cliPath: o.cliPath, port, dbFile });
  // 15 s / 5 min / 1 h / 6 h become 150 ms / 3 s / 36 s / 3.6 min: an outage of seconds is covered.
  const h = await startHarness({ temporalAddress: dev.address, users: Math.max(3, Math.ceil(o.conversations / 3)), delivery: { timeScale: 0.01 } });
  try {
    const convs: Conversation[] = Array.from({ length: o.conversations }, (_, i) => prepare(h, i));
    const downAt = 1000 + Math.round(o.random() * 1500);
    const spreadMs = downAt + o.downMs + 2000;
    const sending = (async () => {
      for (const c of convs) {
        deliver(h, c);
        await sleep(spreadMs / convs.length);
      }
    })();
    await sleep(downAt);
    const before = convs.filter((c) => c.deliveries.length && !h.emu.calls.repliesTo(c.messageId)).length;
    await dev.stop();
    dev = undefined;
    const downStart = Date.now();
    await sleep(o.downMs);
    dev = await startDevServer({ cliPath: o.cliPath, port, dbFile });
    const downFor = Date.now() - downStart;
    await sending;
    const waited = await waitForReplies(h, convs, o.timeoutMs);
    await Promise.all(convs.flatMap((c) => c.deliveries.map((d) => d.done)));
    const v = verify(h, convs);
    const failures = [...v.failures];
    if (h.worker.unexpectedExits) failures.push(`the worker exited on its own ${h.worker.unexpectedExits} time(s): ${h.worker.stderrTail()}`);
    const attempts = convs.flatMap((c) => c.deliveries.flatMap((d) => d.attempts));
    const byStatus = new Map<string, number>();
    for (const a of attempts) byStatus.set(String(a.status ?? a.error), (byStatus.get(String(a.status ?? a.error)) ?? 0) + 1);
    const redelivered = convs.filter((c) => c.deliveries.some((d) => d.attempts.length > 1)).length;
    const unacked = convs.filter((c) => !c.deliveries.some((d) => d.attempts.some((a) => a.ok))).length;
    if (unacked) failures.push(`${unacked} events never acknowledged (Lark would have given up)`);
    if (!byStatus.get('503')) failures.push('the webhook never answered 503: the outage was not exercised');
    return {
      name: `restart the Temporal dev server (${o.conversations} conversations, down ${(o.downMs / 1000).toFixed(0)} s)`,
      ok: failures.length === 0,
      seconds: (Date.now() - t0) / 1000,
      figures: [
        ['down (stop to answering again, s)', ((downFor + 0) / 1000).toFixed(1)],
        ['conversations unanswered when it went down', before],
        ['webhook answers by status', [...byStatus].map(([k, n]) => `${k}: ${n}`).join(', ')],
        ['events redelivered by the sender', redelivered],
        ['all answered after the last send (s)', (waited.ms / 1000).toFixed(1)],
        ...verificationFigures(v),
      ],
      failures,
    };
  } finally {
    await h.stop();
    await dev?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
