/**
 * `npm run test:unit`: the tests that need no server (no Temporal, no PostgreSQL, no browser), in seconds.
 * A file counts as a unit test when it touches none of the helpers that start or reach a server; the list is
 * derived, so a new pure test joins by itself. `scripts/test.sh` still runs every file.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

const NEEDS_A_SERVER =
  /startStack|freshDatabase|temporalTestEnv|requireEnv|TEST_DATABASE_URL|TEST_TEMPORAL_ADDRESS|launchBrowser|chromium|openWorld|startPostgresServer|startDevServer|TestWorkflowEnvironment|createTimeSkipping/;

const root = path.resolve(__dirname, '..');
const testDir = path.join(root, 'test');

/** Whether a test file, or a test helper it imports (followed through test/), reaches for a server. */
function needsAServer(file: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  const src = readFileSync(file, 'utf8');
  if (NEEDS_A_SERVER.test(src)) return true;
  for (const [, spec] of src.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
    const target = path.resolve(path.dirname(file), spec!);
    if (!target.startsWith(testDir)) continue; // product code: it never starts a server on import
    const ts = [`${target}.ts`, path.join(target, 'index.ts')].find((f) => existsSync(f));
    if (ts && needsAServer(ts, seen)) return true;
  }
  return false;
}

const files = readdirSync(testDir)
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .filter((f) => !needsAServer(path.join(testDir, f)))
  .map((f) => path.join('test', f));
console.log(`[test:unit] ${files.length} files: ${files.map((f) => path.basename(f, '.test.ts')).join(', ')}`);
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${Math.max(2, availableParallelism())}`, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
