/**
 * Urgent reminders escalate once: a card nobody clicks within REMINDER_URGENT_AFTER_SECONDS gets ONE in-app urgent
 * notification (Lark's urgent_app, counted at the emulator), a normal reminder never does, and an urgent one
 * clicked in time is not buzzed. Real dev server, PostgreSQL, worker and activities; the model is scripted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Message } from '../dev/emulator/state';
import { understandReminder } from '../dev/llm/offline-reminders';
import { scriptedMessage, type RecordedRequest, type ScriptedReply } from '../dev/llm/offline-model';
import { formatWall } from '../src/lark/time';
import { reminderStateQuery, reminderWorkflowId } from '../workflows/contract';
import { startStack, type Stack } from './support/stack';

const TZ = 'Asia/Ho_Chi_Minh';
const URGENT_AFTER_S = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const toolResults: string[] = [];

/** "remind me [urgently] in N seconds to X": set_reminder N s ahead, urgent when asked. */
function script(req: RecordedRequest): ScriptedReply {
  const msgs = req.body.messages as Array<{ role: string; content: unknown }>;
  const last = msgs.at(-1)!;
  if (Array.isArray(last.content)) {
    for (const b of last.content as Array<{ type: string; content?: unknown }>) if (b.type === 'tool_result') toolResults.push(JSON.stringify(b.content));
    return scriptedMessage([{ type: 'text', text: 'Okay.' }]);
  }
  const m = /remind me (urgently )?in (\d+) seconds to (.+)$/.exec(typeof last.content === 'string' ? last.content : '');
  if (!m) return scriptedMessage([{ type: 'text', text: 'I did not understand.' }]);
  const at = formatWall(Date.now() + Number(m[2]) * 1000, TZ).replace(' ', 'T');
  return scriptedMessage([
    {
      type: 'tool_use',
      id: `toolu_${msgs.length}_${Date.now()}`,
      name: 'set_reminder',
      input: { text: m[3]!, at: at.length === 16 ? `${at}:00` : at, ...(m[1] ? { urgent: true } : {}) },
    },
  ]);
}

let s: Stack;
before(async () => {
  s = await startStack({ script, env: { REMINDER_URGENT_AFTER_SECONDS: String(URGENT_AFTER_S) } });
  await s.authorize('minh');
});
after(async () => s?.stop());

const cardFor = (text: string) =>
  s.emu.state
    .messageList()
    .find((m) => m.sender.sender_type === 'app' && m.msg_type === 'interactive' && m.content.includes(text) && m.content.includes('Snooze'));
const buzzesOf = (card: Message) => s.emu.state.urgents.filter((u) => u.message_id === card.message_id);
async function reminderIdOf(text: string): Promise<string> {
  const [row] = (await s.services.reminders.listActive(s.emu.user('minh').open_id)).filter((r) => r.text === text);
  assert.ok(row, `reminder "${text}" is listed`);
  return row.id;
}

describe('urgent reminders', () => {
  test('an urgent card nobody clicks is buzzed once, to its owner; the tool result says what will happen', async () => {
    await s.say('minh', 'remind me urgently in 4 seconds to call the bank');
    const id = await s.waitFor('set', () => reminderIdOf('call the bank').catch(() => undefined), 20_000);
    const result = await s.waitFor('the tool result reached the model', () => toolResults.find((r) => r.includes('call the bank')), 20_000);
    assert.match(result, /buzz_if_unanswered_after_seconds.{0,4}3/, 'the answer can say when it will buzz');
    const card = await s.waitFor('fired', () => cardFor('call the bank'), 30_000);
    await s.waitFor('buzzed', () => (buzzesOf(card).length ? true : undefined), (URGENT_AFTER_S + 15) * 1000);
    const firedAt = Number(card.create_time);
    const buzz = buzzesOf(card)[0]!;
    assert.ok(buzz.at - firedAt >= URGENT_AFTER_S * 1000, `not before the wait (${buzz.at - firedAt} ms after the card)`);
    assert.deepEqual(buzz.open_ids, [s.emu.user('minh').open_id]);
    await sleep(URGENT_AFTER_S * 1000 + 1000);
    assert.equal(buzzesOf(card).length, 1, 'once');
    const state = await s.client.workflow.getHandle(reminderWorkflowId(id)).query(reminderStateQuery);
    assert.equal(state.escalated?.length, 1);
  });

  test('a normal reminder is never buzzed; an urgent one clicked in time is not either', async () => {
    await s.say('minh', 'remind me in 3 seconds to drink tea');
    await s.say('minh', 'remind me urgently in 3 seconds to stand up');
    const tea = await s.waitFor('tea fired', () => cardFor('drink tea'), 30_000);
    const stand = await s.waitFor('stand up fired', () => cardFor('stand up'), 30_000);
    const done = (
      JSON.parse(stand.content).elements.find((e: { tag: string }) => e.tag === 'action').actions as Array<{ value: Record<string, unknown> }>
    ).find((b) => b.value.action === 'done')!.value;
    const click = await s.callback(s.emu.events.cardAction({ from: 'minh', messageId: stand.message_id, value: done }));
    assert.ok(click.ok);
    await sleep((URGENT_AFTER_S + 3) * 1000);
    assert.equal(buzzesOf(tea).length, 0, 'a normal reminder: no buzz');
    assert.equal(buzzesOf(stand).length, 0, 'clicked in time: no buzz');
  });
});

test('the offline model reads "urgently" / "khẩn" as an urgent reminder, and leaves the word out of its text', () => {
  const now = { year: 2026, month: 12, day: 3, hour: 9, minute: 0, second: 0 };
  const en = understandReminder('remind me urgently in 10 minutes to call the bank', now);
  assert.deepEqual(en, { kind: 'set_reminder', input: { text: 'Call the bank', in_minutes: 10, urgent: true } });
  const vi = understandReminder('nhắc khẩn tôi sau 10 phút gọi ngân hàng', now);
  assert.equal(vi?.kind, 'set_reminder');
  assert.equal((vi as { input: { urgent?: boolean } }).input.urgent, true);
  assert.deepEqual(understandReminder('remind me in 10 minutes to call the bank', now), {
    kind: 'set_reminder',
    input: { text: 'Call the bank', in_minutes: 10 },
  });
});
