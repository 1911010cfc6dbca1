/**
 * Confirm / Cancel cards for outward-facing or destructive actions, in the user's language, saying what
 * will happen in words the user recognises. Pure: workflow code builds them. All model- or user-supplied
 * text is escaped before it goes into lark_md.
 */
import { t, type Lang } from '../i18n/language';
import { confirmCardText as T } from '../i18n/messages';
import { escapeLarkMdLine } from './lark-md';

export interface ConfirmValue {
  kind: 'confirm';
  key: string;
  decision: 'confirm' | 'cancel';
  /** open_id of the user whose request this is: only they can answer it. */
  owner: string;
  /** The card's language, so the click's toast speaks it too. */
  lang: Lang;
}

/** What the card asks about, already in the user's words (dates formatted, names resolved where known). */
export interface ConfirmDetails {
  lang: Lang;
  /** 'other': any other write, described by `summary` (the ❌ line's words for it). */
  action: 'delete_event' | 'update_event' | 'create_event' | 'create_task' | 'reply_invitation' | 'other';
  /** For 'reply_invitation': the answer the organizer will see. */
  rsvp?: 'accept' | 'decline' | 'tentative';
  /** For 'reply_invitation': who organizes the event (they see the answer). */
  organizer?: string;
  /** For 'other': what will be done, in the user's words. */
  summary?: string;
  /** The user's message did not ask for this: it was proposed after reading content other people wrote. */
  unasked?: boolean;
  /** The event or task title. */
  title?: string;
  /** When it is (or will be), e.g. "Thu 3 Dec, 15:00–16:00". */
  when?: string;
  /** For a change: the new time and/or title. */
  newWhen?: string;
  newTitle?: string;
  /** People who attend, are invited, or are assigned. */
  people?: string[];
  /** For 'create_event' with a room: its name and place as Lark lists them (escaped here). */
  room?: string;
  /** Shown when nothing better is known (e.g. the event could not be read). */
  fallbackId?: string;
}

export type ConfirmOutcome = 'confirm' | 'cancel' | 'expired' | 'superseded';

/** The question, as escaped lark_md; an unasked change says so first. */
export function confirmQuestion(d: ConfirmDetails): string {
  const q = question(d);
  return d.unasked ? `${t(d.lang, T.unasked)}\n${q}` : q;
}

function question(d: ConfirmDetails): string {
  const say = (text: { vi: string; en: string }) => t(d.lang, text);
  const title = d.title ? `**${escapeLarkMdLine(d.title)}**` : d.fallbackId ? escapeLarkMdLine(d.fallbackId) : say(T.thisEvent);
  // `when` is our own formatting of a time (formatWhen), not outside text.
  const when = d.when ? ` (${d.when})` : '';
  const people = d.people?.length ? d.people.map((p) => escapeLarkMdLine(p, 80)).join(', ') : '';
  switch (d.action) {
    case 'delete_event':
      return say(T.deleteEvent(title, when)) + (people ? `\n${say(T.attendeesNotified)}: ${people}` : '');
    case 'update_event': {
      const changes = [d.newTitle ? say(T.rename(escapeLarkMdLine(d.newTitle))) : '', d.newWhen ? say(T.moveTo(d.newWhen)) : ''].filter(Boolean);
      return (
        say(T.changeEvent(title, when)) + (changes.length ? `: ${changes.join(say(T.and))}?` : '?') + (people ? `\n${say(T.otherAttendees)}: ${people}` : '')
      );
    }
    case 'create_event':
      if (d.room) return say(T.createEventRoom(title, when, people, `**${escapeLarkMdLine(d.room, 120)}**`));
      return say(T.createEvent(title, when, people));
    case 'create_task':
      return people ? say(T.assignTask(title, when, people)) : say(T.createTask(title, when));
    case 'reply_invitation': {
      const organizer = d.organizer ? `: ${escapeLarkMdLine(d.organizer, 80)}` : '';
      return say(T.replyInvitation[d.rsvp ?? 'accept'](title, when)) + `\n${say(T.organizerSees)}${organizer}`;
    }
    case 'other':
      return say(T.other(escapeLarkMdLine(d.summary ?? '?', 200)));
  }
}

export function confirmCard(key: string, owner: string, d: ConfirmDetails): Record<string, unknown> {
  const button = (decision: ConfirmValue['decision'], label: string, type: string) => ({
    tag: 'button',
    type,
    text: { tag: 'plain_text', content: label },
    value: { kind: 'confirm', key, decision, owner, lang: d.lang } satisfies ConfirmValue,
  });
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'orange', title: { tag: 'plain_text', content: t(d.lang, T.header) } },
    elements: [
      { tag: 'div', text: { tag: 'lark_md', content: confirmQuestion(d) } },
      { tag: 'action', actions: [button('confirm', t(d.lang, T.confirm), 'primary'), button('cancel', t(d.lang, T.cancel), 'default')] },
    ],
  };
}

export function resolvedCard(d: ConfirmDetails, outcome: ConfirmOutcome): Record<string, unknown> {
  const label = t(d.lang, T.resolved[outcome]);
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: outcome === 'confirm' ? 'green' : 'grey', title: { tag: 'plain_text', content: label } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: confirmQuestion(d) } }],
  };
}
