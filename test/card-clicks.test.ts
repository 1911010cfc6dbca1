/**
 * Card clicks tell the truth: only the person whose request it is can answer a Confirm card; the toast says
 * what the click changed (confirmed, already answered, no longer waiting, not yours); the login card's
 * "send me a new link" button sends one fresh card, at most one per interval.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Message } from '../dev/emulator/state';
import { confirmationUpdate, undoUpdate, userWorkflowId } from '../workflows/contract';
import { startStack, type Stack } from './support/stack';

let s: Stack;
before(async () => {
  s = await startStack({ env: { LOGIN_CARD_MIN_INTERVAL_SECONDS: '2' } });
  await s.authorize('minh');
});
after(async () => s?.stop());

/** Clicks a button as `from` and returns the toast the webhook answered with. */
async function clickAs(from: string, card: Message, value: Record<string, unknown>): Promise<string> {
  const attempt = await s.callback(s.emu.events.cardAction({ from, messageId: card.message_id, value }));
  assert.ok(attempt.ok, `callback answered ${attempt.status}`);
  return (JSON.parse(attempt.responseText || '{}') as { toast?: { content?: string } }).toast?.content ?? '';
}
const buttons = (card: Message) =>
  JSON.parse(card.content).elements.find((e: { tag: string }) => e.tag === 'action').actions as Array<{ value?: Record<string, unknown> }>;

test('a Confirm card: someone else cannot answer it; the owner can, once; a second or unknown click changes nothing', async () => {
  const id = await s.say('minh', 'tạo cuộc họp 3h chiều mai với Lan');
  const card = await s.waitFor('confirm card', () => s.repliesTo(id).find((m) => m.msg_type === 'interactive'));
  const confirm = buttons(card).find((b) => b.value?.decision === 'confirm')!.value!;
  assert.equal(confirm.owner, s.emu.user('minh').open_id, 'the button names its owner');
  // The card says what will happen in words: the title, the day and time, who is invited.
  assert.match(card.content, /Tạo sự kiện \*\*.+\*\* \(Thứ \S+ \d{1,2}\/\d{1,2}, 15:00–16:00\) và mời Lan/);

  // The card is Vietnamese (so was the request): so are its toasts.
  assert.match(await clickAs('lan', card, confirm), /^Chỉ người đã gửi yêu cầu mới xác nhận được$/);
  assert.equal((await s.userState('minh')).awaitingConfirmation.length, 1, 'still waiting: a foreign click changed nothing');
  assert.equal(s.emu.state.eventList().length, 0, 'nothing created');

  assert.match(await clickAs('minh', card, confirm), /^Đã xác nhận$/);
  await s.waitFor('answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
  assert.equal(s.emu.state.eventList().filter((e) => e.summary).length, 1, 'created once');
  assert.match(await clickAs('minh', card, confirm), /đã được trả lời rồi/);
  assert.match(await clickAs('minh', card, { ...confirm, key: `${id}:toolu_made_up` }), /không còn chờ xác nhận/);
  assert.equal(s.emu.state.eventList().filter((e) => e.summary).length, 1, 'still once');
});

test('the workflow checks the clicker too: an Update that names someone else changes nothing, even past the webhook', async () => {
  const id = await s.say('minh', 'tạo cuộc họp 3h chiều mai với Lan');
  const card = await s.waitFor('confirm card', () => s.repliesTo(id).find((m) => m.msg_type === 'interactive'));
  const confirm = buttons(card).find((b) => b.value?.decision === 'confirm')!.value!;
  const before = s.emu.state.eventList().filter((e) => e.summary).length;
  // Straight to Temporal, as anyone who reaches its port could: the clicker is Lan, not the owner.
  const handle = s.client.workflow.getHandle(userWorkflowId(s.emu.user('minh').open_id));
  const r = await handle.executeUpdate(confirmationUpdate, { args: [{ key: confirm.key as string, decision: 'confirm', by: s.emu.user('lan').open_id }] });
  assert.equal(r.result, 'not_yours');
  assert.equal((await s.userState('minh')).awaitingConfirmation.length, 1, 'still waiting');
  const undo = await handle.executeUpdate(undoUpdate, { args: [{ key: id, by: s.emu.user('lan').open_id }] });
  assert.equal(undo.result, 'not_yours');
  assert.match(await clickAs('minh', card, { ...confirm, decision: 'cancel' }), /^Đã huỷ|Đã hủy/);
  await s.waitFor('answer', () => s.repliesTo(id).find((m) => m.msg_type === 'text'));
  assert.equal(s.emu.state.eventList().filter((e) => e.summary).length, before, 'nothing created');
});

test('the login card\'s "send me a new link" button sends one fresh card, then says one was just sent', async () => {
  const id = await s.say('alice', 'add a task to call the bank');
  const cards = () => s.dmsTo('alice').filter((m) => m.msg_type === 'interactive' && m.content.includes('authen/v1/authorize'));
  await s.waitFor('login card', () => cards().length === 1);
  const newLink = buttons(cards()[0]!).find((b) => b.value?.kind === 'login_link')!.value!;
  assert.match(await clickAs('lan', cards()[0]!, newLink), /Only the person/, 'someone else cannot ask for my link');
  // The first card was just sent: within the interval the button says so and sends nothing.
  assert.match(await clickAs('alice', cards()[0]!, newLink), /just sent/);
  assert.equal(cards().length, 1);
  await new Promise((r) => setTimeout(r, 2100));
  assert.match(await clickAs('alice', cards()[0]!, newLink), /on its way/);
  await s.waitFor('a fresh card', () => cards().length === 2);
  assert.notEqual(
    JSON.parse(cards()[1]!.content).elements[1].actions[0].multi_url.url,
    JSON.parse(cards()[0]!.content).elements[1].actions[0].multi_url.url,
    'a new link',
  );
  assert.equal(s.repliesTo(id).length, 0, 'still waiting for sign-in, nothing answered');
});
