/**
 * The offline model reading invitation requests (issue 24): which phrasings list the unanswered invitations,
 * which answer one (accept / decline / tentative) and by what time, day and words; and what stays something else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { understand } from '../dev/llm/offline-intent';

// Wednesday 2026-12-02 10:00 local.
const ctx = { now: { year: 2026, month: 12, day: 2, hour: 10, minute: 0, second: 0 } };
const read = (text: string) => understand(text, ctx);

test('"which invites haven\'t I answered?" and "những lời mời nào mình chưa trả lời?" list the unanswered invitations', () => {
  assert.deepEqual(read("which invites haven't I answered?"), { kind: 'list_invitations' });
  assert.deepEqual(read('những lời mời nào mình chưa trả lời?'), { kind: 'list_invitations' });
  assert.deepEqual(read('show my pending invitations for Friday'), {
    kind: 'list_invitations',
    window: { start: '2026-12-04T00:00', end: '2026-12-05T00:00', day: '2026-12-04' },
  });
});

test('"accept the 3 pm invite" and "chấp nhận lời mời họp 3h chiều" answer accept, for the invitation at 15:00', () => {
  for (const text of ['accept the 3 pm invite', 'chấp nhận lời mời họp 3h chiều']) {
    const intent = read(text);
    assert.equal(intent.kind, 'reply_invitation', text);
    if (intent.kind !== 'reply_invitation') return;
    assert.equal(intent.response, 'accept');
    assert.deepEqual(intent.target.clock, { hour: 15, minute: 0 });
    assert.equal(intent.target.window, undefined, 'no day named: list_invitations looks ahead on its own');
    assert.deepEqual(intent.target.words.specific, [], `no title words left in "${text}"`);
  }
});

test('decline and tentative, in both languages; "không tham dự" is a decline, "có thể tham dự" a maybe', () => {
  const cases: Array<[string, string]> = [
    ['decline the design review invitation', 'decline'],
    ['từ chối lời mời Design review thứ sáu', 'decline'],
    ['từ chối cuộc họp 10h sáng thứ sáu', 'decline'],
    ['mình không tham dự lời mời họp chiều mai', 'decline'],
    ['tentatively accept the planning invite', 'tentative'],
    ['trả lời có thể tham dự lời mời Quarterly planning', 'tentative'],
  ];
  for (const [text, response] of cases) {
    const intent = read(text);
    assert.equal(intent.kind === 'reply_invitation' && intent.response, response, `${text}: ${JSON.stringify(intent)}`);
  }
  const design = read('từ chối lời mời Design review thứ sáu');
  assert.ok(design.kind === 'reply_invitation');
  assert.deepEqual(design.target.words.specific, ['design'], 'the title words, without the answer and invitation words');
  assert.equal(design.target.window?.day, '2026-12-04');
});

test('other requests keep their meaning: inviting people, reminders, listing events', () => {
  assert.equal(read('schedule a meeting tomorrow at 3pm with Lan').kind, 'create_event');
  assert.equal(read('remind me to accept the invite at 5pm').kind, 'set_reminder');
  assert.equal(read("what's on my calendar Friday?").kind, 'list_events');
  assert.equal(read('hủy cuộc họp với Lan ngày mai').kind, 'change_event');
});
