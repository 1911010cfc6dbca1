/**
 * The webhook's token buckets and the dead-card memo, on a made-up clock: allowance, refill, the wait a 429 or a
 * toast names, refunds, and that neither map grows without bound whatever the keys.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadCards } from '../src/temporal/card-actions';
import { KeyedRateLimiter, retryAfterSeconds, TokenBucket } from '../src/rate-limit';

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

test('a bucket allows its burst, then one request per 60/perMinute seconds, and says how long to wait', () => {
  const c = clock();
  const b = new TokenBucket({ burst: 3, perMinute: 30 }, c.now); // one every 2 s
  assert.deepEqual([b.take(), b.take(), b.take()], [0, 0, 0]);
  assert.equal(b.take(), 2000, 'the fourth waits for the next token');
  assert.equal(retryAfterSeconds(b.take()), 2);
  c.advance(1500);
  assert.equal(b.take(), 500, 'a refused request takes nothing');
  c.advance(500);
  assert.equal(b.take(), 0);
  assert.equal(b.take(), 2000);
  c.advance(60_000);
  assert.deepEqual([b.take(), b.take(), b.take(), b.take() > 0], [0, 0, 0, true], 'refills up to the burst, no further');
  b.refund();
  assert.equal(b.take(), 0, 'a refunded token can be used');
});

test('perMinute 0 turns a limit off', () => {
  const b = new TokenBucket({ burst: 1, perMinute: 0 });
  const k = new KeyedRateLimiter({ burst: 1, perMinute: 0 });
  for (let i = 0; i < 1000; i++) assert.equal(b.take() + k.take('x'), 0);
  assert.equal(k.enabled, false);
  assert.equal(k.size, 0);
});

test('a keyed limiter gives each key its own bucket and stays bounded whatever the keys', () => {
  const c = clock();
  const k = new KeyedRateLimiter({ burst: 2, perMinute: 60 }, 100, c.now);
  assert.deepEqual([k.take('a'), k.take('a'), k.take('a') > 0], [0, 0, true]);
  assert.equal(k.take('b'), 0, 'another key is not affected');
  k.refund('a');
  assert.equal(k.take('a'), 0);
  for (let i = 0; i < 10_000; i++) k.take(`ip-${i}`);
  assert.ok(k.size <= 100, `${k.size} keys kept`);
  // Idle keys whose buckets refilled are dropped as they are met.
  c.advance(10_000);
  k.take('fresh');
  assert.ok(k.size <= 100);
});

test('the dead-card memo answers within its lifetime and stays bounded', () => {
  const c = clock();
  const d = new DeadCards(50, 1000, c.now);
  const key = DeadCards.key('ou_a', 'confirm', 'm1:t1');
  d.set(key, 'already');
  assert.equal(d.get(key), 'already');
  assert.equal(d.get(DeadCards.key('ou_b', 'confirm', 'm1:t1')), undefined, 'per owner');
  c.advance(1001);
  assert.equal(d.get(key), undefined, 'forgotten after its lifetime (the workflow is asked again)');
  for (let i = 0; i < 1000; i++) d.set(DeadCards.key('ou_a', 'confirm', `k${i}`), 'gone');
  assert.ok(d.size <= 50);
  assert.equal(d.get(DeadCards.key('ou_a', 'confirm', 'k999')), 'gone', 'the newest are kept');
});
