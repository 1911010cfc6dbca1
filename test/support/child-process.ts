/** Ending a child process the way the chaos and cluster drivers do, and waiting until it has exited. */
import type { ChildProcess } from 'node:child_process';

/** kill -9: no shutdown, no activity completion, no sticky-queue hand-off. Resolves once it exited. */
export async function killNow(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await exited;
}

/** Graceful stop: SIGTERM, then SIGKILL after `graceMs`. Resolves once it exited. */
export async function stopGracefully(child: ChildProcess, graceMs: number): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}
