/**
 * The sandbox page in headless Chromium, as a new user meets it: chat with the bot, sign in from the login card
 * (the button is then disabled), see the answer with a quote of the question, a status line while the bot
 * works, Lark markdown and mentions rendered, the team group with and without @mention, a reply in a thread,
 * the toast of a card click, a selection that survives polling, and a notice (not a silent cut) for a message
 * over Lark's text limit. SCREENSHOT_DIR=dir keeps the screenshots; SCREENSHOT=1 refreshes docs/sandbox.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { TEXT_LIMIT } from '../dev/emulator/im';
import { scriptedMessage, type RecordedRequest } from '../dev/llm/offline-model';
import { offlineReply } from '../dev/llm/offline-rules';
import { chromiumPath, launchBrowser } from './support/browser';
import { startStack, type Stack } from './support/stack';

const hasBrowser = Boolean(chromiumPath());
const skip = hasBrowser ? false : 'Chromium is not installed (apt-get install chromium)';
const shots = process.env.SCREENSHOT_DIR;
if (shots) mkdirSync(shots, { recursive: true });

/** The offline model, slowed down for requests that say "slowly" so the status line can be seen. */
async function script(req: RecordedRequest) {
  const out = offlineReply(req.body);
  const slow = JSON.stringify(req.body.messages.at(-1)).includes('slowly');
  return { ...scriptedMessage(out.content, { stop_reason: out.stop_reason }), ...(slow ? { delayMs: 4000 } : {}) };
}

let s: Stack;
let browser: Browser;
before(async () => {
  if (!hasBrowser) return;
  s = await startStack({ script });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await s?.stop();
});

async function open(userKey: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(`${s.emu.url}/sandbox?user=${userKey}`);
  await page.locator('#user option').first().waitFor({ state: 'attached' });
  return page;
}

async function shot(page: Page, name: string) {
  if (shots) await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

async function send(page: Page, text: string) {
  await page.fill('#text', text);
  await page.click('#send-button');
}

const botRows = (page: Page) => page.locator('#log .row').filter({ has: page.locator('[data-from="bot"]') });

describe('sandbox page', { skip }, () => {
  test('direct message: status line, login card, Sign-in disabled after signing in, the answer quotes the question', async () => {
    const page = await open('minh');
    await send(page, 'add a task to send the report by Monday');
    // Not authorized yet: the status line says what the bot waits for, and the login card appears.
    await page.locator('#status[data-state="sign-in"]').waitFor({ timeout: 30_000 });
    const signIn = page.locator('.card a.btn', { hasText: 'Sign in' });
    await signIn.waitFor({ timeout: 30_000 });
    await shot(page, '1-login-card');
    const [popup] = await Promise.all([page.context().waitForEvent('page'), signIn.click()]);
    await popup.waitForLoadState();
    assert.match(await popup.content(), /Authorize app/);
    await popup.click(`text=Log in as ${s.emu.user('minh').name}`);
    await popup.waitForURL(/oauth\/callback/);
    assert.match(await popup.content(), /Đã kết nối|Connected/);
    await popup.close();

    // The request continues; the answer quotes the message it answers and names the task.
    const answer = page.locator('.msg[data-from="bot"]', { hasText: 'Send the report' });
    await answer.waitFor({ timeout: 30_000 });
    assert.match(await answer.innerText(), /Added the task "Send the report", due Mon \d+ \w+, 17:00/);
    assert.match(await answer.locator('.quote').innerText(), /Trần Văn Minh: add a task to send the report by Monday/);
    // The spent login link is a disabled button now, and the header says who is signed in.
    await page.locator('.card button.btn[disabled]', { hasText: 'Signed in' }).waitFor({ timeout: 10_000 });
    assert.equal(await signIn.count(), 0, 'no active Sign-in link is left');
    assert.match(await page.locator('#signed').innerText(), /Signed in as Trần Văn Minh/);
    await page.locator('#tasks li', { hasText: /report/i }).waitFor({ timeout: 10_000 });
    assert.equal(s.emu.state.taskList().filter((t) => /report/i.test(t.summary)).length, 1);
    await page.locator('#status:not([data-state="sign-in"]):not([data-state="working"])').waitFor({ timeout: 10_000 });
    await shot(page, '2-answer');
    if (process.env.SCREENSHOT) await page.screenshot({ path: 'docs/sandbox.png' });

    // While a request runs, the status line says the bot is working, until the answer arrives.
    await send(page, 'show my tasks slowly');
    await page.locator('#status[data-state="working"]', { hasText: 'working' }).waitFor({ timeout: 5_000 });
    await shot(page, '3-working');
    await page.locator('.msg[data-from="bot"]', { hasText: 'open task' }).waitFor({ timeout: 30_000 });
    await page.locator('#status[data-state=""]').waitFor({ timeout: 5_000 });
    await page.close();
  });

  test('Lark markdown and mentions are rendered, not shown as source', async () => {
    await s.authorize('lan');
    const lan = s.emu.user('lan');
    // Straight to the emulator's Open API, as any app could send it: the product's own client neutralizes markup
    // in every text it sends (src/lark/text-message.ts), so it cannot be the sender here.
    const token = (await (
      await fetch(`${s.emu.url}/open-apis/auth/v3/tenant_access_token/internal`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ app_id: s.emu.appId, app_secret: s.emu.appSecret }),
      })
    ).json()) as { tenant_access_token: string };
    const text = `**Weekly plan** is ready: [open the doc](https://example.com/doc) or https://example.com/raw. <at user_id="${s.emu.user('minh').open_id}">Minh</at> please check ~~old~~ *new*.`;
    const sent = await fetch(`${s.emu.url}/open-apis/im/v1/messages?receive_id_type=open_id`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.tenant_access_token}` },
      body: JSON.stringify({ receive_id: lan.open_id, msg_type: 'text', content: JSON.stringify({ text }), uuid: 'sandbox-test-markdown' }),
    });
    assert.equal(((await sent.json()) as { code: number }).code, 0);
    const page = await open('lan');
    const msg = page.locator('.msg[data-from="bot"]', { hasText: 'Weekly plan' });
    await msg.waitFor({ timeout: 10_000 });
    assert.equal(await msg.locator('strong').first().innerText(), 'Weekly plan');
    assert.equal(await msg.locator('a[href="https://example.com/doc"]').innerText(), 'open the doc');
    assert.equal(await msg.locator('a[href="https://example.com/raw"]').innerText(), 'https://example.com/raw');
    assert.equal(await msg.locator('.mention').innerText(), '@Minh');
    assert.equal(await msg.locator('del').innerText(), 'old');
    assert.equal(await msg.locator('em').innerText(), 'new');
    const shown = await msg.locator('.text').innerText();
    assert.doesNotMatch(shown, /\*\*|<at|\]\(|~~/, `no markdown source is shown: ${shown}`);
    await page.close();
  });

  test('team group: without @mention the bot does not answer (and the page says why); with it, it answers; a reply in a thread stays in the thread', async () => {
    const page = await open('lan');
    await page.selectOption('#chat', 'group');
    await page.locator('#mention-wrap').waitFor();
    await page.uncheck('#mention');
    await send(page, 'good morning team');
    await page.locator('#status[data-state="ignored"]', { hasText: '@mention' }).waitFor({ timeout: 10_000 });
    const plain = s.emu.state.messageList().find((m) => m.content.includes('good morning team'))!;
    assert.equal(plain.mentions, undefined, 'sent without a mention');

    await page.check('#mention');
    await send(page, 'show my tasks');
    // Lark shows the mention by name, never the "@_user_1" key.
    const mine = page.locator('.row.mine .msg', { hasText: 'show my tasks' });
    await mine.waitFor({ timeout: 10_000 });
    assert.match(await mine.locator('.mention').innerText(), /^@Bot$/);
    assert.doesNotMatch(await mine.innerText(), /@_user_/);
    const answer = page.locator('.msg[data-from="bot"]', { hasText: 'open task' });
    await answer.waitFor({ timeout: 30_000 });
    assert.match(await answer.locator('.quote').innerText(), /show my tasks/);
    assert.equal(s.repliesTo(plain.message_id).length, 0, 'the message without @mention got no answer');

    // Reply in thread to the bot's answer: the question and the bot's answer both sit in the thread.
    const answerRow = page.locator('#log .row', { has: answer });
    await answerRow.locator('button[data-thread]').click();
    assert.match(await page.locator('#replying').innerText(), /Replying in thread to Bot/);
    await send(page, 'find Minh');
    const inThread = page.locator('.row.in-thread .msg[data-from="bot"]', { hasText: 'Trần Văn Minh' });
    await inThread.waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.row.in-thread.mine', { hasText: 'find Minh' }).count(), 1);
    const question = s.emu.state.messageList().find((m) => m.content.includes('find Minh'))!;
    assert.ok(question.thread_id, 'the question is in a thread');
    const reply = s.repliesTo(question.message_id).find((m) => m.msg_type === 'text')!;
    assert.equal(reply.thread_id, question.thread_id, 'the bot answered in the same thread');
    await shot(page, '4-group-thread');
    await page.close();
  });

  test('a card click shows the toast the app answered; the status line waits for the click', async () => {
    const page = await open('lan');
    await send(page, 'schedule a meeting tomorrow at 3pm with Minh');
    const card = page.locator('.card', { hasText: 'Minh' }).filter({ has: page.locator('button[data-msg]') });
    await card.waitFor({ timeout: 30_000 });
    await page.locator('#status[data-state="confirm"]').waitFor({ timeout: 10_000 });
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/sandbox/api/click')), card.locator('button.btn.primary').click()]);
    const answered = (await res.json()) as { toast?: { content: string } };
    assert.ok(answered.toast?.content, `the app answered a toast: ${JSON.stringify(answered)}`);
    const toast = page.locator('.toast', { hasText: answered.toast.content });
    await toast.waitFor({ timeout: 5_000 });
    await shot(page, '5-toast');
    await page.locator('.msg[data-from="bot"]', { hasText: 'Created "Meeting with Minh"' }).waitFor({ timeout: 30_000 });
    await page.close();
  });

  test('polling patches the page: a selection and the message elements survive new messages', async () => {
    const page = await open('lan');
    const text = page.locator('.msg[data-from="bot"] .text', { hasText: 'Weekly plan' });
    await text.waitFor({ timeout: 10_000 });
    // Browser code (this project compiles without the DOM types): mark the element and select its text.
    const selected = await text.evaluate((node: any) => {
      node.marked = true;
      const doc = (globalThis as any).document;
      const range = doc.createRange();
      range.selectNodeContents(node);
      const sel = doc.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      return String(sel.toString());
    });
    assert.match(selected, /Weekly plan/);
    const rowsBefore = await page.locator('#log .row').count();
    await s.services.lark.sendMessage('open_id', s.emu.user('lan').open_id, {
      msgType: 'text',
      uuid: 'sandbox-test-new',
      content: { text: 'a new message while you read' },
    });
    await page.locator('.msg', { hasText: 'a new message while you read' }).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(2500); // a few more polls
    assert.ok((await page.locator('#log .row').count()) > rowsBefore, 'the page did change meanwhile');
    assert.equal(await page.evaluate(() => String((globalThis as any).document.getSelection().toString())), selected, 'the selection is intact');
    assert.equal(await text.evaluate((node: any) => node.marked), true, 'the same element, not a redrawn copy');
    await page.close();
  });

  test("a message over Lark's text limit gets a notice with the limit and is not sent; a 5,000-character message is sent whole", async () => {
    const page = await open('minh');
    const before = s.emu.state.messageList().length;
    await page.fill('#text', 'x'.repeat(TEXT_LIMIT + 10));
    const notice = page.locator('#notice');
    await notice.waitFor({ state: 'visible' });
    assert.match(await notice.innerText(), /at most 150 KB and this one is 151 KB/);
    assert.equal(await page.locator('#send-button').isDisabled(), true);
    await shot(page, '6-too-long');
    // The server says the same to anyone who posts past the page.
    const res = await fetch(`${s.emu.url}/sandbox/api/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'minh', text: 'y'.repeat(TEXT_LIMIT) }),
    });
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: string }).error, /up to 150 KB/);
    assert.equal(s.emu.state.messageList().length, before, 'nothing was sent');

    const long = `${'long message '.repeat(384)}end`.slice(0, 5000);
    await send(page, long);
    await page.locator('#notice').waitFor({ state: 'hidden' });
    const stored = await s.waitFor('the long message', () => s.emu.state.messageList().find((m) => m.content.includes('long message long')));
    assert.equal((JSON.parse(stored.content) as { text: string }).text, long, 'all 5,000 characters arrived');
    await page.close();
  });

  test('find 30 minutes with Lan tomorrow: pick a slot on the card, it is booked; then Undo removes it', async () => {
    await s.authorize('alice');
    const page = await open('alice');
    await send(page, 'find 30 minutes with Lan tomorrow');
    const card = page.locator('.card', { hasText: 'Pick a time to book' });
    await card.waitFor({ timeout: 30_000 });
    await shot(page, '6-find-time');
    const slot = card.locator('button.btn').first();
    const slotText = await slot.innerText();
    assert.match(slotText, /\d\d:\d\d–\d\d:\d\d/, 'a slot in words');
    await slot.click();
    await page.locator('.toast', { hasText: 'Checking again and booking' }).waitFor({ timeout: 10_000 });
    await page.locator('.msg[data-from="bot"]', { hasText: 'Booked "Meeting with' }).waitFor({ timeout: 30_000 });
    const alice = s.emu.user('alice').primaryCalendarId;
    const live = () =>
      s.emu.state.eventList().filter((e) => e.organizer_calendar_id === alice && e.status !== 'cancelled' && /Meeting with/.test(e.summary ?? ''));
    assert.equal(live().length, 1, 'booked once');
    const undo = page.locator('.card', { hasText: 'Changes made for this request' }).locator('button.btn', { hasText: 'Undo' });
    await undo.waitFor({ timeout: 15_000 });
    await undo.click();
    await page.locator('.toast', { hasText: 'Undoing' }).waitFor({ timeout: 10_000 });
    await page.locator('.card', { hasText: 'Deleted the event' }).waitFor({ timeout: 30_000 });
    await shot(page, '7-undone');
    assert.equal(live().length, 0, 'undone');
    await page.close();
  });
});
