/**
 * The per-sender intake limit (src/storage/intake-limits.ts) on a real PostgreSQL: a burst then a steady rate,
 * one decision per message however often it is asked, one notice owner per chat and burst, and every refusal
 * named by exactly one notice, also when deciders race.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IntakeLimits } from '../src/storage/intake-limits';
import { freshDatabase } from './support/env';
import type { Pool } from '../src/db/pool';

let db: { pool: Pool; drop(): Promise<void> };
before(async () => {
  db = await freshDatabase();
});
after(async () => {
  await db?.drop();
});

const msg = (i: number, openId = 'ou_a', chatId = 'oc_1') => ({ messageId: `om_${openId}_${i}`, openId, chatId, text: `message   ${i}\nsecond line` });

describe('intake limits', () => {
  test('a burst, then one message per 60/perMinute s; refusals take no token', async () => {
    let now = 1_000_000;
    const limits = new IntakeLimits(db.pool, { burst: 3, perMinute: 30 }, () => now);
    const first = [];
    for (let i = 0; i < 5; i++) first.push((await limits.decide(msg(i))).allowed);
    assert.deepEqual(first, [true, true, true, false, false]);
    now += 1_999;
    assert.equal((await limits.decide(msg(5))).allowed, false, 'not yet a whole token');
    now += 1;
    assert.equal((await limits.decide(msg(6))).allowed, true, 'a token after 2 s');
    assert.equal((await limits.decide(msg(7))).allowed, false);
    now += 60_000;
    const later = [];
    for (let i = 8; i < 12; i++) later.push((await limits.decide(msg(i))).allowed);
    assert.deepEqual(later, [true, true, true, false], 'refilled to the burst, no further');
  });

  test('a message is decided once: asking again (a retry, a redelivery) gives the same answer and takes nothing', async () => {
    let now = 5_000_000;
    const limits = new IntakeLimits(db.pool, { burst: 1, perMinute: 1 }, () => now);
    const a = await limits.decide(msg(1, 'ou_b'));
    const b = await limits.decide(msg(2, 'ou_b'));
    assert.deepEqual([a.allowed, b.allowed], [true, false]);
    now += 120_000; // the bucket is full again, but old decisions stand
    assert.deepEqual(await limits.decide(msg(1, 'ou_b')), a);
    assert.deepEqual(await limits.decide(msg(2, 'ou_b')), b);
    assert.equal((await limits.decide(msg(3, 'ou_b'))).allowed, true, 'the repeats took no token');
  });

  test('one notice owner per chat at a time; it names every refusal since the last notice, once, idempotently', async () => {
    const limits = new IntakeLimits(db.pool, { burst: 1, perMinute: 1 }, () => 9_000_000);
    await limits.decide(msg(0, 'ou_c'));
    const decisions = [];
    for (let i = 1; i <= 4; i++) decisions.push(await limits.decide(msg(i, 'ou_c')));
    const other = await limits.decide(msg(9, 'ou_c', 'oc_2'));
    assert.deepEqual(
      decisions.map((d) => d.noticeOwner),
      [true, false, false, false],
    );
    assert.equal(other.noticeOwner, true, 'another chat has its own notice');
    const owner = msg(1, 'ou_c').messageId;
    const named = await limits.takeRefusals('ou_c', 'oc_1', owner);
    assert.deepEqual(named, ['message 1 second line', 'message 2 second line', 'message 3 second line', 'message 4 second line']);
    assert.deepEqual(await limits.takeRefusals('ou_c', 'oc_1', owner), named, 'a retry names the same');
    const next = await limits.decide(msg(5, 'ou_c'));
    assert.equal(next.noticeOwner, true, 'after the notice, the next refusal opens a new one');
    assert.deepEqual(await limits.takeRefusals('ou_c', 'oc_1', msg(5, 'ou_c').messageId), ['message 5 second line']);
    assert.deepEqual(await limits.refusedCount('ou_c'), { refused: 6, named: 5 }, 'the other chat is still waiting for its notice');
  });

  test('deciders racing on one user: exactly the burst allowed, one owner, every refusal named once', async () => {
    const limits = new IntakeLimits(db.pool, { burst: 5, perMinute: 1 }, () => 20_000_000);
    const ids = Array.from({ length: 60 }, (_, i) => msg(i, 'ou_d'));
    // Each message asked twice at once, as a retry racing its first attempt would.
    const decided = await Promise.all([...ids, ...ids].map((m) => limits.decide(m)));
    const byId = new Map<string, boolean>();
    decided.forEach((d, i) => {
      const id = [...ids, ...ids][i]!.messageId;
      if (byId.has(id)) assert.equal(byId.get(id), d.allowed, `${id}: the same answer twice`);
      byId.set(id, d.allowed);
    });
    assert.equal([...byId.values()].filter(Boolean).length, 5);
    const owners = [...new Set(decided.map((d, i) => (d.noticeOwner ? [...ids, ...ids][i]!.messageId : undefined)).filter(Boolean))];
    assert.equal(owners.length, 1);
    const named = await limits.takeRefusals('ou_d', 'oc_1', owners[0]!);
    assert.equal(named.length, 55);
    assert.deepEqual(await limits.refusedCount('ou_d'), { refused: 55, named: 55 });
  });

  test('perMinute 0 turns the limit off and records nothing', async () => {
    const limits = new IntakeLimits(db.pool, { burst: 1, perMinute: 0 });
    for (let i = 0; i < 5; i++) assert.deepEqual(await limits.decide(msg(i, 'ou_e')), { allowed: true, noticeOwner: false });
    assert.deepEqual(await limits.refusedCount('ou_e'), { refused: 0, named: 0 });
  });
});
