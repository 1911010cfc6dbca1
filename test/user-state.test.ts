/**
 * The per-user workflow's rules (workflows/user-state.ts) without a server: UserState is plain data and rules, so
 * the queue, the dedup window, staleness, the intake bounds, card decisions, Undo records and what continue-as-new
 * carries are tested here in milliseconds; test/user-workflow-containment.test.ts and the others run them inside
 * the real workflow.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserMessage } from '../src/lark/event-types';
import { UserState, type UndoRecord } from '../workflows/user-state';

const settings = { dedupWindow: 3, maxMessageAgeMs: 60_000 };
let seq = 0;
function msg(over: Partial<UserMessage> = {}): UserMessage {
  seq++;
  return {
    eventId: `ev_${seq}`,
    messageId: `om_${seq}`,
    openId: 'ou_me',
    chatId: 'oc_dm',
    chatType: 'p2p',
    messageType: 'text',
    text: `hello ${seq}`,
    mentions: [],
    createTimeMs: 1_000 * seq,
    acceptedAtMs: 1_000 * seq + 50,
    ...over,
  };
}
const undo = (key: string, createdAt: number, over: Partial<UndoRecord> = {}): UndoRecord => ({
  key,
  chatId: 'oc_dm',
  messageId: key,
  createdAt,
  lang: 'en',
  changes: [],
  status: 'open',
  ...over,
});

describe('UserState: intake', () => {
  test('a message is accepted once; a redelivery counts as a duplicate', () => {
    const s = new UserState('ou_me');
    const m = msg();
    assert.equal(s.accept(m, settings), true);
    assert.equal(s.accept({ ...m, eventId: 'ev_other' }, settings), false, 'same message_id, another event id');
    assert.deepEqual([s.n.accepted, s.n.duplicates, s.queue.length], [1, 1, 1]);
  });

  test('the dedup window forgets the oldest id past its size', () => {
    const s = new UserState('ou_me');
    const ms = [msg(), msg(), msg(), msg()];
    for (const m of ms) s.accept(m, settings);
    assert.deepEqual(
      s.recent,
      ms.slice(1).map((m) => m.messageId),
    );
    for (const m of ms) s.finish(m, 'completed');
    assert.equal(s.accept(ms[0]!, settings), true, 'forgotten: accepted again');
    assert.equal(s.accept(ms[3]!, settings), false, 'still in the window');
  });

  test('the queue keeps the user’s order by create time, never ahead of a request already started', () => {
    const s = new UserState('ou_me');
    const [a, b, c] = [msg(), msg(), msg()];
    s.accept(a, settings);
    s.accept(c, settings);
    s.accept(b, settings); // delivered late: goes before c
    assert.deepEqual(
      s.queue.map((m) => m.messageId),
      [a, b, c].map((m) => m.messageId),
    );
    s.progressOf(c); // c has started (progress exists): an older late message may not jump ahead of it
    const early = msg({ createTimeMs: 0 });
    s.accept(early, settings);
    assert.deepEqual(
      s.queue.map((m) => m.messageId),
      [a, b, c, early].map((m) => m.messageId),
    );
  });

  test('a message older than the limit when accepted is marked stale, a fresh one is not', () => {
    const s = new UserState('ou_me');
    const old = msg({ createTimeMs: 0, acceptedAtMs: 60_001 });
    const fresh = msg({ createTimeMs: 0, acceptedAtMs: 60_000 });
    s.accept(old, settings);
    s.accept(fresh, settings);
    assert.equal(old.stale, true);
    assert.equal(fresh.stale, undefined);
  });

  test('past the count bound a message is refused, seen (a redelivery is a duplicate) and kept clipped for its notice', () => {
    const s = new UserState('ou_me');
    const bounds = { count: 2, bytes: 1_000_000 };
    s.accept(msg(), settings, bounds);
    s.accept(msg(), settings, bounds);
    const third = msg({ text: 'x'.repeat(500) });
    assert.equal(s.accept(third, settings, bounds), false);
    assert.equal(s.n.refused, 1);
    assert.equal(s.queue.length, 2);
    assert.equal(s.accept(third, settings, bounds), false);
    assert.equal(s.n.duplicates, 1, 'the redelivery of a refused message is a duplicate, not a second refusal');
    const [noticed] = s.takeRefused('oc_dm');
    assert.equal(noticed?.text?.length, 100);
    assert.ok(noticed?.text?.endsWith('…'));
    assert.deepEqual(s.takeRefused('oc_dm'), [], 'taken once');
  });

  test('past the byte bound too; a run from before the patch (mayRefuse false) queues instead', () => {
    const big = () => msg({ text: 'y'.repeat(2_000) });
    const s = new UserState('ou_me');
    assert.equal(s.accept(big(), settings, { count: 50, bytes: 3_000 }), true);
    assert.equal(s.accept(big(), settings, { count: 50, bytes: 3_000 }), false);
    const old = new UserState('ou_me');
    old.accept(big(), settings, { count: 1, bytes: 3_000, mayRefuse: () => false });
    assert.equal(old.accept(big(), settings, { count: 1, bytes: 3_000, mayRefuse: () => false }), true);
    assert.equal(old.queue.length, 2);
  });
});

describe('UserState: lanes and outcomes', () => {
  test('one lane per chat: a busy chat is not startable, another chat is', () => {
    const s = new UserState('ou_me');
    const dm = msg();
    const group = msg({ chatId: 'oc_group', chatType: 'group' });
    s.accept(dm, settings);
    s.accept(group, settings);
    assert.equal(s.startableChat(), 'oc_dm');
    s.activeChats.add('oc_dm');
    assert.equal(s.startableChat(), 'oc_group');
    assert.equal(s.headOf('oc_group')?.messageId, group.messageId);
  });

  test('a newer message in the same chat supersedes; one in another chat does not', () => {
    const s = new UserState('ou_me');
    const first = msg();
    s.accept(first, settings);
    s.accept(msg({ chatId: 'oc_group' }), settings);
    assert.equal(s.hasNewerInChat(first), false);
    s.accept(msg(), settings);
    assert.equal(s.hasNewerInChat(first), true);
  });

  test('finish takes the request out with its progress and counts its outcome', () => {
    const s = new UserState('ou_me');
    const [a, b] = [msg(), msg()];
    s.accept(a, settings);
    s.accept(b, settings);
    s.progressOf(a).step = 2;
    s.finish(a, 'completed');
    s.finish(b, 'failed');
    assert.deepEqual([s.queue.length, s.n.completed, s.n.failed, a.messageId in s.progress], [0, 1, 1, false]);
  });

  test('dropAll empties the queue and counts each as expired', () => {
    const s = new UserState('ou_me');
    s.accept(msg(), settings);
    s.accept(msg(), settings);
    const dropped = s.dropAll();
    assert.equal(dropped.length, 2);
    assert.deepEqual([s.queue.length, s.n.expired], [0, 2]);
  });

  test('the last five failures are kept', () => {
    const s = new UserState('ou_me');
    for (let i = 0; i < 7; i++) s.recordFailure(`om_${i}`, 'LarkApiError', i);
    assert.deepEqual(
      s.lastFailures.map((f) => f.messageId),
      ['om_2', 'om_3', 'om_4', 'om_5', 'om_6'],
    );
  });
});

describe('UserState: cards', () => {
  test('a click counts once for a key the run waits on; a second is told so, a stranger key is unknown', () => {
    const s = new UserState('ou_me');
    s.awaiting.set('k1', { chatId: 'oc_dm', messageId: 'om_1' });
    assert.equal(s.decide('k1', 'confirm'), 'accepted');
    assert.equal(s.decide('k1', 'cancel'), 'already_answered');
    assert.equal(s.decisions.get('k1'), 'confirm', 'the first click stands');
    s.settle('k1');
    assert.equal(s.decide('k1', 'confirm'), 'already_answered', 'after it settled too');
    assert.equal(s.decide('k2', 'confirm'), 'unknown');
  });

  test('waitingElsewhere: a card waits in another chat', () => {
    const s = new UserState('ou_me');
    s.awaiting.set('k1', { chatId: 'oc_group', messageId: 'om_1' });
    assert.equal(s.waitingElsewhere('oc_dm'), true);
    assert.equal(s.waitingElsewhere('oc_group'), false);
  });

  test('Undo: accepted once inside its window, expired after it, unknown for a stranger key', () => {
    const s = new UserState('ou_me');
    s.offerUndo(undo('u1', 0), 10_000, 0);
    assert.equal(s.requestUndo('u1', 10_000, 10_001), 'expired');
    assert.equal(s.requestUndo('u1', 10_000, 5_000), 'accepted');
    assert.equal(s.nextUndo()?.key, 'u1');
    assert.equal(s.requestUndo('u1', 10_000, 5_000), 'already_done');
    assert.equal(s.requestUndo('nope', 10_000, 0), 'unknown');
  });

  test('old Undo records go when a new one comes, except one queued or running', () => {
    const s = new UserState('ou_me');
    s.offerUndo(undo('old', 0), 10_000, 0);
    s.offerUndo(undo('busy', 0, { status: 'running' }), 10_000, 0);
    s.offerUndo(undo('new', 20_000), 10_000, 20_000);
    assert.deepEqual(
      s.undos.map((u) => u.key),
      ['busy', 'new'],
    );
  });
});

describe('UserState: continue-as-new', () => {
  test('what one run carries, the next run starts from', () => {
    const s = new UserState('ou_me');
    const [a, b] = [msg(), msg()];
    s.accept(a, settings);
    s.accept(b, settings, { count: 1, bytes: 1_000_000 }); // refused, its notice not sent yet
    s.progressOf(a).step = 1;
    s.offerUndo(undo('u1', 0), 10_000, 0);
    const next = new UserState('ou_me', JSON.parse(JSON.stringify(s.carried({ since: 5, lastCardAt: 6, missingScopes: ['calendar:calendar'] }))));
    assert.deepEqual(
      next.queue.map((m) => m.messageId),
      [a.messageId],
    );
    assert.equal(next.progress[a.messageId]?.step, 1);
    assert.equal(next.accept(a, settings), false, 'the dedup window travels');
    assert.equal(next.accept(b, settings), false, 'a refused message stays seen');
    assert.deepEqual(
      next.takeRefused('oc_dm').map((m) => m.messageId),
      [b.messageId],
      'its notice is still owed',
    );
    assert.equal(next.undos[0]?.key, 'u1');
    assert.equal(next.n.accepted, 1);
    assert.equal(next.n.refused, 1);
    assert.deepEqual(s.carried().authWait, undefined, 'no wait, nothing carried for it');
  });
});
