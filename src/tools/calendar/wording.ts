/** What the calendar tools say on their own, in Vietnamese and English: the ❌ lines and the find-a-time card. Pure. */
import { invitationWords } from '../../i18n/messages';

/** A calendar write that was not done, for the footer's ❌ lines ("Not done: create event “Sync” (…)"). */
export const calendarNotDone = {
  createEvent: (title: string, when: string) => ({ vi: `tạo sự kiện “${title}” (${when})`, en: `create event “${title}” (${when})` }),
  updateEvent: { vi: 'thay đổi sự kiện', en: 'change the event' },
  deleteEvent: { vi: 'xoá sự kiện', en: 'delete the event' },
  replyInvitation: (rsvp: 'accept' | 'decline' | 'tentative') => invitationWords.notDone[rsvp],
};

/** The find-a-time card's outcomes (workflows/slot-offer.ts: the resolved card's text) and the booked meeting's title. */
export const findTimeText = {
  choseNone: { vi: 'Bạn đã chọn: không giờ nào. Chưa đặt lịch.', en: 'You chose none of these: nothing was booked.' },
  expired: { vi: 'Hết hạn: chưa đặt lịch.', en: 'Expired: nothing was booked.' },
  taken: (when: string, who: string) => ({ vi: `⚠️ ${when} vừa có người bận (${who}).`, en: `⚠️ ${when} was just taken (${who} is busy).` }),
  /** The slot's room was booked by someone else since the proposal. */
  roomTaken: (when: string, room: string) => ({
    vi: `⚠️ ${when}: phòng ${room} vừa có người đặt.`,
    en: `⚠️ ${when}: the room ${room} was just booked by someone else.`,
  }),
  /** A slot's label with its room: "Thu 3 Dec, 14:00–14:30 · Lotus". */
  withRoom: (when: string, room: string) => ({ vi: `${when} · phòng ${room}`, en: `${when} · ${room}` }),
  noneLeft: { vi: 'Không còn giờ nào trong số đã đề xuất. Chưa đặt lịch.', en: 'None of the proposed times is free any more: nothing was booked.' },
  meetingWith: (people: string) => ({ vi: `Họp với ${people}`, en: `Meeting with ${people}` }),
  meeting: { vi: 'Cuộc họp', en: 'Meeting' },
  /** The footer's ❌ line when booking fails. */
  book: (title: string, when: string) => ({ vi: `đặt lịch “${title}” (${when})`, en: `book “${title}” (${when})` }),
  unavailable: (when: string) => ({ vi: `Chưa đặt được ${when}: Lark đang gặp sự cố.`, en: `Could not book ${when}: Lark is having trouble.` }),
  failed: (when: string) => ({ vi: `Chưa đặt được ${when}.`, en: `Could not book ${when}.` }),
  booked: (when: string) => ({ vi: `✅ Đã đặt ${when}.`, en: `✅ Booked ${when}.` }),
};
