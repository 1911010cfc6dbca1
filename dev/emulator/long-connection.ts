/**
 * Lark's long-connection ("persistent connection") event delivery, as the official SDKs talk to it:
 *
 * 1. `POST /callback/ws/endpoint {AppID, AppSecret}` answers `{code: 0, data: {URL, ClientConfig}}`: a one-use
 *    WebSocket URL (`fpid, aid, device_id, access_key, service_id, ticket` in its query) and the client's
 *    timing (`PingInterval`, `ReconnectCount`, `ReconnectInterval`, `ReconnectNonce`, in seconds).
 * 2. The client opens that URL. A bad or used ticket is refused before the upgrade (HTTP 403 with the
 *    `Handshake-Status` / `Handshake-Msg` headers); past `maxConnections` open connections (Lark: 50 per app)
 *    the refusal carries `Handshake-Status: 514` and `Handshake-Autherrcode: 1000040350`.
 * 3. Binary `pbbp2.Frame`s (frame.ts). The client pings (control frame, `type: ping`); the answer is a
 *    `type: pong` control frame whose payload is the ClientConfig again. Events and card callbacks go down as
 *    data frames `type: event` with `message_id`, `sum`, `seq`, `trace_id` (a payload over `fragmentBytes` is
 *    split into `sum` fragments); the client answers each with the same frame, `biz_rt` added and the payload
 *    replaced by the JSON ack `{code, headers?, data?}` (`data`: base64 of the handler's JSON answer, e.g. a
 *    card click's toast).
 *
 * Delivery follows Lark's docs: each event goes to ONE of the open connections, at random (cluster mode, no
 * broadcast); it must be acknowledged within 3 s and without an error, otherwise it is re-pushed (the webhook's
 * schedule: 15 s, 5 min, 1 h, 6 h, scaled by `timeScale`); a re-push may land on another connection. Card
 * callbacks are never re-pushed; legacy card callbacks and URL-verification challenges never use this channel.
 * Each push carries a fresh frame message_id; an ack for a push no longer waited for (timed out, or sent after its
 * connection dropped) is counted as late and changes nothing.
 *
 * Choices not confirmed by Lark's docs: the endpoint's code for bad credentials (403 here), the ticket's
 * lifetime, the fragment size, and failing a push at once when its connection closes.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { decodeFrame, encodeFrame, FRAME_CONTROL, FRAME_DATA, headerOf, type Frame, type FrameHeader } from './frame';
import { bodyObject, optString, type Json, type Router } from './http';
import { eventType, isChallenge, isLegacyCard, LARK_RETRY_SCHEDULE_MS, withToken, type Delivery, type DeliveryAttempt, type SendOptions } from './sender';

/** The `ws` package's server side: the SDK's own WebSocket dependency, loaded the way the SDK loads it. */
interface WsSocket {
  readonly readyState: number;
  send(data: Buffer, cb?: (err?: Error) => void): void;
  on(event: 'message', fn: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'close', fn: () => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
  close(code?: number, reason?: string): void;
  terminate(): void;
}
interface WsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WsSocket) => void): void;
  close(cb?: () => void): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WebSocketServer } = require('ws') as { WebSocketServer: new (opts: { noServer: true; maxPayload?: number }) => WsServer };

const WS_OPEN = 1;
export const WS_ENDPOINT_PATH = '/callback/ws/endpoint';
const WS_PATH = '/ws/v2';
/** The SDK's and Lark's codes (node-sdk ErrorCode, oapi-sdk-go ws/const.go). */
export const WS_CODE = { ok: 0, forbidden: 403, authFailed: 514, exceedConnLimit: 1000040350 } as const;

export interface LongConnectionOptions {
  /** ClientConfig, seconds. Lark's defaults as the SDK assumes them: ping 120, reconnect forever every 120 + 0-30. */
  pingIntervalS?: number;
  reconnectCount?: number;
  reconnectIntervalS?: number;
  reconnectNonceS?: number;
  /** Open connections per app (Lark: 50). */
  maxConnections?: number;
  /** A payload longer than this goes down in several fragments (sum > 1). Default 512 KiB. */
  fragmentBytes?: number;
  /** How long an endpoint URL's ticket can be used. Default 60 s. */
  ticketTtlMs?: number;
}

export interface LongConnectionInfo {
  /** The device_id of the URL it was opened with. */
  id: string;
  serviceId: number;
  openedAt: number;
  closedAt?: number;
  /** client: the app closed it; dropped: cut by drop(); stopped: the emulator stopped. */
  closedBy?: 'client' | 'dropped' | 'stopped';
  framesSent: number;
  pings: number;
  acks: number;
  /** Acks for a push no longer waited for (timed out, or answered after its connection dropped). */
  lateAcks: number;
  /** Frames from the client that did not decode. */
  badFrames: number;
}

export interface SocketSendOptions extends SendOptions {
  /** Push to this connection (its id) instead of a random open one. Redeliveries pick at random. */
  connection?: string;
}

interface Pending {
  delivery: Delivery;
  n: number;
  at: number;
  connection: string;
  rawBody: Buffer;
  headers: Record<string, string>;
  timer: NodeJS.Timeout;
  settle(a: Omit<DeliveryAttempt, 'n' | 'rawBody' | 'headers'>): void;
}

interface Live {
  info: LongConnectionInfo;
  socket: WsSocket;
}

export interface LongConnectionAuth {
  appId: string;
  appSecret: string;
  verificationToken?: string;
}

export class LongConnectionServer {
  readonly deliveries: Delivery[] = [];
  private readonly live = new Map<string, Live>();
  private readonly history: LongConnectionInfo[] = [];
  private readonly tickets = new Map<string, { deviceId: string; serviceId: number; until: number }>();
  private readonly pending = new Map<string, Pending>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  private seq = 0n;
  private deliveryIds = 0;
  private baseUrl = '';
  private stopped = false;
  /** When set, the endpoint refuses the app with this code (Lark turning the app away; the SDK gives up on it). */
  endpointRefusal: { code: number; msg: string } | undefined;

  constructor(
    private readonly auth: LongConnectionAuth,
    private readonly opts: LongConnectionOptions = {},
    private readonly defaults: SendOptions = {},
    private readonly random: () => number = Math.random,
  ) {}

  clientConfig(): Json {
    return {
      PingInterval: this.opts.pingIntervalS ?? 120,
      ReconnectCount: this.opts.reconnectCount ?? -1,
      ReconnectInterval: this.opts.reconnectIntervalS ?? 120,
      ReconnectNonce: this.opts.reconnectNonceS ?? 30,
    };
  }

  register(router: Router): void {
    router.add('POST', WS_ENDPOINT_PATH, (ctx) => {
      const body = bodyObject(ctx);
      const appId = optString(body, 'AppID');
      const appSecret = optString(body, 'AppSecret');
      if (appId !== this.auth.appId || appSecret !== this.auth.appSecret) {
        return { kind: 'json', body: { code: WS_CODE.forbidden, msg: 'invalid AppID or AppSecret', data: {} } };
      }
      if (this.endpointRefusal) return { kind: 'json', body: { ...this.endpointRefusal, data: {} } };
      const deviceId = String(randomInt(1e14, 2 ** 47));
      const serviceId = randomInt(1e7, 9e7);
      const ticket = randomUUID();
      this.tickets.set(ticket, { deviceId, serviceId, until: Date.now() + (this.opts.ticketTtlMs ?? 60_000) });
      const wsBase = this.baseUrl.replace(/^http/, 'ws');
      const q = new URLSearchParams({
        fpid: '493',
        aid: '552564',
        device_id: deviceId,
        access_key: randomBytes(16).toString('hex'),
        service_id: String(serviceId),
        ticket,
      });
      return { kind: 'json', body: { code: WS_CODE.ok, msg: 'ok', data: { URL: `${wsBase}${WS_PATH}?${q}`, ClientConfig: this.clientConfig() } } };
    });
  }

  /** Takes the WebSocket upgrades of the emulator's HTTP server. */
  attach(server: Server, baseUrl: string): void {
    this.baseUrl = baseUrl;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refuse = (status: number, handshakeStatus: number, msg: string, authErr?: number) => {
      const lines = [`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Bad Request'}`, `Handshake-Status: ${handshakeStatus}`, `Handshake-Msg: ${msg}`];
      if (authErr !== undefined) lines.push(`Handshake-Autherrcode: ${authErr}`);
      socket.end([...lines, 'Connection: close', 'Content-Length: 0', '', ''].join('\r\n'));
    };
    if (url.pathname !== WS_PATH || this.stopped) return refuse(400, 400, 'not a long-connection URL');
    const ticket = url.searchParams.get('ticket') ?? '';
    const t = this.tickets.get(ticket);
    this.tickets.delete(ticket); // one use
    if (!t || t.until < Date.now() || url.searchParams.get('device_id') !== t.deviceId) return refuse(403, WS_CODE.forbidden, 'invalid or expired ticket');
    if (this.live.size >= (this.opts.maxConnections ?? 50)) return refuse(403, WS_CODE.authFailed, 'exceed connection limit', WS_CODE.exceedConnLimit);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.opened(ws, t.deviceId, t.serviceId));
  }

  private opened(socket: WsSocket, id: string, serviceId: number): void {
    const info: LongConnectionInfo = { id, serviceId, openedAt: Date.now(), framesSent: 0, pings: 0, acks: 0, lateAcks: 0, badFrames: 0 };
    const live: Live = { info, socket };
    this.live.set(id, live);
    this.history.push(info);
    socket.on('message', (data) => this.received(live, data));
    socket.on('error', () => undefined); // a reset shows up as 'close' too
    socket.on('close', () => this.closed(live, 'client'));
  }

  private closed(live: Live, by: NonNullable<LongConnectionInfo['closedBy']>): void {
    if (this.live.get(live.info.id) !== live) return;
    this.live.delete(live.info.id);
    live.info.closedAt = Date.now();
    live.info.closedBy ??= by;
    // Pushes waiting on this connection cannot be answered any more: they fail now and are re-pushed.
    for (const p of [...this.pending.values()]) {
      if (p.connection === live.info.id)
        p.settle({ at: p.at, ms: Date.now() - p.at, error: 'network', ok: false, connection: p.connection, transport: 'long-connection' });
    }
  }

  private received(live: Live, data: Buffer): void {
    let frame: Frame;
    try {
      frame = decodeFrame(data);
    } catch {
      live.info.badFrames++;
      return;
    }
    const type = headerOf(frame, 'type');
    if (frame.method === FRAME_CONTROL) {
      if (type !== 'ping') return;
      live.info.pings++;
      this.send(live, {
        seqId: 0n,
        logId: 0n,
        service: frame.service,
        method: FRAME_CONTROL,
        headers: [{ key: 'type', value: 'pong' }],
        payload: Buffer.from(JSON.stringify(this.clientConfig())),
      });
      return;
    }
    if (frame.method !== FRAME_DATA) return;
    const messageId = headerOf(frame, 'message_id') ?? '';
    const p = this.pending.get(messageId);
    if (!p) {
      live.info.lateAcks++;
      return;
    }
    live.info.acks++;
    let ack: { code?: unknown; data?: unknown } = {};
    try {
      ack = JSON.parse(frame.payload?.toString('utf8') ?? '{}') as typeof ack;
    } catch {
      live.info.badFrames++;
    }
    const code = typeof ack.code === 'number' ? ack.code : undefined;
    // data: base64 of the handler's JSON answer (node-sdk encodes it; Go's []byte marshals to base64 as well).
    const responseText = typeof ack.data === 'string' && ack.data ? Buffer.from(ack.data, 'base64').toString('utf8') : undefined;
    const bizRt = Number(headerOf(frame, 'biz_rt'));
    p.settle({
      at: p.at,
      ms: Date.now() - p.at,
      ...(code !== undefined ? { status: code } : {}),
      ok: code === 200,
      ...(responseText !== undefined ? { responseText } : {}),
      connection: live.info.id,
      transport: 'long-connection',
      ...(Number.isFinite(bizRt) ? { bizRtMs: bizRt } : {}),
    });
  }

  private send(live: Live, frame: Frame): boolean {
    if (live.socket.readyState !== WS_OPEN) return false;
    live.socket.send(encodeFrame(frame));
    live.info.framesSent++;
    return true;
  }

  /** Open connections, oldest first. */
  connections(): LongConnectionInfo[] {
    return [...this.live.values()].map((l) => l.info);
  }

  /** Every connection ever opened, closed ones included. */
  allConnections(): readonly LongConnectionInfo[] {
    return this.history;
  }

  /** Cuts connections without a close handshake, as a network failure does (all, or the one named). */
  drop(id?: string): number {
    let n = 0;
    for (const live of [...this.live.values()]) {
      if (id && live.info.id !== id) continue;
      live.info.closedBy = 'dropped';
      live.socket.terminate();
      this.closed(live, 'dropped');
      n++;
    }
    return n;
  }

  /** Sends bytes as they are (malformed frames for tests), to the connection named or a random open one. */
  sendRaw(bytes: Buffer, id?: string): string {
    const live = id ? this.live.get(id) : this.pick();
    if (!live || live.socket.readyState !== WS_OPEN) throw new Error('sendRaw: no open long connection');
    live.socket.send(bytes);
    live.info.framesSent++;
    return live.info.id;
  }

  /** A data frame with the given payload bytes and headers (type=event unless given), as Lark frames a push. */
  dataFrame(live: LongConnectionInfo, payload: Buffer, headers: FrameHeader[]): Buffer {
    return encodeFrame({ seqId: ++this.seq, logId: BigInt(randomInt(1, 2 ** 47)), service: live.serviceId, method: FRAME_DATA, headers, payload });
  }

  private pick(): Live | undefined {
    const open = [...this.live.values()].filter((l) => l.socket.readyState === WS_OPEN);
    return open.length ? open[Math.floor(this.random() * open.length)] : undefined;
  }

  /**
   * Pushes an event or a card callback to one connection (`connection`, else one at random), re-pushing as Lark
   * does when it is not acknowledged with code 200 within the ack window.
   */
  deliver(payload: Json, options: SocketSendOptions = {}): Delivery {
    if (isChallenge(payload)) throw new Error('URL-verification challenges are not sent over the long connection');
    if (isLegacyCard(payload)) throw new Error('legacy card callbacks are not delivered over the long connection (Lark: request URL only)');
    const body = withToken(payload, this.auth.verificationToken);
    const callback = eventType(body) === 'card.action.trigger';
    return this.push(Buffer.from(JSON.stringify(body), 'utf8'), body, { ...options, redeliver: options.redeliver ?? this.defaults.redeliver ?? !callback });
  }

  /**
   * Pushes bytes as one event's payload (fragmented and acknowledged like any push): a payload that is not JSON,
   * or not an event, for tests of what the client does with it.
   */
  deliverRaw(rawBody: Buffer, options: SocketSendOptions = {}): Delivery {
    return this.push(rawBody, {}, options);
  }

  private push(rawBody: Buffer, body: Json, options: SocketSendOptions): Delivery {
    const opts = { ...this.defaults, ...options };
    const redeliver = opts.redeliver ?? true;
    const schedule = (opts.retrySchedule ?? LARK_RETRY_SCHEDULE_MS).map((ms) => ms * (opts.timeScale ?? 1));
    const ackTimeoutMs = opts.ackTimeoutMs ?? 3000;

    let cancelled = false;
    let resolveDone!: (a: DeliveryAttempt) => void;
    const done = new Promise<DeliveryAttempt>((r) => (resolveDone = r));
    const delivery: Delivery = { id: ++this.deliveryIds, url: 'long-connection', payload: body, attempts: [], done, cancel: () => stop() };
    this.deliveries.push(delivery);
    const stop = () => {
      cancelled = true;
      const last = delivery.attempts[delivery.attempts.length - 1];
      if (last) resolveDone(last);
    };

    const record = (n: number, base: Omit<DeliveryAttempt, 'n' | 'rawBody' | 'headers'>, headers: Record<string, string>) => {
      const a: DeliveryAttempt = { n, ...base, rawBody, headers };
      delivery.attempts.push(a);
      const delay = schedule[n - 1];
      if (a.ok || !redeliver || cancelled || this.stopped || delay === undefined) {
        resolveDone(a);
        return;
      }
      const t = setTimeout(() => {
        this.timers.delete(t);
        attempt(n + 1);
      }, delay);
      this.timers.add(t);
    };

    const attempt = (n: number) => {
      if (cancelled || this.stopped) return;
      const target = n === 1 && opts.connection ? this.live.get(opts.connection) : this.pick();
      const at = Date.now();
      if (!target || target.socket.readyState !== WS_OPEN) {
        record(n, { at, ms: 0, error: 'network', ok: false, transport: 'long-connection' }, {});
        return;
      }
      const messageId = randomUUID();
      const fragment = Math.max(1, this.opts.fragmentBytes ?? 512 * 1024);
      const sum = Math.max(1, Math.ceil(rawBody.length / fragment));
      const traceId = randomBytes(8).toString('hex');
      const headers: Record<string, string> = { type: 'event', message_id: messageId, sum: String(sum), trace_id: traceId };
      let settled = false;
      const p: Pending = {
        delivery,
        n,
        at,
        connection: target.info.id,
        rawBody,
        headers,
        timer: setTimeout(
          () => p.settle({ at, ms: Date.now() - at, error: 'timeout', ok: false, connection: target.info.id, transport: 'long-connection' }),
          ackTimeoutMs,
        ),
        settle: (result) => {
          if (settled) return;
          settled = true;
          clearTimeout(p.timer);
          this.pending.delete(messageId);
          record(n, result, headers);
        },
      };
      this.pending.set(messageId, p);
      for (let seq = 0; seq < sum; seq++) {
        const part = rawBody.subarray(seq * fragment, (seq + 1) * fragment);
        const frameHeaders: FrameHeader[] = [
          { key: 'type', value: 'event' },
          { key: 'message_id', value: messageId },
          { key: 'sum', value: String(sum) },
          { key: 'seq', value: String(seq) },
          { key: 'trace_id', value: traceId },
        ];
        this.send(target, {
          seqId: ++this.seq,
          logId: BigInt(randomInt(1, 2 ** 47)),
          service: target.info.serviceId,
          method: FRAME_DATA,
          headers: frameHeaders,
          payload: Buffer.from(part),
        });
      }
    };
    attempt(1);
    return delivery;
  }

  /** Pushes waiting for an ack right now. */
  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const live of [...this.live.values()]) {
      live.socket.terminate();
      this.closed(live, 'stopped');
    }
    for (const p of [...this.pending.values()]) p.settle({ at: p.at, ms: Date.now() - p.at, error: 'network', ok: false, transport: 'long-connection' });
    this.wss.close();
  }
}
