/** What a chaos part hands back and how it is printed: figures as aligned lines, then any broken invariant. */
import type { Verification } from './conversations';

export interface PartResult {
  name: string;
  ok: boolean;
  seconds: number;
  figures: Array<[string, string | number]>;
  failures: string[];
}

export function verificationFigures(v: Verification): Array<[string, string | number]> {
  return [
    ['messages', v.messages],
    ['replies per message 0 / 1 / 2+', `${v.replies.zero} / ${v.replies.one} / ${v.replies.more}`],
    ['successful reply calls (uuid-deduplicated retries included)', v.replyCalls],
    ['tasks created / requested', `${v.tasks.created} / ${v.tasks.expected}`],
    ['calendar events created / requested', `${v.events.created} / ${v.events.expected}`],
  ];
}

export function formatPart(r: PartResult): string {
  const width = Math.max(...r.figures.map(([k]) => k.length));
  const lines = [`${r.name}: ${r.ok ? 'OK' : 'FAILED'} (${r.seconds.toFixed(1)} s)`];
  for (const [k, v] of r.figures) lines.push(`   ${k.padEnd(width)}  ${v}`);
  for (const f of r.failures.slice(0, 20)) lines.push(`   !! ${f}`);
  if (r.failures.length > 20) lines.push(`   !! ... and ${r.failures.length - 20} more`);
  return lines.join('\n');
}

/** A small seeded PRNG (mulberry32): a run's kill moments and faults replay with its --seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
