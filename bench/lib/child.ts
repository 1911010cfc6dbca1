/**
 * Runs one of the product's entry points (src/worker.ts, src/webhook/server.ts) as its own process: as production
 * does, the compiled file under dist/ with plain node (`npm run build` first; bench/run.ts does), or the TypeScript
 * source under tsx with `tsx: true`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MemoryReport } from './memory-report';

export interface EntryProcess {
  child: ChildProcess;
  /** CPU time (user + system) the process has used so far, in ms, from /proc/<pid>/stat. */
  cpuMs(): number;
  /** Last lines of its output, for error messages. */
  tail(): string;
  /** RSS and heaps after GC (only with `probe: true`). */
  memory(): Promise<MemoryReport>;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');

export function startEntry(
  entry: string,
  env: Record<string, string>,
  opts: { probe?: boolean; tsx?: boolean; nodeArgs?: string[]; root?: string } = {},
): EntryProcess {
  const root = opts.root ?? ROOT;
  const file = opts.tsx ? path.join(root, entry) : path.join(root, 'dist', entry.replace(/\.ts$/, '.js'));
  const args = [
    ...(opts.probe ? ['--expose-gc'] : []),
    ...(opts.nodeArgs ?? []),
    ...(opts.tsx ? ['--import', 'tsx'] : []),
    ...(opts.probe ? ['--import', path.join(__dirname, 'memory-probe.mjs')] : []),
    file,
  ];
  // A clean environment: only what the bench sets, so a developer's .env or shell cannot change the figures.
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe', ...(opts.probe ? (['ipc'] as const) : [])],
  });
  const lines: string[] = [];
  const keep = (b: Buffer) => {
    for (const l of b.toString().split('\n').filter(Boolean)) {
      lines.push(l.slice(0, 500));
      if (lines.length > 30) lines.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    child,
    tail: () => lines.join('\n'),
    cpuMs: () => procCpuMs(child.pid!),
    memory: () =>
      new Promise<MemoryReport>((resolve, reject) => {
        if (!child.connected) return reject(new Error(`${entry} has no IPC channel`));
        const timer = setTimeout(() => reject(new Error(`${entry} did not report its memory within 10 s`)), 10_000);
        const onMessage = (m: MemoryReport) => {
          if (m?.type !== 'memory') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(m);
        };
        child.on('message', onMessage);
        child.send({ type: 'memory' });
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.disconnect();
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

/** user + system CPU of a process so far (ms), from /proc/<pid>/stat (fields 14 and 15). */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
