/**
 * Every word true, without a server: what a card, a toast or a footer line says after something happened
 * must be what happened (issue 22, item 10). The end-to-end halves are in honesty.test.ts and reminders*.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@temporalio/client';
import { undoneCard } from '../src/cards/undo-card';
import { SANDBOX_HTML } from '../dev/emulator/sandbox-page';
import { describeEffect, type ToolEffect } from '../src/i18n/messages';
import type { LarkCardActionEvent } from '../src/lark/event-types';
import { zonedToEpochMs } from '../src/lark/time';
import { signalCardAction } from '../src/temporal/card-actions';

const TZ = 'Asia/Ho_Chi_Minh';
const header = (card: Record<string, unknown>) => (card.header as { title: { content: string } }).title.content;
const body = (card: Record<string, unknown>) => JSON.stringify(card.elements);

test('10c: an Undo that restored nothing says nothing was undone, and why; partly and fully undone say so', () => {
  const created: ToolEffect = { action: 'created', kind: 'event', id: 'e1', title: 'Budget', undo: { op: 'delete_event', eventId: 'e1' } };
  const task: ToolEffect = { action: 'created', kind: 'task', id: 't1', title: 'Report', undo: { op: 'delete_task', taskGuid: 't1' } };
  const none = undoneCard('en', [{ change: created, ok: false, why: 'refused' }]);
  assert.equal(header(none), 'Nothing was undone');
  assert.match(body(none), /Could not restore: Created event “Budget” \(Lark refused\)/);
  const noneVi = undoneCard('vi', [
    { change: created, ok: false, why: 'not_signed_in' },
    { change: task, ok: false, why: 'unavailable' },
  ]);
  assert.equal(header(noneVi), 'Chưa hoàn tác được gì');
  assert.match(body(noneVi), /cần đăng nhập lại/);
  assert.equal(
    header(
      undoneCard('en', [
        { change: created, ok: true },
        { change: task, ok: false, why: 'gone' },
      ]),
    ),
    'Partly undone',
  );
  assert.equal(header(undoneCard('en', [{ change: created, ok: true }])), 'Undone');
});

test("an undone deletion names what became of the meeting's reminders: set again, not (and why), never silently", () => {
  const reminders = [
    { action: 'cancelled' as const, id: 'r1', text: 'Prepare slides' },
    { action: 'cancelled' as const, id: 'r2', text: 'Book the car' },
  ];
  const deleted: ToolEffect = {
    action: 'deleted',
    kind: 'event',
    id: 'e1',
    title: 'Offsite',
    reminders,
    undo: { op: 'recreate_event', startSec: '1', endSec: '2', attendeeOpenIds: [], reminderIds: ['r1', 'r2'] },
  };
  const both = body(
    undoneCard('en', [
      { change: deleted, ok: true, reminders: { restored: [{ text: 'Prepare slides' }], notRestored: [{ text: 'Book the car', why: 'passed' }] } },
    ]),
  );
  assert.match(
    both,
    /Recreated the event “Offsite”; its reminder “Prepare slides” is set again; its reminder “Book the car” was not set again \(its time has passed\)/,
  );
  // An undo that reported nothing on the reminders (a plan from before they were carried): each is said not set again.
  const silent = body(undoneCard('vi', [{ change: deleted, ok: true }]));
  assert.match(
    silent,
    /Đã tạo lại sự kiện “Offsite”; lời nhắc “Prepare slides” không được đặt lại: hãy đặt lại nếu cần; lời nhắc “Book the car” không được đặt lại/,
  );
  // A move undone: the reminder that moved back is named; a change with no reminders says nothing about any.
  const moved: ToolEffect = {
    action: 'updated',
    kind: 'event',
    id: 'e2',
    title: 'Sync',
    reminders: [{ action: 'moved', id: 'r3', text: 'Notes', atMs: 0 }],
    undo: { op: 'restore_event', eventId: 'e2' },
  };
  assert.match(
    body(undoneCard('en', [{ change: moved, ok: true, reminders: { restored: [{ text: 'Notes' }], notRestored: [] } }])),
    /Put the event “Sync” back as it was; its reminder “Notes” moved back with it/,
  );
  const plain: ToolEffect = {
    action: 'deleted',
    kind: 'event',
    id: 'e3',
    title: 'Call',
    undo: { op: 'recreate_event', startSec: '1', endSec: '2', attendeeOpenIds: [] },
  };
  assert.doesNotMatch(body(undoneCard('en', [{ change: plain, ok: true }])), /reminder/);
});

test("10d: someone else's click on an Undo card is told they cannot undo it (not 'confirm')", async () => {
  // The owner check comes before any Temporal call: no client is needed.
  const handle = signalCardAction({} as Client, 1000);
  const click = (kind: string, lang: 'en' | 'vi', extra: Record<string, unknown> = {}) =>
    handle({ openId: 'ou_lan', value: { kind, key: 'k', owner: 'ou_alice', lang, ...extra } } as unknown as LarkCardActionEvent);
  assert.deepEqual(await click('undo', 'en'), { toast: 'Only the person who made this request can undo it' });
  assert.deepEqual(await click('undo', 'vi'), { toast: 'Chỉ người đã gửi yêu cầu mới hoàn tác được' });
  assert.deepEqual(await click('slot', 'en', { choice: '0' }), { toast: 'Only the person who made this request can pick a time' });
  assert.deepEqual(await click('login_link', 'en'), { toast: 'Only the person this sign-in card is for can use it' });
  assert.deepEqual(await click('confirm', 'en', { decision: 'confirm' }), { toast: 'Only the person who made this request can confirm it' });
});

test('10e: in the sandbox, after "slot taken" the remaining slots are clickable (only the clicked button stays greyed)', () => {
  const script = SANDBOX_HTML.slice(SANDBOX_HTML.indexOf('<script>') + 8);
  const fn = /function rowHtml\(m, inThread\) \{[\s\S]*?\n\}\n/.exec(script)?.[0];
  assert.ok(fn, 'rowHtml found in the page');
  const esc = (s: unknown) => String(s == null ? '' : s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  const clicked = new Set<string>();
  const rowHtml = new Function('esc', 'clicked', `${fn}; return rowHtml;`)(esc, clicked) as (m: unknown, inThread: boolean) => string;
  const slot = (round: number, choice: string, label: string, primary = false) => ({
    label,
    primary,
    value: { kind: 'slot', key: `om_1:tu:${round}`, choice, owner: 'ou_minh', lang: 'en' },
  });
  const msg = (buttons: unknown[]) => ({
    id: 'om_card',
    from: 'bot',
    clock: '10:00',
    card: { title: 'Pick a time to book', template: 'blue', body: ['x'], buttons },
  });
  const first = msg([slot(0, '0', 'Thu 09:00', true), slot(0, '1', 'Thu 14:00'), slot(0, 'none', 'None of these')]);
  // The user clicks the first slot: the page greys that button while the app answers.
  const html = rowHtml(first, false);
  const key = /data-key="([^"]+)"/.exec(html)![1]!.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
  clicked.add(key);
  assert.match(rowHtml(first, false), /disabled>Thu 09:00</, 'the clicked slot is greyed');
  // It was taken: the card now offers the rest (a new round). They are live buttons.
  const again = rowHtml(msg([slot(1, '1', 'Thu 14:00', true), slot(1, 'none', 'None of these')]), false);
  assert.doesNotMatch(again, /disabled/, `every remaining button is clickable: ${again}`);
});

test('10f: an update says what changed: moved (to when), renamed (from what to what), or both', () => {
  const start = zonedToEpochMs('2026-12-08T10:00', TZ);
  const end = start + 3600_000;
  const moved: ToolEffect = { action: 'updated', kind: 'event', id: 'e1', title: 'Hiring', startMs: start, endMs: end, changed: { moved: true } };
  assert.equal(describeEffect(moved, TZ, 'en', start - 86_400_000 * 30), 'Moved “Hiring” to Tue 8 Dec, 10:00–11:00');
  assert.equal(describeEffect(moved, TZ, 'vi', start - 86_400_000 * 30), 'Đã dời “Hiring” sang Thứ Ba 8/12, 10:00–11:00');
  const renamed: ToolEffect = {
    action: 'updated',
    kind: 'event',
    id: 'e1',
    title: 'Hiring sync',
    startMs: start,
    endMs: end,
    changed: { fromTitle: 'Hiring' },
  };
  assert.equal(describeEffect(renamed, TZ, 'en', start - 86_400_000 * 30), 'Renamed “Hiring” to “Hiring sync” (Tue 8 Dec, 10:00–11:00)');
  assert.equal(describeEffect(renamed, TZ, 'vi', start - 86_400_000 * 30), 'Đã đổi tên “Hiring” thành “Hiring sync” (Thứ Ba 8/12, 10:00–11:00)');
  const both: ToolEffect = { ...renamed, changed: { moved: true, fromTitle: 'Hiring' } };
  assert.equal(describeEffect(both, TZ, 'en', start - 86_400_000 * 30), 'Moved “Hiring” to Tue 8 Dec, 10:00–11:00 and renamed it “Hiring sync”');
  // An effect recorded before this change (no `changed`) keeps its old words.
  assert.equal(describeEffect({ action: 'updated', kind: 'event', id: 'e1', title: 'Hiring' }, TZ, 'en'), 'Updated “Hiring”');
});
