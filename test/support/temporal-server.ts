/**
 * The official Temporal server (not the dev server) on a real PostgreSQL, as production runs it: the binary and
 * temporal-sql-tool built by scripts/ensure-temporal-server.sh, the schema set up by deploy/temporal/setup-schema.sh
 * and the configuration read from deploy/temporal/config/server.yaml, the same files docker-compose.yml uses.
 * Every port is a free one, so several runs can share a machine; the process can be stopped, kill -9'd and
 * started again on the same ports and databases.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';

const ROOT = path.resolve(__dirname, '..', '..');
export const SERVER_CONFIG_DIR = path.join(ROOT, 'deploy', 'temporal', 'config');
export const DYNAMIC_CONFIG_FILE = path.join(ROOT, 'deploy', 'temporal', 'dynamicconfig', 'development-sql.yaml');
const SETUP_SCHEMA = path.join(ROOT, 'deploy', 'temporal', 'setup-schema.sh');
const ENSURE = path.join(ROOT, 'scripts', 'ensure-temporal-server.sh');

/**
 * The folder holding temporal-server and temporal-sql-tool. `build: false` never compiles: it answers
 * undefined when the binaries are not built yet (the test suite's short form then skips).
 */
export function resolveTemporalServerDir(opts: { build: boolean }): string | undefined {
  if (opts.build) {
    const out = execFileSync('bash', [ENSURE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return out.trim().split('\n').pop() || undefined;
  }
  try {
    return execFileSync('bash', [ENSURE, '--check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
}

/** Reads host, port, user and password out of a postgres:// URL. */
export function postgresTarget(url: string): PostgresTarget {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) || undefined };
}

export interface TemporalServerOptions {
  binDir: string;
  pg: PostgresTarget;
  /** Database names (default temporal / temporal_visibility); a prefix keeps runs on one PostgreSQL apart. */
  dbName?: string;
  visibilityDbName?: string;
  numHistoryShards?: number;
  /** Extra connections: per service and process (server default 20 persistence, 10 visibility). */
  maxConns?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  onOutput?: (line: string) => void;
}

export interface TemporalServer {
  address: string;
  /** The server's environment (config template variables), password included: never print it. */
  env: Record<string, string>;
  readonly running: boolean;
  /** Starts the process and waits until the frontend answers and the system namespace is loaded. */
  start(): Promise<number>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** kill -9: no shutdown of any kind. */
  kill9(): Promise<void>;
  tail(): string;
  /** The server's error lines (message and error, shortened), oldest first, at most 200. */
  errors(): string[];
}

const run = promisify(execFile);

/**
 * A free port below 32768: the server stores membership ports in a PostgreSQL smallint
 * (cluster_membership.rpc_port), so an ephemeral port (32768+) makes UpsertClusterMembership fail at start.
 */
async function lowFreePort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (taken.has(port)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (ok) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port found between 20000 and 32000');
}

/** deploy/temporal/setup-schema.sh with the tool from binDir: creates and migrates both databases. */
export async function setupTemporalSchema(binDir: string, env: Record<string, string>): Promise<void> {
  await run('sh', [SETUP_SCHEMA], { env: { ...process.env, ...env, TEMPORAL_SQL_TOOL: path.join(binDir, 'temporal-sql-tool') }, maxBuffer: 16 * 1024 * 1024 });
}

export async function createTemporalServer(o: TemporalServerOptions): Promise<TemporalServer> {
  const ports: Record<string, number> = {};
  const taken = new Set<number>();
  for (const name of [
    'FRONTEND_GRPC',
    'FRONTEND_HTTP',
    'FRONTEND_MEMBERSHIP',
    'HISTORY_GRPC',
    'HISTORY_MEMBERSHIP',
    'MATCHING_GRPC',
    'MATCHING_MEMBERSHIP',
    'WORKER_GRPC',
    'WORKER_MEMBERSHIP',
  ]) {
    ports[name] = await lowFreePort(taken);
  }
  const env: Record<string, string> = {
    DB: 'postgres12',
    POSTGRES_SEEDS: o.pg.host,
    DB_PORT: String(o.pg.port),
    POSTGRES_USER: o.pg.user,
    POSTGRES_PWD: o.pg.password ?? '',
    DBNAME: o.dbName ?? 'temporal',
    VISIBILITY_DBNAME: o.visibilityDbName ?? 'temporal_visibility',
    NUM_HISTORY_SHARDS: String(o.numHistoryShards ?? 4),
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    LOG_LEVEL: o.logLevel ?? 'warn',
    ...(o.maxConns ? { SQL_MAX_CONNS: String(o.maxConns), SQL_MAX_IDLE_CONNS: String(o.maxConns) } : {}),
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [`${k}_PORT`, String(v)])),
  };
  await setupTemporalSchema(o.binDir, env);
  const address = `127.0.0.1:${ports.FRONTEND_GRPC}`;
  const lines: string[] = [];
  const errorLines: string[] = [];
  let child: ChildProcess | undefined;

  const server: TemporalServer = {
    address,
    env,
    get running() {
      return child !== undefined;
    },
    async start() {
      if (child) throw new Error('temporal server already running');
      const t0 = Date.now();
      const p = spawn(
        path.join(o.binDir, 'temporal-server'),
        ['--root', path.dirname(SERVER_CONFIG_DIR), '--config', path.basename(SERVER_CONFIG_DIR), '--env', 'server', '--allow-no-auth', 'start'],
        { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = p;
      const keep = (b: Buffer) => {
        for (const l of b.toString().split('\n').filter(Boolean)) {
          lines.push(l.slice(0, 400));
          if (lines.length > 40) lines.shift();
          if (l.includes('"level":"error"') || l.includes('"level":"fatal"')) {
            try {
              const j = JSON.parse(l) as { ts?: string; msg?: string; error?: string; 'wf-id'?: string; component?: string };
              errorLines.push(
                `${j.ts?.slice(11, 23)} ${j.component ?? ''} ${j.msg}: ${String(j.error ?? '').slice(0, 160)}${j['wf-id'] ? ` (${j['wf-id'].slice(0, 30)})` : ''}`,
              );
            } catch {
              errorLines.push(l.slice(0, 200));
            }
            if (errorLines.length > 200) errorLines.shift();
          }
          o.onOutput?.(l);
        }
      };
      p.stdout!.on('data', keep);
      p.stderr!.on('data', keep);
      let exited: number | null | undefined;
      p.once('exit', (code) => {
        exited = code;
        if (child === p) child = undefined;
      });
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (exited !== undefined) throw new Error(`temporal server exited (${exited}) during start:\n${lines.slice(-15).join('\n')}`);
        try {
          const conn = await Connection.connect({ address, connectTimeout: 1000 });
          try {
            await conn.withDeadline(Date.now() + 2000, () => conn.workflowService.getSystemInfo({}));
            // The history shards and the namespace registry are up once the system namespace reads back.
            await conn.withDeadline(Date.now() + 2000, () => conn.workflowService.describeNamespace({ namespace: 'temporal-system' }));
          } finally {
            await conn.close();
          }
          return Date.now() - t0;
        } catch {
          if (Date.now() > deadline) {
            p.kill('SIGKILL');
            throw new Error(`temporal server did not answer on ${address} within 90 s:\n${lines.slice(-15).join('\n')}`);
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
    async stop() {
      const p = child;
      if (!p) return;
      child = undefined;
      const done = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
    async kill9() {
      const p = child;
      if (!p) return;
      child = undefined;
      const done = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGKILL');
      await done;
    },
    tail: () => lines.join('\n'),
    errors: () => [...errorLines],
  };
  return server;
}
