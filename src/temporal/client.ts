import { Client, Connection } from '@temporalio/client';

/**
 * A lazy connection: the process starts even while Temporal is down, and each call reports
 * its own failure (the webhook turns that into 503, health into "down").
 */
export function createTemporalClient(address: string, namespace: string): Client {
  const connection = Connection.lazy({ address });
  return new Client({ connection, namespace });
}

export async function pingTemporal(client: Client, timeoutMs = 1500): Promise<void> {
  await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
}
