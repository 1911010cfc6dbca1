/**
 * The tasks family: list, create (for the user or someone else), complete. What the model reads of each tool,
 * the checks beyond its schema, when the user confirms it first and what the card and the footer then say.
 * Pure: workflow code imports it. Executing them is activities/tools/tasks.ts.
 */
import { parseLocal } from '../../agent/time';
import { t } from '../../i18n/language';
import { LOCAL_TIME_HINT, object, text, type FamilyTools } from '../spec';
import { when } from '../when';
import { tasksNotDone } from './wording';

export interface TaskInputs {
  list_tasks: { completed?: boolean };
  create_task: { summary: string; due?: string; assignee?: string };
  complete_task: { task_id: string };
}

export const TASK_TOOLS: FamilyTools<TaskInputs> = {
  list_tasks: {
    description: "List the user's tasks: open ones by default, completed ones when completed is true.",
    input_schema: object({ completed: { type: 'boolean', description: 'true: completed tasks; false or omitted: open tasks' } }),
    summary: 'tasks: list',
    writes: false,
    stage: () => ({ kind: 'tasks' }),
    readsOthersContent: true,
  },
  create_task: {
    description: 'Create a task for the user, or assigned to another person (asks the user to confirm first).',
    input_schema: object(
      {
        summary: text("What to do, in the user's language"),
        due: { type: 'string', description: `Due date "YYYY-MM-DD" or due time as ${LOCAL_TIME_HINT}` },
        assignee: text('A name or email; omit for the user', 100),
      },
      ['summary'],
    ),
    summary: 'tasks: create task',
    writes: true,
    check: (input) =>
      typeof input.due === 'string' && !parseLocal(input.due) ? [`due must be a date "YYYY-MM-DD" or ${LOCAL_TIME_HINT} (got "${input.due}")`] : [],
    /** Assigned to someone else: they see it. */
    confirm: (input) => input.assignee !== undefined,
    stage: () => ({ kind: 'writing', what: 'create_task' }),
    asks: /\b(?:add|create|new|make)\b|thêm|tạo/iu,
    notDone: (input, _, lang) => t(lang, tasksNotDone.createTask(input.summary)),
    confirmDetails: (input, { tz, lang }) => ({
      lang,
      action: 'create_task',
      title: input.summary,
      when: when(input.due, undefined, tz, lang),
      people: input.assignee ? [input.assignee] : [],
    }),
  },
  complete_task: {
    description: 'Mark a task done (task_id from list_tasks).',
    input_schema: object({ task_id: text('The task id', 200) }, ['task_id']),
    summary: 'tasks: complete task',
    writes: true,
    stage: () => ({ kind: 'writing', what: 'complete_task' }),
    asks: /\b(?:done|complete|finish|tick|mark|close)\b|xong|hoàn thành|đánh dấu/iu,
    notDone: (_, __, lang) => t(lang, tasksNotDone.completeTask),
  },
};
