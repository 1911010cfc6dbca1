/**
 * Runs `temporal server start-dev` as a child process: file-backed when given a db file,
 * with the project's search attributes registered at start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeCliArgs } from '../../workflows/contract';

export interface DevServerOptions {
  cliPath: string;
  port?: number;
  /** Omit for in-memory (tests). */
  dbFile?: string;
  /** Omit for headless. */
  uiPort?: number;
  /** A remote codec the Web UI calls from the browser to show encrypted payloads (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
  namespace?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  onOutput?: (line: string) => void;
  /** Attributes are created while it runs (tests): keep the CLI's cache refresh on every read. */
  liveSearchAttributes?: boolean;
  /** Replaces DEV_SERVER_DYNAMIC_CONFIG (the benchmark compares the CLI's defaults with it). */
  dynamicConfig?: string[];
  /** Replaces DEV_SERVER_SQLITE_PRAGMAS for a file-backed server. */
  sqlitePragmas?: string[];
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Dynamic config for a one-machine dev server (the local run, the tests and the benchmark all start it this way).
 * Each value is measured by `npm run bench` (bench/results/, docs/benchmark.md).
 */
export const DEV_SERVER_DYNAMIC_CONFIG = [
  // The transfer queue is read at most 20 times a second by default: every hand-off (a new workflow or activity
  // task, an activity retry) waited tens of milliseconds. 1000/s hands work over as fast as it is recorded.
  'history.transferProcessorMaxPollRPS=1000',
  // Same for timers (activity retries, the status-message delay, confirmation and sign-in timeouts).
  'history.timerProcessorMaxPollRPS=1000',
  // A workflow task that schedules an activity on its own task queue gets the activity back in its completion
  // response: no matching round trip and no poll wait for the model call (off by default on the server).
  'system.enableActivityEagerExecution=true',
];

/**
 * The CLI forces a search-attribute cache refresh (a database read) on every start and upsert so that newly
 * created attributes show at once; ours are registered at server start, so the normal 60 s cache is enough.
 * Not for the test server: test/temporal-setup.test.ts creates namespaces and attributes and uses them at once.
 */
export const SEARCH_ATTRIBUTE_CACHE_CONFIG = ['system.forceSearchAttributesCacheRefreshOnRead=false'];

/**
 * SQLite durability for the file-backed server. WAL: readers do not block the writer. synchronous=NORMAL: a
 * commit is not fsynced, only the WAL checkpoints are; a crash of the server PROCESS loses nothing (the WAL is
 * in the OS page cache), an OS crash or power loss can lose the last commits (acknowledged events included,
 * so Lark's redelivery is not guaranteed to find them). Right for a developer machine; production runs the
 * Temporal server on PostgreSQL (docker-compose.yml) with durable commits.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['journal_mode=WAL', 'synchronous=NORMAL'];

/** The CLI exited before it answered; `output` holds its first and last lines. */
export class DevServerStartError extends Error {
  constructor(
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`temporal dev server exited with code ${code} during start:\n${output}`);
    this.name = 'DevServerStartError';
  }
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--log-level',
    opts.logLevel ?? 'error',
    '--namespace',
    opts.namespace ?? 'default',
    ...searchAttributeCliArgs(),
    ...(opts.dynamicConfig ?? [...DEV_SERVER_DYNAMIC_CONFIG, ...(opts.liveSearchAttributes ? [] : SEARCH_ATTRIBUTE_CACHE_CONFIG)]).flatMap((kv) => [
      '--dynamic-config-value',
      kv,
    ]),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile, ...(opts.sqlitePragmas ?? DEV_SERVER_SQLITE_PRAGMAS).flatMap((p) => ['--sqlite-pragma', p])] : []),
    ...(opts.uiPort ? ['--ui-port', String(opts.uiPort), ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : [])] : ['--headless']),
  ];
  if (opts.dbFile) await mkdir(path.dirname(opts.dbFile), { recursive: true });
  const address = `127.0.0.1:${port}`;

  /** Spawns the CLI and waits until it answers; a start that dies throws DevServerStartError with its output. */
  async function launch(): Promise<ChildProcess> {
    const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // The first lines too: a Go panic names its cause there, above a stack longer than the tail.
    const head: string[] = [];
    const tail: string[] = [];
    const relay = (chunk: Buffer) =>
      chunk
        .toString()
        .split('\n')
        .filter(Boolean)
        .forEach((l) => {
          if (head.length < 5) head.push(l);
          tail.push(l);
          if (tail.length > 20) tail.shift();
          opts.onOutput?.(l);
        });
    child.stdout?.on('data', relay);
    child.stderr?.on('data', relay);
    let exited: number | null | undefined;
    child.on('exit', (code) => (exited = code));

    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited !== undefined) {
        throw new DevServerStartError(exited, [...head, '...', ...tail].join('\n'));
      }
      try {
        const conn = await Connection.connect({ address, connectTimeout: 1000 });
        await conn.workflowService.getSystemInfo({});
        await conn.close();
        break;
      } catch {
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`temporal dev server did not answer on ${address} within 60 s`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    return child;
  }

  // The CLI picks its internal ports itself (bind :0, then a connect to reserve it) and panics when that fails,
  // which a busy machine can make happen: that one cause is tried again; any other failure is final.
  let child: ChildProcess;
  for (let attempt = 1; ; attempt++) {
    try {
      child = await launch();
      break;
    } catch (err) {
      if (!(err instanceof DevServerStartError) || !err.output.includes('failed assigning ephemeral port') || attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://localhost:${opts.uiPort}` : undefined,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}
