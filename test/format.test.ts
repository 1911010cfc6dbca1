/**
 * The formatter's check: every file Prettier covers (.prettierrc.json, .prettierignore) is formatted. A failure
 * names the files; `npm run format` fixes them. Prettier's cache (by content, in node_modules/.cache) makes a rerun
 * check only what changed: about 3 s instead of 13-16 s here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

test('the tree is formatted (npm run format:check)', () => {
  const root = path.resolve(__dirname, '..');
  const bin = path.join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  const run = spawnSync(process.execPath, [bin, '--list-different', '--cache', '--cache-strategy', 'content', '.'], { cwd: root, encoding: 'utf8' });
  assert.equal(run.error, undefined);
  assert.equal(run.stdout.trim(), '', `not formatted (run npm run format):\n${run.stdout}${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
});
