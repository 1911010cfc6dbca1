/**
 * The one status message a slow request gets ("checking your calendar…"), updated as the work goes and
 * resolved when it ends. Pure: workflow code builds it. Names in it come from outside: escaped.
 */
import type { Lang } from '../i18n/language';
import { escapeLarkMdLine } from './lark-md';

export type StatusStage =
  | { kind: 'thinking' }
  | { kind: 'calendar' }
  | { kind: 'availability'; people: string[] }
  | { kind: 'tasks' }
  | { kind: 'people' }
  | { kind: 'writing'; what: 'create_event' | 'update_event' | 'delete_event' | 'create_task' | 'complete_task' }
  | { kind: 'confirm' }
  | { kind: 'done' }
  | { kind: 'failed' }
  | { kind: 'auth' };

const TEXT: Record<Exclude<StatusStage['kind'], 'availability' | 'writing'>, { vi: string; en: string }> = {
  thinking: { vi: 'Đang suy nghĩ…', en: 'Thinking…' },
  calendar: { vi: 'Đang xem lịch của bạn…', en: 'Checking your calendar…' },
  tasks: { vi: 'Đang xem công việc của bạn…', en: 'Checking your tasks…' },
  people: { vi: 'Đang tìm trong danh bạ…', en: 'Looking people up…' },
  confirm: { vi: 'Đang chờ bạn xác nhận…', en: 'Waiting for your confirmation…' },
  done: { vi: 'Xong: câu trả lời ở ngay dưới.', en: 'Done: the answer is right below.' },
  failed: { vi: 'Chưa xong: xem tin nhắn ngay dưới.', en: 'Not finished: see the message right below.' },
  auth: { vi: 'Đang chờ bạn đăng nhập (thẻ đăng nhập trong tin nhắn riêng).', en: 'Waiting for you to sign in (the card is in your direct messages).' },
};

const WRITING: Record<Extract<StatusStage, { kind: 'writing' }>['what'], { vi: string; en: string }> = {
  create_event: { vi: 'Đang tạo sự kiện…', en: 'Creating the event…' },
  update_event: { vi: 'Đang cập nhật sự kiện…', en: 'Updating the event…' },
  delete_event: { vi: 'Đang xoá sự kiện…', en: 'Deleting the event…' },
  create_task: { vi: 'Đang tạo công việc…', en: 'Creating the task…' },
  complete_task: { vi: 'Đang đánh dấu hoàn thành…', en: 'Marking the task as done…' },
};

export function statusText(stage: StatusStage, lang: Lang): string {
  switch (stage.kind) {
    case 'availability': {
      const who = stage.people.map((p) => escapeLarkMdLine(p, 40)).join(', ');
      return lang === 'vi' ? `Đang hỏi lịch rảnh của ${who}…` : `Asking ${who}'s availability…`;
    }
    case 'writing':
      return WRITING[stage.what][lang];
    default:
      return TEXT[stage.kind][lang];
  }
}

export function statusCard(stage: StatusStage, lang: Lang): Record<string, unknown> {
  const final = stage.kind === 'done' || stage.kind === 'failed';
  const icon = stage.kind === 'done' ? '✅' : stage.kind === 'failed' ? '⚠️' : '⏳';
  return {
    config: { wide_screen_mode: true, update_multi: true },
    elements: [
      { tag: 'div', text: { tag: 'lark_md', content: `${icon} ${statusText(stage, lang)}` } },
      ...(final ? [] : [{ tag: 'note', elements: [{ tag: 'plain_text', content: lang === 'vi' ? 'Trợ lý đang làm việc' : 'The assistant is working' }] }]),
    ],
  };
}

/** Tells a status card from an answer or a confirmation (for tests and the sandbox). */
export function isStatusCard(content: string): boolean {
  return content.includes('Trợ lý đang làm việc') || content.includes('The assistant is working') || /"content":"(✅|⚠️) (Xong: câu trả lời|Done: the answer|Chưa xong: xem|Not finished: see)/.test(content);
}
