/**
 * What the product needs on its Temporal server before it can accept an event: its namespace, and the four custom
 * search attributes every start sets (workflows/contract.ts). A fresh server has neither, and Temporal
 * then refuses every start with INVALID_ARGUMENT ("no mapping defined for search attribute ...").
 *
 * At start the webhook and the worker call ensureTemporalSetup: it registers what is missing where the server lets
 * it (RegisterNamespace; OperatorService.AddSearchAttributes, which on SQL visibility maps each name to a
 * pre-allocated column of the namespace) and waits until the frontend accepts a query naming them. Where the
 * server does not let it (TEMPORAL_AUTO_SETUP=false, no permission, a name taken with another type) it throws a
 * TemporalSetupError whose message is one line naming the exact command to run.
 */
import { HealthProblem } from '../http-error';
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTES } from '../../workflows/contract';
import type { Logger } from '../logger';
import { createTemporalClient } from './client';

type Services = Pick<Connection, 'workflowService' | 'operatorService'>;

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
/** Retention of a namespace the product registers (the CLI's `namespace create` default is 3 days too). */
const RETENTION_SECONDS = 3 * 24 * 3600;

/** gRPC status codes (grpc-js numbering). */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export function grpcCode(err: unknown): number | undefined {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

/** A permanent setup problem: the message is one line an operator can act on. */
export class TemporalSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemporalSetupError';
  }
}

export interface SetupOptions {
  namespace: string;
  /** host:port, only to write the command an operator would run. */
  address: string;
  /** TEMPORAL_AUTO_SETUP: register what is missing (true) or only check (false). */
  register: boolean;
  /** How long to wait for the frontend to see what was registered (namespace cache: 2 s by default). */
  readyTimeoutMs?: number;
}

export interface SetupResult {
  namespaceRegistered: boolean;
  /** Search attributes this call added. */
  registered: string[];
}

export const searchAttributeNames = (): string[] => SEARCH_ATTRIBUTES.map((k) => k.name);

export function namespaceCommand(o: Pick<SetupOptions, 'namespace' | 'address'>): string {
  return `temporal operator namespace create --namespace ${o.namespace} --address ${o.address}`;
}

export function searchAttributeCommand(o: Pick<SetupOptions, 'namespace' | 'address'>, names: string[]): string {
  return `temporal operator search-attribute create --namespace ${o.namespace} --address ${o.address} ${names.map((n) => `--name ${n}`).join(' ')} --type Keyword`;
}

const canNotWrite = (err: unknown) => [GrpcCode.PERMISSION_DENIED, GrpcCode.UNIMPLEMENTED, GrpcCode.UNAUTHENTICATED].includes(grpcCode(err) as 7 | 12 | 16);

/** State of the namespace's search attributes: which of ours are missing, which exist with another type. */
export async function searchAttributeState(conn: Pick<Connection, 'operatorService'>, namespace: string): Promise<{ missing: string[]; wrongType: string[] }> {
  const res = await conn.operatorService.listSearchAttributes({ namespace });
  const custom = res.customAttributes ?? {};
  const missing: string[] = [];
  const wrongType: string[] = [];
  for (const name of searchAttributeNames()) {
    const type = custom[name];
    if (type === undefined || type === null) missing.push(name);
    else if (type !== KEYWORD) wrongType.push(name);
  }
  return { missing, wrongType };
}

async function namespaceExists(conn: Services, namespace: string): Promise<boolean> {
  try {
    await conn.workflowService.describeNamespace({ namespace });
    return true;
  } catch (err) {
    if (grpcCode(err) === GrpcCode.NOT_FOUND) return false;
    throw err;
  }
}

/**
 * Is the frontend ready to accept starts that set our search attributes? A visibility count naming all four
 * goes through the same namespace cache and alias mapping as a start, and creates nothing.
 */
async function acceptsSearchAttributes(conn: Services, namespace: string): Promise<boolean> {
  const query = searchAttributeNames()
    .map((n) => `${n} = '-'`)
    .join(' OR ');
  try {
    await conn.workflowService.countWorkflowExecutions({ namespace, query });
    return true;
  } catch (err) {
    const code = grpcCode(err);
    if (code === GrpcCode.INVALID_ARGUMENT || code === GrpcCode.NOT_FOUND) return false;
    throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function ensureTemporalSetup(conn: Services, o: SetupOptions): Promise<SetupResult> {
  const result: SetupResult = { namespaceRegistered: false, registered: [] };
  if (!(await namespaceExists(conn, o.namespace))) {
    if (!o.register) throw new TemporalSetupError(`Temporal namespace "${o.namespace}" does not exist; create it: ${namespaceCommand(o)}`);
    try {
      await conn.workflowService.registerNamespace({
        namespace: o.namespace,
        workflowExecutionRetentionPeriod: msToTs(RETENTION_SECONDS * 1000),
        description: 'Lark agent (registered by the webhook or worker at start)',
      });
      result.namespaceRegistered = true;
    } catch (err) {
      // Another replica registered it at the same moment: fine.
      if (grpcCode(err) !== GrpcCode.ALREADY_EXISTS) {
        if (canNotWrite(err))
          throw new TemporalSetupError(`Temporal namespace "${o.namespace}" does not exist and this process may not create it; run: ${namespaceCommand(o)}`);
        throw err;
      }
    }
  }

  // A new namespace needs a moment before the operator API sees it; concurrent replicas may race on the columns.
  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  for (let attempt = 0; ; attempt++) {
    let state: { missing: string[]; wrongType: string[] };
    try {
      state = await searchAttributeState(conn, o.namespace);
    } catch (err) {
      if (grpcCode(err) === GrpcCode.NOT_FOUND && Date.now() < deadline) {
        await sleep(500);
        continue;
      }
      throw err;
    }
    if (state.wrongType.length) {
      throw new TemporalSetupError(
        `Temporal search attributes ${state.wrongType.join(', ')} exist in namespace "${o.namespace}" with a type other than Keyword; remove them (temporal operator search-attribute remove) and run: ${searchAttributeCommand(o, state.wrongType)}`,
      );
    }
    if (!state.missing.length) break;
    if (!o.register) {
      throw new TemporalSetupError(
        `Temporal search attributes missing in namespace "${o.namespace}": ${state.missing.join(', ')}; register them: ${searchAttributeCommand(o, state.missing)}`,
      );
    }
    try {
      await conn.operatorService.addSearchAttributes({
        namespace: o.namespace,
        searchAttributes: Object.fromEntries(state.missing.map((n) => [n, KEYWORD])),
      });
      for (const n of state.missing) if (!result.registered.includes(n)) result.registered.push(n);
    } catch (err) {
      if (canNotWrite(err)) {
        throw new TemporalSetupError(
          `Temporal search attributes missing in namespace "${o.namespace}" and this process may not add them: ${state.missing.join(', ')}; run: ${searchAttributeCommand(o, state.missing)}`,
        );
      }
      if (grpcCode(err) === GrpcCode.INVALID_ARGUMENT) {
        // e.g. no free Keyword column left on SQL visibility: only an operator can decide what to remove.
        throw new TemporalSetupError(
          `Temporal refused to add search attributes ${state.missing.join(', ')} to namespace "${o.namespace}" (${shortMessage(err)}); run: ${searchAttributeCommand(o, state.missing)}`,
        );
      }
      // A race with another replica, or the namespace not yet visible to the operator API: look again.
      if (Date.now() > deadline || attempt > 20) throw err;
      await sleep(300 + Math.random() * 700);
    }
  }

  // What was registered reaches the frontend's namespace cache within its refresh interval.
  while (!(await acceptsSearchAttributes(conn, o.namespace))) {
    if (Date.now() > deadline) {
      throw new TemporalSetupError(
        `Temporal still refuses queries on ${searchAttributeNames().join(', ')} in namespace "${o.namespace}" ${Math.round((o.readyTimeoutMs ?? 30_000) / 1000)} s after they were registered; check them with: temporal operator search-attribute list --namespace ${o.namespace} --address ${o.address}`,
      );
    }
    await sleep(250);
  }
  return result;
}

/** The server's own words, cut short (they name attributes and namespaces, never credentials). */
export function shortMessage(err: unknown): string {
  const e = err as { details?: unknown; message?: unknown; cause?: unknown };
  const inner = e?.cause as { details?: unknown; message?: unknown } | undefined;
  const text = String(inner?.details ?? e?.details ?? inner?.message ?? e?.message ?? err);
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

/**
 * For /webhook/health: throws a short reason when the namespace or a search attribute is missing.
 * A passing answer is reused for `cacheMs`, so a health probe per second costs one RPC per 10 s. When Temporal
 * does not answer, the "temporal" check says so; this one repeats the last thing it knew.
 */
export function searchAttributeHealthCheck(
  conn: Pick<Connection, 'operatorService' | 'withDeadline'>,
  namespace: string,
  cacheMs = 10_000,
): () => Promise<void> {
  let okUntil = 0;
  let lastProblem: string | undefined;
  return async () => {
    if (Date.now() < okUntil) return;
    let state: { missing: string[]; wrongType: string[] };
    try {
      state = await conn.withDeadline(Date.now() + 1500, () => searchAttributeState(conn, namespace));
    } catch (err) {
      const code = grpcCode(err);
      if (code === GrpcCode.NOT_FOUND) throw new HealthProblem((lastProblem = `namespace ${namespace} not found`));
      if (code === GrpcCode.PERMISSION_DENIED || code === GrpcCode.UNAUTHENTICATED)
        throw new HealthProblem((lastProblem = 'not allowed to list search attributes'));
      if (lastProblem) throw new HealthProblem(lastProblem);
      return;
    }
    lastProblem = state.missing.length
      ? `missing: ${state.missing.join(', ')}`
      : state.wrongType.length
        ? `not Keyword: ${state.wrongType.join(', ')}`
        : undefined;
    if (lastProblem) throw new HealthProblem(lastProblem);
    okUntil = Date.now() + cacheMs;
  };
}

/**
 * The start-up step of the webhook and the worker. A permanent problem throws TemporalSetupError (the entry
 * point prints its one line and exits 1). With `retryInBackground` (the webhook, which must start while Temporal
 * is down and answer 503 meanwhile) a server that does not answer is retried every few seconds until it does.
 */
export async function setupTemporalAtStart(
  conn: Services & Pick<Connection, 'withDeadline'>,
  o: SetupOptions & { log: Logger; retryInBackground: boolean },
): Promise<void> {
  const attempt = async (deadlineMs?: number) => {
    const r = deadlineMs ? await conn.withDeadline(Date.now() + deadlineMs, () => ensureTemporalSetup(conn, o)) : await ensureTemporalSetup(conn, o);
    if (r.namespaceRegistered || r.registered.length) {
      o.log.info(
        { namespace: o.namespace, namespaceRegistered: r.namespaceRegistered, searchAttributesRegistered: r.registered },
        'temporal setup: registered what was missing',
      );
    }
  };
  try {
    // The webhook must not stay closed for the client's whole gRPC retry sequence (about 20 s) while Temporal is
    // down: its first look is bounded, the rest happens in the background.
    await attempt(o.retryInBackground ? 3000 : undefined);
  } catch (err) {
    if (err instanceof TemporalSetupError || !o.retryInBackground) throw err;
    o.log.warn({ err: shortMessage(err) }, 'temporal setup: server not answering; checking again in the background');
    const retry = () =>
      setTimeout(() => {
        attempt().then(
          () => o.log.info('temporal setup: namespace and search attributes checked'),
          (e) => {
            if (e instanceof TemporalSetupError) o.log.error({ err: e.message }, 'temporal setup failed');
            else retry();
          },
        );
      }, 5000).unref();
    retry();
  }
}

/**
 * The worker's start-up step (the worker, the local run, the chaos worker) on a short-lived connection of its own:
 * the namespace and search attributes exist, or are registered, before polling; a problem throws.
 */
export async function setupTemporalBeforePolling(o: { address: string; namespace: string; register: boolean; log: Logger }): Promise<void> {
  const { connection } = createTemporalClient(o.address, o.namespace);
  try {
    await setupTemporalAtStart(connection, { ...o, retryInBackground: false });
  } finally {
    await connection.close();
  }
}
