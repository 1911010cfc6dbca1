/** No Docker engine runs here: check the compose file's structure and the Dockerfile instead. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '..');
const read = (f: string) => readFile(path.join(root, f), 'utf8');

test('docker-compose.yml runs PostgreSQL, Temporal on it, the UI, and the app as separate services', async () => {
  const compose = parse(await read('docker-compose.yml'), { merge: true }); // compose resolves << merge keys
  const s = compose.services;
  assert.deepEqual(
    Object.keys(s).sort(),
    ['postgresql', 'temporal', 'temporal-admin-tools', 'temporal-create-namespace', 'temporal-ui', 'webhook', 'worker'],
  );
  assert.match(s.postgresql.image, /^postgres:\d+/);
  assert.match(s.temporal.image, /^temporalio\/server:/, 'temporalio/server, not the deprecated auto-setup');
  assert.match(s['temporal-admin-tools'].image, /^temporalio\/admin-tools:/);
  assert.equal(s.temporal.environment.DB, 'postgres12');
  assert.equal(s.temporal.environment.POSTGRES_SEEDS, 'postgresql');
  assert.equal(s.temporal.depends_on['temporal-admin-tools'].condition, 'service_completed_successfully');
  assert.match(s['temporal-admin-tools'].command.join('\n'), /setup-schema[\s\S]*visibility/);
  assert.match(s['temporal-ui'].image, /^temporalio\/ui:/);
  assert.equal(s['temporal-ui'].environment.TEMPORAL_ADDRESS, 'temporal:7233');

  // Search attributes in compose match the ones the code defines.
  const { SEARCH_ATTRIBUTES } = await import('../workflows/search-attributes');
  for (const key of SEARCH_ATTRIBUTES) assert.match(s['temporal-create-namespace'].command.join('\n'), new RegExp(key.name));

  for (const name of ['webhook', 'worker']) {
    assert.equal(s[name].build, '.', `${name} is built by the Dockerfile`);
    assert.equal(s[name].environment.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.match(s[name].environment.DATABASE_URL, /@postgresql:5432\//);
  }
  // Everything the worker refuses to start without is passed through from .env.
  for (const v of ['LARK_APP_ID', 'LARK_APP_SECRET', 'TOKEN_ENCRYPTION_KEY', 'OAUTH_STATE_SECRET']) assert.ok(v in s.worker.environment, `worker gets ${v}`);
  assert.deepEqual(s.webhook.command.slice(-1), ['src/webhook/server.ts']);
  assert.deepEqual(s.worker.command.slice(-1), ['src/worker.ts']);

  // Files the compose file mounts exist.
  for (const svc of Object.values<any>(s)) {
    for (const v of svc.volumes ?? []) {
      const src = String(v).split(':')[0]!;
      if (src.startsWith('./')) await assert.doesNotReject(readFile(path.join(root, src)).catch(async (e) => (e.code === 'EISDIR' ? '' : Promise.reject(e))), src);
    }
  }
});

test('the Dockerfile uses a glibc base image and copies what the entry points need', async () => {
  const dockerfile = await read('Dockerfile');
  const from = dockerfile.match(/^FROM\s+(\S+)/m)?.[1] ?? '';
  assert.match(from, /^node:20/);
  assert.doesNotMatch(from, /alpine/, 'the Temporal core bridge fails on musl');
  for (const dir of ['src', 'workflows', 'activities', 'migrations']) assert.match(dockerfile, new RegExp(`COPY ${dir} `));
});

test('package-lock.json is complete, so `npm ci` works on a clean machine', async () => {
  const { execFileSync } = await import('node:child_process');
  // Exits 1 naming the missing entries when a later `npm install` dropped them.
  assert.doesNotThrow(() => execFileSync(process.execPath, [path.join(root, 'scripts/complete-lockfile.js'), '--check'], { stdio: 'pipe' }));
});
