/** Tool definitions, input validation (errors the model can read and fix) and what needs confirmation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { needsConfirmation, TOOL_DEFINITIONS, TOOL_NAMES, type ToolCall, validateToolInput, WRITE_TOOLS } from '../src/tools';

function errorOf(name: string, input: unknown): string {
  const r = validateToolInput(name, input);
  assert.equal(r.ok, false, `expected ${name} ${JSON.stringify(input)} to be refused`);
  return r.ok ? '' : r.error;
}

function callOf(name: string, input: unknown): ToolCall {
  const r = validateToolInput(name, input);
  assert.ok(r.ok, `expected ${name} ${JSON.stringify(input)} to pass: ${r.ok ? '' : r.error}`);
  return r.call;
}

test('definitions: the tools, Anthropic shape, required fields exist, no extra fields allowed', () => {
  assert.deepEqual(TOOL_NAMES, [
    'get_current_time',
    'list_events',
    'create_event',
    'update_event',
    'delete_event',
    'list_invitations',
    'reply_invitation',
    'free_busy',
    'find_time',
    'list_rooms',
    'list_tasks',
    'create_task',
    'complete_task',
    'find_person',
    'set_reminder',
    'list_reminders',
    'cancel_reminder',
    'daily_agenda',
    'set_timezone',
  ]);
  for (const t of TOOL_DEFINITIONS) {
    assert.ok(t.description.length > 20, t.name);
    assert.equal(t.input_schema.type, 'object');
    assert.equal(t.input_schema.additionalProperties, false);
    for (const r of t.input_schema.required ?? []) assert.ok(t.input_schema.properties?.[r], `${t.name}.${r}`);
  }
  // The writes are tools, and exactly these; every other tool only reads.
  assert.deepEqual(
    [...WRITE_TOOLS].filter((n) => !TOOL_NAMES.includes(n)),
    [],
  );
  assert.deepEqual([...WRITE_TOOLS].sort(), [
    'cancel_reminder',
    'complete_task',
    'create_event',
    'create_task',
    'daily_agenda',
    'delete_event',
    'reply_invitation',
    'set_reminder',
    'set_timezone',
    'update_event',
  ]);
  // JSON round trip: what goes to the API is plain data.
  assert.deepEqual(JSON.parse(JSON.stringify(TOOL_DEFINITIONS)), TOOL_DEFINITIONS);
});

test('valid inputs pass and come back typed', () => {
  callOf('get_current_time', {});
  callOf('list_events', { start: '2026-11-27T00:00', end: '2026-11-28T00:00' });
  const ev = callOf('create_event', {
    summary: 'Họp với Lan',
    start: '2026-11-22T15:00',
    duration_minutes: 30,
    attendees: ['Lan', 'minh@example.com'],
    description: 'Kế hoạch quý 1',
  });
  assert.equal(ev.name, 'create_event');
  if (ev.name === 'create_event') assert.deepEqual(ev.input.attendees, ['Lan', 'minh@example.com']);
  callOf('create_event', { summary: 'Sync', start: '2026-11-22T15:00', end: '2026-11-22T15:30:00' });
  callOf('update_event', { event_id: 'evt_1', start: '2026-11-22T16:00' });
  callOf('delete_event', { event_id: 'evt_1' });
  callOf('free_busy', { person: 'Lan', start: '2026-11-22T08:00', end: '2026-11-22T18:00' });
  callOf('free_busy', { start: '2026-11-22T08:00', end: '2026-11-22T18:00' });
  callOf('list_tasks', {});
  callOf('list_tasks', { completed: true });
  callOf('create_task', { summary: 'Send the report', due: '2026-11-23T17:00' });
  callOf('create_task', { summary: 'Gửi báo cáo', due: '2026-11-23', assignee: 'Lan' });
  callOf('complete_task', { task_id: 't-2' });
  callOf('find_person', { query: 'Lan' });
  callOf('find_time', { attendees: ['Lan', 'minh@example.com'], duration_minutes: 30, start: '2026-11-23T00:00', end: '2026-11-28T00:00' });
  callOf('find_time', { duration_minutes: 60, start: '2026-11-23T13:00', end: '2026-11-23T18:00' });
});

test('find_time: a bounded window at least as long as the meeting; a missing start is a question', () => {
  assert.match(errorOf('find_time', { duration_minutes: 30, start: '2026-11-01T00:00', end: '2026-12-15T00:00' }), /at most 31 days/);
  assert.match(errorOf('find_time', { duration_minutes: 120, start: '2026-11-23T09:00', end: '2026-11-23T10:00' }), /shorter than duration_minutes/);
  assert.match(errorOf('find_time', { duration_minutes: 2, start: '2026-11-23T09:00', end: '2026-11-23T10:00' }), /duration_minutes must be from 5 to 480/);
  assert.match(errorOf('find_time', { attendees: ['Lan', 'lan'], duration_minutes: 30, start: '2026-11-23T09:00', end: '2026-11-23T18:00' }), /listed twice/);
  assert.match(errorOf('create_event', { summary: 'Sync' }), /start is required; ask the user when it should start/);
  assert.equal(WRITE_TOOLS.has('find_time'), false, 'find_time only reads');
  assert.equal(needsConfirmation(callOf('find_time', { attendees: ['Lan'], duration_minutes: 30, start: '2026-11-23T09:00', end: '2026-11-23T18:00' })), false);
});

test('missing and mistyped fields are named in one readable sentence', () => {
  const e = errorOf('create_event', { start: 'tomorrow 3pm', attendees: 'Lan', duration_minutes: 12.5 });
  assert.match(e, /^create_event: /);
  assert.match(e, /summary is required/);
  assert.match(e, /attendees must be a list/);
  assert.match(e, /duration_minutes must be a whole number/);
  assert.match(e, /start must be local wall-clock .* \(got "tomorrow 3pm"\)/);
  assert.match(e, /\.$/);
  assert.match(errorOf('list_tasks', { completed: 'yes' }), /^list_tasks: completed must be true or false\.$/);
  assert.match(errorOf('find_person', { query: '   ' }), /query must not be empty/);
  assert.match(errorOf('create_event', { summary: 'x', start: '2026-11-22T15:00', attendees: ['Lan', 3] }), /attendees\[1\] must be a string/);
  assert.match(errorOf('create_event', { summary: 'x'.repeat(201), start: '2026-11-22T15:00' }), /summary must be at most 200 characters/);
});

test('times must be local wall-clock "YYYY-MM-DDTHH:mm", real dates, end after start', () => {
  const bad = errorOf('create_event', { summary: 'Sync', start: 'tomorrow 3pm' });
  assert.match(
    bad,
    /start must be local wall-clock time in the user's timezone, "YYYY-MM-DDTHH:mm" without offset, e\.g\. "2026-11-22T15:00" \(got "tomorrow 3pm"\)/,
  );
  assert.match(errorOf('list_events', { start: '2026-11-22T00:00+07:00', end: '2026-11-23T00:00' }), /start must be local wall-clock/);
  assert.match(errorOf('list_events', { start: '2026-11-22T00:00Z', end: '2026-11-23T00:00' }), /got "2026-11-22T00:00Z"/);
  assert.match(errorOf('list_events', { start: '2026-02-30T00:00', end: '2026-03-01T00:00' }), /start must be/);
  assert.match(errorOf('list_events', { start: '2026-11-22', end: '2026-11-23T00:00' }), /start must be/);
  assert.match(
    errorOf('list_events', { start: '2026-11-22T10:00', end: '2026-11-22T09:00' }),
    /end \(2026-11-22T09:00\) must be after start \(2026-11-22T10:00\)/,
  );
  assert.match(errorOf('list_events', { start: '2026-01-01T00:00', end: '2026-12-31T00:00' }), /at most 62 days/);
  assert.match(errorOf('create_task', { summary: 'x', due: 'Monday' }), /due must be a date "YYYY-MM-DD" or local wall-clock/);
});

test('unknown tools and fields, non-object inputs and contradictory fields are refused', () => {
  assert.match(errorOf('send_email', {}), /Unknown tool "send_email"\. Available tools: get_current_time, list_events/);
  assert.match(errorOf('list_tasks', { done: true }), /unknown field "done" \(allowed: completed\)/);
  assert.match(errorOf('get_current_time', { tz: 'UTC' }), /unknown field "tz" \(allowed: none\)/);
  assert.match(errorOf('list_tasks', null), /input must be a JSON object/);
  assert.match(errorOf('list_tasks', []), /input must be a JSON object/);
  assert.match(
    errorOf('create_event', { summary: 'x', start: '2026-11-22T15:00', end: '2026-11-22T16:00', duration_minutes: 60 }),
    /either end or duration_minutes, not both/,
  );
  assert.match(errorOf('update_event', { event_id: 'e1' }), /at least one of summary, start, end/);
  assert.match(errorOf('create_event', { summary: 'x', start: '2026-11-22T15:00', attendees: ['Lan', 'lan'] }), /attendee "lan" is listed twice/);
});

test('confirmation: delete, invitations, shared-event changes and tasks for others', () => {
  const c = (name: string, input: unknown) => callOf(name, input);
  assert.equal(needsConfirmation(c('delete_event', { event_id: 'e1' })), true);
  assert.equal(needsConfirmation(c('create_event', { summary: 'x', start: '2026-11-22T15:00', attendees: ['Lan'] })), true);
  assert.equal(needsConfirmation(c('create_event', { summary: 'x', start: '2026-11-22T15:00' })), false);
  assert.equal(needsConfirmation(c('create_event', { summary: 'x', start: '2026-11-22T15:00', attendees: [] })), false);
  const move = c('update_event', { event_id: 'e1', start: '2026-11-22T16:00' });
  assert.equal(needsConfirmation(move), true, 'unknown attendees: ask');
  assert.equal(needsConfirmation(move, { eventHasOtherAttendees: true }), true);
  assert.equal(needsConfirmation(move, { eventHasOtherAttendees: false }), false);
  assert.equal(needsConfirmation(c('create_task', { summary: 'x', assignee: 'Lan' })), true);
  assert.equal(needsConfirmation(c('create_task', { summary: 'x' })), false);
  for (const name of ['list_events', 'list_tasks', 'find_person', 'get_current_time'] as const)
    assert.equal(WRITE_TOOLS.has(name), false, `${name} only reads`);
  assert.equal(needsConfirmation(c('complete_task', { task_id: 't' })), false);
});

test('rooms: list_rooms reads; find_time takes a room need (seats, place); create_event with a room asks first', () => {
  assert.equal(WRITE_TOOLS.has('list_rooms'), false, 'list_rooms only reads');
  callOf('list_rooms', {});
  callOf('list_rooms', { query: 'Floor 3', min_capacity: 6, start: '2026-11-23T09:00', end: '2026-11-23T18:00' });
  assert.match(errorOf('list_rooms', { start: '2026-11-23T09:00' }), /give both start and end, or neither/);
  assert.match(errorOf('list_rooms', { start: '2026-11-23T09:00', end: '2026-11-25T09:00' }), /at most 1 day/);
  const window = { duration_minutes: 60, start: '2026-11-23T09:00', end: '2026-11-23T18:00' };
  callOf('find_time', { ...window, room: { capacity: 6, place: 'Floor 3' }, summary: 'Design review' });
  callOf('find_time', { ...window, room: {} });
  assert.match(errorOf('find_time', { ...window, room: { seats: 6 } }), /room has an unknown field "seats"/);
  assert.match(errorOf('find_time', { ...window, room: { capacity: 0 } }), /room.capacity must be a whole number from 1 to 500/);
  assert.match(errorOf('find_time', { ...window, room: 'Lotus' }), /room must be an object/);
  assert.equal(needsConfirmation(callOf('create_event', { summary: 'x', start: '2026-11-22T15:00', room: 'omm_1' })), true, 'a room is a shared resource');
  assert.equal(needsConfirmation(callOf('find_time', { ...window, room: { capacity: 6 } })), false, 'the slot click is the confirmation');
});
