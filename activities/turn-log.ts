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
  base?: { appToken: string; tableId: string };
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
  };
}

export type TurnLogActivities = ReturnType<typeof createTurnLogActivities>;
