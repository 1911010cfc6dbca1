/** Finds (or builds) the Temporal CLI through the one project script that knows how. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../root';

export function resolveTemporalCli(): string {
  const script = path.join(ROOT, 'scripts/ensure-temporal-cli.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const cli = out.trim().split('\n').pop();
  if (!cli) throw new Error('scripts/ensure-temporal-cli.sh printed no path');
  return cli;
}
