/**
 * `npm run test:cluster` (full) or `npm run test:cluster -- --short`: the production-shaped run of
 * test/cluster/cluster.ts. Builds the Temporal server the first time (scripts/ensure-temporal-server.sh, a few
 * minutes; cached). Prints the figures; exits 1 when an invariant breaks.
 */
import { formatPart } from '../chaos/report';
import { resolveTemporalServerDir } from '../support/temporal-server';
import { CLUSTER_SIZES, runCluster } from './cluster';

async function main() {
  const short = process.argv.includes('--short');
  const binDir = resolveTemporalServerDir({ build: true });
  if (!binDir) throw new Error('scripts/ensure-temporal-server.sh printed no folder');
  const result = await runCluster({ ...CLUSTER_SIZES[short ? 'short' : 'full'], binDir });
  console.log(formatPart(result));
  process.exit(result.ok ? 0 : 1);
}

main().catch((err) => {
  console.error('cluster: setup failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
