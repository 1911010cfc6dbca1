/**
 * The chaos suite: `npm run chaos` (full) or `npm run chaos -- --short` (the CI size, also run by
 * test/chaos-short.test.ts). `--parts 1,3` picks parts, `--seed N` replays kill moments and faults.
 * Uses TEST_TEMPORAL_ADDRESS / TEST_DATABASE_URL when set, else starts a dev server and a PostgreSQL server;
 * part 2 always starts its own file-backed dev server (it restarts it). Exits 1 when an invariant breaks.
 */
import { resolveTemporalCli } from '../../src/temporal/cli';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server';
import { killWorkerPart } from './part-kill-worker';
import { temporalRestartPart } from './part-temporal-restart';
import { larkFaultsPart } from './part-lark-faults';
import { formatPart, prng, type PartResult } from './report';

export interface ChaosOptions {
  short: boolean;
  seed: number;
  parts: number[];
  temporalAddress: string;
  /** The Temporal CLI, for part 2's own dev server. */
  cliPath: string;
  print?: (line: string) => void;
}

export interface ChaosReport {
  ok: boolean;
  parts: PartResult[];
}

/** Sizes: the full run and the CI-sized one. */
function sizes(short: boolean) {
  return short
    ? { killConvs: 10, kills: 1, restartConvs: 8, downMs: 4000, faultConvs: 10, timeoutMs: 90_000 }
    : { killConvs: 50, kills: 3, restartConvs: 30, downMs: 10_000, faultConvs: 40, timeoutMs: 240_000 };
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const print = o.print ?? ((l: string) => console.log(l));
  const s = sizes(o.short);
  const random = prng(o.seed);
  print(`chaos: ${o.short ? 'short' : 'full'} run, seed ${o.seed}, parts ${o.parts.join(',')}`);
  const parts: PartResult[] = [];
  const run = async (n: number, fn: () => Promise<PartResult>) => {
    if (!o.parts.includes(n)) return;
    let r: PartResult;
    try {
      r = await fn();
    } catch (err) {
      r = { name: `part ${n}`, ok: false, seconds: 0, figures: [], failures: [`crashed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`] };
    }
    parts.push(r);
    print(formatPart(r));
  };
  await run(1, () => killWorkerPart({ temporalAddress: o.temporalAddress, conversations: s.killConvs, kills: s.kills, random, timeoutMs: s.timeoutMs }));
  await run(2, () => temporalRestartPart({ cliPath: o.cliPath, conversations: s.restartConvs, downMs: s.downMs, random, timeoutMs: s.timeoutMs }));
  await run(3, () => larkFaultsPart({ temporalAddress: o.temporalAddress, conversations: s.faultConvs, random, timeoutMs: s.timeoutMs }));
  const ok = parts.every((p) => p.ok);
  print(`chaos: ${ok ? 'all invariants held' : 'INVARIANT BROKEN'} (${parts.filter((p) => p.ok).length}/${parts.length} parts OK)`);
  return { ok, parts };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  let dev: DevServer | undefined;
  let pg: PostgresServer | undefined;
  const cleanup = async () => {
    await dev?.stop().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  let code = 1;
  try {
    if (!process.env.TEST_DATABASE_URL) process.env.TEST_DATABASE_URL = (pg = await startPostgresServer()).url;
    const cliPath = process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli();
    const temporalAddress = process.env.TEST_TEMPORAL_ADDRESS ?? (dev = await startDevServer({ cliPath })).address;
    process.env.TEST_TEMPORAL_ADDRESS = temporalAddress;
    const report = await runChaos({
      short: process.argv.includes('--short'),
      seed: Number(arg('seed') ?? Math.floor(Math.random() * 2 ** 31)),
      parts: (arg('parts') ?? '1,2,3,4,5').split(',').map(Number),
      temporalAddress,
      cliPath,
    });
    code = report.ok ? 0 : 1;
  } catch (err) {
    console.error('chaos: setup failed:', err instanceof Error ? err.message : err);
  } finally {
    await cleanup();
  }
  process.exit(code);
}

if (require.main === module) void main();
