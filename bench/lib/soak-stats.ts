/** Memory samples of running processes and what a soak concludes from them. */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface ProcSample {
  /** ms since the soak started. */
  t: number;
  /** Work done so far (messages answered), for slopes per message. */
  done: number;
  rssMb: number;
  /** The V8 heap in use (main thread, from the process's /metrics), or a Temporal server's Go heap. */
  heapMb?: number;
  /** Native malloc heap ([heap] in /proc/<pid>/smaps), for the process where it matters. */
  mallocMb?: number;
}

const kb = (text: string, field: string): number | undefined => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

/** VmRSS of a process in MB, undefined when it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const v = kb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
    return v === undefined ? undefined : v / 1024;
  } catch {
    return undefined;
  }
}

/** Resident size of the process's [heap] mapping (glibc malloc's main arena), in MB. */
export function mallocHeapMb(pid: number): number | undefined {
  try {
    const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
    let inHeap = false;
    let total = 0;
    for (const line of smaps.split('\n')) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inHeap = line.endsWith('[heap]');
      else if (inHeap && line.startsWith('Rss:')) total += Number(line.split(/\s+/)[1]);
    }
    return total / 1024;
  } catch {
    return undefined;
  }
}

/** The process's name (/proc/<pid>/comm). */
export function procName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Direct children of a process (every thread's /proc/<pid>/task/<tid>/children). */
export function childPids(pid: number): number[] {
  const out = new Set<number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/).filter(Boolean)) out.add(Number(c));
    }
  } catch {
    /* gone */
  }
  return [...out];
}

/** TCP ports a process listens on (its socket inodes matched against /proc/<pid>/net/tcp), for its /metrics. */
export function listeningPorts(pid: number): number[] {
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        /* closed meanwhile */
      }
    }
    const ports: number[] = [];
    for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address rem_address st ... inode (field 9); st 0A is LISTEN
      if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
    return ports;
  } catch {
    return [];
  }
}

/**
 * The Go heap in use of a Temporal server (its `memory_heap` gauge, the history service's: in the dev server every
 * service shares one Go runtime), found on whichever of its ports serves /metrics. Undefined when none does.
 */
export async function temporalGoHeapMb(pid: number, known: { port?: number }): Promise<number | undefined> {
  const tryPort = async (port: number) => {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) }).then(
      (r) => (r.ok ? r.text() : ''),
      () => '',
    );
    const m = /^memory_heap\{[^}]*service_name="history"[^}]*\} (\S+)$/m.exec(text);
    return m ? Number(m[1]) / 1048576 : undefined;
  };
  if (known.port !== undefined) {
    const v = await tryPort(known.port);
    if (v !== undefined) return v;
  }
  for (const port of listeningPorts(pid)) {
    const v = await tryPort(port);
    if (v !== undefined) {
      known.port = port;
      return v;
    }
  }
  return undefined;
}

/** A gauge from Prometheus text (summed over its label sets), in MB. */
export function metricMb(text: string, name: string): number | undefined {
  const values = text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
  return values.length ? values.reduce((a, b) => a + b, 0) / 1048576 : undefined;
}

/** The V8 heap in use of a Node process serving prom-client's default metrics at `url`, in MB. */
export async function heapFromMetrics(url: string): Promise<number | undefined> {
  const text = await fetch(url, { signal: AbortSignal.timeout(5000) }).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  );
  return metricMb(text, 'nodejs_heap_size_used_bytes');
}

/**
 * Theil–Sen slope: the median of the slopes between every pair of points. A garbage collector's saw-tooth or one
 * odd sample barely moves it, where a least-squares line would follow them. Undefined under 3 points.
 */
export function theilSen(points: Array<[number, number]>): number | undefined {
  // At most ~300 points (45,000 pairs): evenly thinned.
  const step = Math.max(1, Math.ceil(points.length / 300));
  const p = points.filter((_, i) => i % step === 0);
  const slopes: number[] = [];
  for (let i = 0; i < p.length; i++) {
    for (let j = i + 1; j < p.length; j++) {
      const dx = p[j]![0] - p[i]![0];
      if (dx > 0) slopes.push((p[j]![1] - p[i]![1]) / dx);
    }
  }
  if (slopes.length < 3) return undefined;
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
}

export const median = (xs: number[]): number | undefined => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export interface ProcSummary {
  name: string;
  pid: number;
  startMb: number;
  warmMb: number;
  endMb: number;
  maxMb: number;
  /** RSS slope after the warm-up. */
  mbPerHour?: number;
  mbPer1000?: number;
  heapStartMb?: number;
  heapWarmMb?: number;
  heapEndMb?: number;
  heapMbPerHour?: number;
  mallocWarmMb?: number;
  mallocEndMb?: number;
  mallocMbPerHour?: number;
}

/**
 * One process's figures: start (first sample), after the warm-up and at the end (medians of the samples in the
 * minute, or the 5% of the run, around each point, so one GC does not decide), max, and the slopes after the warm-up.
 */
export function summarize(name: string, pid: number, samples: ProcSample[], warmupEndMs: number): ProcSummary {
  const endT = samples.at(-1)?.t ?? 0;
  const span = Math.max(10_000, Math.min(60_000, endT * 0.05));
  const around = (t: number, f: (s: ProcSample) => number | undefined) =>
    median(samples.filter((s) => Math.abs(s.t - t) <= span / 2).flatMap((s) => (f(s) === undefined ? [] : [f(s)!])));
  const after = samples.filter((s) => s.t >= warmupEndMs);
  const perHour = (f: (s: ProcSample) => number | undefined) => {
    const pts = after.flatMap((s) => (f(s) === undefined ? [] : [[s.t / 3_600_000, f(s)!] as [number, number]]));
    return theilSen(pts);
  };
  const doneSpan = (after.at(-1)?.done ?? 0) - (after[0]?.done ?? 0);
  const perMessage = doneSpan > 0 ? theilSen(after.map((s) => [s.done / 1000, s.rssMb] as [number, number])) : undefined;
  const first = samples[0]!;
  return {
    name,
    pid,
    startMb: first.rssMb,
    warmMb: around(warmupEndMs, (s) => s.rssMb) ?? first.rssMb,
    endMb: around(endT - span / 2, (s) => s.rssMb) ?? samples.at(-1)!.rssMb,
    maxMb: Math.max(...samples.map((s) => s.rssMb)),
    mbPerHour: perHour((s) => s.rssMb),
    mbPer1000: perMessage,
    heapStartMb: first.heapMb,
    heapWarmMb: around(warmupEndMs, (s) => s.heapMb),
    heapEndMb: around(endT - span / 2, (s) => s.heapMb),
    heapMbPerHour: perHour((s) => s.heapMb),
    mallocWarmMb: around(warmupEndMs, (s) => s.mallocMb),
    mallocEndMb: around(endT - span / 2, (s) => s.mallocMb),
    mallocMbPerHour: perHour((s) => s.mallocMb),
  };
}
