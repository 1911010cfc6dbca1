/**
 * Starting the Temporal CLI's dev server: a start that dies says why (the first lines of its output, where a Go
 * panic names its cause), and the one transient cause, the CLI failing to pick an ephemeral port for itself, is
 * tried again. A stand-in script in front of the real CLI panics like the CLI does on its first call.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { resolveTemporalCli } from '../src/temporal/cli';
import { DevServerStartError, freePort, startDevServer } from '../src/temporal/dev-server';

const cli = process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli();
const dir = mkdtempSync(path.join(os.tmpdir(), 'dev-server-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A CLI that panics as the real one does when its port helper fails, for the first `failures` calls. */
function flakyCli(failures: number): { path: string; calls: () => number } {
  const count = path.join(dir, `calls-${failures}`);
  writeFileSync(count, '');
  const script = path.join(dir, `flaky-${failures}.sh`);
  writeFileSync(
    script,
    `#!/bin/sh
echo x >> '${count}'
if [ "$(wc -l < '${count}')" -le ${failures} ]; then
  echo 'panic: failed assigning ephemeral port: failed to assign a free port: connect: cannot assign requested address' >&2
  echo '' >&2
  echo 'goroutine 1 [running]:' >&2
  for i in $(seq 1 40); do echo "	frame $i" >&2; done
  exit 2
fi
exec '${cli}' "$@"
`,
  );
  chmodSync(script, 0o755);
  return { path: script, calls: () => readFileSync(count, 'utf8').split('\n').filter(Boolean).length };
}

test('a start that panics on its ephemeral port is tried again, and the server answers', async () => {
  const flaky = flakyCli(1);
  const dev = await startDevServer({ cliPath: flaky.path });
  try {
    assert.equal(flaky.calls(), 2, 'one failed start, one that answered');
    assert.match(dev.address, /^127\.0\.0\.1:\d+$/);
  } finally {
    await dev.stop();
  }
});

test('it gives up after three such starts, and the error names the cause from the first lines', async () => {
  const flaky = flakyCli(5);
  const err = await startDevServer({ cliPath: flaky.path }).then(
    () => assert.fail('started'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DevServerStartError);
  assert.equal(flaky.calls(), 3);
  assert.match(err.message, /exited with code 2 during start/);
  assert.match(err.output, /^panic: failed assigning ephemeral port/, 'the panic line, above 40 lines of stack');
  assert.match(err.output, /frame 40$/, 'and the last lines');
});

test('any other failure is final at once: a port already taken', async () => {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  const blocker = net.createServer((sock) => sockets.add(sock)).listen(port, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const flaky = flakyCli(0);
  try {
    const err = await startDevServer({ cliPath: flaky.path, port }).then(
      () => assert.fail('started on a taken port'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error);
    assert.equal(flaky.calls(), 1, 'not tried again');
  } finally {
    for (const sock of sockets) sock.destroy();
    blocker.close();
  }
});

test("the Web UI is told the codec endpoint, so it shows encrypted payloads decoded (the local run's UI)", async () => {
  const uiPort = await freePort();
  const endpoint = 'http://localhost:7778/codec';
  const dev = await startDevServer({ cliPath: cli, uiPort, uiCodecEndpoint: endpoint });
  try {
    // The settings the UI's page loads: the browser calls this endpoint to decode every payload it shows.
    const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
    assert.equal(settings.Codec?.Endpoint, endpoint);
  } finally {
    await dev.stop();
  }
});
