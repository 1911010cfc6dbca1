/** Sends the Temporal SDK's own logs through our structured logger (once per process). */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

let installed = false;

export function installTemporalLogger(log: Logger, level: LogLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const fields = { ...(entry.meta ?? {}), sdk: true };
      const msg = entry.message;
      if (entry.level === 'ERROR') log.error(fields, msg);
      else if (entry.level === 'WARN') log.warn(fields, msg);
      else log.debug(fields, msg);
    }),
  });
}
