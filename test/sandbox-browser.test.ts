/**
 * The sandbox page in headless Chromium: a person chats as a simulated Lark user, signs in through the
 * simulated OAuth page from the bot's login card, and sees the bot's reply and the task it created.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumPath, launchBrowser } from './support/browser';
import { startStack, type Stack } from './support/stack';

const hasBrowser = Boolean(chromiumPath());
let s: Stack;
let browser: Browser;

before(async () => {
  if (!hasBrowser) return;
  s = await startStack();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await s?.stop();
});

test('chat in the sandbox page, sign in from the login card, see the answer and the task', { skip: hasBrowser ? false : 'Chromium is not installed (apt-get install chromium)' }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${s.emu.url}/sandbox?user=minh`);
  await page.fill('#text', 'add a task to send the report by Monday');
  await page.click('#send button');

  // Not authorized yet: the bot's login card appears with a sign-in link.
  const signIn = page.locator('.card a.btn', { hasText: 'Sign in' });
  await signIn.waitFor({ timeout: 30_000 });
  const [popup] = await Promise.all([page.context().waitForEvent('page'), signIn.click()]);
  await popup.waitForLoadState();
  assert.match(await popup.content(), /Authorize app/);
  await popup.click(`text=Log in as ${s.emu.user('minh').name}`);
  await popup.waitForURL(/oauth\/callback/);
  assert.match(await popup.content(), /Đã kết nối|Connected/);

  // Back in the chat: the original request continued and the answer is shown.
  const answer = page.locator('.msg[data-from="bot"]', { hasText: 'offline' });
  await answer.first().waitFor({ timeout: 30_000 });
  assert.match(await answer.first().innerText(), /report/i);
  await page.locator('#tasks li', { hasText: /report/i }).waitFor({ timeout: 10_000 });
  assert.equal(s.emu.state.taskList().filter((t) => /report/i.test(t.summary)).length, 1);
  // SCREENSHOT=1 refreshes the README's picture of the sandbox.
  if (process.env.SCREENSHOT) await page.screenshot({ path: 'docs/sandbox.png' });
});
