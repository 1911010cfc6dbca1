/**
 * What a per-user run carries stays under its byte budgets however the user writes: 20 chats of CJK text,
 * Undo records of events with long descriptions and 100 attendees, and a flood of messages. Pure: no server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CARRIED_LIMIT_BYTES,
  fitMemory,
  jsonBytes,
  MEMORY_LIMIT_BYTES,
  QUEUE_LIMIT_BYTES,
  QUEUE_LIMIT_COUNT,
  UNDO_LIMIT_BYTES,
  utf8Length,
} from '../workflows/carried-budget';
import { remember, type MemoryByChat } from '../workflows/chat-memory';
import { UserState } from '../workflows/user-state';
import type { UserMessage } from '../src/lark/event-types';

const CJK = '会议纪要与后续行动项目安排请确认时间地点参与人员';
const cjk = (n: number) => CJK.repeat(Math.ceil(n / CJK.length)).slice(0, n);
const settings = { dedupWindow: 500, maxMessageAgeMs: 600_000 };
const bounds = { count: QUEUE_LIMIT_COUNT, bytes: QUEUE_LIMIT_BYTES };
const message = (i: number, chatId = 'oc_group', text = `request ${i}`): UserMessage =>
  ({ messageId: `om_${i}`, chatId, chatType: 'group', openId: 'ou_u', messageType: 'text', text, createTimeMs: 1_000 + i }) as UserMessage;

describe('byte budgets', () => {
  test('UTF-8 length counts CJK as 3 bytes, emoji as 4, ASCII as 1', () => {
    assert.equal(utf8Length('abc'), 3);
    assert.equal(utf8Length('会议'), 6);
    assert.equal(utf8Length('👍'), 4);
    assert.equal(utf8Length('é'), 2);
    assert.equal(utf8Length(JSON.stringify({ t: cjk(1000) })), Buffer.byteLength(JSON.stringify({ t: cjk(1000) })));
  });

  test('20 chats of CJK memory (about 2 MB unbounded) stay under the memory budget, the newest chat kept whole', () => {
    const memory: MemoryByChat = {};
    for (let round = 0; round < 10; round++) for (let c = 0; c < 20; c++) remember(memory, `oc_${c}`, cjk(2000), cjk(2000));
    const unbounded = jsonBytes(memory);
    assert.ok(unbounded > 1_800_000, `unbounded memory is ~2 MB (${unbounded})`);
    const dropped = fitMemory(memory, MEMORY_LIMIT_BYTES, ['oc_19']);
    assert.ok(jsonBytes(memory) <= MEMORY_LIMIT_BYTES, `${jsonBytes(memory)} <= ${MEMORY_LIMIT_BYTES}`);
    assert.ok(dropped.chats > 0);
    assert.ok(memory.oc_19 && memory.oc_19.turns.length === 8, 'the chat in use keeps its turns');
    assert.ok(!memory.oc_0, 'the least recently used chat went first');
  });

  test('a flood into one user: the queue stops at its bound, every further message is refused once and kept for its notice', () => {
    const s = new UserState('ou_u');
    let accepted = 0;
    for (let i = 0; i < 2000; i++) if (s.accept(message(i), settings, bounds)) accepted++;
    assert.equal(accepted, QUEUE_LIMIT_COUNT);
    assert.equal(s.queue.length, QUEUE_LIMIT_COUNT);
    assert.equal(s.n.refused, 2000 - QUEUE_LIMIT_COUNT);
    assert.equal(s.takeRefused('oc_group').length, 2000 - QUEUE_LIMIT_COUNT);
    // A redelivery of a refused message is a duplicate, not a second outcome.
    assert.equal(s.accept(message(1999), settings, bounds), false);
    assert.equal(s.n.duplicates, 1);
    assert.equal(s.refused.size, 0);
  });

  test('long messages: the queue is bounded in bytes too', () => {
    const s = new UserState('ou_u');
    let accepted = 0;
    for (let i = 0; i < 20; i++) if (s.accept(message(i, 'oc_dm', cjk(50_000)), settings, bounds)) accepted++;
    assert.ok(jsonBytes(s.queue) <= QUEUE_LIMIT_BYTES, `${jsonBytes(s.queue)} <= ${QUEUE_LIMIT_BYTES}`);
    assert.ok(accepted >= 2 && accepted < 20, `some accepted, the rest refused (${accepted})`);
    assert.equal(s.n.refused, 20 - accepted);
  });

  test('without permission to refuse (a run replaying from before the bound), nothing is refused', () => {
    const s = new UserState('ou_u');
    for (let i = 0; i < QUEUE_LIMIT_COUNT + 5; i++) s.accept(message(i), settings, { ...bounds, mayRefuse: () => false });
    assert.equal(s.queue.length, QUEUE_LIMIT_COUNT + 5);
  });

  test('Undo records of deleted events with long descriptions and 100 attendees stay under the Undo budget', () => {
    const s = new UserState('ou_u');
    const attendees = Array.from({ length: 100 }, (_, i) => `ou_${String(i).padStart(30, '0')}`);
    for (let i = 0; i < 50; i++) {
      s.offerUndo(
        {
          key: `om_${i}`,
          chatId: 'oc_dm',
          messageId: `om_${i}`,
          createdAt: 1000 + i,
          lang: 'vi',
          status: 'open',
          changes: [
            {
              action: 'deleted',
              kind: 'event',
              id: `ev_${i}`,
              title: cjk(200),
              people: attendees,
              undo: { op: 'recreate_event', summary: cjk(200), description: cjk(8000), startSec: '1', endSec: '2', attendeeOpenIds: attendees },
            },
          ],
        },
        86_400_000,
        2000 + i,
      );
    }
    assert.ok(jsonBytes(s.undos) <= UNDO_LIMIT_BYTES, `${jsonBytes(s.undos)} <= ${UNDO_LIMIT_BYTES}`);
    assert.equal(s.undos.at(-1)!.key, 'om_49', 'the newest record is kept');
  });

  test('everything at once: the carried state stays under the continue-as-new budget', () => {
    const s = new UserState('ou_u');
    for (let round = 0; round < 10; round++) for (let c = 0; c < 20; c++) remember(s.memory, `oc_${c}`, cjk(2000), cjk(2000));
    for (let i = 0; i < 300; i++) s.accept(message(i, `oc_${i % 20}`, cjk(3000)), settings, bounds);
    // finish() applies the memory budget as requests end
    s.finish(s.queue[0]!, 'completed');
    const bytes = jsonBytes(s.carried());
    assert.ok(bytes < CARRIED_LIMIT_BYTES, `${bytes} < ${CARRIED_LIMIT_BYTES}`);
  });
});
