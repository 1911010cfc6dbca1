/** Which rooms a place names ("tầng 3" is Floor 3, never Floor 30), and when no room of a list is free. No server. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busyOfAll, roomMatches, type RoomInfo } from '../activities/tools/calendar-rooms';

const room = (name: string, place: string): RoomInfo => ({ room_id: `omm_${name}`, name, capacity: 6, place });

test("a place matches whole words of the room's name and levels, in English or Vietnamese", () => {
  const lotus = room('Lotus', 'HCMC Tower · Floor 3');
  const sky = room('Sky Lounge', 'HCMC Tower · Floor 30');
  for (const q of ['Floor 3', 'floor 3', 'tầng 3', 'lầu 3', '3rd floor', 'Lotus', 'phòng Lotus', 'HCMC tower', 'the Lotus room'])
    assert.ok(roomMatches(lotus, q), q);
  for (const q of ['Floor 3', 'tầng 3', 'Floor 5', 'Orchid', 'Hanoi']) assert.ok(!roomMatches(sky, q), q);
  assert.ok(roomMatches(sky, 'tầng 30'));
  assert.ok(roomMatches(sky, 'sky lounge'));
});

test('busyOfAll: busy only while every list is busy, merged', () => {
  const b = (s: number, e: number) => ({ startMs: s, endMs: e });
  assert.deepEqual(busyOfAll([[b(0, 10)], [b(5, 20)]]), [b(5, 10)]);
  assert.deepEqual(busyOfAll([[b(0, 10), b(10, 20)], [b(0, 20)]]), [b(0, 20)], 'adjacent blocks join');
  assert.deepEqual(busyOfAll([[b(0, 10)], []]), [], 'one room always free: never busy');
  assert.deepEqual(busyOfAll([]), []);
  assert.deepEqual(busyOfAll([[b(0, 30)]]), [b(0, 30)]);
});
