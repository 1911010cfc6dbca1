/**
 * Work in flight, as a deploy finds it: every waiting state a long-lived run can be in, made through the
 * product's front door (messages, card clicks, the OAuth callback), then finished, checking that each request
 * ended exactly once. The export script (scripts/export-histories.ts) stops after `createInFlightWork` and
 * saves the runs' histories; the upgrade test (test/upgrade.test.ts) deploys the current code and finishes.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { isSideCard } from '../../src/cards/side-card';
import type { Message } from '../../dev/emulator/state';
import { reminderStateQuery, userStateQuery, userWorkflowId, type ReminderWorkflowState, type UserWorkflowState } from '../../workflows/contract';
import type { DeploymentWorld } from './deployment';

/** The in-flight work's facts, enough to finish it on another deployment. */
export interface InFlight {
  /** Each request's message id, by scenario. */
  requests: Record<string, string>;
  /** Bot messages that are cards waiting for a click, by scenario. */
  cards: Record<string, string>;
  /** The run that continued-as-new (khanh's first run). */
  continuedRunId?: string;
  /** Reminder workflows (their ids) by scenario. */
  reminders: Record<string, string>;
}

type ButtonValue = Record<string, unknown>;

export function driver(world: DeploymentWorld) {
  const { emu } = world;
  const openId = (key: string) => emu.user(key).open_id;
  const waitFor = async <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 45_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (let lastError = ''; ;) {
      // A run not started yet answers queries with "not found": not yet, rather than a failure.
      const v = await Promise.resolve()
        .then(fn)
        .catch((err: unknown) => void (lastError = String(err)));
      if (v) return v as T;
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for: ${what}${lastError ? ` (last error: ${lastError})` : ''}\n${(world.running?.tail ?? []).slice(-15).join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 150));
    }
  };
  const allRepliesTo = (messageId: string): Message[] => world.botMessages().filter((m) => m.parent_id === messageId || m.root_id === messageId);
  const repliesTo = (messageId: string): Message[] =>
    world.botMessages().filter((m) => (m.parent_id === messageId || m.root_id === messageId) && !isSideCard(m));
  const dms = (key: string): Message[] => world.botMessages().filter((m) => m.chat_id === emu.user(key).p2pChatId && !m.parent_id);
  const buttons = (m: Message): ButtonValue[] => {
    const found: ButtonValue[] = [];
    const walk = (x: unknown) => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') {
        const o = x as Record<string, unknown>;
        if (o.tag === 'button' && o.value && typeof o.value === 'object') found.push(o.value as ButtonValue);
        Object.values(o).forEach(walk);
      }
    };
    if (m.msg_type === 'interactive') walk(JSON.parse(m.content));
    return found;
  };
  const cardWith = (messages: Message[], kind: string) => [...messages].reverse().find((m) => buttons(m).some((b) => b.kind === kind));

  const d = {
    openId,
    waitFor,
    repliesTo,
    allRepliesTo,
    dms,
    buttons,
    cardWith,
    async say(key: string, text: string): Promise<string> {
      const payload = emu.events.message({ from: key, text }) as { event: { message: { message_id: string } } };
      const attempt = await emu.sendEvent(undefined, payload).done;
      if (!attempt.ok) throw new Error(`webhook refused the message: ${attempt.status} ${attempt.responseText}`);
      return payload.event.message.message_id;
    },
    /** Follows the latest login card's link through the emulator's consent page to the OAuth callback. */
    async signIn(key: string): Promise<number> {
      const card = [...dms(key)].reverse().find((m) => m.msg_type === 'interactive' && m.content.includes('authen/v1/authorize'));
      if (!card) throw new Error(`no login card for ${key}`);
      const link = new URL(/"(https?:[^"]*authen\/v1\/authorize[^"]*)"/.exec(card.content)![1]!.replace(/\\u0026/g, '&'));
      const redirect = emu.authorize({
        openId: openId(key),
        redirectUri: link.searchParams.get('redirect_uri')!,
        state: link.searchParams.get('state')!,
        scope: link.searchParams.get('scope')!,
        codeChallenge: link.searchParams.get('code_challenge')!,
      });
      return (await fetch(redirect)).status;
    },
    async click(key: string, card: Message, pick: (v: ButtonValue) => boolean): Promise<void> {
      const value = buttons(card).find(pick);
      if (!value) throw new Error(`no such button on ${card.message_id}`);
      const attempt = await emu.sendEvent(`${world.webhookUrl}/webhook/card`, emu.events.cardAction({ from: key, messageId: card.message_id, value })).done;
      if (!attempt.ok) throw new Error(`card callback refused: ${attempt.status} ${attempt.responseText}`);
    },
    userState: (key: string): Promise<UserWorkflowState> => world.client.workflow.getHandle(userWorkflowId(openId(key))).query(userStateQuery),
    reminderState: (workflowId: string): Promise<ReminderWorkflowState> => world.client.workflow.getHandle(workflowId).query(reminderStateQuery),
    /** Text answers (not cards) to a request. */
    textAnswers: (messageId: string) => repliesTo(messageId).filter((m) => m.msg_type === 'text'),
  };
  return d;
}

/** Signs a user in the way a user does: a request, the login card, the consent page; waits for the answer. */
async function signInThroughARequest(d: ReturnType<typeof driver>, key: string): Promise<void> {
  const id = await d.say(key, 'what tasks do I have?');
  await d.waitFor(`${key}'s login card`, () => d.dms(key).some((m) => m.content.includes('authen/v1/authorize')));
  const status = await d.signIn(key);
  if (status !== 200) throw new Error(`${key}'s sign-in answered ${status}`);
  await d.waitFor(`${key}'s first answer`, () => d.textAnswers(id).length > 0);
}

export async function createInFlightWork(world: DeploymentWorld): Promise<InFlight> {
  const d = driver(world);
  const inflight: InFlight = { requests: {}, cards: {}, reminders: {} };
  await Promise.all(['binh', 'chi', 'dung', 'giang', 'hanh', 'khanh'].map((k) => signInThroughARequest(d, k)));
  world.log('signed in');

  // An, never signed in: two requests queued behind one login card.
  inflight.requests.an1 = await d.say('an', 'what tasks do I have?');
  await d.waitFor('an waits for sign-in', async () => (await d.userState('an')).waitingForAuthSince !== undefined);
  inflight.requests.an2 = await d.say('an', "what's on my calendar tomorrow?");
  await d.waitFor('an has two requests queued', async () => (await d.userState('an')).pendingCount === 2);

  // Bình: a meeting with Lan waits for Confirm.
  inflight.requests.confirm = await d.say('binh', 'tạo cuộc họp 3h chiều mai với Lan');
  inflight.cards.confirm = (await d.waitFor('the Confirm card', () => d.cardWith(d.repliesTo(inflight.requests.confirm!), 'confirm'))).message_id;

  // Chi: find-a-time offers slots.
  inflight.requests.slot = await d.say('chi', 'find 30 minutes with Lan tomorrow');
  inflight.cards.slot = (await d.waitFor('the slot card', () => d.cardWith(d.repliesTo(inflight.requests.slot!), 'slot'))).message_id;

  // Dũng: a task with an Undo button.
  inflight.requests.undo = await d.say('dung', 'add a task to send the report by Monday');
  inflight.cards.undo = (await d.waitFor('the Undo card', () => d.cardWith(d.allRepliesTo(inflight.requests.undo!), 'undo'))).message_id;

  // Giang: a daily reminder, the daily agenda, and a one-off that fires after the deploy.
  for (const [name, text] of [
    ['daily', 'remind me every day at 9am to check email'],
    ['agenda', 'send me my agenda every morning at 8'],
    ['soon', 'remind me in 1 minute to call Lan'],
  ] as const) {
    inflight.requests[name] = await d.say('giang', text);
    await d.waitFor(`giang's ${name} reminder answered`, () => d.textAnswers(inflight.requests[name]!).length > 0);
  }

  // Hạnh: a reminder that follows her next meeting.
  inflight.requests.meeting = await d.say('hanh', 'book a standup at 9 tomorrow');
  await d.waitFor('the standup booked', () => d.textAnswers(inflight.requests.meeting!).length > 0);
  inflight.requests.linked = await d.say('hanh', 'remind me 15 minutes before my next meeting');
  await d.waitFor('the linked reminder answered', () => d.textAnswers(inflight.requests.linked!).length > 0);

  // Khanh: enough requests that the run continues-as-new (the deployment's history cap is small).
  const khanhId = userWorkflowId(d.openId('khanh'));
  const firstRun = (await world.client.workflow.getHandle(khanhId).describe()).runId;
  for (let i = 0; ; i++) {
    const id = await d.say('khanh', i % 2 ? 'what tasks do I have?' : "what's on my calendar tomorrow?");
    await d.waitFor(`khanh's request ${i} answered`, () => d.textAnswers(id).length > 0);
    const now = await world.client.workflow.getHandle(khanhId).describe();
    if (now.runId !== firstRun) {
      inflight.continuedRunId = firstRun;
      break;
    }
    if (i > 40) throw new Error('khanh never continued-as-new: is USER_HISTORY_EVENT_CAP small?');
  }

  for (const r of await longLivedRuns(world)) if (r.type === 'larkReminderWorkflow') inflight.reminders[await reminderKind(world, r.workflowId)] = r.workflowId;
  return inflight;
}

/** A reminder run's kind, read from its start input: linked (to a meeting), agenda, daily, or once. */
export async function reminderKind(world: DeploymentWorld, workflowId: string): Promise<string> {
  const history = await world.client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = JSON.parse(Buffer.from(payload?.data ?? new Uint8Array()).toString('utf8')) as { kind?: string; event?: unknown; schedule?: { kind?: string } };
  if (input.event) return 'linked';
  if (input.kind === 'agenda') return 'agenda';
  return input.schedule?.kind === 'once' ? 'once' : 'recurring';
}

/** Open runs of the long-lived types on the deployment's task queue (event runs are short and not kept). */
export async function longLivedRuns(world: DeploymentWorld): Promise<Array<{ workflowId: string; runId: string; type: string }>> {
  const out: Array<{ workflowId: string; runId: string; type: string }> = [];
  for await (const w of world.client.workflow.list({
    query: `TaskQueue = "${world.taskQueue}" AND ExecutionStatus = "Running"`,
  }) as AsyncIterable<WorkflowExecutionInfo>) {
    if (w.type === 'larkEventWorkflow') continue;
    out.push({ workflowId: w.workflowId, runId: w.runId, type: w.type });
  }
  return out;
}
