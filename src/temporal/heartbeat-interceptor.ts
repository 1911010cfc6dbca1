/**
 * Heartbeats every running activity that has a heartbeatTimeout, from one place: if this worker dies
 * (kill -9), the server notices within the heartbeat timeout and another worker retries the activity,
 * instead of waiting out its startToCloseTimeout. The SDK throttles the actual RPCs.
 */
import { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';

export class HeartbeatInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const ctx = Context.current();
    const timeout = ctx.info.heartbeatTimeoutMs;
    if (!timeout) return next(input);
    ctx.heartbeat();
    const beat = setInterval(() => ctx.heartbeat(), Math.max(200, Math.min(1000, timeout / 3)));
    try {
      return await next(input);
    } finally {
      clearInterval(beat);
    }
  }
}
