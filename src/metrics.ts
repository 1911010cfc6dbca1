/**
 * The process's application metrics, in one registry served as Prometheus text by GET /metrics.
 * Labels are bounded sets (route names, reasons, Lark codes, token kinds): never ids, paths, text or secrets,
 * so a hostile request cannot grow the series count or leak anything through a label.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();

const PREFIX = 'lark_agent_';

/** Every webhook request: route (a fixed set), outcome (started, duplicate, challenge, accepted, refused, unavailable, misconfigured, error). */
export const webhookRequests = new Counter({
  name: `${PREFIX}webhook_requests_total`,
  help: 'Webhook requests by route and outcome; refused requests carry their 4xx reason',
  labelNames: ['route', 'outcome', 'reason'] as const,
  registers: [registry],
});

/** Time from request to answer: for Lark events, the acknowledgement (after Temporal recorded the start). */
export const webhookAckSeconds = new Histogram({
  name: `${PREFIX}webhook_ack_seconds`,
  help: 'Webhook time to answer in seconds, by route and outcome',
  labelNames: ['route', 'outcome'] as const,
  // Refusals take well under a millisecond; a durable start takes a few ms; the start timeout is seconds.
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const workflowStarts = new Counter({
  name: `${PREFIX}workflow_starts_total`,
  help: 'Event workflows started by the webhook',
  registers: [registry],
});

/** Starts Temporal refused for a reason retrying cannot fix (answered 500 temporal_misconfigured). Alert on any. */
export const workflowStartsRefused = new Counter({
  name: `${PREFIX}workflow_start_refused_total`,
  help: 'Event workflow starts Temporal refused for a permanent reason (missing search attribute or namespace, no permission), by gRPC code',
  labelNames: ['code'] as const,
  registers: [registry],
});

export const eventDuplicates = new Counter({
  name: `${PREFIX}event_duplicates_total`,
  help: 'Redelivered events answered 200 without a new workflow (the event id was already started)',
  registers: [registry],
});

/** Card clicks the webhook answered itself, without an Update on a workflow. */
export const cardClicksAnsweredHere = new Counter({
  name: `${PREFIX}card_clicks_answered_here_total`,
  help: 'Card clicks answered by the webhook without reaching a workflow: known_dead (the card was already answered, expired or unknown) or rate_limited (the user clicked too often)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

/**
 * The long connection (LARK_EVENT_MODE websocket or both). A frame is one pushed event or card click once the
 * SDK has put its fragments together; `unreadable` frames are those the SDK could not decode or reassemble
 * (it drops them without an ack, and Lark pushes them again after its 3 s window).
 */
export const longConnectionFrames = new Counter({
  name: `${PREFIX}long_connection_frames_total`,
  help: 'Frames Lark pushed over the long connection, by type (event, card, unreadable) and outcome (started, duplicate, answered, refused, unavailable, misconfigured, error, dropped); refusals carry their reason',
  labelNames: ['type', 'outcome', 'reason'] as const,
  registers: [registry],
});

export const longConnectionAcks = new Counter({
  name: `${PREFIX}long_connection_acks_total`,
  help: 'Acks for pushed frames by code: 200 (recorded, or a card click answered), 500 (not recorded: Lark pushes an event again)',
  labelNames: ['code'] as const,
  registers: [registry],
});

export const longConnectionHandlerSeconds = new Histogram({
  name: `${PREFIX}long_connection_handler_seconds`,
  help: 'Time from a pushed frame reaching the handler to its ack (Lark allows 3 s), by type and outcome',
  labelNames: ['type', 'outcome'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const longConnectionReconnects = new Counter({
  name: `${PREFIX}long_connection_reconnects_total`,
  help: 'Times the long connection was open again after being down (the SDK reconnecting, or a restart of the client)',
  registers: [registry],
});

export const longConnectionUp = new Gauge({
  name: `${PREFIX}long_connection_up`,
  help: '1 while the long connection to Lark is open, else 0',
  registers: [registry],
});

export const longConnectionStates = new Counter({
  name: `${PREFIX}long_connection_state_changes_total`,
  help: 'Long connection state changes, by the state entered (connecting, connected, reconnecting, failed, stopped)',
  labelNames: ['state'] as const,
  registers: [registry],
});

export const larkApiErrors = new Counter({
  name: `${PREFIX}lark_api_errors_total`,
  help: 'Lark Open API calls answered with an error, by Lark code (-1: no Lark body) and HTTP status',
  labelNames: ['code', 'http_status'] as const,
  registers: [registry],
});

export const llmTokens = new Counter({
  name: `${PREFIX}llm_tokens_total`,
  help: 'LLM tokens by kind (input, output, cache_read, cache_creation) and model',
  labelNames: ['kind', 'model'] as const,
  registers: [registry],
});

export function recordLarkApiError(code: number, httpStatus: number): void {
  larkApiErrors.inc({ code: String(Math.trunc(code)), http_status: String(httpStatus) });
}

/** The usage block of an LLM answer (Anthropic's field names). */
export interface LlmUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

const USAGE_KINDS = [
  ['input', 'input_tokens'],
  ['output', 'output_tokens'],
  ['cache_read', 'cache_read_input_tokens'],
  ['cache_creation', 'cache_creation_input_tokens'],
] as const;

/** Called by the LLM activity after each model call. */
export function recordLlmUsage(usage: LlmUsage, model = 'unknown'): void {
  for (const [kind, field] of USAGE_KINDS) {
    const n = usage[field];
    if (typeof n === 'number' && Number.isFinite(n) && n > 0) llmTokens.inc({ kind, model }, n);
  }
}

let processMetrics = false;
/** CPU, memory, heap, event-loop lag, GC: once per process (prom-client refuses a second registration). */
export function enableProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry });
}
