/**
 * Sends the Temporal SDK's own logs through our structured logger (once per process) and, when asked,
 * exposes the SDK's metrics (task latencies, slots, polls) in Prometheus format on their own address.
 * Runtime.install may run only once per process, before any NativeConnection: both belong here.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

let installed = false;

export interface TemporalRuntimeOptions {
  /** host:port for the SDK's Prometheus exporter (TEMPORAL_METRICS_PORT), e.g. 127.0.0.1:9464. */
  prometheusBindAddress?: string;
}

export function installTemporalLogger(log: Logger, level: LogLevel = 'WARN', opts: TemporalRuntimeOptions = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    ...(opts.prometheusBindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: opts.prometheusBindAddress } } } } : {}),
    logger: new DefaultLogger(level, (entry) => {
      const fields = { ...(entry.meta ?? {}), sdk: true };
      const msg = entry.message;
      if (entry.level === 'ERROR') log.error(fields, msg);
      else if (entry.level === 'WARN') log.warn(fields, msg);
      else log.debug(fields, msg);
    }),
  });
}

/** TEMPORAL_METRICS_PORT (bound on HOST) as runtime options; no exporter when unset. */
export function temporalRuntimeOptions(config: { host: string; metrics: { temporalPort?: number } }): TemporalRuntimeOptions {
  return config.metrics.temporalPort ? { prometheusBindAddress: `${config.host}:${config.metrics.temporalPort}` } : {};
}
