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
  assert.deepEqual(Object.keys(s).sort(), ['postgresql', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'webhook', 'worker']);
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
    serverVersion = execFileSync('bash', [path.join(root, 'scripts/ensure-temporal-server.sh'), '--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
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
  for (const v of ['LARK_APP_ID', 'LARK_APP_SECRET', 'TOKEN_ENCRYPTION_KEY', 'OAUTH_STATE_SECRET', 'ANTHROPIC_API_KEY', 'LLM_ALLOW_OFFLINE'])
    assert.ok(v in s.worker.environment, `worker gets ${v}`);
  // Production runs the compiled entry points (npm run build in the Dockerfile), not tsx.
  assert.deepEqual(s.webhook.command, ['node', 'dist/src/webhook/server.js']);
  assert.deepEqual(s.worker.command, ['node', 'dist/src/worker.js']);

  // Files the compose file mounts exist.
  for (const svc of Object.values<any>(s)) {
    for (const v of svc.volumes ?? []) {
      const src = String(v).split(':')[0]!;
      if (src.startsWith('./'))
        await assert.doesNotReject(
          readFile(path.join(root, src)).catch(async (e) => (e.code === 'EISDIR' ? '' : Promise.reject(e))),
          src,
        );
    }
  }
});

test('docker-compose.yml is closed by default: no host port for Temporal, the UI on loopback, the keys required', async () => {
  const compose = parse(await read('docker-compose.yml'), { merge: true });
  const s = compose.services;
  const published = (svc: any): string[] =>
    (svc.ports ?? []).map((p: unknown) =>
      typeof p === 'object' && p ? `${(p as any).host_ip ?? ''}:${(p as any).published ?? ''}:${(p as any).target}` : String(p),
    );

  // The frontend runs --allow-no-auth: no service publishes 7233 (or any Temporal or PostgreSQL port) on the host.
  assert.ok(s.temporal.entrypoint.includes('--allow-no-auth'), 'the premise: an unauthenticated frontend');
  assert.equal(s.temporal.ports, undefined, 'temporal publishes no port');
  assert.equal(s.postgresql.ports, undefined, 'postgresql publishes no port');
  for (const [name, svc] of Object.entries<any>(s)) {
    for (const p of published(svc)) assert.doesNotMatch(p, /(^|:)7233(:|$)/, `${name} publishes 7233 (${p})`);
  }
  // ... and sits only on networks declared internal (no route out, nothing published).
  const nets = (svc: any): string[] => (Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks ?? { default: {} }));
  for (const name of ['temporal', 'postgresql', 'temporal-admin-tools']) {
    assert.ok(nets(s[name]).length > 0);
    for (const n of nets(s[name])) assert.equal(compose.networks?.[n]?.internal, true, `${name} is on ${n}, which is not internal`);
  }
  // The app reaches Temporal and PostgreSQL (same internal network) and Lark (another one).
  for (const name of ['webhook', 'worker', 'temporal-ui']) {
    assert.ok(
      nets(s[name]).some((n) => compose.networks[n]?.internal === true),
      `${name} reaches the internal network`,
    );
  }
  for (const name of ['webhook', 'worker'])
    assert.ok(
      nets(s[name]).some((n) => compose.networks[n]?.internal !== true),
      `${name} reaches Lark`,
    );

  // The Web UI (no sign-in) on loopback only.
  const ui = published(s['temporal-ui']);
  assert.ok(ui.length > 0, 'the UI is published');
  for (const p of ui) assert.match(p, /^127\.0\.0\.1:/, `the UI is published on ${p}`);

  // Compose refuses to start without the keys ("${VAR:?message}"), and says which.
  // (The webhook's Lark secrets are optional here: the long connection, LARK_EVENT_MODE=websocket, needs neither;
  // the webhook refuses to start without them in webhook mode, config.test.ts.)
  for (const v of ['PAYLOAD_ENCRYPTION_KEYS', 'TOKEN_ENCRYPTION_KEY', 'OAUTH_STATE_SECRET']) {
    for (const name of ['webhook', 'worker']) {
      assert.match(String(s[name].environment[v]), new RegExp(`^\\$\\{${v}:\\?.*${v}.*\\}$`), `${name}: ${v} is required`);
    }
  }
  // The old token keys pass through when set (they only decrypt after a rotation).
  assert.equal(s.worker.environment.TOKEN_ENCRYPTION_OLD_KEYS, '${TOKEN_ENCRYPTION_OLD_KEYS:-}');

  // The docs say how to open Temporal to other hosts safely (docs/privacy-and-security.md, linked from the README).
  assert.match(await read('README.md'), /\]\(docs\/privacy-and-security\.md\)/);
  const page = await read('docs/privacy-and-security.md');
  assert.ok(page.includes('## Security'), 'docs/privacy-and-security.md has a Security section');
  const security = page.slice(page.indexOf('## Security'), page.indexOf('\n## ', page.indexOf('## Security') + 5));
  assert.match(security, /mTLS/);
  assert.match(security, /requireClientAuth: true/);
  assert.match(security, /authorizer: default/);
  assert.match(security, /127\.0\.0\.1:8080/);
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
  // The stand-ins (dev/: the emulator, the offline model, the sandbox, the local run) stay out of the image: not in
  // the build context, not copied, not compiled (and no production file imports them: test/layers.test.ts).
  assert.doesNotMatch(dockerfile, /^COPY\s+(\.\/)?dev\b/m);
  assert.match(await read('.dockerignore'), /^dev\/?$/m);
  const ts = await import('typescript');
  const build = ts.readConfigFile(path.join(root, 'tsconfig.build.json'), ts.sys.readFile).config as { include: string[]; exclude: string[] };
  assert.deepEqual(build.include, ['src', 'workflows', 'activities']);
  assert.ok(build.exclude.includes('dev'), 'tsconfig.build.json excludes dev/');
});

test('package-lock.json is complete, so `npm ci` works on a clean machine', async () => {
  const { execFileSync } = await import('node:child_process');
  // Exits 1 naming the missing entries when a later `npm install` dropped them.
  assert.doesNotThrow(() => execFileSync(process.execPath, [path.join(root, 'scripts/complete-lockfile.js'), '--check'], { stdio: 'pipe' }));
});
