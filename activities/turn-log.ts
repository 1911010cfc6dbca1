/**
 * Conversation log to Lark Base (the seed notes): one row per turn, when LARK_BASE_APP_TOKEN and
 * LARK_BASE_TABLE_ID are set. Called after the reply went out; failures are logged and swallowed by the
 * workflow, so logging never delays or fails a reply.
 */
import { stableUuid, type LarkClient } from '../src/lark/client';
import { toLarkFailure } from '../src/lark/errors';

export interface TurnRecord {
  atMs: number;
  openId: string;
  chatId: string;
  messageId: string;
  question: string;
  answer: string;
  toolsUsed: string[];
  usage: { input: number; output: number; cacheRead: number; cacheCreation: number };
}

export interface TurnLogDeps {
  client?: LarkClient;
  base?: { appToken: string; tableId: string; auditTableId?: string };
}

/** One audit row: a change the agent made for a user, or the undo of one (who, what, when, before and after). */
export interface AuditRecord {
  atMs: number;
  openId: string;
  /** The user message the change belongs to (also the undo key). */
  messageId: string;
  /** Position of the change within the request: with messageId and `undo`, the idempotency key. */
  index: number;
  undo: boolean;
  action: string;
  objectId: string;
  title?: string;
  before?: unknown;
  after?: unknown;
}

export function createTurnLogActivities({ client, base }: TurnLogDeps) {
  return {
    async logTurn(turn: TurnRecord): Promise<{ logged: boolean }> {
      if (!client || !base) return { logged: false };
      try {
        await client.batchCreateRecords(
          base.appToken,
          base.tableId,
          [
            {
              Time: turn.atMs, // Base date fields take milliseconds
              User: turn.openId,
              Chat: turn.chatId,
              Message: turn.messageId,
              Question: turn.question.slice(0, 5000),
              Answer: turn.answer.slice(0, 5000),
              Tools: turn.toolsUsed.join(', '),
              'Input tokens': turn.usage.input,
              'Output tokens': turn.usage.output,
              'Cache read tokens': turn.usage.cacheRead,
              'Cache write tokens': turn.usage.cacheCreation,
            },
          ],
          stableUuid('turn-log', turn.messageId),
        );
        return { logged: true };
      } catch (err) {
        throw toLarkFailure(err);
      }
    },

    /** Audit rows for changes and undos (LARK_BASE_AUDIT_TABLE_ID); best effort, after the reply or the undo. */
    async logAudit(rows: AuditRecord[]): Promise<{ logged: number }> {
      if (!client || !base?.auditTableId || rows.length === 0) return { logged: 0 };
      const first = rows[0]!;
      try {
        await client.batchCreateRecords(
          base.appToken,
          base.auditTableId,
          rows.map((r) => ({
            Time: r.atMs,
            User: r.openId,
            Message: r.messageId,
            Action: r.undo ? `undo: ${r.action}` : r.action,
            Object: r.objectId,
            Title: (r.title ?? '').slice(0, 500),
            Before: r.before === undefined ? '' : JSON.stringify(r.before).slice(0, 5000),
            After: r.after === undefined ? '' : JSON.stringify(r.after).slice(0, 5000),
          })),
          stableUuid('audit', first.messageId, first.undo ? 'undo' : 'change'),
        );
        return { logged: rows.length };
      } catch (err) {
        throw toLarkFailure(err);
      }
    },
  };
}

export type TurnLogActivities = ReturnType<typeof createTurnLogActivities>;
