/**
 * A reminder in the sandbox page, in headless Chromium: set it from the chat, see it in the side panel, see it
 * fire as a card in the chat, press Snooze 10 min and get the toast; the card then shows the snooze and the
 * side panel the next time. SCREENSHOT_DIR=dir keeps the screenshots.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { scriptedMessage, type RecordedRequest } from '../dev/llm/offline-model';
import { offlineReply } from '../dev/llm/offline-rules';
import { formatWall } from '../src/lark/time';
import { sandboxReminders } from '../dev/sandbox';
import { chromiumPath, launchBrowser } from './support/browser';
import { startStack, type Stack } from './support/stack';

const hasBrowser = Boolean(chromiumPath());
const skip = hasBrowser ? false : 'Chromium is not installed (apt-get install chromium)';
const TZ = 'Asia/Ho_Chi_Minh';

/** The offline model; "remind me in N seconds to X" (too short for a person, right for a test) sets it N s ahead. */
function script(req: RecordedRequest) {
  const last = req.body.messages.at(-1) as { content: unknown };
  const m = typeof last.content === 'string' ? /remind me in (\d+) seconds to (.+)$/.exec(last.content) : null;
  if (m) {
    const at = formatWall(Date.now() + Number(m[1]) * 1000, TZ).replace(' ', 'T');
    return scriptedMessage([
      { type: 'tool_use', id: `toolu_s${Date.now()}`, name: 'set_reminder', input: { text: m[2]!, at: at.length === 16 ? `${at}:00` : at } },
    ]);
  }
  const out = offlineReply(req.body);
  return scriptedMessage(out.content, { stop_reason: out.stop_reason });
}

let s: Stack;
let browser: Browser;
before(async () => {
  if (!hasBrowser) return;
  s = await startStack({ script });
  s.emu.setReminderSource(sandboxReminders(s.services.reminders, TZ));
  await s.authorize('minh');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await s?.stop();
});

describe('sandbox page: reminders', { skip }, () => {
  test('set from the chat, listed in the side panel, fires as a card, Snooze answers with a toast', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${s.emu.url}/sandbox?user=minh`);
    await page.locator('#user option').first().waitFor({ state: 'attached' });
    await page.fill('#text', 'remind me in 6 seconds to stretch my legs');
    await page.click('#send-button');
    await page.locator('.msg[data-from="bot"]', { hasText: 'Reminder set' }).waitFor({ timeout: 30_000 });
    await page.locator('#reminders li', { hasText: 'stretch my legs' }).waitFor({ timeout: 10_000 });

    const card = page.locator('.card', { hasText: 'stretch my legs' }).filter({ has: page.locator('button', { hasText: 'Snooze 10 min' }) });
    await card.waitFor({ timeout: 30_000 });
    // Gone off and waiting on its card: the panel says when it went off (never a reminder with no time).
    await page.locator('#reminders li', { hasText: /stretch my legs\s+went off / }).waitFor({ timeout: 10_000 });
    if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR, 'reminder-card.png') });
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/sandbox/api/click')),
      card.locator('button', { hasText: 'Snooze 10 min' }).click(),
    ]);
    const answered = (await res.json()) as { toast?: { content: string } };
    assert.equal(answered.toast?.content, 'Snoozed for 10 minutes');
    await page.locator('.toast', { hasText: 'Snoozed for 10 minutes' }).waitFor({ timeout: 5_000 });
    await page.locator('.card', { hasText: /Snoozed until \d{2}:\d{2}/ }).waitFor({ timeout: 10_000 });
    // Snoozed: the panel shows the snooze's time (a time of day, not "went off").
    await page.locator('#reminders li', { hasText: /stretch my legs\s+(?!went off)\S.*\d{2}:\d{2}/ }).waitFor({ timeout: 10_000 });
    // Fired once: one reminder card in the chat.
    const cards = await page.locator('.card', { hasText: 'stretch my legs' }).allInnerTexts();
    // Say which cards if not one (seen once on a loaded machine: 2, not yet explained).
    const fired = s.emu.state.messageList().filter((m) => m.msg_type === 'interactive' && m.content.includes('stretch my legs'));
    assert.equal(
      cards.length,
      1,
      `cards on the page: ${JSON.stringify(cards)}; interactive messages at the emulator: ${JSON.stringify(fired.map((m) => [m.message_id, m.content.slice(0, 200)]))}`,
    );
    await page.close();
  });
});
