import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../src/http-error';
import { parseLarkCallback } from '../src/lark/events';
import { v1MessageEvent, v2MessageEvent } from './support/lark-requests';

const eventOf = (body: unknown) => {
  const cb = parseLarkCallback(body);
  assert.equal(cb.kind, 'event');
  return (cb as Extract<typeof cb, { kind: 'event' }>).event;
};

test('v2 text message: ids, chat, thread, mentions resolved', () => {
  const body = v2MessageEvent({
    eventId: 'ev1',
    messageId: 'om_1',
    openId: 'ou_a',
    chatId: 'oc_g',
    chatType: 'group',
    threadId: 'omt_1',
    text: '@_user_1 tạo cuộc họp với @_user_2',
    mentions: [
      { key: '@_user_1', name: 'Bot', openId: 'ou_bot' },
      { key: '@_user_2', name: 'Lan', openId: 'ou_lan' },
    ],
  });
  const ev = eventOf(body);
  assert.equal(ev.kind, 'message');
  if (ev.kind !== 'message') return;
  assert.deepEqual(
    { schema: ev.schema, eventId: ev.eventId, type: ev.eventType, open: ev.sender.openId, user: ev.sender.userId },
    { schema: '2.0', eventId: 'ev1', type: 'im.message.receive_v1', open: 'ou_a', user: 'alice' },
  );
  assert.equal(ev.message.text, '@Bot tạo cuộc họp với @Lan');
  assert.deepEqual(
    ev.message.mentions.map((m) => m.openId),
    ['ou_bot', 'ou_lan'],
  );
  assert.deepEqual([ev.message.chatId, ev.message.chatType, ev.message.threadId, ev.message.messageId], ['oc_g', 'group', 'omt_1', 'om_1']);
});

test('v2 post message is flattened to text', () => {
  const body = v2MessageEvent({});
  body.event.message.message_type = 'post';
  body.event.message.content = JSON.stringify({
    title: 'Report',
    content: [
      [
        { tag: 'text', text: 'Send the ' },
        { tag: 'a', text: 'report', href: 'https://x' },
        { tag: 'text', text: ' to ' },
        { tag: 'at', user_id: '@_user_1', user_name: 'Minh' },
      ],
      [
        { tag: 'img', image_key: 'img_1' },
        { tag: 'emotion', emoji_type: 'SMILE' },
      ],
    ],
  });
  const ev = eventOf(body);
  assert.equal(ev.kind === 'message' && ev.message.text, 'Report\nSend the report to @Minh\n[image]:SMILE:');
});

test('a post wrapped in a locale key is flattened too', () => {
  const body = v2MessageEvent({});
  body.event.message.message_type = 'post';
  body.event.message.content = JSON.stringify({ en_us: { title: '', content: [[{ tag: 'text', text: 'hi there' }]] } });
  const ev = eventOf(body);
  assert.equal(ev.kind === 'message' && ev.message.text, 'hi there');
});

test('other message types keep their type and carry no text', () => {
  const body = v2MessageEvent({});
  body.event.message.message_type = 'image';
  body.event.message.content = JSON.stringify({ image_key: 'img_v2' });
  const ev = eventOf(body);
  assert.equal(ev.kind, 'message');
  assert.deepEqual(ev.kind === 'message' && [ev.message.messageType, ev.message.text], ['image', undefined]);
});

test('v1 event_callback message is normalized the same way', () => {
  const ev = eventOf(v1MessageEvent({ eventId: 'uuid-1', messageId: 'om_v1', openId: 'ou_v1', chatType: 'group', text: 'hello' }));
  assert.equal(ev.kind, 'message');
  if (ev.kind !== 'message') return;
  assert.deepEqual(
    [ev.schema, ev.eventId, ev.sender.openId, ev.message.messageId, ev.message.chatType, ev.message.text],
    ['1.0', 'uuid-1', 'ou_v1', 'om_v1', 'group', 'hello'],
  );
});

test('challenges in both forms', () => {
  assert.deepEqual(parseLarkCallback({ type: 'url_verification', challenge: 'c', token: 't' }), { kind: 'challenge', challenge: 'c', token: 't' });
  assert.deepEqual(parseLarkCallback({ challenge: 'c2' }), { kind: 'challenge', challenge: 'c2', token: undefined });
});

test('other v2 events become kind other with the operator open_id', () => {
  const ev = eventOf({ schema: '2.0', header: { event_id: 'e', event_type: 'im.chat.member.bot.added_v1' }, event: { operator: { open_id: 'ou_op' } } });
  assert.deepEqual([ev.kind, ev.kind === 'other' && ev.openId], ['other', 'ou_op']);
});

test('a card click becomes a card_action with the clicker, the message and the button value', () => {
  const ev = eventOf({
    schema: '2.0',
    header: { event_id: 'e2', event_type: 'card.action.trigger' },
    event: {
      operator: { open_id: 'ou_clicker' },
      action: { tag: 'button', value: { kind: 'confirm', key: 'k1', decision: 'cancel' } },
      context: { open_message_id: 'om_card' },
    },
  });
  assert.equal(ev.kind, 'card_action');
  if (ev.kind !== 'card_action') return;
  assert.deepEqual([ev.openId, ev.messageId, ev.value], ['ou_clicker', 'om_card', { kind: 'confirm', key: 'k1', decision: 'cancel' }]);
});

test('missing fields name the field', () => {
  const body = v2MessageEvent({}) as any;
  delete body.event.message.chat_id;
  assert.throws(
    () => parseLarkCallback(body),
    (e: unknown) => e instanceof HttpError && e.message.includes('event.message.chat_id'),
  );
});
