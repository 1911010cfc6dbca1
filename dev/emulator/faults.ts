/**
 * Fault injection under the test's control: each fault matches calls by method and path and fires
 * for a count of them (`times`) and/or a fraction (`probability`), optionally after skipping some.
 */

export interface FaultMatch {
  method?: string;
  /** A string matches the exact path, with or without the /open-apis prefix; a trailing * matches a prefix. */
  path?: string | RegExp;
}

interface FaultBase {
  match?: FaultMatch;
  /** Fire at most this many times (default: unlimited). */
  times?: number;
  /** Fire on this fraction of matching calls (default 1). */
  probability?: number;
  /** Let this many matching calls through first. */
  skip?: number;
}

export type FaultSpec = FaultBase &
  (
    | { kind: 'rateLimit'; resetSeconds?: number; limit?: number }
    | { kind: 'larkCode'; code: number; status?: number; msg?: string }
    | { kind: 'http5xx'; status?: number; body?: string }
    | { kind: 'latency'; ms: number }
    /** Never answers (the socket is held until `ms` elapses, then destroyed; default: until stop()). */
    | { kind: 'timeout'; ms?: number }
    /** The call is carried out, then the connection is cut before the answer: the caller cannot know it worked. */
    | { kind: 'loseResponse' }
  );

export interface Fault {
  readonly id: number;
  readonly spec: FaultSpec;
  /** Matching calls seen, and how many of them the fault fired on. */
  seen: number;
  fired: number;
  remove(): void;
}

export class Faults {
  private nextId = 1;
  private readonly list: Fault[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(spec: FaultSpec): Fault {
    const fault: Fault = {
      id: this.nextId++,
      spec,
      seen: 0,
      fired: 0,
      remove: () => {
        const i = this.list.indexOf(fault);
        if (i >= 0) this.list.splice(i, 1);
      },
    };
    this.list.push(fault);
    return fault;
  }

  clear(): void {
    this.list.length = 0;
  }

  all(): readonly Fault[] {
    return this.list;
  }

  /**
   * The faults firing for this call, in the order added. Several can fire (latency then an error);
   * each fault counts the call as seen whether or not it fires.
   */
  pick(method: string, path: string): FaultSpec[] {
    const out: FaultSpec[] = [];
    for (const f of [...this.list]) {
      if (!matches(f.spec.match, method, path)) continue;
      f.seen++;
      if (f.seen <= (f.spec.skip ?? 0)) continue;
      if (f.spec.times !== undefined && f.fired >= f.spec.times) continue;
      if (f.spec.probability !== undefined && this.random() >= f.spec.probability) continue;
      f.fired++;
      out.push(f.spec);
    }
    return out;
  }
}

function matches(m: FaultMatch | undefined, method: string, path: string): boolean {
  if (!m) return true;
  if (m.method && m.method.toUpperCase() !== method) return false;
  if (m.path === undefined) return true;
  if (m.path instanceof RegExp) return m.path.test(path);
  const short = path.startsWith('/open-apis/') ? path.slice('/open-apis'.length) : path;
  if (m.path.endsWith('*')) {
    const prefix = m.path.slice(0, -1);
    return path.startsWith(prefix) || short.startsWith(prefix);
  }
  return m.path === path || m.path === short;
}
