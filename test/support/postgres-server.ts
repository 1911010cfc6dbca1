/**
 * A throwaway PostgreSQL server from the machine's packages (Debian: /usr/lib/postgresql/N/bin),
 * in a temp folder, on a free port. As root it runs as the `postgres` user, since initdb refuses root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/temporal/dev-server';

export interface PostgresServer {
  url: string;
  port: number;
  /** pg_ctl stop -m immediate (as a crash would), then start again on the same port and data: the time it took. */
  restart(downMs?: number): Promise<number>;
  /** Stops the server and deletes its data: the end of its life. */
  stop(): Promise<void>;
  /** Stops the server but keeps its data dir and port (clients see a real outage: refused connections). */
  halt(): Promise<void>;
  /** Starts it again after halt(), on the same data dir and port. */
  start(): Promise<void>;
}

function findBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return path.dirname(which.stdout.trim());
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')));
    versions.sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], 'bin');
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) not found. Install them (Debian: apt-get install postgresql), ' +
      'set PG_BIN_DIR, or point TEST_DATABASE_URL at a server.',
  );
}

/**
 * `durableCommits`: keep synchronous_commit on. The default (off) is fast but loses the last acknowledged commits
 * when the server is killed (restart(): immediate stop), which no database client survives unharmed: the cluster
 * test, which restarts PostgreSQL under Temporal, needs commits that stay committed, as in production. fsync stays
 * off either way (it only matters when the machine itself crashes).
 */
export async function startPostgresServer(opts: { durableCommits?: boolean } = {}): Promise<PostgresServer> {
  const bin = findBinDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lark-agent-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = path.join(bin, cmd);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: 'pipe' });
    else execFileSync(full, args, { stdio: 'pipe' });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(dir, 'server.log'),
      '-w',
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c synchronous_commit=${opts.durableCommits ? 'on' : 'off'} -c full_page_writes=off -c max_connections=300`,
      'start',
    ]);
  start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async restart(downMs = 0) {
      const t0 = Date.now();
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      start();
      return Date.now() - t0;
    },
    async stop() {
      try {
        if (running) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        running = false;
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async halt() {
      if (!running) return;
      // "fast": open sessions are cut off at once, as when a database host goes away.
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    async start() {
      if (running) return;
      start();
      running = true;
    },
  };
}
