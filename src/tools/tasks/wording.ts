/** What the task tools say on their own: a task write that was not done, for the footer's ❌ lines. Pure. */
export const tasksNotDone = {
  createTask: (title: string) => ({ vi: `tạo công việc “${title}”`, en: `create task “${title}”` }),
  completeTask: { vi: 'đánh dấu hoàn thành công việc', en: 'mark the task as done' },
};
