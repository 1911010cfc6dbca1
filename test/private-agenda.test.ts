/**
 * Private by default: the daily agenda lists a user's whole day, so it goes to their DM even when asked for in a
 * group; only an explicit "in this group" posts it there, and then private events show only as busy.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createReminderActivities } from '../activities/reminders';
import { asUser } from '../src/lark/client';
import { startStack, type Stack } from './support/stack';

const TZ = 'Asia/Ho_Chi_Minh';
let s: Stack;
before(async () => {
  s = await startStack();
  await s.authorize('minh');
});
after(async () => s?.stop());

const answered = (id: string) => s.waitFor('answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'), 30_000);

test('an agenda asked for in a group goes to the DM; "in this group" puts it in the group', async () => {
  const minh = s.emu.user('minh');
  await answered(await s.say('minh', 'send me my agenda every morning at 8', { chatType: 'group', mentionBot: true }));
  let rows = await s.services.reminders.listActive(minh.open_id, 'agenda');
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.chatId, minh.open_id, 'to the DM (by open_id), not the group');

  await answered(await s.say('minh', 'send me my agenda every morning at 8 in this group', { chatType: 'group', mentionBot: true }));
  rows = await s.services.reminders.listActive(minh.open_id, 'agenda');
  assert.equal(rows.length, 1, 'one agenda (the new one replaced the old)');
  assert.equal(rows[0]!.chatId, s.emu.groupChat.chat_id, 'asked for here: the group');
});

test('outside the DM a private event shows as busy; in the DM it shows its title', async () => {
  const minh = s.emu.user('minh');
  const as = { as: asUser(minh.open_id) };
  const calendarId = (await s.services.lark.primaryCalendar(as)).calendar_id;
  const now = Date.now();
  const sec = (ms: number) => String(Math.floor(ms / 1000));
  await s.services.lark.createEvent(
    calendarId,
    {
      summary: 'Doctor appointment',
      visibility: 'private',
      start: { timestampSec: sec(now + 60_000), timezone: TZ },
      end: { timestampSec: sec(now + 1_800_000), timezone: TZ },
    } as never,
    randomBytes(8).toString('hex'),
    as,
  );
  const fire = createReminderActivities({ store: s.services.reminders, lark: s.services.lark, tokens: s.services.tokens }).fireReminder;
  const base = { openId: minh.open_id, kind: 'agenda' as const, text: 'agenda', lang: 'en' as const, timezone: TZ, occurrenceMs: now };
  const inGroup = await fire({ ...base, reminderId: `ag-${randomBytes(4).toString('hex')}`, chatId: s.emu.groupChat.chat_id });
  const inDm = await fire({ ...base, reminderId: `ag-${randomBytes(4).toString('hex')}`, chatId: minh.open_id });
  const content = (r: typeof inGroup) => s.emu.state.messages.get((r as { messageId: string }).messageId)!.content;
  assert.match(content(inGroup), /Busy \(private event\)/);
  assert.doesNotMatch(content(inGroup), /Doctor/);
  assert.match(content(inDm), /Doctor appointment/);
});
