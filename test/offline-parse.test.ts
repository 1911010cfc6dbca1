/**
 * The offline model's clock reading: a bare "at 3" in a work chat is the afternoon, but a zero-padded
 * hour is a 24-hour clock. (CI met this at 01:23 Tokyo time: "remind me at 01:23" became 13:23.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClock } from '../dev/llm/offline-parse';

test('a bare small hour is the afternoon; a zero-padded hour is read as written', () => {
  assert.deepEqual(parseClock('remind me at 3 to call'), { hour: 15, minute: 0 });
  assert.deepEqual(parseClock('remind me at 1:23 to stretch'), { hour: 13, minute: 23 });
  assert.deepEqual(parseClock('remind me at 01:23 to stretch'), { hour: 1, minute: 23 });
  assert.deepEqual(parseClock('remind me at 06:00 to run'), { hour: 6, minute: 0 });
  assert.deepEqual(parseClock('remind me at 00:05'), { hour: 0, minute: 5 });
  assert.deepEqual(parseClock('at 21:07'), { hour: 21, minute: 7 });
  assert.deepEqual(parseClock('3h chiều mai'), { hour: 15, minute: 0 });
});
