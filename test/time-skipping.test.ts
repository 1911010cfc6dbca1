/**
 * Months, proven in seconds: the REAL workflows (workflows/index.ts) and their real activities, against the Lark
 * emulator, the offline model (scripted) and PostgreSQL, on Temporal's time-skipping test server
 * (TestWorkflowEnvironment.createTimeSkipping; the Java server from Maven Central, scripts/ensure-temporal-test-server.sh).
 * The server's clock jumps to the next timer whenever nothing is running, so weeks of durable timers pass in
 * moments while every activity still runs for real, in real time:
 *   - a reminder set three weeks ahead fires once, at its minute, and is done after its click window;
 *   - a daily reminder in America/New_York fires once a day at the same local time for the 129 days or so from
 *     the day before a November DST change to the day after the March one (no 90-day window holds both);
 *   - a per-user workflow used once a day for 180 days continues as new and keeps each run's history and
 *     carried input small;
 *   - a login link's wait, a Confirm card and an Undo button expire when their settings say, not before.
 *
 * The test server's clock is not the process clock: the workflows read the server's (workflow time), the
 * activities, the webhook and the emulator the real one. So a message's Lark create_time is stamped with the
 * server's time here (Lark stamps it when the user sends it; the workflow judges its age against its own
 * acceptance time), and an expiry decided by a process clock cannot be skipped: the OAuth link's own signed
 * state (OAUTH_STATE_TTL_SECONDS, checked by the callback) is covered in test/oauth-flow.test.ts.
 *
 * What the time-skipping server (1.31.0) lacks, and how this file works around it:
 *   - no visibility API (ListWorkflowExecutions, CountWorkflowExecutions) and no ListSearchAttributes, so the
 *     product's start-up check (src/temporal/setup.ts) cannot run against it: the four search attributes are
 *     registered here with OperatorService.AddSearchAttributes, which it does implement; runs are found by
 *     following the continue-as-new chain in the histories instead of by a query;
 *   - it never sets continueAsNewSuggested: the per-user workflow continues as new on its own event cap
 *     (USER_HISTORY_EVENT_CAP), which is what the 180-day test exercises;
 *   - it gives every workflow a 10-year execution and run timeout (a real server: none), so the per-user
 *     workflows here would time out if a skip went that far; the file's whole timeline is under two years;
 *   - TimeSkippingClient's result() unlocks skipping while it waits and locks it again once the result is in:
 *     in between, an idle server jumps to its next timer however far away (here, those 10-year timeouts),
 *     so results are read with a plain client, after an explicit skip past the workflow's end;
 *   - its clock only moves forward and is shared by everything on it: the tests run in order, each leaving
 *     no timer behind that a later skip would fire;
 *   - the SDK warns once that the server lacks the activity_failure_include_heartbeat capability (heartbeat
 *     details of a failed activity may be lost): nothing here depends on them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createIntakeActivities } from '../activities/intake';
import { createReminderService } from '../activities/reminders';
import { isUndoCard } from '../src/cards/undo-card';
import type { Message } from '../dev/emulator/state';
import { parseLarkCallback } from '../src/lark/events';
import { toUserMessage } from '../src/lark/event-types';
import { formatWall, offsetMinutes, zonedToEpochMs } from '../src/lark/time';
import { scriptedMessage, type RecordedRequest, type ScriptedReply } from '../dev/llm/offline-model';
import { createLogger } from '../src/logger';
import { installTemporalLogger } from '../src/temporal/runtime-logger';
import { reminderStateQuery, reminderWorkflowId, SEARCH_ATTRIBUTES, userStateQuery, userWorkflowId } from '../workflows/contract';
import { workflowBundle } from './support/env';
import { startStack, type Stack } from './support/stack';

const ROOT = path.resolve(__dirname, '..');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NY = 'America/New_York';
const EventType = temporal.api.enums.v1.EventType;

/** The reason to skip: only a missing Java (the server is a Java program). Anything else must run. */
function javaMissing(): string | undefined {
  // As the launcher finds it: $JAVA_HOME/bin/java, else java on the PATH.
  const home = process.env.JAVA_HOME && path.join(process.env.JAVA_HOME, 'bin', 'java');
  const java = home && existsSync(home) ? home : 'java';
  const r = spawnSync(java, ['-version'], { stdio: 'ignore' });
  if (!r.error && r.status === 0) return undefined;
  return 'Java is not installed: the time-skipping test server is a Java program (install a JRE 17+, e.g. apt-get install openjdk-17-jre-headless)';
}

/** scripts/test.sh exports it; run alone, the script fetches the server once (Maven) or finds it cached. */
function testServerPath(): string {
  if (process.env.TEMPORAL_TEST_SERVER_PATH) return process.env.TEMPORAL_TEST_SERVER_PATH;
  return execFileSync('bash', [path.join(ROOT, 'scripts', 'ensure-temporal-test-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/**
 * The model: "remind me at <local time> to <text>" sets a reminder; "create event "<title>" at <local time>
 * [with <name>]" creates an event (with an attendee it is confirmed first); anything else is noted.
 */
function script(req: RecordedRequest): ScriptedReply {
  const msgs = req.body.messages as Array<{ role: string; content: unknown }>;
  const last = msgs.at(-1)!;
  if (Array.isArray(last.content) && (last.content as Array<{ type: string }>).some((b) => b.type === 'tool_result'))
    return scriptedMessage([{ type: 'text', text: 'Okay.' }]);
  const text = typeof last.content === 'string' ? last.content : '';
  const toolUse = (name: string, input: Record<string, unknown>) =>
    scriptedMessage([{ type: 'tool_use', id: `toolu_${name}_${msgs.length}_${Date.now()}`, name, input }]);
  const reminder = /^remind me at (\S+) to (.+)$/.exec(text);
  if (reminder) return toolUse('set_reminder', { text: reminder[2]!, at: reminder[1]! });
  const event = /^create event "(.+)" at (\S+)(?: with (.+))?$/.exec(text);
  if (event) return toolUse('create_event', { summary: event[1]!, start: event[2]!, duration_minutes: 30, ...(event[3] ? { attendees: [event[3]] } : {}) });
  return scriptedMessage([{ type: 'text', text: 'Noted.' }]);
}

/** A local wall time as the model writes it: "2027-03-01T08:30". */
const wallT = (ms: number, tz: string) => formatWall(ms, tz).replace(' ', 'T');
const tsMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
const payloadJson = (p: { data?: Uint8Array | null } | undefined) => JSON.parse(Buffer.from(p?.data ?? []).toString('utf8'));

/**
 * A time-skipping server with the product's search attributes (its operator API can add them; see above). The
 * SDK gives the JVM 5 s to answer; a start that misses it on a busy machine is tried once more.
 */
async function timeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const start = () => TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testServerPath() } } });
  const env = await start().catch(start);
  try {
    const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, KEYWORD])),
    });
    return env;
  } catch (err) {
    await env.teardown();
    throw err;
  }
}

/** Every run of a workflow id, oldest first, with its history (found through the continue-as-new links). */
async function runsOf(client: Client, workflowId: string) {
  const runs: Array<{ runId: string; events: temporal.api.history.v1.IHistoryEvent[] }> = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const { events } = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.unshift({ runId, events: events! });
    runId = events![0]!.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}
const activityScheduled = (events: temporal.api.history.v1.IHistoryEvent[], name: string) =>
  events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === name);

const skip = javaMissing();

describe('months on the time-skipping server', { skip }, () => {
  /** The whole product (emulator, webhook, worker, PostgreSQL, model) on one time-skipping server. */
  let s: Stack;
  let env: TestWorkflowEnvironment;
  /** A client that never touches the time-skipping lock (see above): for workflow results. */
  let results: Client;
  const log = (...a: unknown[]) => process.env.TIMESKIP_DEBUG && console.log(...a);

  before(async () => {
    installTemporalLogger(createLogger(process.env.LOG_LEVEL ?? 'silent', 'temporal-sdk'));
    void workflowBundle(); // bundling (a few seconds) while the JVM starts
    env = await timeSkippingServer();
    results = new Client({ connection: env.connection, namespace: 'default' });
    // Production settings, but: the status message off (a slow request's progress card is not what is tested
    // here, and it costs a timer per request); a per-user event cap that 180 days of use go past several times
    // (default 5000: at one message a day, about 11 events each, well over a year); and a 2-hour sign-in wait instead of 24 hours: the wait re-checks
    // the token store every 5 minutes, and 288 re-checks (a day) cost more real seconds than the rule they
    // prove, which is the same for any setting.
    s = await startStack({ temporalEnv: env, script, env: { STATUS_MESSAGE_AFTER_MS: '0', USER_HISTORY_EVENT_CAP: '600', AUTH_WAIT_TIMEOUT_SECONDS: '7200' } });
    for (const u of ['minh', 'alice']) await s.authorize(u);
  });
  after(async () => s?.stop());

  /** The server's clock. */
  const now = () => env.currentTimeMs();
  /** Moves the server's clock to `ms`: every timer due on the way fires, and the work it starts runs, first. */
  async function skipTo(ms: number): Promise<void> {
    const n = await now();
    if (ms > n) await env.sleep(ms - n);
  }
  const textOf = (m: Message) => JSON.parse(m.content).text as string;
  const reminderCards = (chatId: string, text: string) =>
    s.emu.state.messageList().filter((m) => m.sender.sender_type === 'app' && m.chat_id === chatId && m.msg_type === 'interactive' && m.content.includes(text));

  /** A user's message through the emulator and the real webhook, stamped by Lark at the server's time. */
  async function say(from: string, text: string): Promise<string> {
    const payload = s.emu.events.message({ from, text }) as { event: { message: { message_id: string; create_time: string } } };
    payload.event.message.create_time = String(await now());
    const attempt = await s.emu.sendEvent(undefined, payload).done;
    if (!attempt.ok) throw new Error(`webhook refused the event: ${attempt.status} ${attempt.responseText}`);
    return payload.event.message.message_id;
  }
  const textReply = (id: string) => s.waitFor(`answer to ${id}`, () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
  async function click(from: string, card: Message, value: Record<string, unknown>): Promise<string> {
    const attempt = await s.callback(s.emu.events.cardAction({ from, messageId: card.message_id, value })); // the webhook or the long connection
    assert.ok(attempt.ok, `card callback answered ${attempt.status}`);
    return (JSON.parse(attempt.responseText || '{}') as { toast?: { content?: string } }).toast?.content ?? '';
  }
  const buttons = (card: Message) =>
    (JSON.parse(card.content).elements as Array<{ tag: string; actions?: Array<{ value: Record<string, unknown> }> }>).find((e) => e.tag === 'action')!
      .actions!;

  test('a reminder set three weeks ahead fires once, at its minute', async () => {
    const minh = s.emu.user('minh');
    const tz = s.config.user.timezone;
    const atMs = Math.ceil(((await now()) + 21 * DAY) / MINUTE) * MINUTE;
    const id = await say('minh', `remind me at ${wallT(atMs, tz)} to renew the passport`);
    assert.match(textOf(await textReply(id)), /Reminder set: “renew the passport”/);
    const [row] = (await s.services.reminders.listActive(minh.open_id)).filter((r) => r.text === 'renew the passport');
    assert.ok(row);
    const handle = s.client.workflow.getHandle(reminderWorkflowId(row.id));
    assert.equal((await handle.query(reminderStateQuery)).nextFireAtMs, atMs);

    await skipTo(atMs - MINUTE);
    assert.equal(reminderCards(minh.p2pChatId, 'renew the passport').length, 0, 'nothing a minute early');
    assert.equal((await handle.query(reminderStateQuery)).fired, 0);

    await skipTo(atMs + MINUTE);
    await s.waitFor('the card', () => reminderCards(minh.p2pChatId, 'renew the passport').length === 1);
    const st = await handle.query(reminderStateQuery);
    assert.deepEqual(st.firedOccurrences, [atMs]);
    assert.deepEqual(st.lateOccurrences, [], 'on time, not late');
    // When the server scheduled the fire: the timer's instant (plus the moments a workflow task takes).
    const [run] = await runsOf(s.client, handle.workflowId);
    const fires = activityScheduled(run!.events, 'fireReminder');
    assert.equal(fires.length, 1);
    const firedAt = tsMs(fires[0]!.eventTime);
    assert.ok(firedAt >= atMs && firedAt < atMs + 5000, `fired at ${new Date(firedAt).toISOString()}, due ${new Date(atMs).toISOString()}`);

    // Its card stays clickable for the click window, then the reminder is done: still one card.
    const windowEnd = firedAt + s.config.reminders.settings.clickWindowMs;
    await skipTo(windowEnd - MINUTE);
    assert.equal((await handle.describe()).status.name, 'RUNNING', 'the card is still clickable');
    await skipTo(windowEnd + MINUTE);
    assert.equal(await results.workflow.getHandle(handle.workflowId).result(), 'done');
    assert.equal(reminderCards(minh.p2pChatId, 'renew the passport').length, 1, 'fired exactly once');
    assert.equal((await s.services.reminders.get(row.id))!.status, 'done');
  });

  /** The first DST change of `tz` after `fromMs` (to the hour), with the UTC offsets (minutes) before and after. */
  function nextDstChange(fromMs: number, tz: string): { atMs: number; from: number; to: number } {
    for (let t = fromMs; t < fromMs + 400 * DAY; t += HOUR) {
      if (offsetMinutes(t + HOUR, tz) !== offsetMinutes(t, tz)) return { atMs: t + HOUR, from: offsetMinutes(t, tz), to: offsetMinutes(t + HOUR, tz) };
    }
    throw new Error(`${tz} has no DST change within 400 days`);
  }

  test(`a daily reminder in ${NY} fires every day at 08:30 local, across both DST changes`, async () => {
    // No 90-day window holds both US changes (November to March is 18 weeks, March to November 34), so the
    // reminder runs from the day before the next November change to the day after the March one.
    const minh = s.emu.user('minh');
    let fall = nextDstChange((await now()) + 3 * DAY, NY);
    if (fall.to > fall.from) fall = nextDstChange(fall.atMs + DAY, NY); // the March change comes first: take the next
    const spring = nextDstChange(fall.atMs + DAY, NY);
    const firstDay = formatWall(fall.atMs - DAY, NY).slice(0, 10);
    const lastDay = formatWall(spring.atMs + DAY, NY).slice(0, 10);
    const days = Math.round((Date.parse(`${lastDay}T00:00Z`) - Date.parse(`${firstDay}T00:00Z`)) / DAY) + 1;
    const dayAt = (i: number) => formatWall(zonedToEpochMs(`${firstDay}T12:00`, NY) + i * DAY, NY).slice(0, 10);
    await skipTo(zonedToEpochMs(`${firstDay}T07:00`, NY));

    // Set as the set_reminder tool sets one (the reminder service: the index row, then the workflow).
    const reminders = createReminderService({
      temporal: s.client,
      taskQueue: s.taskQueue,
      store: s.services.reminders,
      lark: s.services.lark,
      tokens: s.services.tokens,
      settings: s.config.reminders.settings,
      maxActive: 100,
    });
    const id = `rem-dst-${Date.now()}`;
    const t0 = Date.now();
    await reminders.create({
      id,
      openId: minh.open_id,
      chatId: minh.p2pChatId,
      kind: 'reminder',
      text: 'standup notes',
      lang: 'en',
      timezone: NY,
      schedule: { kind: 'daily', time: '08:30' },
      nowMs: await now(),
    });
    await skipTo(zonedToEpochMs(`${lastDay}T09:00`, NY));
    log(`${days} days of a daily reminder (${firstDay} to ${lastDay}) took`, Date.now() - t0, 'ms');
    const handle = s.client.workflow.getHandle(reminderWorkflowId(id));
    assert.equal((await handle.query(reminderStateQuery)).fired, days);
    assert.ok(await reminders.cancel(minh.open_id, id));
    assert.equal(await results.workflow.getHandle(handle.workflowId).result(), 'cancelled');

    const runs = await runsOf(s.client, handle.workflowId);
    assert.equal(runs.length, days + 1, 'a run per occurrence (continue-as-new), and the one the cancel ended');
    const fires = runs.flatMap((r) =>
      activityScheduled(r.events, 'fireReminder').map((e) => ({
        atMs: tsMs(e.eventTime),
        occurrenceMs: payloadJson(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!).occurrenceMs as number,
      })),
    );
    assert.equal(fires.length, days, 'one fire per day');
    assert.equal(reminderCards(minh.p2pChatId, 'standup notes').length, days, 'one card per day');
    for (const [i, f] of fires.entries()) {
      assert.equal(f.occurrenceMs, zonedToEpochMs(`${dayAt(i)}T08:30`, NY), `occurrence ${i + 1} is ${dayAt(i)} 08:30`);
      assert.equal(formatWall(f.atMs, NY), `${dayAt(i)} 08:30`, `fire ${i + 1} happened on ${dayAt(i)} at 08:30 local`);
      assert.ok(f.atMs - f.occurrenceMs < 5000, `fire ${i + 1} on its minute`);
    }
    // The same 08:30 on all three sides of the two changes: the UTC offset went -4 h, -5 h, -4 h.
    const offsets = fires.map((f) => offsetMinutes(f.atMs, NY));
    assert.deepEqual([...new Set(offsets)], [fall.from, fall.to], 'the offset changed');
    assert.equal(offsets.at(-1), spring.to);
    assert.equal(offsets.filter((o, i) => i > 0 && o !== offsets[i - 1]).length, 2, 'two changes crossed');
  });

  test('a login link waits for the sign-in as long as AUTH_WAIT_TIMEOUT_SECONDS says, then the request is dropped with a notice', async () => {
    const lan = s.emu.user('lan');
    const handle = s.client.workflow.getHandle(userWorkflowId(lan.open_id));
    const id = await say('lan', 'what is on my calendar tomorrow?');
    await s.waitFor('login card', () => s.dmsTo('lan').find((m) => m.msg_type === 'interactive' && m.content.includes('authen/v1/authorize')));
    const since = await s.waitFor('waiting', async () => (await handle.query(userStateQuery)).waitingForAuthSince);
    const wait = s.config.user.authWaitTimeoutMs;
    const expiryNotice = () => s.dmsTo('lan').find((m) => m.msg_type === 'text' && /expired/.test(textOf(m)));

    await skipTo(since + wait - MINUTE);
    let st = await handle.query(userStateQuery);
    assert.equal(st.waitingForAuthSince, since, 'still waiting a minute before');
    assert.equal(st.pendingCount, 1);
    assert.equal(expiryNotice(), undefined);

    await skipTo(since + wait + MINUTE);
    const notice = await s.waitFor('expiry notice', expiryNotice);
    assert.match(textOf(notice), /what is on my calendar tomorrow\?/, 'names the dropped request');
    st = await handle.query(userStateQuery);
    assert.equal(st.waitingForAuthSince, undefined);
    assert.equal(st.pendingCount, 0);
    assert.equal(st.expiredCount, 1);
    assert.equal(s.repliesTo(id).filter((m) => m.msg_type === 'text').length, 0, 'no answer: the request was dropped');
  });

  test('a Confirm card waits CONFIRM_TIMEOUT_SECONDS for a click, then nothing is done', async () => {
    const minh = s.emu.user('minh');
    const handle = s.client.workflow.getHandle(userWorkflowId(minh.open_id));
    const tz = s.config.user.timezone;
    const startMs = Math.ceil(((await now()) + 2 * DAY) / HOUR) * HOUR;
    const id = await say('minh', `create event "Budget review" at ${wallT(startMs, tz)} with ${s.emu.user('alice').name}`);
    const card = await s.waitFor('confirm card', () => s.repliesTo(id).find((m) => m.msg_type === 'interactive'));
    const postedAt = await now();
    const confirm = buttons(card).find((b) => b.value.decision === 'confirm')!.value; // the card loses its buttons when it expires
    assert.equal((await handle.query(userStateQuery)).awaitingConfirmation.length, 1);
    const live = () => s.emu.state.eventList().filter((e) => e.summary === 'Budget review' && e.status !== 'cancelled');

    await skipTo(postedAt + s.config.user.confirmTimeoutMs - MINUTE);
    assert.equal((await handle.query(userStateQuery)).awaitingConfirmation.length, 1, 'still waiting a minute before');
    assert.equal(s.repliesTo(id).filter((m) => m.msg_type === 'text').length, 0);

    await skipTo(postedAt + s.config.user.confirmTimeoutMs + MINUTE);
    const answer = await textReply(id);
    assert.match(textOf(answer), /Not done: .*“Budget review”.*not confirmed in time/, textOf(answer));
    assert.deepEqual((await handle.query(userStateQuery)).awaitingConfirmation, []);
    assert.match(await click('minh', card, confirm), /already answered/);
    assert.equal(live().length, 0, 'no event was created');
  });

  test('an Undo button works until UNDO_VALID_SECONDS have passed, and is refused after', async () => {
    const tz = s.config.user.timezone;
    const base = Math.ceil(((await now()) + 3 * DAY) / HOUR) * HOUR;
    const live = (title: string) => s.emu.state.eventList().filter((e) => e.summary === title && e.status !== 'cancelled');
    const undoCard = (id: string) =>
      s.waitFor<Message>('undo card', () => s.emu.state.messageList().find((m) => m.parent_id === id && m.msg_type === 'interactive' && isUndoCard(m.content)));

    const a = await say('minh', `create event "Offsite" at ${wallT(base, tz)}`);
    const cardA = await undoCard(a);
    const offeredA = await now();
    const b = await say('minh', `create event "Retro" at ${wallT(base + HOUR, tz)}`);
    const cardB = await undoCard(b);
    const offeredB = await now();
    assert.equal(live('Offsite').length, 1);
    assert.equal(live('Retro').length, 1);
    const valid = s.config.user.undoValidMs;

    await skipTo(offeredA + valid - MINUTE);
    assert.match(await click('minh', cardA, buttons(cardA)[0]!.value), /Undoing/);
    await s.waitFor('Offsite undone', () => live('Offsite').length === 0);

    await skipTo(offeredB + valid + MINUTE);
    assert.match(await click('minh', cardB, buttons(cardB)[0]!.value), /can no longer be undone/);
    assert.equal(live('Retro').length, 1, 'still there');
  });

  test('a per-user workflow used once a day for 180 days continues as new and stays small', async () => {
    const alice = s.emu.user('alice');
    const handle = s.client.workflow.getHandle(userWorkflowId(alice.open_id));
    const intake = createIntakeActivities({ client: s.client, taskQueue: s.taskQueue, userSettings: s.config.user });
    /**
     * A message from Lark, handed to the intake activity's signal-with-start as the event workflow hands it
     * (the webhook and the event workflow are the same for every message, and proven elsewhere).
     */
    async function route(text: string, atMs: number): Promise<string> {
      const payload = s.emu.events.message({ from: 'alice', text }) as { event: { message: { message_id: string; create_time: string } } };
      payload.event.message.create_time = String(atMs);
      const parsed = parseLarkCallback(payload);
      assert.ok(parsed.kind === 'event' && parsed.event.kind === 'message');
      await intake.routeMessageToUser({ ...toUserMessage(parsed.event), acceptedAtMs: atMs });
      return payload.event.message.message_id;
    }
    const cap = s.config.user.historyEventCap;
    const t0 = Date.now();
    const ids: string[] = [];
    let longest = 0;
    let today = await now();
    for (let day = 1; day <= 180; day++) {
      ids.push(await route(`note for day ${day}`, today));
      // A day later: the answer and its bookkeeping run first (the clock does not move while they do).
      await env.sleep(DAY);
      today += DAY;
      if (day % 30 === 0) longest = Math.max(longest, (await handle.describe()).historyLength);
    }
    log('180 days of use took', Date.now() - t0, 'ms');
    for (const id of ids)
      assert.ok(
        s.repliesTo(id).some((m) => m.msg_type === 'text'),
        `message ${id} answered`,
      );
    const state = await handle.query(userStateQuery);
    assert.equal(state.acceptedCount, 180, 'counters carried across runs');
    assert.equal(state.completedCount, 180);
    assert.equal(state.pendingCount, 0);

    const runs = await runsOf(s.client, handle.workflowId);
    const inputs = runs.map((r) => r.events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
    const sizes = inputs.map((p) => Buffer.from(p.data!).length);
    log({ runs: runs.length, lengths: runs.map((r) => r.events.length), sizes });
    assert.ok(runs.length >= 3, `continued as new (${runs.length} runs)`);
    // Each run ends at the first idle moment past the cap: at most one request's events over it.
    for (const [i, r] of runs.entries()) assert.ok(r.events.length <= cap + 60, `run ${i + 1}: ${r.events.length} events (cap ${cap})`);
    assert.ok(longest <= cap + 60, `the current run was at most ${longest} events long`);
    // What a run carries: the dedup window (message ids, up to USER_DEDUP_WINDOW of them), chat memory and
    // counters; never the past requests. Without the ids it stays the same small size run after run.
    for (const [i, p] of inputs.entries()) {
      const { carried } = payloadJson(p) as { carried?: { recentMessageIds: string[] } };
      if (!carried) continue; // the first run
      assert.ok(carried.recentMessageIds.length <= s.config.user.dedupWindow);
      const rest = JSON.stringify({ ...carried, recentMessageIds: [] }).length;
      assert.ok(rest < 4096, `run ${i + 1} carried ${rest} bytes besides ${carried.recentMessageIds.length} message ids`);
    }
    assert.ok(Math.max(...sizes) < 16 * 1024, `inputs: ${sizes.join(', ')} bytes`);
  });
});
