/** A test-only workflow: runs one Lark activity with its production options (retry policy included). */
import { proxyLarkActivities } from '../../workflows/activity-policies';

export async function runLarkActivity(name: string, input: unknown): Promise<unknown> {
  const activities = proxyLarkActivities() as unknown as Record<string, (i: unknown) => Promise<unknown>>;
  return activities[name]!(input);
}
