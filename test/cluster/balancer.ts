/**
 * The load balancer in front of the webhook replicas, as the cluster test needs it: each new Lark event goes to
 * the next replica in turn, and every redelivery of an event (same event id, read from the decrypted body) goes
 * to the other replica than its previous attempt. A replica that does not answer gets a 502, as a real balancer
 * without retries would give, so Lark (the emulator) delivers the event again, to the other one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decryptLarkPayload } from '../../src/lark/crypto';

export interface BalancerStats {
  /** Requests forwarded to each replica. */
  routed: number[];
  /** Requests that were a redelivery of an event already sent to a replica. */
  redeliveries: number;
  /** Requests the chosen replica did not answer (502). */
  upstreamFailures: number[];
}

export interface Balancer {
  url: string;
  stats: BalancerStats;
  close(): Promise<void>;
}

function eventIdOf(raw: Buffer, encryptKey: string | undefined): string | undefined {
  try {
    let body = JSON.parse(raw.toString('utf8')) as Record<string, any>;
    if (typeof body.encrypt === 'string' && encryptKey) body = JSON.parse(decryptLarkPayload(encryptKey, body.encrypt));
    return body.header?.event_id ?? body.uuid;
  } catch {
    return undefined;
  }
}

export async function startBalancer(targets: string[], encryptKey?: string): Promise<Balancer> {
  const stats: BalancerStats = { routed: targets.map(() => 0), redeliveries: 0, upstreamFailures: targets.map(() => 0) };
  const lastTarget = new Map<string, number>();
  let next = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const id = eventIdOf(raw, encryptKey);
      let i: number;
      if (id !== undefined && lastTarget.has(id)) {
        i = (lastTarget.get(id)! + 1) % targets.length;
        stats.redeliveries++;
      } else {
        i = next++ % targets.length;
      }
      if (id !== undefined) lastTarget.set(id, i);
      stats.routed[i]!++;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && (k.startsWith('x-lark-') || k === 'content-type')) headers[k] = v;
      fetch(`${targets[i]}${req.url}`, { method: req.method, headers, body: raw.length ? raw : undefined, signal: AbortSignal.timeout(10_000) }).then(
        async (up) => {
          const text = await up.text();
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        },
        () => {
          stats.upstreamFailures[i]!++;
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end('{"error":"bad_gateway"}');
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
