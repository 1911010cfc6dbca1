/**
 * What the reminder tools say on their own: a write that was not done, for the footer's ❌ lines. Pure. (What a
 * reminder says when it fires is the reminder workflow's, in src/i18n/messages.ts.)
 */
export const remindersNotDone = {
  setReminder: (text: string) => ({ vi: `đặt lời nhắc “${text}”`, en: `set the reminder “${text}”` }),
  cancelReminder: { vi: 'huỷ lời nhắc', en: 'cancel the reminder' },
  agendaOn: { vi: 'bật lịch trình hằng ngày', en: 'turn the daily agenda on' },
  agendaOff: { vi: 'tắt lịch trình hằng ngày', en: 'turn the daily agenda off' },
  setTimezone: (zone: string) => ({ vi: `đặt múi giờ ${zone}`, en: `set your time zone to ${zone}` }),
};
