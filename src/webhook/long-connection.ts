/**
 * Events without a public URL: Lark's long-connection mode. The app opens a WebSocket to Lark with the official
 * SDK's WSClient (@larksuiteoapi/node-sdk) and Lark pushes each event, and each card click, down it. Every push
 * takes the webhook's own path (lark/events.ts parses it, the starter starts `lark-event-<event_id>`, a card
 * click goes to the same click handler), so dedup, staleness, metrics, logs and the Temporal UI are the same.
 *
 * The ack is the SDK's: it awaits the handler below and then answers the frame with `{code: 200, data}` (data:
 * the handler's JSON answer, a card click's toast) or, when the handler throws, `{code: 500}`. Lark's docs: an
 * event must be handled within 3 s and without an error, else Lark pushes it again (its retry schedule), so a
 * frame is acknowledged 200 only once Temporal has recorded its run (or found it: a duplicate), and everything
 * else throws: not recorded (Temporal down or slow, WEBHOOK_START_TIMEOUT_MS), misconfigured, malformed, too big.
 * With several connections (replicas), Lark gives each push to one of them at random; a re-push may go to
 * another, where the event id, which is the workflow id, makes it a duplicate.
 *
 * The SDK dispatches only `event` frames (card callbacks come as `card.action.trigger` events) and hands the
 * handler the raw `{schema, header, event}` object: this module passes its own handler object instead of the
 * SDK's EventDispatcher, whose flattened output loses the header. The channel is authenticated by the App
 * Secret, so there is no signature, encryption or token to check. A frame the SDK cannot decode or reassemble
 * never reaches the handler: the SDK logs and drops it without an ack (counted here from that log line).
 *
 * Supervision: the SDK reconnects on Lark's schedule (ClientConfig from the endpoint: ReconnectInterval, a random
 * ReconnectNonce, ReconnectCount), with a liveness watchdog (LARK_WS_PING_TIMEOUT_SECONDS) for sockets that die
 * silently; when it gives up (bad credentials, reconnects exhausted) this module starts it again with
 * exponential backoff. Every state change is one log line and a metric; the health entry fails once the
 * connection has been down longer than LARK_WS_MAX_DOWN_SECONDS, so an orchestrator restarts the process.
 */
import type { EventDispatcher, WSClient } from '@larksuiteoapi/node-sdk';
import { HealthProblem, HttpError } from '../http-error';
import { parseLarkCallback } from '../lark/events';
import type { Logger } from '../logger';
import {
  longConnectionAcks,
  longConnectionFrames,
  longConnectionHandlerSeconds,
  longConnectionReconnects,
  longConnectionStates,
  longConnectionUp,
} from '../metrics';
import { TemporalRefusedError, TemporalUnavailableError, type EventStarter } from '../temporal/event-starter';
import type { CardActionHandler, HealthCheck } from './app';

export type LongConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'stopped';

type FrameType = 'event' | 'card' | 'unknown';
type FrameOutcome = 'started' | 'duplicate' | 'answered' | 'refused' | 'unavailable' | 'misconfigured' | 'error';

export interface LongConnectionDeps {
  appId: string;
  appSecret: string;
  /** Lark's Open API base URL of the app's brand (or the emulator's): the SDK asks it for the WebSocket URL. */
  domain: string;
  starter: EventStarter;
  onCardAction?: CardActionHandler;
  /** A pushed event larger than this (its JSON) is refused, as the webhook refuses a larger body. */
  maxPayloadBytes: number;
  maxDownMs: number;
  /** 0: the SDK's watchdog is off. */
  pingTimeoutSeconds: number;
  log: Logger;
  /** Backoff of the restarts after the SDK gave up (default 1 s doubling to 60 s, with jitter). */
  restartBackoffMs?: { min: number; max: number };
  /** close() waits this long for frames being handled to be acknowledged. Default 3 s (Lark's window). */
  drainMs?: number;
}

export interface LongConnectionStatus {
  state: LongConnectionState;
  /** When the current state began (ms since the epoch). */
  since: number;
  /** While not connected: since when (the first start counts as down). */
  downSince?: number;
  /** Times it was open again after being down. */
  reconnects: number;
  /** Times the client was started again after the SDK gave up. */
  restarts: number;
  lastError?: string;
  /** Handled frames of this connection, by `type:outcome`. */
  frames: Record<string, number>;
  /** Frames being handled now (acks not sent yet). */
  inFlight: number;
}

export interface RunningLongConnection {
  status(): LongConnectionStatus;
  health: HealthCheck;
  close(): Promise<void>;
}

/** The SDK logs full URLs (the WebSocket URL carries a ticket and an access key): only the path is kept. */
export function scrubSdkLog(text: string): string {
  return text
    .replace(/\b((?:wss?|https?):\/\/[^\s?"']+)\?[^\s"']*/g, '$1?[redacted]')
    .replace(/\b(access_key|ticket|AppSecret|app_secret|ClientAssertion)=[^&\s"']+/gi, '$1=[redacted]');
}

function sdkText(msg: unknown): string {
  const parts = Array.isArray(msg) ? msg : [msg];
  return scrubSdkLog(parts.map((p) => (typeof p === 'string' ? p : p instanceof Error ? p.message : JSON.stringify(p))).join(' ')).slice(0, 500);
}

/** The SDK's logger, into ours: what it says about frames it dropped is counted and logged as a warning. */
function sdkLogger(log: Logger) {
  const dropped = (text: string): boolean => {
    const reason = /failed to merge event fragments/.test(text) ? 'fragments' : /failed to handle inbound frame/.test(text) ? 'undecodable' : undefined;
    if (!reason) return false;
    longConnectionFrames.inc({ type: 'unreadable', outcome: 'dropped', reason });
    log.warn({ reason, sdk: text }, 'long connection: a frame the SDK could not read was dropped without an ack (Lark pushes it again)');
    return true;
  };
  return {
    error: (msg: unknown) => {
      const text = sdkText(msg);
      // Our handler's failures are logged by the handler itself, once.
      if (dropped(text) || /invoke event failed/.test(text)) return;
      log.warn({ sdk: text }, 'long connection: SDK error');
    },
    warn: (msg: unknown) => log.warn({ sdk: sdkText(msg) }, 'long connection: SDK warning'),
    info: (msg: unknown) => log.debug({ sdk: sdkText(msg) }, 'long connection: SDK'),
    debug: (msg: unknown) => log.debug({ sdk: sdkText(msg) }, 'long connection: SDK'),
    trace: (msg: unknown) => log.trace({ sdk: sdkText(msg) }, 'long connection: SDK'),
  };
}

export async function startLongConnection(deps: LongConnectionDeps): Promise<RunningLongConnection> {
  // Loaded here, not at the top: the SDK is a 6 MB module (~270 ms, ~35 MB) a webhook-only process never needs.
  const sdk = await import('@larksuiteoapi/node-sdk');
  const { log } = deps;
  const backoff = deps.restartBackoffMs ?? { min: 1000, max: 60_000 };
  const startedAt = Date.now();
  const st: Omit<LongConnectionStatus, 'frames' | 'inFlight'> = { state: 'connecting', since: startedAt, downSince: startedAt, reconnects: 0, restarts: 0 };
  const frames: Record<string, number> = {};
  let inFlight = 0;
  let everConnected = false;
  let closed = false;
  let restartAttempt = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  longConnectionUp.set(0);

  const setState = (next: LongConnectionState, err?: string) => {
    if (err) st.lastError = err;
    if (st.state === next) return;
    const now = Date.now();
    const previous = st.state;
    const downForMs = st.downSince !== undefined ? now - st.downSince : undefined;
    st.state = next;
    st.since = now;
    longConnectionStates.inc({ state: next });
    if (next === 'connected') {
      if (everConnected) {
        st.reconnects++;
        longConnectionReconnects.inc();
      }
      everConnected = true;
      st.downSince = undefined;
      restartAttempt = 0;
      longConnectionUp.set(1);
    } else {
      st.downSince ??= now;
      longConnectionUp.set(0);
    }
    const line = {
      state: next,
      previous,
      reconnects: st.reconnects,
      ...(next === 'connected' && downForMs !== undefined ? { down_ms: downForMs } : {}),
      ...(err ? { err } : {}),
    };
    if (next === 'reconnecting' || next === 'failed') log.warn(line, `long connection: ${next}`);
    else log.info(line, `long connection: ${next}`);
  };

  const count = (type: FrameType, outcome: FrameOutcome) => {
    const key = `${type}:${outcome}`;
    frames[key] = (frames[key] ?? 0) + 1;
  };

  /** One pushed frame, as the SDK hands it over: the raw {schema, header, event}. Throwing means a code 500 ack. */
  const handle = async (data: unknown): Promise<unknown> => {
    const started = process.hrtime.bigint();
    inFlight++;
    let type: FrameType = 'unknown';
    let outcome: FrameOutcome = 'error';
    let reason = '';
    const fields: Record<string, unknown> = {};
    try {
      const size = Buffer.byteLength(JSON.stringify(data) ?? '', 'utf8');
      if (size > deps.maxPayloadBytes) throw new HttpError(413, 'body_too_large', `the pushed event is ${size} bytes, over WEBHOOK_MAX_BODY_BYTES`);
      const callback = parseLarkCallback(data);
      if (callback.kind === 'challenge')
        throw new HttpError(400, 'challenge_over_socket', 'a URL verification challenge has no meaning on the long connection');
      const { event } = callback;
      Object.assign(fields, { event_id: event.eventId, event_type: event.eventType, open_id: event.kind === 'message' ? event.sender.openId : event.openId });
      if (event.kind === 'card_action') {
        type = 'card';
        const answer = deps.onCardAction ? await deps.onCardAction(event) : undefined;
        outcome = 'answered';
        // Lark shows {toast} over the card, as it does for the webhook's answer.
        return answer ? { toast: { type: 'info', content: answer.toast } } : undefined;
      }
      type = 'event';
      outcome = await deps.starter.start(event);
      return undefined;
    } catch (err) {
      if (err instanceof TemporalRefusedError) outcome = 'misconfigured';
      else if (err instanceof HttpError) {
        outcome = 'refused';
        reason = err.reason; // a literal from our code, never request data
      } else if (err instanceof TemporalUnavailableError) outcome = 'unavailable';
      else outcome = 'error';
      const line = { ...fields, type, outcome, ...(reason ? { reason } : {}), err: (err as Error)?.message ?? String(err) };
      if (outcome === 'refused') log.info(line, 'long connection: frame refused (ack 500)');
      else if (outcome === 'unavailable') {
        // An event is pushed again; a card click is not (Lark tells the user it failed, and they click again).
        log.warn(
          line,
          type === 'card'
            ? 'long connection: temporal unavailable (ack 500, the click failed)'
            : 'long connection: temporal unavailable (ack 500, Lark pushes it again)',
        );
      } else log.error(line, 'long connection: frame failed (ack 500)');
      throw err;
    } finally {
      inFlight--;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const ok = outcome === 'started' || outcome === 'duplicate' || outcome === 'answered';
      count(type, outcome);
      longConnectionFrames.inc({ type, outcome, reason });
      longConnectionAcks.inc({ code: ok ? '200' : '500' });
      longConnectionHandlerSeconds.observe({ type, outcome }, seconds);
      if (ok) log.debug({ ...fields, type, outcome, ms: Math.round(seconds * 100_000) / 100 }, 'long connection: frame');
    }
  };
  // The SDK calls invoke(data, {needCheck: false}) and acks with what it returns; nothing else of the
  // EventDispatcher is used.
  const dispatcher = { invoke: (data: unknown) => handle(data) } as unknown as EventDispatcher;

  const client: WSClient = new sdk.WSClient({
    appId: deps.appId,
    appSecret: deps.appSecret,
    domain: deps.domain,
    logger: sdkLogger(log),
    loggerLevel: log.isLevelEnabled('debug') ? sdk.LoggerLevel.debug : sdk.LoggerLevel.info,
    autoReconnect: true,
    // A handshake that hangs (DNS, proxy) would leave the SDK waiting forever.
    handshakeTimeoutMs: 15_000,
    ...(deps.pingTimeoutSeconds > 0 ? { wsConfig: { pingTimeout: deps.pingTimeoutSeconds } } : {}),
    onReady: () => setState('connected'),
    onReconnecting: () => setState('reconnecting'),
    onReconnected: () => setState('connected'),
    onError: (err: Error) => {
      setState('failed', scrubSdkLog(err.message));
      scheduleRestart();
    },
  });

  const begin = async () => {
    await client.start({ eventDispatcher: dispatcher });
  };
  function scheduleRestart() {
    if (closed || restartTimer) return;
    const ceiling = Math.min(backoff.max, backoff.min * 2 ** restartAttempt);
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    restartAttempt++;
    log.info({ in_ms: delay, attempt: restartAttempt }, 'long connection: starting the client again after a pause');
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (closed) return;
      st.restarts++;
      setState('connecting');
      begin().catch((err) => {
        setState('failed', scrubSdkLog((err as Error)?.message ?? String(err)));
        scheduleRestart();
      });
    }, delay);
  }

  log.info({ domain: deps.domain, ping_timeout_s: deps.pingTimeoutSeconds || 'off', max_down_s: deps.maxDownMs / 1000 }, 'long connection: connecting');
  longConnectionStates.inc({ state: 'connecting' });
  await begin();

  const status = (): LongConnectionStatus => ({ ...st, frames: { ...frames }, inFlight });
  return {
    status,
    health: {
      name: 'long_connection',
      async check() {
        const s = status();
        if (s.state === 'connected' || s.downSince === undefined) return;
        const downMs = Date.now() - s.downSince;
        if (downMs > deps.maxDownMs) throw new HealthProblem(`${s.state} for ${Math.round(downMs / 1000)} s`);
      },
      describe() {
        const s = status();
        return {
          state: s.state,
          connected: s.state === 'connected',
          since: new Date(s.since).toISOString(),
          reconnects: s.reconnects,
          ...(s.downSince !== undefined ? { down_for_s: Math.round((Date.now() - s.downSince) / 1000) } : {}),
        };
      },
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(restartTimer);
      // Frames being handled get their ack out first (bounded: Lark stops waiting after 3 s anyway).
      const until = Date.now() + (deps.drainMs ?? 3000);
      while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      client.close({ force: true });
      setState('stopped');
    },
  };
}
