/** Benchmark results as JSON in bench/results/ (git-ignored), stamped with the machine they ran on. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryMb: Math.round(os.totalmem() / 1048576),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

export function writeResult(name: string, data: object): string {
  const out = path.resolve(__dirname, '..', 'results');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine: machine(), ...data }, null, 2));
  return file;
}
