/** Starts, kill -9s and restarts the chaos worker process (worker-process.ts), counting what happened. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { killNow, stopGracefully } from '../support/child-process';

const ENTRY = path.join(__dirname, 'worker-process.ts');
const READY_TIMEOUT_MS = 60_000;

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private readonly tail: string[] = [];
  starts = 0;
  kills = 0;
  /** Exits the driver did not cause (a crash): must stay 0. */
  unexpectedExits = 0;
  lastStartMs = 0;
  /** The Temporal identity of each process started (chaos-worker-<pid>), oldest first. */
  readonly identities: string[] = [];

  constructor(private readonly env: Record<string, string>) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Spawns the worker and resolves once it printed READY. */
  async start(): Promise<void> {
    if (this.child) throw new Error('worker already running');
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    this.identities.push(`chaos-worker-${child.pid}`);
    const keep = (b: Buffer) => {
      for (const l of b.toString().split('\n').filter(Boolean)) {
        this.tail.push(l.slice(0, 300));
        if (this.tail.length > 20) this.tail.shift();
      }
    };
    child.stderr!.on('data', keep);
    child.on('exit', () => {
      if (this.child === child) {
        this.child = undefined;
        this.unexpectedExits++;
      }
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker not ready within ${READY_TIMEOUT_MS} ms: ${this.tail.join(' | ')}`)), READY_TIMEOUT_MS);
      child.stdout!.on('data', (b: Buffer) => {
        if (b.toString().includes('READY')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${code}) before ready: ${this.tail.join(' | ')}`));
      });
    });
    this.lastStartMs = Date.now() - t0;
  }

  /** kill -9: no shutdown, no activity completion, no sticky-queue hand-off. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.kills++;
    await killNow(child);
  }

  /** Graceful stop (SIGTERM, then SIGKILL after 15 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await stopGracefully(child, 15_000);
  }

  stderrTail(): string {
    return this.tail.join('\n');
  }
}
