import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../src/http-error';
import { decryptLarkPayload, encryptLarkPayload, larkSignature, signLarkRequest, verifyLarkSignature } from '../src/lark/crypto';

test("Lark's published decryption example: key 'test key' gives 'hello world'", () => {
  assert.equal(decryptLarkPayload('test key', 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk='), 'hello world');
});

test('encrypt then decrypt round-trips UTF-8, with a fresh IV each time', () => {
  const text = JSON.stringify({ text: 'tạo cuộc họp 3h chiều mai với Lan' });
  const a = encryptLarkPayload('k', text);
  const b = encryptLarkPayload('k', text);
  assert.notEqual(a, b);
  assert.equal(decryptLarkPayload('k', a), text);
});

test('the signature covers timestamp + nonce + key + the raw bytes', () => {
  const body = Buffer.from('{"encrypt":"abc"}');
  // sha256("1700000000" + "nonce" + "key" + body), computed independently with: printf '%s' '1700000000noncekey{"encrypt":"abc"}' | sha256sum
  assert.equal(larkSignature('1700000000', 'nonce', 'key', body), '5e8a13a367b5c5cdae40a01e6e557dc1e66b1f74ff0134a9f83a844f84d9d64b');
  const headers = signLarkRequest(body, 'key', 1_700_000_000_000);
  assert.doesNotThrow(() =>
    verifyLarkSignature(
      { timestamp: headers['x-lark-request-timestamp'], nonce: headers['x-lark-request-nonce'], signature: headers['x-lark-signature'] },
      body,
      'key',
      300,
      1_700_000_000_000,
    ),
  );
  // One changed byte (re-serialised JSON, say) fails.
  assert.throws(
    () =>
      verifyLarkSignature(
        { timestamp: headers['x-lark-request-timestamp'], nonce: headers['x-lark-request-nonce'], signature: headers['x-lark-signature'] },
        Buffer.from('{"encrypt": "abc"}'),
        'key',
        300,
        1_700_000_000_000,
      ),
    (e: unknown) => e instanceof HttpError && e.reason === 'bad_signature',
  );
});

test('decrypt failures are 400s with reasons', () => {
  const reason = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e instanceof HttpError ? `${e.status} ${e.reason}` : 'other';
    }
    return 'none';
  };
  assert.equal(
    reason(() => decryptLarkPayload('k', '')),
    '400 bad_encrypt_field',
  );
  assert.equal(
    reason(() => decryptLarkPayload('k', '@@@@')),
    '400 bad_base64',
  );
  assert.equal(
    reason(() => decryptLarkPayload('k', Buffer.alloc(20).toString('base64'))),
    '400 bad_ciphertext',
  );
  assert.equal(
    reason(() => decryptLarkPayload('k', encryptLarkPayload('other', 'hello', Buffer.alloc(16, 7)))),
    '400 bad_padding',
  );
});
