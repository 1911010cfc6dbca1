/** A webhook replica: the real entry point (src/webhook/server.ts) in its own process, started, kill -9'd, restarted. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { killNow, stopGracefully } from '../support/child-process';

const ENTRY = path.resolve(__dirname, '..', '..', 'src', 'webhook', 'server.ts');

export class WebhookProcess {
  private child: ChildProcess | undefined;
  private readonly lines: string[] = [];
  starts = 0;
  kills = 0;
  unexpectedExits = 0;
  lastStartMs = 0;
  /** Log lines at level error (50) or above: none are expected. */
  errorLines: string[] = [];

  constructor(
    readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Spawns the replica and resolves once it answers HTTP (health may still say Temporal is down). */
  async start(): Promise<void> {
    if (this.child) throw new Error('webhook already running');
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    const keep = (b: Buffer) => {
      for (const l of b.toString().split('\n').filter(Boolean)) {
        this.lines.push(l.slice(0, 400));
        if (this.lines.length > 30) this.lines.shift();
        if (/"level":(50|60)/.test(l)) this.errorLines.push(l.slice(0, 400));
      }
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('exit', () => {
      if (this.child === child) {
        this.child = undefined;
        this.unexpectedExits++;
      }
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.child !== child) throw new Error(`webhook exited during start: ${this.tail()}`);
      const up = await fetch(`${this.url}/webhook/health`, { signal: AbortSignal.timeout(3000) }).then(
        () => true,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline) throw new Error(`webhook not answering within 60 s: ${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    this.lastStartMs = Date.now() - t0;
  }

  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.kills++;
    await killNow(child);
  }

  /** Graceful stop (SIGTERM, then SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await stopGracefully(child, 10_000);
  }

  tail(): string {
    return this.lines.join('\n');
  }
}
