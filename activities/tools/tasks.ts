/** The tasks family's activities: list, create (for the user or assigned to someone), complete, as the user. */
import { asUser, stableUuid, type LarkClient } from '../../src/lark/client';
import { formatWall, fromTaskMillis, toTaskMillis } from '../../src/lark/time';
import type { TaskInputs } from '../../src/tools/tasks/spec';
import { WithEffect } from '../tool-results';
import type { ResolvePeople } from './people';
import { DAY, refusePast, SHOWN_ITEMS, wallMs, type Handlers } from './shared';

export function createTaskTools({ client, resolvePeople }: { client: LarkClient; resolvePeople: ResolvePeople }): { handlers: Handlers<TaskInputs> } {
  const handlers: Handlers<TaskInputs> = {
    async list_tasks(input, ctx) {
      const all = await client.listAllTasks(ctx.openId, { completed: input.completed ?? false });
      return {
        total: all.items.length,
        truncated: all.truncated || all.items.length > SHOWN_ITEMS,
        tasks: all.items.slice(0, SHOWN_ITEMS).map((t) => ({
          task_id: t.guid,
          summary: t.summary,
          ...(t.due?.timestamp ? { due: formatWall(fromTaskMillis(t.due.timestamp), ctx.timezone) } : {}),
          completed: Boolean(t.completed_at && t.completed_at !== '0'),
        })),
      };
    },

    async create_task(input, ctx) {
      const due = input.due ? wallMs(input.due, ctx.timezone, 'due') : undefined;
      // A date alone is due by the end of that day, so "today" is never in the past.
      if (due !== undefined && input.due) refusePast(/T/.test(input.due) ? due : due + DAY - 1, ctx, `the task "${input.summary}" would be due`);
      const [assignee] = input.assignee ? await resolvePeople(ctx.openId, [input.assignee]) : [{ query: 'me', openId: ctx.openId, name: undefined }];
      const task = await client.createTask(
        {
          summary: input.summary,
          ...(due !== undefined ? { dueMs: toTaskMillis(due) } : {}),
          assigneeOpenIds: [assignee!.openId],
          clientToken: stableUuid('task', ctx.sourceMessageId, ctx.toolUseId),
        },
        { as: asUser(ctx.openId) },
      );
      return new WithEffect(
        {
          created: {
            task_id: task.guid,
            summary: task.summary,
            ...(task.due?.timestamp ? { due: formatWall(fromTaskMillis(task.due.timestamp), ctx.timezone) } : {}),
          },
          assignee: assignee!.name ?? (input.assignee ? input.assignee : 'the user'),
        },
        {
          action: 'created',
          kind: 'task',
          id: task.guid,
          title: task.summary ?? input.summary,
          ...(task.due?.timestamp ? { dueMs: fromTaskMillis(task.due.timestamp).getTime() } : {}),
          ...(input.assignee ? { people: [assignee!.name ?? input.assignee] } : {}),
          undo: { op: 'delete_task', taskGuid: task.guid },
        },
      );
    },

    async complete_task(input, ctx) {
      // The workflow's time: a retry writes the same completed_at.
      const completedAt = toTaskMillis(ctx.nowMs);
      const done = await client.completeTask(input.task_id, completedAt, { as: asUser(ctx.openId) });
      const title = (done as { summary?: string } | undefined)?.summary;
      return new WithEffect(
        { completed: input.task_id, ...(title ? { summary: title } : {}) },
        { action: 'completed', kind: 'task', id: input.task_id, ...(title ? { title } : {}), undo: { op: 'uncomplete_task', taskGuid: input.task_id } },
      );
    },
  };
  return { handlers };
}
