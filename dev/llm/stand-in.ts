/**
 * The offline model as the worker's model when ANTHROPIC_API_KEY is not set (the `offlineModel` of
 * activities/llm.ts): started lazily on 127.0.0.1 inside the worker's process and reached through the same SDK.
 * The dev entry points (dev/main.ts, dev/worker.ts) give it to the worker; the production worker has none.
 */
import type { OfflineModel } from '../../activities/llm';
import { createAnthropicClient } from '../../src/llm/anthropic-step';
import { startOfflineModel, type OfflineModelServer } from './offline-model';

/** The offline server checks that some key is sent, like the API; this one opens nothing. */
const OFFLINE_API_KEY = 'offline-no-key';

let offline: Promise<OfflineModelServer> | undefined;

/** One offline server per process, shared by every worker in it. */
function offlineServer(): Promise<OfflineModelServer> {
  // Nobody reads this instance's request log: it keeps none (each request is a whole prompt).
  offline ??= startOfflineModel({ keepRequests: 0 }).then((s) => {
    s.unref();
    return s;
  });
  offline.catch(() => (offline = undefined)); // a failed start is tried again on the next call
  return offline;
}

export const offlineModel: OfflineModel = async (settings) => {
  const server = await offlineServer();
  return { apiKey: OFFLINE_API_KEY, client: createAnthropicClient(settings, OFFLINE_API_KEY, server.url) };
};

/** Closes the lazily started offline server, if any (for tests and orderly shutdown). */
export async function closeOfflineModel(): Promise<void> {
  const s = offline;
  offline = undefined;
  if (s) await (await s).close();
}
