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
    ['postgresql', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'webhook', 'worker'],
  );
  assert.match(s.postgresql.image, /^postgres:\d+/);
  assert.match(s.temporal.image, /^temporalio\/server:/, 'temporalio/server, not the deprecated auto-setup');
  assert.match(s['temporal-admin-tools'].image, /^temporalio\/admin-tools:/);
  assert.equal(s.temporal.environment.DB, 'postgres12');
  assert.equal(s.temporal.environment.POSTGRES_SEEDS, 'postgresql');
  assert.equal(s.temporal.depends_on['temporal-admin-tools'].condition, 'service_completed_successfully');
  // Schema and server configuration: the same files the cluster test runs (test/support/temporal-server.ts).
  assert.deepEqual(s['temporal-admin-tools'].entrypoint, ['sh', '/etc/temporal/lark/setup-schema.sh']);
  assert.ok(s['temporal-admin-tools'].volumes.includes('./deploy/temporal/setup-schema.sh:/etc/temporal/lark/setup-schema.sh:ro'));
  assert.match(await read('deploy/temporal/setup-schema.sh'), /setup-schema[\s\S]*update-schema[\s\S]*visibility/);
  assert.ok(s.temporal.volumes.includes('./deploy/temporal/config:/etc/temporal/lark-config:ro'));
  assert.deepEqual(s.temporal.entrypoint.slice(0, 7), ['temporal-server', '--root', '/etc/temporal', '--config', 'lark-config', '--env', 'server']);
  assert.match(await read('deploy/temporal/config/server.yaml'), /^# enable-template/);
  // The images run the server version the pinned CLI embeds (known once scripts/ensure-temporal-server.sh ran).
  const { execFileSync } = await import('node:child_process');
  let serverVersion: string | undefined;
  try {
    serverVersion = execFileSync('bash', [path.join(root, 'scripts/ensure-temporal-server.sh'), '--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    serverVersion = undefined; // no Go and no cached version: nothing to compare with
  }
  if (serverVersion) {
    assert.equal(s.temporal.image, `temporalio/server:${serverVersion}`);
    assert.equal(s['temporal-admin-tools'].image, `temporalio/admin-tools:${serverVersion}`);
  }
  assert.match(s['temporal-ui'].image, /^temporalio\/ui:/);
  assert.equal(s['temporal-ui'].environment.TEMPORAL_ADDRESS, 'temporal:7233');
  // The namespace and the search attributes are registered by the webhook and the worker (src/temporal/setup.ts).

  for (const name of ['webhook', 'worker']) {
    assert.equal(s[name].build, '.', `${name} is built by the Dockerfile`);
    assert.equal(s[name].environment.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.match(s[name].environment.DATABASE_URL, /@postgresql:5432\//);
  }
  // Everything the worker refuses to start without is passed through from .env.
  for (const v of ['LARK_APP_ID', 'LARK_APP_SECRET', 'TOKEN_ENCRYPTION_KEY', 'OAUTH_STATE_SECRET']) assert.ok(v in s.worker.environment, `worker gets ${v}`);
  // Production runs the compiled entry points (npm run build in the Dockerfile), not tsx.
  assert.deepEqual(s.webhook.command, ['node', 'dist/src/webhook/server.js']);
  assert.deepEqual(s.worker.command, ['node', 'dist/src/worker.js']);

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
  // Compiled at build time, workflow bundle included; the image runs node on dist/, not tsx.
  assert.match(dockerfile, /RUN npm run build/);
  assert.match(dockerfile, /COPY --from=build \/app\/dist \.\/dist/);
  assert.match(dockerfile, /^CMD \["node", "dist\/src\/worker\.js"\]/m);
});

test('package-lock.json is complete, so `npm ci` works on a clean machine', async () => {
  const { execFileSync } = await import('node:child_process');
  // Exits 1 naming the missing entries when a later `npm install` dropped them.
  assert.doesNotThrow(() => execFileSync(process.execPath, [path.join(root, 'scripts/complete-lockfile.js'), '--check'], { stdio: 'pipe' }));
});
