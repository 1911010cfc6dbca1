/**
 * The whole product for end-to-end tests: the Lark emulator (Open API, OAuth, event delivery), the real
 * webhook, a real Temporal worker with the real workflows, real PostgreSQL, and a model behind the real
 * Anthropic SDK (the offline rules model, or a scripted one).
 */
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { closeOfflineModel } from '../../dev/llm/stand-in';
import { randomBytes } from 'node:crypto';
import { LARK_EVENT_MODES, loadConfig, type Config, type LarkEventMode } from '../../src/config';
import { startLarkEmulator, type DeliveryAttempt, type LarkEmulator, type LarkEmulatorOptions } from '../../dev/emulator';
import type { Json } from '../../dev/emulator/http';
import type { Message } from '../../dev/emulator/state';
import { startOfflineModel, type OfflineModelServer, type Script } from '../../dev/llm/offline-model';
import { createLogger } from '../../src/logger';
import { buildLarkServices, type LarkServices } from '../../src/services';
import { freePort } from '../../src/temporal/dev-server';
import { createAgentWorker } from '../../src/temporal/worker';
import { startWebhook, type RunningWebhook } from '../../src/webhook/start';
import { userWorkflowId, userStateQuery, type UserWorkflowState } from '../../workflows/contract';
import { appEnv, newTestSecrets } from './app-env';
import { freshDatabase, requireEnv, temporalTestEnv, uniqueId, workflowBundle } from './env';
import { createTemporalClient } from '../../src/temporal/client';
import { isSideCard } from '../../src/cards/side-card';
import { payloadCodecs } from '../../src/temporal/payload-codec';

export interface StackOptions {
  /** A scripted model; default: the offline rules model. */
  script?: Script;
  /** The offline model's pace of streamed deltas (ms between them; default 40). */
  modelStreamChunkMs?: number;
  env?: Record<string, string>;
  /** A Temporal server other than the run's (host:port), e.g. one started with its Web UI. */
  temporalAddress?: string;
  /** A test environment of the test's own (e.g. the time-skipping server); the stack tears it down on stop. */
  temporalEnv?: TestWorkflowEnvironment;
  /**
   * How Lark reaches the app (LARK_EVENT_MODE): 'webhook' (signed POSTs), 'websocket' (pushed over the long
   * connection the webhook process opens to the emulator) or 'both' (the long connection carries what Lark
   * sends; the webhook routes are open too). Default: TEST_LARK_EVENT_MODE, else 'webhook', so any end-to-end
   * file runs over the socket with `TEST_LARK_EVENT_MODE=websocket scripts/test.sh test/<file>`.
   */
  eventMode?: LarkEventMode;
  /** Extra emulator options (its long connection's timings, a seeded random). */
  emulator?: Partial<LarkEmulatorOptions>;
  /** Applied to the loaded config, e.g. the local run's defaults (dev/local-run.ts withLocalSecrets). */
  configure?: (config: Config) => Config;
}

/** The event mode a stack runs in when the test does not say (TEST_LARK_EVENT_MODE, else webhook). */
export function defaultEventMode(): LarkEventMode {
  const raw = process.env.TEST_LARK_EVENT_MODE;
  if (!raw) return 'webhook';
  if (!LARK_EVENT_MODES.includes(raw as LarkEventMode)) throw new Error(`TEST_LARK_EVENT_MODE must be webhook, websocket or both (got "${raw}")`);
  return raw as LarkEventMode;
}

export interface Stack {
  emu: LarkEmulator;
  model: OfflineModelServer;
  env: TestWorkflowEnvironment;
  client: Client;
  config: Config;
  services: LarkServices;
  webhook: RunningWebhook;
  db: Awaited<ReturnType<typeof freshDatabase>>;
  taskQueue: string;
  eventMode: LarkEventMode;
  secrets: { encryptKey: string; tokenKey: string; stateSecret: string };
  /**
   * Sends a card callback as Lark does in this mode (a POST to /webhook/card, or a push over the long
   * connection) and returns the answer: `responseText` is the body, or the ack's data.
   */
  callback(payload: Json): Promise<DeliveryAttempt>;
  /** A user (seed key) sends a text message to the bot; resolves once the webhook acknowledged it. */
  say(
    from: string,
    text: string,
    opts?: { chatType?: 'p2p' | 'group'; mentionBot?: boolean; messageType?: string; content?: string; threadId?: string; rootId?: string },
  ): Promise<string>;
  /** Gives a user tokens directly (the OAuth round trip is tested on its own). */
  authorize(userKey: string): Promise<void>;
  /** Bot messages in reply to a message (text answers and cards). */
  repliesTo(messageId: string): Message[];
  /** Bot messages sent to a user's DM (e.g. login cards). */
  dmsTo(userKey: string): Message[];
  waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  userState(userKey: string): Promise<UserWorkflowState>;
  /** Completes the OAuth round trip from the user's latest login card; returns the callback's answer. */
  signIn(userKey: string): Promise<{ status: number; html: string }>;
  /** Clicks a button on a card the bot sent (a Confirm / Cancel card). */
  click(userKey: string, card: Message, decision: 'confirm' | 'cancel'): Promise<void>;
  stop(): Promise<void>;
}

const quietLog = createLogger('silent', 'test');

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const env = opts.temporalEnv ?? (await temporalTestEnv(opts.temporalAddress));
  const db = await freshDatabase();
  const model = await startOfflineModel({
    ...(opts.script ? { script: opts.script } : {}),
    ...(opts.modelStreamChunkMs !== undefined ? { streamChunkMs: opts.modelStreamChunkMs } : {}),
  });
  const port = await freePort();
  const secrets = newTestSecrets();
  const eventMode = opts.eventMode ?? defaultEventMode();
  const via = eventMode === 'webhook' ? 'webhook' : 'long-connection';
  const emu = await startLarkEmulator({
    // cli_ and 16 hex digits, as Lark issues app ids (the SDK's long-connection client refuses other forms).
    appId: `cli_${randomBytes(8).toString('hex')}`,
    webhook: { url: `http://127.0.0.1:${port}/webhook/event`, encryptKey: secrets.encryptKey, verificationToken: 'vt-e2e' },
    delivery: { timeScale: 0.001 },
    subscription: { events: via, callbacks: via },
    // Reconnect at once (Lark's own ClientConfig says 120 s plus up to 30 s).
    longConnection: { reconnectIntervalS: 1, reconnectNonceS: 0 },
    // Tests count every message, call and delivery of their run (floods send thousands): keep them all. The
    // sandbox keeps Lark-like bounds (DEFAULT_RETENTION), which emulator.test.ts checks.
    retention: { messagesPerChat: 20_000, editsPerMessage: 1_000, calls: 500_000, deliveries: 50_000 },
    ...opts.emulator,
  });
  const taskQueue = uniqueId('e2e');
  const loaded = loadConfig({
    ...appEnv({ emu, modelUrl: model.url, port, secrets, taskQueue, verificationToken: 'vt-e2e' }),
    LARK_EVENT_MODE: eventMode,
    ...opts.env,
  });
  const config = opts.configure ? opts.configure(loaded) : loaded;
  const services = buildLarkServices(config, db.pool, quietLog)!;
  // With payload keys (PAYLOAD_ENCRYPTION_KEYS in opts.env, or the local run's), the webhook, the activities and
  // the worker all use the codec.
  const codecs = payloadCodecs(config.privacy.payloadKeys);
  const client = codecs.length ? createTemporalClient(opts.temporalAddress ?? requireEnv('TEST_TEMPORAL_ADDRESS'), 'default', codecs) : env.client;
  const worker: Worker = await createAgentWorker({
    ...(codecs.length ? { payloadCodecs: codecs } : {}),
    connection: env.nativeConnection,
    client,
    namespace: 'default',
    taskQueue,
    config,
    services,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  const webhook = await startWebhook(config, client, db.pool, quietLog, services, { longConnection: { restartBackoffMs: { min: 200, max: 2000 } } });
  if (webhook.longConnection) {
    const deadline = Date.now() + 30_000;
    while (webhook.longConnection.status().state !== 'connected') {
      if (Date.now() > deadline) throw new Error(`the long connection did not open: ${JSON.stringify(webhook.longConnection.status())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const botMessages = () => emu.state.messageList().filter((m) => m.sender.sender_type === 'app');
  const stack: Stack = {
    emu,
    model,
    env,
    client,
    config,
    services,
    webhook,
    db,
    taskQueue,
    eventMode,
    secrets,
    callback: (payload) => emu.sendEvent(via === 'long-connection' ? undefined : `${webhook.url}/webhook/card`, payload).done,
    async say(from, text, o = {}) {
      const payload = emu.events.message({ from, text, ...o }) as {
        event: { message: { message_id: string } };
      };
      const delivery = emu.sendEvent(undefined, payload);
      const attempt = await delivery.done;
      if (!attempt.ok) throw new Error(`webhook refused the event: ${attempt.status} ${attempt.responseText}`);
      return payload.event.message.message_id;
    },
    async authorize(userKey) {
      const openId = emu.user(userKey).open_id;
      const t = emu.issueUserToken(openId, config.oauth.scopes.join(' '));
      await services.tokens.save(
        openId,
        { accessToken: t.accessToken, refreshToken: t.refreshToken!, expiresAt: Date.now() + 7_000_000, scopes: config.oauth.scopes },
        { name: emu.user(userKey).name },
      );
    },
    // Status cards ("checking your calendar…") are progress, not replies: tests that want them read emu.state.
    repliesTo: (messageId) => botMessages().filter((m) => (m.parent_id === messageId || m.root_id === messageId) && !isSideCard(m)),
    dmsTo: (userKey) => botMessages().filter((m) => m.chat_id === emu.user(userKey).p2pChatId && !m.parent_id),
    async waitFor(what, fn, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await fn();
        if (v) return v as never;
        if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    userState: (userKey) => client.workflow.getHandle(userWorkflowId(emu.user(userKey).open_id)).query(userStateQuery),
    async signIn(userKey) {
      const card = [...stack.dmsTo(userKey)].reverse().find((m) => m.msg_type === 'interactive' && m.content.includes('authen/v1/authorize'));
      if (!card) throw new Error(`no login card for ${userKey}`);
      const link = new URL(JSON.parse(card.content).elements[1].actions[0].multi_url.url);
      const redirect = emu.authorize({
        openId: emu.user(userKey).open_id,
        redirectUri: link.searchParams.get('redirect_uri')!,
        state: link.searchParams.get('state')!,
        scope: link.searchParams.get('scope')!,
        codeChallenge: link.searchParams.get('code_challenge')!,
      });
      const res = await fetch(redirect);
      return { status: res.status, html: await res.text() };
    },
    async click(userKey, card, decision) {
      const value = JSON.parse(card.content).elements[1].actions.find((a: { value: { decision: string } }) => a.value.decision === decision).value;
      const attempt = await stack.callback(emu.events.cardAction({ from: userKey, messageId: card.message_id, value }));
      if (!attempt.ok) throw new Error(`card callback refused: ${attempt.status} ${attempt.responseText}`);
    },
    async stop() {
      await webhook.close();
      worker.shutdown();
      await running;
      await closeOfflineModel();
      await model.close();
      await emu.stop();
      await db.drop();
      if (client !== env.client) await client.connection.close();
      await env.teardown();
    },
  };
  return stack;
}
