/**
 * Messages that accompany an answer without being one: the status card of a slow request and the Undo card
 * after a change. Counting "one answer per message" (tests, chaos, cluster, bench) goes through this one check.
 */
import { isStatusCard } from './status-card';
import { isUndoCard } from './undo-card';

export function isSideCard(m: { msg_type: string; content: string }): boolean {
  return m.msg_type === 'interactive' && (isStatusCard(m.content) || isUndoCard(m.content));
}
