/**
 * `npm run bench:median [-- --last 3]`: the medians of the last N `npm run bench` results (bench/results/), figure
 * by figure, printed as the same table. Run the benchmark N times first; this machine is shared, so one run is noise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { table, type BenchResult } from './run';
import { writeResult } from './lib/results';
import { arg } from './lib/stats';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median of every numeric leaf across same-shaped values; other leaves from the first. */
function merge(values: unknown[]): unknown {
  const first = values[0];
  if (typeof first === 'number') return Math.round(median(values as number[]) * 100) / 100;
  if (Array.isArray(first)) return first.map((_, i) => merge(values.map((v) => (v as unknown[])[i])));
  if (first && typeof first === 'object')
    return Object.fromEntries(Object.keys(first).map((k) => [k, merge(values.map((v) => (v as Record<string, unknown>)[k]))]));
  return first;
}

const dir = path.resolve(__dirname, 'results');
const last = Number(arg('last', '3'));
const files = readdirSync(dir)
  .filter((f) => /^bench-.*\.json$/.test(f))
  .sort()
  .slice(-last);
const runs = files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as BenchResult & { quick?: boolean });
if (runs.length < last) throw new Error(`only ${runs.length} bench results in ${dir}`);
const med = merge(runs) as BenchResult;
console.log([`Medians of ${runs.length} runs: ${files.join(', ')}`, '', ...table(med)].join('\n'));
console.log(`wrote ${path.relative(process.cwd(), writeResult('median', { files, ...med }))}`);
