import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';

/**
 * A lazy connection: the process starts even while Temporal is down, and each call reports
 * its own failure (the webhook turns that into 503, health into "down").
 */
export function createTemporalClient(address: string, namespace: string, payloadCodecs: PayloadCodec[] = []): Client {
  const connection = Connection.lazy({ address });
  // payloadCodecs: the privacy codec (payload-codec.ts) when PAYLOAD_ENCRYPTION_KEYS is set.
  return new Client({ connection, namespace, ...(payloadCodecs.length ? { dataConverter: { payloadCodecs } } : {}) });
}

export async function pingTemporal(client: Client, timeoutMs = 1500): Promise<void> {
  await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
}
