/**
 * The find-a-time card: find_time's slots, one button each, offered in the chat; the click is the confirmation.
 * The picked slot is re-checked against everyone's free/busy (and its room), then booked as the user with the
 * attendees (and the room), or the card says it was just taken and offers the rest. What the model reads back
 * says exactly what happened. Deterministic workflow code; the card's words are src/tools/calendar/wording.ts.
 */
import type { FindTimeResult, ToolOutcome } from '../src/agent/tool-io';
import { escapeLarkMdLine } from '../src/cards/lark-md';
import { slotCard, slotResolvedCard } from '../src/cards/slot-card';
import { formatWhen } from '../src/i18n/dates';
import { t, type Lang } from '../src/i18n/language';
import { messages, roomWords } from '../src/i18n/messages';
import type { UserMessage } from '../src/lark/event-types';
import type { ToolCall } from '../src/tools';
import { findTimeText } from '../src/tools/calendar/wording';
import { checkSlot, lark, runTool } from './activity-proxies';
import type { RequestEnv, RequestProgress } from './request';

/** The slots a find_time call found, to offer on the card (undefined: none, or not a find_time that succeeded). */
export function slotsToOffer(call: ToolCall, out: ToolOutcome): FindTimeResult | undefined {
  if (call.name !== 'find_time' || out.isError) return undefined;
  const found = parseFindTime(out.content);
  return found?.slots.length ? found : undefined;
}

const safeJson = (s: string): unknown => {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
};

function parseFindTime(content: string): FindTimeResult | undefined {
  try {
    const v = JSON.parse(content) as FindTimeResult;
    return Array.isArray(v.slots) && Array.isArray(v.attendees) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The find-a-time card: one button per slot; the click is the confirmation. The slot is re-checked against
 * everyone's free/busy, then booked with the attendees, or the card says it was just taken and offers the
 * rest. What the model reads back says exactly what happened.
 */
export async function offerSlots(
  msg: UserMessage,
  toolUseId: string,
  progress: RequestProgress,
  env: RequestEnv,
  lang: Lang,
  found: FindTimeResult,
): Promise<{ content: string; superseded?: true }> {
  const tz = env.timezone;
  const effects = (progress.effects ??= []);
  const people = found.attendees.map((a) => a.name);
  const attendeeOpenIds = found.attendees.map((a) => a.open_id);
  let remaining = found.slots.map((slot, index) => ({ ...slot, index }));
  let cardMessageId: string | undefined;
  let notice: string | undefined;
  // A slot with a room names it (Lark's room names are others' text: escaped, short).
  const label = (x: { startMs: number; endMs: number; room?: { name: string } }) =>
    x.room
      ? t(lang, findTimeText.withRoom(formatWhen(x.startMs, x.endMs, tz, lang), escapeLarkMdLine(x.room.name, 60)))
      : formatWhen(x.startMs, x.endMs, tz, lang);
  const close = (text: string) =>
    cardMessageId ? lark.updateCard({ messageId: cardMessageId, card: slotResolvedCard(lang, text) }).catch(() => undefined) : undefined;
  for (let round = 0; ; round++) {
    env.status.set({ kind: 'confirm' });
    const key = `${msg.messageId}:${toolUseId}:${round}`;
    const options = remaining.map((x) => ({ index: x.index, label: label(x) }));
    const asked = await env.ask(msg, key, slotCard(key, msg.openId, lang, people, options, notice), cardMessageId);
    cardMessageId = asked.cardMessageId;
    const slot = remaining.find((x) => String(x.index) === asked.choice);
    if (!slot) {
      const why = asked.choice === 'none' ? 'none' : asked.choice === 'superseded' ? 'superseded' : 'expired';
      await close(t(lang, why === 'none' ? findTimeText.choseNone : why === 'superseded' ? messages.superseded : findTimeText.expired));
      const content = JSON.stringify({
        outcome: why,
        note:
          why === 'none'
            ? 'The user chose none of the proposed times on the card: nothing was booked. Ask what would work instead.'
            : why === 'superseded'
              ? 'The user sent a new message instead of picking a time: nothing was booked.'
              : 'The user did not pick a time in time: nothing was booked.',
      });
      // Not booked, said in the footer like any write that did not happen (never a bare "Done.").
      if (why !== 'none') {
        const what = t(lang, people.length ? findTimeText.meetingWith(people.join(', ')) : findTimeText.meeting);
        // find_time: the footer says "before picking a time", not "before confirming" (there was nothing to confirm).
        effects.push({ outcome: 'not_done', tool: 'find_time', what, why });
      }
      return why === 'superseded' ? { content, superseded: true } : { content };
    }
    env.status.set(people.length ? { kind: 'availability', people } : { kind: 'calendar' });
    const check = await checkSlot({
      openId: msg.openId,
      attendeeOpenIds,
      startMs: slot.startMs,
      endMs: slot.endMs,
      timezone: tz,
      ...(slot.room ? { roomId: slot.room.room_id, roomName: slot.room.name } : {}),
    });
    if (!check.free) {
      remaining = remaining.filter((x) => x !== slot);
      const who = [...new Set(check.conflicts.map((c) => escapeLarkMdLine(c.who, 60)))].join(', ');
      const busyPeople = check.conflicts.some((c) => !c.room);
      notice =
        slot.room && !busyPeople
          ? t(lang, findTimeText.roomTaken(formatWhen(slot.startMs, slot.endMs, tz, lang), escapeLarkMdLine(slot.room.name, 60)))
          : t(lang, findTimeText.taken(label(slot), who));
      if (!remaining.length) {
        await close(`${notice}\n${t(lang, findTimeText.noneLeft)}`);
        return {
          content: JSON.stringify({
            outcome: 'taken',
            note: `Every proposed time was taken before the user could book it (last: ${slot.start}, busy: ${who}). Nothing was booked. Offer to search again.`,
          }),
        };
      }
      continue;
    }
    const title = found.summary ?? t(lang, people.length ? findTimeText.meetingWith(people.join(', ')) : findTimeText.meeting);
    env.status.set({ kind: 'writing', what: 'create_event' });
    const what = t(lang, findTimeText.book(title, label(slot)));
    let booked;
    try {
      booked = await runTool('calendar: book a slot')({
        openId: msg.openId,
        sourceMessageId: msg.messageId,
        toolUseId: `${toolUseId}-book-${slot.index}`,
        name: 'create_event',
        input: {
          summary: title,
          start: slot.start.replace(' ', 'T'),
          end: slot.end.replace(' ', 'T'),
          attendees: attendeeOpenIds,
          ...(slot.room ? { room: slot.room.room_id } : {}),
        },
        timezone: tz,
        nowMs: Date.now(),
      });
    } catch (err) {
      effects.push({ outcome: 'not_done', tool: 'create_event', what, why: 'failed' });
      await close(t(lang, findTimeText.unavailable(label(slot))));
      throw err;
    }
    if (booked.isError || !booked.effect) {
      effects.push({ outcome: 'not_done', tool: 'create_event', what, why: 'refused' });
      await close(t(lang, findTimeText.failed(label(slot))));
      return {
        content: JSON.stringify({
          outcome: 'failed',
          slot: { start: slot.start, end: slot.end },
          note: `The user picked this time, but booking it failed: ${booked.content}. Nothing was booked.`,
        }),
      };
    }
    effects.push({ outcome: 'done', effect: booked.effect });
    // What the room answered, said on the card too: only an accepted room is booked.
    const roomSaid =
      booked.effect.room && booked.effect.room.status !== 'accepted'
        ? t(lang, roomWords[booked.effect.room.status](`“${escapeLarkMdLine(booked.effect.room.name, 60)}”`)).replace(/^; /, '\n')
        : '';
    await close(t(lang, findTimeText.booked(label(slot))) + roomSaid);
    return {
      content: JSON.stringify({
        outcome: 'booked',
        slot: { start: slot.start, end: slot.end },
        booked: safeJson(booked.content),
        note: booked.effect.room
          ? `The user picked this time on the card and the event is created. Its room answered: ${booked.effect.room.status} (only "accepted" means the room is booked). Tell the user with whom, when, and what the room answered.`
          : 'The user picked this time on the card and it is booked now. Tell the user it is booked (with whom and when).',
      }),
    };
  }
}
