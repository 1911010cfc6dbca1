/** Small helpers shared by the benchmark scripts. */

/** `--name value` from argv, else the fallback. */
export function arg(name: string, fallback: string, argv: string[] = process.argv): string {
  const i = argv.indexOf(`--${name}`);
  return i > 0 && argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[i + 1]! : fallback;
}

export const flag = (name: string, argv: string[] = process.argv): boolean => argv.includes(`--${name}`);

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export const pct = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN;

export const round2 = (n: number): number => Math.round(n * 100) / 100;

export const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until fn returns a truthy value or the deadline passes (then throws naming what). */
export async function waitUntil<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
