/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`, one file per thread: the worker's main thread runs activities
 * and the SDK's plumbing, its workflow thread runs the workflow sandbox) into self time per function and per
 * area, in ms per message. Native threads (the SDK's Rust core: gRPC, protobuf) are not in V8 profiles:
 * /proc's figure for the process minus these totals is their share.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function's code lives, in words. */
function areaOf(name: string, url: string): string {
  if (name === '(garbage collector)') return 'garbage collection';
  if (name === '(program)') return 'V8/native outside JS (program)';
  if (/workflow-bundle|@temporalio\/workflow/.test(url)) return 'workflow sandbox: SDK (@temporalio/workflow)';
  if (/\/workflows\//.test(url)) return 'workflow sandbox: our workflow code';
  if (/@temporalio\/worker\/lib\/workflow\//.test(url)) return 'worker: workflow thread plumbing (vm, activator)';
  if (/@temporalio\/worker/.test(url)) return 'worker: SDK main thread (@temporalio/worker)';
  if (/@temporalio\/(common|proto|core-bridge)|protobufjs|long\//.test(url)) return 'SDK: payloads and protobuf (@temporalio/common, proto)';
  if (/source-map/.test(url)) return 'source maps (stack traces in the workflow sandbox)';
  if (/node_modules\/pg/.test(url)) return 'pg (PostgreSQL client)';
  if (/@anthropic-ai/.test(url)) return 'Anthropic SDK';
  if (/node_modules\/(pino|prom-client)/.test(url)) return 'logging and metrics';
  if (/\/(dist|src|activities)\//.test(url) && !/node_modules/.test(url)) return 'our activities and clients';
  if (/^node:|^internal\//.test(url) || url === '') return 'Node internals (streams, http, timers, vm)';
  return 'other node_modules';
}

export function summarizeProfile(files: string[], messages: number): { lines: string[]; data: unknown } {
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < prof.samples.length; i++) {
      const node = nodes.get(prof.samples[i]!)!;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') continue;
      const us = prof.timeDeltas[i] ?? 0;
      total += us;
      const short = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src)\//, '$1/');
      const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
      byFn.set(key, (byFn.get(key) ?? 0) + us);
      const area = areaOf(functionName, url);
      byArea.set(area, (byArea.get(area) ?? 0) + us);
    }
  }
  const per = (us: number) => us / 1000 / messages;
  const fmt = (us: number) => `${per(us).toFixed(2)} ms (${((us / total) * 100).toFixed(1)}%)`;
  const areas = [...byArea.entries()].sort((a, b) => b[1] - a[1]);
  const fns = [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
  const lines = [
    `JavaScript on all ${files.length} threads: ${per(total).toFixed(2)} ms per message`,
    'by area (self time):',
    ...areas.map(([k, v]) => `  ${fmt(v).padEnd(18)} ${k}`),
    'top functions (self time):',
    ...fns.map(([k, v]) => `  ${fmt(v).padEnd(18)} ${k}`),
  ];
  return {
    lines,
    data: {
      threads: files.length,
      jsMsPerMessage: per(total),
      areas: areas.map(([k, v]) => ({ area: k, msPerMessage: per(v) })),
      functions: fns.map(([k, v]) => ({ fn: k, msPerMessage: per(v) })),
    },
  };
}
