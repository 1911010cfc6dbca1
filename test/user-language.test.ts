/**
 * Issue 22 item 9: the user's language is remembered. prepareRequest stores the last confidently detected
 * language per open_id in PostgreSQL and returns it (`lang`) for a message with no language signal (emoji,
 * numbers, links), so "👍🎉" from someone who writes Vietnamese is answered in Vietnamese.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRequestActivities } from '../activities/requests';
import { languageSignal } from '../src/i18n/language';
import type { LarkClient } from '../src/lark/client';
import type { UserMessage } from '../src/lark/event-types';
import { UserLanguageStore } from '../src/storage/user-languages';
import type { UserTokenStore } from '../src/storage/token-store';
import { freshDatabase } from './support/env';

let db: Awaited<ReturnType<typeof freshDatabase>>;
before(async () => {
  db = await freshDatabase();
});
after(async () => db?.drop());

const client = { botInfo: async () => ({ openId: 'ou_bot' }) } as unknown as LarkClient;
const tokens = { status: async () => ({}) } as unknown as UserTokenStore;
let n = 0;
const msg = (openId: string, text: string, group = false): UserMessage => ({
  eventId: `ev_${n}`,
  messageId: `om_${n++}`,
  openId,
  chatId: group ? 'oc_group' : 'oc_dm',
  chatType: group ? 'group' : 'p2p',
  messageType: 'text',
  text: group ? `@Bot ${text}` : text,
  mentions: group ? [{ key: '@_user_1', name: 'Bot', openId: 'ou_bot' }] : [],
});

test('the language signal: Vietnamese or English when the words say so, none for emoji, numbers, links, "ok"', () => {
  assert.equal(languageSignal('tạo cuộc họp 3h chiều mai'), 'vi');
  assert.equal(languageSignal('nhac toi 5h chieu mai'), 'vi');
  assert.equal(languageSignal('book a call with Minh tomorrow'), 'en');
  for (const none of ['👍🎉', '10', '15:00', 'https://example.com/a?b=1', 'ok', '  ', '@_user_1 👍']) assert.equal(languageSignal(none), undefined, none);
});

test('prepareRequest remembers the last confident language per user and uses it for a message without a signal', async () => {
  const prep = createRequestActivities({ client, tokens, languages: new UserLanguageStore(db.pool) });
  // Nothing known yet: no lang, the workflow falls back to detectLanguage.
  const first = await prep.prepareRequest(msg('ou_minh', '👍🎉', true));
  assert.equal(first.action, 'run');
  assert.equal(first.action === 'run' ? first.lang : 'x', undefined);
  const vi = await prep.prepareRequest(msg('ou_minh', 'dời cuộc họp với Lan sang 11h sáng mai'));
  assert.equal(vi.action === 'run' ? vi.lang : undefined, 'vi');
  const emoji = await prep.prepareRequest(msg('ou_minh', '👍🎉', true));
  assert.deepEqual(emoji, { action: 'run', text: '👍🎉', lang: 'vi' }, 'remembered, the text unchanged');
  // Per user, in PostgreSQL (a new activity instance reads it), and the latest confident one wins.
  const again = createRequestActivities({ client, tokens, languages: new UserLanguageStore(db.pool) });
  assert.equal(((await again.prepareRequest(msg('ou_lan', 'https://example.com/x'))) as { lang?: string }).lang, undefined, 'another user');
  assert.equal(((await again.prepareRequest(msg('ou_minh', '12'))) as { lang?: string }).lang, 'vi');
  assert.equal(((await again.prepareRequest(msg('ou_minh', 'show my tasks please'))) as { lang?: string }).lang, 'en');
  assert.equal(((await again.prepareRequest(msg('ou_minh', '🎉'))) as { lang?: string }).lang, 'en');
  const { rows } = await db.pool.query('select open_id, lang from user_languages order by open_id');
  assert.deepEqual(rows, [{ open_id: 'ou_minh', lang: 'en' }]);
});
