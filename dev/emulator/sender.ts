/**
 * The sending side: posts events to the app's webhook the way Lark does. With an Encrypt Key the
 * body is `{"encrypt": ...}` and signed over the RAW bytes sent; without one it is plain and unsigned.
 * An event not acknowledged with HTTP 200 within the ack timeout is delivered again after 15 s,
 * 5 min, 1 h and 6 h (scaled by `timeScale` for tests). Callbacks (challenges, card actions) are
 * synchronous in Lark and never re-pushed.
 */
import { encryptLarkPayload, signLarkRequest, signLegacyCardRequest } from '../../src/lark/crypto';
import { isObject, type Json } from './http';

export const LARK_RETRY_SCHEDULE_MS = [15_000, 5 * 60_000, 60 * 60_000, 6 * 60 * 60_000];

export interface WebhookTarget {
  url: string;
  encryptKey?: string;
  /** Put into the payload's token field (header.token for v2) when the payload has none. */
  verificationToken?: string;
}

export interface SendOptions {
  /** Default 3000: Lark's 3-second acknowledgement window. Not scaled by timeScale. */
  ackTimeoutMs?: number;
  /** Delays between attempts (ms), before scaling. Default: Lark's 15 s / 5 min / 1 h / 6 h. */
  retrySchedule?: number[];
  /** Multiplies the retry delays, e.g. 0.001 turns 15 s into 15 ms. */
  timeScale?: number;
  /** Default: true for events, false for challenges and card callbacks. */
  redeliver?: boolean;
  /** Default: sign whenever there is an Encrypt Key, except URL verification (Lark leaves it unsigned). */
  sign?: boolean;
}

export interface DeliveryAttempt {
  n: number;
  at: number;
  ms: number;
  /** HTTP status (over the long connection: the ack's code), absent when the request failed or timed out. */
  status?: number;
  /** network: no answer possible (connection refused or reset; over the long connection, none open or it closed). */
  error?: 'timeout' | 'network';
  ok: boolean;
  /** The response body (first 64 KB), e.g. the echoed challenge or a card callback's toast. */
  responseText?: string;
  /** The exact bytes posted and the Lark headers, for signature checks in tests. */
  rawBody: Buffer;
  headers: Record<string, string>;
  /** Set for pushes over the long connection: which connection carried it, the client's biz_rt header. */
  transport?: 'long-connection';
  connection?: string;
  bizRtMs?: number;
}

export interface Delivery {
  id: number;
  url: string;
  payload: Json;
  attempts: DeliveryAttempt[];
  /** Settles with the acknowledged attempt, or the last one once retries are exhausted or cancelled. */
  done: Promise<DeliveryAttempt>;
  /** Stops further redelivery. */
  cancel(): void;
}

export class Sender {
  private seq = 0;
  /** The newest `maxKept` deliveries (each holds its raw bodies and attempts); older ones are dropped from here only. */
  readonly deliveries: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly aborts = new Set<AbortController>();
  private readonly cancels = new Set<() => void>();

  constructor(
    private readonly defaults: SendOptions = {},
    private readonly maxKept = 1000,
  ) {}

  send(target: WebhookTarget, payload: Json, options: SendOptions = {}): Delivery {
    const opts = { ...this.defaults, ...options };
    const legacyCard = isLegacyCard(payload);
    // A legacy card callback carries its own `token` (the card-update token), never the verification token.
    const body = legacyCard ? structuredClone(payload) : withToken(payload, target.verificationToken);
    const isCallback = isChallenge(body) || eventType(body) === 'card.action.trigger' || legacyCard;
    const redeliver = opts.redeliver ?? !isCallback;
    const sign = opts.sign ?? (legacyCard ? Boolean(target.verificationToken) : Boolean(target.encryptKey) && !isChallenge(body));
    const schedule = (opts.retrySchedule ?? LARK_RETRY_SCHEDULE_MS).map((ms) => ms * (opts.timeScale ?? 1));
    const ackTimeoutMs = opts.ackTimeoutMs ?? 3000;
    // Encrypted once: a redelivery carries the same event, only the signature headers are fresh.
    // Legacy card callbacks are posted plain, signed with sha1 over the verification token.
    const rawBody = Buffer.from(
      target.encryptKey && !legacyCard ? JSON.stringify({ encrypt: encryptLarkPayload(target.encryptKey, JSON.stringify(body)) }) : JSON.stringify(body),
      'utf8',
    );

    let cancelled = false;
    let resolveDone!: (a: DeliveryAttempt) => void;
    const done = new Promise<DeliveryAttempt>((r) => (resolveDone = r));
    const delivery: Delivery = {
      id: ++this.seq,
      url: target.url,
      payload: body,
      attempts: [],
      done,
      cancel: () => stop(),
    };
    this.deliveries.push(delivery);
    while (this.deliveries.length > this.maxKept) this.deliveries.shift();

    const finish = (a: DeliveryAttempt) => {
      this.cancels.delete(stop);
      resolveDone(a);
    };
    const stop = () => {
      cancelled = true;
      const last = delivery.attempts[delivery.attempts.length - 1];
      if (last) finish(last);
    };
    this.cancels.add(stop);

    const attempt = async (n: number): Promise<void> => {
      if (cancelled) return;
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (sign && legacyCard && target.verificationToken) Object.assign(headers, signLegacyCardRequest(rawBody, target.verificationToken));
      else if (sign && target.encryptKey) Object.assign(headers, signLarkRequest(rawBody, target.encryptKey));
      const result = await this.post(target.url, rawBody, headers, ackTimeoutMs);
      const a: DeliveryAttempt = { n, ...result, rawBody, headers };
      delivery.attempts.push(a);
      const delay = schedule[n - 1];
      if (a.ok || !redeliver || cancelled || delay === undefined) {
        finish(a);
        return;
      }
      const t = setTimeout(() => {
        this.timers.delete(t);
        void attempt(n + 1);
      }, delay);
      this.timers.add(t);
    };
    void attempt(1);
    return delivery;
  }

  private async post(
    url: string,
    rawBody: Buffer,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<Omit<DeliveryAttempt, 'n' | 'rawBody' | 'headers'>> {
    const at = Date.now();
    const ac = new AbortController();
    this.aborts.add(ac);
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      const res = await fetch(url, { method: 'POST', body: rawBody, headers, signal: ac.signal, redirect: 'manual' });
      const text = (await res.text()).slice(0, 65536);
      return { at, ms: Date.now() - at, status: res.status, ok: res.status === 200, responseText: text };
    } catch {
      return { at, ms: Date.now() - at, error: ac.signal.aborted ? 'timeout' : 'network', ok: false };
    } finally {
      clearTimeout(timer);
      this.aborts.delete(ac);
    }
  }

  /** Stops all pending redeliveries and in-flight posts. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const ac of this.aborts) ac.abort();
    for (const c of [...this.cancels]) c();
  }
}

export function isChallenge(body: Json): boolean {
  return typeof body.challenge === 'string' && body.header === undefined && body.schema === undefined;
}

export function isLegacyCard(body: Json): boolean {
  return body.header === undefined && body.schema === undefined && typeof body.open_message_id === 'string' && isObject(body.action);
}

export function eventType(body: Json): string | undefined {
  if (isObject(body.header) && typeof body.header.event_type === 'string') return body.header.event_type;
  if (isObject(body.event) && typeof body.event.type === 'string') return body.event.type;
  return undefined;
}

/** Copies the payload with the verification token where Lark puts it, unless already present. */
export function withToken(payload: Json, token: string | undefined): Json {
  const body = structuredClone(payload);
  if (!token) return body;
  if (isObject(body.header)) {
    if (body.header.token === undefined) body.header.token = token;
  } else if (body.token === undefined) {
    body.token = token;
  }
  return body;
}
