/**
 * Nothing the bot posts can mention, link or style by the text in it. Hostile strings (random mixes of
 * `<at user_id="all">`, `<at id=all>`, `[x](https://evil)`, `**`, style tags, entities, line breaks, zero-width
 * and bidi characters, very long strings; seeded, so a failure repeats) go into every builder of a message the bot
 * sends (the answer with its footer, apologies, sign-in notices, reminder notices, the Reschedule request, and the
 * cards), through the real messaging activities and Lark client to the Lark emulator; the wire payload the emulator
 * recorded is then rendered as Lark renders text (dev/emulator/lark-markdown.ts) and searched raw.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMessagingActivities } from '../activities/messaging';
import { confirmCard } from '../src/cards/confirm-card';
import { escapeLarkMdLine } from '../src/cards/lark-md';
import { agendaCard, reminderCard, resolvedReminderCard } from '../src/cards/reminder-card';
import { slotCard, slotResolvedCard } from '../src/cards/slot-card';
import { undoCard } from '../src/cards/undo-card';
import { startLarkEmulator, type LarkEmulator } from '../dev/emulator';
import { larkTextToHtml } from '../dev/emulator/lark-markdown';
import type { Message } from '../dev/emulator/state';
import { t, type Lang } from '../src/i18n/language';
import {
  apology,
  authDenied,
  authExpired,
  describeEffect,
  effectsFooter,
  firedAfterTrouble,
  meetingCancelledDrop,
  meetingRescheduleRequest,
  meetingRescheduleShown,
  tooManyAtOnce,
  tooManyWaiting,
  messages,
  missingPermission,
  reminderNotDelivered,
  rescheduleNotStarted,
  skippedForAuth,
  type EffectRecord,
} from '../src/i18n/messages';
import { findTimeText } from '../src/tools/calendar/wording';
import { LarkClient, stableUuid } from '../src/lark/client';
import { prng } from './chaos/report';

const TZ = 'Asia/Ho_Chi_Minh';
const NOW = Date.UTC(2026, 11, 3, 8, 0, 0);
const SEED = Number(process.env.TEXT_FUZZ_SEED ?? 21);
const COUNT = Number(process.env.TEXT_FUZZ_COUNT ?? 40);

const PIECES = [
  '<at user_id="all"></at>',
  '<at user_id="all">everyone</at>',
  '<at id=all></at>',
  "<at user_id='all'/>",
  '<AT USER_ID="ALL"></AT>',
  '<at open_id="ou_0123456789abcdef">Boss</at>',
  '<at email="ceo@example.com"></at>',
  '< at user_id="all" ></at>',
  '[Re-authorize](https://evil.example/login)',
  '[x](https://evil)',
  '[click here] (https://evil.example)',
  '[a [nested](https://evil.example/n)](https://evil.example/m)',
  '![img](https://evil.example/x.png)',
  '<a href="https://evil.example">bank</a>',
  '<https://evil.example/auto>',
  '<link url="https://evil.example">x</link>',
  '<b>bold</b>',
  '<i>it</i><u>u</u><s>s</s>',
  '**',
  '**loud**',
  '*',
  '~~gone~~',
  '&lt;at user_id="all"&gt;&lt;/at&gt;',
  '&#60;at user_id=&#34;all&#34;&#62;&#60;/at&#62;',
  '\n',
  '\r\n',
  '\t',
  'meeting with Lan',
  'Báo cáo quý',
  '5 < 6 > 4',
  'a_b_c',
  '👨‍👩‍👧',
  'https://plain.example/path',
  ']',
  '[',
  '(',
  ')',
];
/** Inserted at random places, also inside the pieces above (to split a tag or a link). */
const INVISIBLES = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u202e', '\u2066', '\u00ad', '\u0000', '\u001b'];

function hostile(next: () => number, i: number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
  if (i === 0) return '<at user_id="all"></at> [Re-authorize](https://evil.example/login)'; // the task title
  if (i === 1) return '<at user_id="all"></at>'.repeat(3000) + '[x](https://evil)'.repeat(3000); // ~120 KB
  if (i === 2) return '*'.repeat(60_000) + '<at id=all></at>'; // grows past 150 KB once neutralized: cut, still sent
  let s = '';
  for (let n = 1 + Math.floor(next() * 10); n > 0; n--) {
    let piece = pick(PIECES);
    if (next() < 0.35) {
      const at = Math.floor(next() * (piece.length + 1));
      piece = piece.slice(0, at) + pick(INVISIBLES) + piece.slice(at);
    }
    s += piece + (next() < 0.5 ? ' ' : '');
  }
  return s;
}

const LOOK_BACK: Record<string, string> = { '‹': '<', '［': '[', '］': ']', '∗': '*', '＆': '&', '∼': '~' };

/** Every way a text message's text can still act: empty when none. */
function liveMarkup(wire: string): string[] {
  const problems: string[] = [];
  const html = larkTextToHtml(wire);
  if (html.includes('class="mention"')) problems.push('renders a mention');
  for (const m of html.matchAll(/<a href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g)) {
    if (m[1] !== m[2]) problems.push(`renders a link labelled "${m[2]}" to ${m[1]}`);
  }
  // Raw, with whatever could hide markup from a parser taken out (and, for tags and links, spaces too).
  const visible = wire.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, '');
  const flat = visible.replace(/\s/g, '');
  if (/<at/i.test(flat)) problems.push('has an <at> tag');
  if (/<[a-z!/?]/i.test(flat)) problems.push('has a tag');
  if (/\]\(/.test(flat)) problems.push('has a [label](url) link');
  if (/&#?[a-z0-9]/i.test(visible)) problems.push('has a character reference (HTML decodes some without the ";")');
  if (/\*|~~/.test(flat)) problems.push('has emphasis markers');
  return problems;
}

let emu: LarkEmulator;
let client: LarkClient;
let activities: ReturnType<typeof createMessagingActivities>;
let userMessageId: string;
let chatId: string;
let openId: string;
let seq = 0;

before(async () => {
  emu = await startLarkEmulator({ retention: { messagesPerChat: 100_000, editsPerMessage: 1_000, calls: 500_000, deliveries: 50_000 } }); // the fuzz replies to every message it sent: keep them all
  client = new LarkClient({ baseUrl: emu.url, appId: emu.appId, appSecret: emu.appSecret, timeoutMs: 10_000 });
  activities = createMessagingActivities({ client });
  const payload = emu.events.message({ from: 'lan', text: 'hello' }) as { event: { message: { message_id: string; chat_id: string } } };
  userMessageId = payload.event.message.message_id;
  chatId = payload.event.message.chat_id;
  openId = emu.user('lan').open_id;
});
after(async () => emu?.stop());

const sent = (messageId: string): Message => {
  const m = emu.state.messages.get(messageId);
  assert.ok(m, `message ${messageId} recorded`);
  return m;
};
const textOf = (m: Message) => (JSON.parse(m.content) as { text: string }).text;

/** The bot's text messages: every builder, given the hostile string where outside text goes. */
function textBuilders(h: string, lang: Lang): Array<[string, string]> {
  const records: EffectRecord[] = [
    { outcome: 'done', effect: { action: 'created', kind: 'task', id: 't1', title: h, dueMs: NOW + 86_400_000, people: [h, 'Lan'] } },
    { outcome: 'done', effect: { action: 'updated', kind: 'event', id: 'e1', title: h, startMs: NOW, endMs: NOW + 3_600_000 } },
    { outcome: 'done', effect: { action: 'created', kind: 'reminder', id: 'r1', title: h, startMs: NOW + 60_000 } },
    { outcome: 'done', effect: { action: 'created', kind: 'timezone', id: 'tz', title: h } },
    { outcome: 'not_done', tool: 'create_event', what: h, why: 'failed' },
  ];
  const footer = effectsFooter(records, TZ, lang, NOW);
  const out: Array<[string, string]> = [
    // The answer as the agent loop composes it: the model's words (which may quote anything), then the footer.
    ['answer', [h, footer, messages.otherChatWaiting[lang]].join('\n\n')],
    ['answer without footer', h],
    ['apology', apology(lang, h, 'lark_refused', footer)],
    ['sign-in expired notice', authExpired(lang, `• ${h}\n• ${h}`)],
    ['sign-in declined notice', authDenied(lang, `• ${h}`)],
    ['reschedule request', meetingRescheduleShown(lang, h)],
    ["reschedule request (the agent's copy)", meetingRescheduleRequest(lang, 'evt_1')],
    ['reschedule not started', rescheduleNotStarted(lang, h)],
    ['too many requests waiting', tooManyWaiting(lang, 3, [h, h, h])],
    ['too many messages at once', tooManyAtOnce(lang, 3, [h, h, h])],
    ['meeting cancelled', meetingCancelledDrop(lang, h, h, 10)],
    ['missing permission', missingPermission(lang, 'reminder', [h])],
    [
      'reminder effect',
      describeEffect({ action: 'cancelled', kind: 'reminder', id: 'r2', title: h, schedule: { kind: 'daily', time: '08:00' } }, TZ, lang, NOW),
    ],
    ['not delivered', reminderNotDelivered(lang, 'reminder', NOW, TZ, true, 'refused')],
    ['skipped for sign-in', skippedForAuth(lang, 'agenda', NOW, TZ, true)],
    ['fired after trouble', firedAfterTrouble(lang)],
  ];
  return out;
}

describe('text messages', () => {
  test(`hostile strings through every text the bot sends (seed ${SEED}, ${COUNT} strings): no live mention, link or markup on the wire`, async () => {
    const next = prng(SEED);
    const failures: string[] = [];
    let checked = 0;
    for (let i = 0; i < COUNT; i++) {
      const h = hostile(next, i);
      const lang: Lang = i % 2 ? 'vi' : 'en';
      for (const [what, text] of textBuilders(h, lang)) {
        const step = `s${seq++}`;
        let ids: string[];
        try {
          // The workflows' two ways to post text (activities/messaging.ts) ...
          const replied = await activities.replyToMessage({ messageId: userMessageId, step, text });
          const toChat = await activities.sendMessage({ sourceMessageId: userMessageId, step, receiveIdType: 'chat_id', receiveId: chatId, text });
          const dm = await activities.sendMessage({ sourceMessageId: userMessageId, step: `${step}-dm`, receiveIdType: 'open_id', receiveId: openId, text });
          // ... and the Lark client used directly (activities/reminders.ts), content as an object and as a JSON string.
          const direct = await client.replyMessage(userMessageId, { msgType: 'text', content: { text }, uuid: stableUuid('direct', step) });
          const asString = await client.sendMessage('chat_id', chatId, {
            msgType: 'text',
            content: JSON.stringify({ text }),
            uuid: stableUuid('string', step),
          });
          ids = [replied.messageId, toChat.messageId, dm.messageId, direct.message_id, asString.message_id];
        } catch (err) {
          failures.push(`#${i} ${what}: not sent: ${(err as Error).message.slice(0, 120)}`);
          continue;
        }
        for (const id of ids) {
          const m = sent(id);
          assert.equal(m.msg_type, 'text');
          const problems = [...new Set(liveMarkup(textOf(m)))];
          if (problems.length)
            failures.push(
              `#${i} ${what}: ${problems.join('; ')}\n    input: ${JSON.stringify(h.slice(0, 160))}\n    wire:  ${JSON.stringify(textOf(m).slice(0, 200))}`,
            );
          checked++;
        }
      }
    }
    assert.equal(failures.length, 0, `${failures.length} of ${checked} messages can still act:\n${failures.slice(0, 12).join('\n')}`);
  });

  test('the text still reads as typed: only look-alikes replace markup characters, and invisible ones are gone', async () => {
    const next = prng(SEED + 1);
    for (let i = 3; i < COUNT + 3; i++) {
      const h = hostile(next, i);
      const r = await activities.sendMessage({ sourceMessageId: userMessageId, step: `typed-${seq++}`, receiveIdType: 'chat_id', receiveId: chatId, text: h });
      const wire = textOf(sent(r.messageId));
      const expected = h
        .replace(/\r\n?/g, '\n')
        .replace(/\t/g, ' ')
        .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g, '');
      assert.equal([...wire].map((c) => LOOK_BACK[c] ?? c).join(''), expected, `#${i}: ${JSON.stringify(h)}`);
    }
  });

  test("the issue's task title in an answer's footer: shown, not acted on", async () => {
    const title = '<at user_id="all"></at> [Re-authorize](https://evil.example/login)';
    const footer = effectsFooter([{ outcome: 'done', effect: { action: 'created', kind: 'task', id: 't1', title } }], TZ, 'en', NOW);
    const r = await activities.replyToMessage({ messageId: userMessageId, step: `issue-${seq++}`, text: `Done.\n\n${footer}` });
    const wire = textOf(sent(r.messageId));
    assert.deepEqual(liveMarkup(wire), []);
    assert.ok(wire.includes('Created task “‹at user_id="all">‹/at> ［Re-authorize］(https://evil.example/login)”'), wire);
  });

  test('a text longer than Lark takes once neutralized is cut to fit, not refused', async () => {
    const r = await activities.sendMessage({
      sourceMessageId: userMessageId,
      step: `long-${seq++}`,
      receiveIdType: 'chat_id',
      receiveId: chatId,
      text: '*'.repeat(100_000),
    });
    const wire = textOf(sent(r.messageId));
    assert.ok(Buffer.byteLength(JSON.stringify({ text: wire })) <= 150 * 1024);
    assert.ok(wire.endsWith('…'));
    assert.ok(wire.length > 40_000);
  });

  test('a post (rich text) gets the same rules: no live at, link or markdown element', async () => {
    const h = '<at user_id="all"></at>[x](https://evil)';
    const post = {
      en_us: {
        title: h,
        content: [
          [
            { tag: 'text', text: h, un_escape: true },
            { tag: 'md', text: `**${h}**` },
            { tag: 'a', text: 'bank', href: 'https://evil.example' },
            { tag: 'at', user_id: 'all' },
          ],
        ],
      },
    };
    const r = await client.sendMessage('chat_id', chatId, { msgType: 'post', content: post, uuid: stableUuid('post', String(seq++)) });
    const wire = JSON.parse(sent(r.message_id).content) as { en_us: { title: string; content: Array<Array<Record<string, unknown>>> } };
    assert.deepEqual(liveMarkup(wire.en_us.title), []);
    for (const el of wire.en_us.content.flat()) {
      assert.ok(el.tag === 'text' || el.tag === 'md', `element ${String(el.tag)} is text`);
      assert.equal(el.un_escape, undefined);
      assert.deepEqual(liveMarkup(String(el.text)), [], String(el.text));
    }
  });
});

describe('cards', () => {
  /** Every lark_md / markdown string in a card. */
  function markdownOf(node: unknown, out: string[] = []): string[] {
    if (Array.isArray(node)) for (const n of node) markdownOf(n, out);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if ((o.tag === 'lark_md' || o.tag === 'markdown') && typeof o.content === 'string') out.push(o.content);
      for (const v of Object.values(o)) markdownOf(v, out);
    }
    return out;
  }

  test('hostile strings in every card built from outside text: no live mention or link in its markdown', async () => {
    const next = prng(SEED + 2);
    const failures: string[] = [];
    for (let i = 3; i < COUNT + 3; i++) {
      const h = hostile(next, i);
      const lang: Lang = i % 2 ? 'vi' : 'en';
      const cards: Array<[string, Record<string, unknown>]> = [
        [
          'reminder',
          reminderCard({
            reminderId: 'rem-1',
            owner: openId,
            lang,
            timezone: TZ,
            text: h,
            occurrenceMs: NOW,
            eventLinked: true,
            meeting: { title: h, startMs: NOW },
          }),
        ],
        ['reminder resolved', resolvedReminderCard({ lang, timezone: TZ, text: h }, { kind: 'done' })],
        ['agenda', agendaCard(lang, 'Thu 3 Dec', `**Events**\n• 09:00 ${escapeLarkMdLine(h, 120)}`)],
        ['confirm', confirmCard('k1', openId, { lang, action: 'update_event', title: h, newTitle: h, people: [h], when: 'Thu 3 Dec' })],
        ['undo', undoCard('k2', openId, lang, [{ action: 'created', kind: 'task', id: 't1', title: h, people: [h] }], TZ, 24, NOW)],
        // The notice and the resolved text are lark_md the caller builds, escaping names as agent-loop.ts does.
        [
          'slots',
          slotCard(
            'k3',
            openId,
            lang,
            [h],
            [{ label: 'Thu 3 Dec, 15:00', index: 0 }],
            t(lang, findTimeText.taken('Thu 3 Dec, 15:00', escapeLarkMdLine(h, 60))),
          ),
        ],
        [
          'slot resolved',
          slotResolvedCard(lang, `${t(lang, findTimeText.taken('Thu 3 Dec, 15:00', escapeLarkMdLine(h, 60)))}\n${t(lang, findTimeText.noneLeft)}`),
        ],
      ];
      for (const [what, card] of cards) {
        const r = await activities.sendMessage({
          sourceMessageId: userMessageId,
          step: `card-${seq++}`,
          receiveIdType: 'chat_id',
          receiveId: chatId,
          msgType: 'interactive',
          content: card,
        });
        for (const md of markdownOf(JSON.parse(sent(r.messageId).content))) {
          // lark_md decodes entities into text; what must not appear is raw markup.
          const flat = md.replace(/\s/g, '');
          const problems = [/<at/i.test(flat) && '<at>', /<a\b|<link|<person/i.test(flat) && 'link tag', /\]\(/.test(flat) && '[label](url)'].filter(Boolean);
          if (problems.length) failures.push(`#${i} ${what}: ${problems.join(', ')}: ${JSON.stringify(md.slice(0, 160))}`);
        }
      }
    }
    assert.equal(failures.length, 0, failures.slice(0, 10).join('\n'));
  });
});
