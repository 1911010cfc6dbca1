/**
 * Hostile webhook requests from a seeded PRNG: the same seed gives the same requests (timestamps aside, which
 * are taken relative to "now" so signatures stay in or out of the window on purpose).
 *
 * Every generated request is invalid in at least one way and must be refused with a 4xx. Cases that carry
 * the right token (to reach the deep parsing) only break fields the webhook must check: a wrong type in a
 * lenient optional field with the right token would be a legitimate event, so those get a wrong token too.
 */
import { encryptLarkPayload, larkSignature } from '../../src/lark/crypto';

export const ENCRYPT_KEY = 'fuzz-encrypt-key-0123456789';
export const TOKEN = 'fuzz-verification-token';

export type Target = 'secure' | 'plain';

export interface FuzzCase {
  category: string;
  target: Target;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Send without Content-Length, in chunks (the server cannot refuse it up front). */
  chunked?: boolean;
}

// ---- PRNG ---------------------------------------------------------------------------------------------

/** mulberry32: small, fast, good enough to vary inputs reproducibly. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const chance = (p: number) => next() < p;
  const bytes = (n: number) => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
    return b;
  };
  const hex = (n: number) => bytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
  return { next, int, pick, chance, bytes, hex };
}
export type Rng = ReturnType<typeof prng>;

// ---- Junk ---------------------------------------------------------------------------------------------

const UNICODE_BITS = [
  '\u0000', '\u0007', '\u001b[31m', '\u200b', '\u200e', '\u202e', '\ufeff', '\uffff', '\ud800', '\udfff', '\ud83d',
  '😀', '👩‍👩‍👧‍👦', '𝕳𝖊𝖑𝖑𝖔', 'Z̷̧̛͉̝a̶̡̟l̵̰̈g̴̣̈o̶̯͝', 'ﷺ', '１２３', '١٢٣', '𒐫', 'İı', 'ß', '\u2028', '\u2029', '"', '\\', '</script>',
  "'; drop table x;--", '${jndi:ldap://x}', '{{7*7}}', '%s%n', '../../etc/passwd', 'tạo cuộc họp', '会议', 'NaN', '-0', '1e400',
];

function unicodeJunk(r: Rng, maxParts = 12): string {
  let s = '';
  for (let i = r.int(1, maxParts); i > 0; i--) s += r.chance(0.7) ? r.pick(UNICODE_BITS) : String.fromCharCode(r.int(0, 0xffff));
  return s;
}

function hugeString(r: Rng): string {
  const unit = r.pick(['x', 'é', '😀', '\\', '"', '\u0000', 'ab']);
  return unit.repeat(r.int(20_000, 200_000));
}

/** A value of some type, hostile in shape. */
function junkValue(r: Rng, depth = 0): unknown {
  switch (r.int(0, depth > 2 ? 8 : 11)) {
    case 0: return r.int(-1e9, 1e9);
    case 1: return r.pick([0, -0, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, 0.1 + 0.2]);
    case 2: return r.chance(0.5);
    case 3: return null;
    case 4: return '';
    case 5: return unicodeJunk(r);
    case 6: return r.hex(r.int(1, 40));
    case 7: return [];
    case 8: return {};
    case 9: return Array.from({ length: r.int(1, 4) }, () => junkValue(r, depth + 1));
    case 10: return Object.fromEntries(Array.from({ length: r.int(1, 4) }, () => [unicodeJunk(r, 3), junkValue(r, depth + 1)]));
    // Own "__proto__" / "constructor" keys, as JSON.parse makes them: must not pollute anything.
    default: return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
  }
}

/** A value that is not a non-empty string. */
function nonString(r: Rng): unknown {
  return r.pick<unknown>([0, 1, -1, 1e400, true, false, null, [], {}, [TOKEN], { text: 'x' }, '', 12345678901234567890]);
}
/** A value that is not null, '' or a string (so an optional string field must refuse it). */
function wrongTypeForOptional(r: Rng): unknown {
  return r.pick<unknown>([0, 1, -1, true, false, [], {}, ['x'], { a: 1 }, 3.14]);
}
function nonObject(r: Rng): unknown {
  return r.pick<unknown>([0, 'x', '', true, null, [], [{}], 'object']);
}

// ---- Base events (seeded) ----------------------------------------------------------------------------

function v2Event(r: Rng, token = TOKEN): any {
  return {
    schema: '2.0',
    header: {
      event_id: r.hex(32),
      event_type: 'im.message.receive_v1',
      create_time: String(Date.now()),
      token,
      app_id: 'cli_fuzz',
      tenant_key: 'tenant-fuzz',
    },
    event: {
      sender: { sender_id: { open_id: `ou_${r.hex(32)}`, union_id: `on_${r.hex(32)}`, user_id: 'u1' }, sender_type: 'user', tenant_key: 'tenant-fuzz' },
      message: {
        message_id: `om_${r.hex(32)}`,
        create_time: String(Date.now()),
        chat_id: `oc_${r.hex(32)}`,
        chat_type: r.pick(['p2p', 'group']),
        message_type: 'text',
        content: JSON.stringify({ text: unicodeJunk(r, 4) }),
        mentions: [],
      },
    },
  };
}

function v1Event(r: Rng, token = TOKEN): any {
  return {
    uuid: r.hex(32),
    token,
    ts: String(Date.now() / 1000),
    type: 'event_callback',
    event: { type: 'message', app_id: 'cli_fuzz', open_id: `ou_${r.hex(32)}`, open_chat_id: `oc_${r.hex(32)}`, open_message_id: `om_${r.hex(32)}`, chat_type: 'private', msg_type: 'text', text: 'hi' },
  };
}

/** A wrong token: absent, empty, another string, a near miss. */
function wrongToken(r: Rng): string | undefined {
  return r.pick([undefined, '', 'x', TOKEN + ' ', TOKEN.toUpperCase(), TOKEN.slice(0, -1), ' ' + TOKEN, unicodeJunk(r, 3), r.hex(64)]);
}

function setPath(obj: any, path: string[], value: unknown, remove = false): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k];
  }
  if (remove) delete cur[path.at(-1)!];
  else cur[path.at(-1)!] = value;
}

/** Every field path of a JSON value (objects and leaves). */
function paths(v: unknown, prefix: string[] = []): string[][] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [prefix];
  const out: string[][] = prefix.length ? [prefix] : [];
  for (const [k, c] of Object.entries(v)) out.push(...paths(c, [...prefix, k]));
  return out;
}

type Breaker = (r: Rng, ev: any) => void;

/** Mutations that make a right-token v2 message event invalid (each field's own way of being wrong). */
const STRICT_V2: Breaker[] = [
  // required objects: missing or not an object
  ...[['header'], ['event'], ['event', 'sender'], ['event', 'sender', 'sender_id'], ['event', 'message']].map(
    (p): Breaker => (r, ev) => (r.chance(0.5) ? setPath(ev, p, undefined, true) : setPath(ev, p, nonObject(r))),
  ),
  // required strings: missing, empty or another type
  ...[['header', 'event_id'], ['header', 'event_type'], ['event', 'sender', 'sender_id', 'open_id'], ['event', 'message', 'message_id'],
    ['event', 'message', 'chat_id'], ['event', 'message', 'chat_type'], ['event', 'message', 'message_type'], ['event', 'message', 'content']].map(
    (p): Breaker => (r, ev) => (r.chance(0.3) ? setPath(ev, p, undefined, true) : setPath(ev, p, nonString(r))),
  ),
  // optional strings: a type that is not a string
  ...[['header', 'token'], ['header', 'tenant_key'], ['header', 'app_id'], ['event', 'sender', 'sender_id', 'union_id'], ['event', 'sender', 'sender_id', 'user_id'],
    ['event', 'sender', 'sender_type'], ['event', 'message', 'root_id'], ['event', 'message', 'parent_id'], ['event', 'message', 'thread_id']].map(
    (p): Breaker => (r, ev) => setPath(ev, p, wrongTypeForOptional(r)),
  ),
  // ids that cannot be Temporal ids or search attribute values: too long, not printable ASCII
  ...[['header', 'event_id'], ['event', 'message', 'message_id'], ['event', 'sender', 'sender_id', 'open_id'], ['event', 'message', 'chat_id'], ['header', 'event_type']].map(
    (p): Breaker => (r, ev) => setPath(ev, p, r.pick([hugeString(r), 'a'.repeat(r.int(129, 5000)), `id ${r.hex(8)}`, unicodeJunk(r, 3) + 'é', 'ou_\u0000x', 'ou_\ud800'])),
  ),
  (r, ev) => setPath(ev, ['event', 'message', 'chat_type'], r.pick(['private_group', 'P2P', 'channel', unicodeJunk(r, 2), 'x'.repeat(300)])),
  (r, ev) => setPath(ev, ['event', 'message', 'content'], r.pick(['{text', '[]', '"x"', '1', 'null', '{"text":1}', '{}', unicodeJunk(r), '{"text":' + '['.repeat(5000)])),
  (r, ev) => setPath(ev, ['event', 'message', 'mentions'], r.pick<unknown>([{}, 'x', 1, true, [1], [null], [{}], [{ key: 1 }], [{ name: 'x' }]])),
  (r, ev) => {
    ev.event.message.message_type = 'post';
    ev.event.message.content = JSON.stringify(r.pick<unknown>([{}, { content: 1 }, { zh_cn: { content: 'x' } }, { title: 'x' }]));
  },
];

const STRICT_V1: Breaker[] = [
  ...[['uuid'], ['event', 'open_message_id'], ['event', 'open_id'], ['event', 'type']].map(
    (p): Breaker => (r, ev) => (r.chance(0.3) ? setPath(ev, p, undefined, true) : setPath(ev, p, nonString(r))),
  ),
  (r, ev) => setPath(ev, ['event'], nonObject(r)),
  (r, ev) => setPath(ev, ['uuid'], 'a'.repeat(r.int(129, 3000))),
  (r, ev) => setPath(ev, ['event', 'open_id'], r.pick(['x'.repeat(r.int(200, 4000)), 'ou \u0000', unicodeJunk(r, 3) + 'é'])),
  (r, ev) => setPath(ev, ['event', 'chat_type'], r.pick(['channel', 1, true, 'PRIVATE'])),
  (r, ev) => setPath(ev, ['event', 'text'], r.pick<unknown>([1, [], {}, true])),
];

// ---- Wire helpers -------------------------------------------------------------------------------------

const JSON_CT = 'application/json; charset=utf-8';

function signedHeaders(body: Buffer, key = ENCRYPT_KEY, nowMs = Date.now(), nonce = 'n0nce'): Record<string, string> {
  const ts = String(Math.floor(nowMs / 1000));
  return { 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': nonce, 'x-lark-signature': larkSignature(ts, nonce, key, body) };
}

function encryptedBody(plaintext: string): Buffer {
  return Buffer.from(JSON.stringify({ encrypt: encryptLarkPayload(ENCRYPT_KEY, plaintext) }));
}

/** A body for a target: plain JSON for the plain webhook; encrypted and correctly signed for the secure one. */
function deliver(r: Rng, category: string, target: Target, text: string, extra: Partial<FuzzCase> = {}): FuzzCase {
  const path = r.chance(0.8) ? '/webhook/event' : '/webhook/card';
  if (target === 'plain') return { category, target, method: 'POST', path, headers: { 'content-type': JSON_CT }, body: Buffer.from(text), ...extra };
  const body = encryptedBody(text);
  return { category, target, method: 'POST', path, headers: { 'content-type': JSON_CT, ...signedHeaders(body) }, body, ...extra };
}

const target = (r: Rng): Target => (r.chance(0.5) ? 'secure' : 'plain');

// ---- Categories ---------------------------------------------------------------------------------------

type Generator = (r: Rng) => FuzzCase;

function badJson(r: Rng): FuzzCase {
  const text = r.pick([
    () => r.bytes(r.int(1, 300)).toString('latin1'),
    () => '{"schema":"2.0",',
    () => "{'a':1}",
    () => '{"a":1,}',
    () => '{"a" 1}',
    () => 'NaN',
    () => 'undefined',
    () => '{"a":01}',
    () => '{"a":"\\x41"}',
    () => '{"a":"\\ud800"' + unicodeJunk(r),
    () => '\ufeff{"a":1}',
    () => '{"a":1}{"b":2}',
    () => '{"a":1} trailing',
    () => '/* comment */ {}',
    () => unicodeJunk(r, 30),
  ])();
  return deliver(r, 'bad_json', target(r), text);
}

function truncated(r: Rng): FuzzCase {
  const full = JSON.stringify(r.chance(0.7) ? v2Event(r) : v1Event(r));
  const cut = full.slice(0, r.int(1, full.length - 1));
  if (r.chance(0.5)) return deliver(r, 'truncated', 'plain', cut);
  // Encrypted envelope cut mid-way, signed as sent.
  const env = encryptedBody(full).toString();
  const body = Buffer.from(env.slice(0, r.int(1, env.length - 2)));
  return { category: 'truncated', target: 'secure', method: 'POST', path: '/webhook/event', headers: { 'content-type': JSON_CT, ...signedHeaders(body) }, body };
}

function oversized(r: Rng): FuzzCase {
  const size = 1024 * 1024 + r.int(1, 300_000);
  const body = Buffer.alloc(size, r.pick(['x', ' ', '{', '[']));
  body.write('{"pad":"');
  const chunked = r.chance(0.5);
  return { category: chunked ? 'oversized_chunked' : 'oversized', target: target(r), method: 'POST', path: '/webhook/event', headers: { 'content-type': JSON_CT }, body, chunked };
}

function badSignature(r: Rng): FuzzCase {
  const body = encryptedBody(JSON.stringify(v2Event(r)));
  const headers: Record<string, string> = { 'content-type': JSON_CT, ...signedHeaders(body) };
  r.pick([
    () => (headers['x-lark-signature'] = r.hex(64)),
    () => (headers['x-lark-signature'] = r.hex(r.int(0, 63)) || 'a'),
    () => (headers['x-lark-signature'] = headers['x-lark-signature']! + '00'),
    () => (headers['x-lark-signature'] = 'Ω'.repeat(32).replace(/[^\x20-\x7e]/g, 'z')),
    () => (headers['x-lark-signature'] = signedHeaders(body, 'other-key')['x-lark-signature']!),
    () => (headers['x-lark-request-nonce'] = headers['x-lark-request-nonce'] + 'x'),
    () => (headers['x-lark-request-timestamp'] = String(Number(headers['x-lark-request-timestamp']) - 1)),
    () => Object.assign(headers, signedHeaders(Buffer.concat([body, Buffer.from(' ')]))), // signature of other bytes
  ])();
  return { category: 'bad_signature', target: 'secure', method: 'POST', path: '/webhook/event', headers, body };
}

function staleTimestamp(r: Rng): FuzzCase {
  const body = encryptedBody(JSON.stringify(v2Event(r)));
  const offset = r.pick([301, 600, 3600, 86_400 * 365, 86_400 * 365 * 40]) * 1000 * (r.chance(0.5) ? -1 : 1);
  const headers: Record<string, string> = { 'content-type': JSON_CT, ...signedHeaders(body, ENCRYPT_KEY, Date.now() + offset) };
  if (r.chance(0.4)) {
    // Timestamps of a shape that must not parse as seconds, signed over themselves.
    const ts = r.pick(['-1', '1e9', ' 1700000000', '1700000000 ', '0x65', '١٧٠٠٠٠٠٠٠٠', '99999999999999', '', '1.5', 'Infinity']);
    headers['x-lark-request-timestamp'] = ts.replace(/[^\x20-\x7e]/g, '9');
    headers['x-lark-signature'] = larkSignature(headers['x-lark-request-timestamp']!, headers['x-lark-request-nonce']!, ENCRYPT_KEY, body);
  }
  return { category: 'stale_timestamp', target: 'secure', method: 'POST', path: '/webhook/event', headers, body };
}

function signedRawEnvelope(r: Rng, category: string, encrypt: unknown): FuzzCase {
  const body = Buffer.from(JSON.stringify({ encrypt }));
  return { category, target: 'secure', method: 'POST', path: r.chance(0.8) ? '/webhook/event' : '/webhook/card', headers: { 'content-type': JSON_CT, ...signedHeaders(body) }, body };
}

function badBase64(r: Rng): FuzzCase {
  const good = encryptLarkPayload(ENCRYPT_KEY, JSON.stringify(v2Event(r)));
  const encrypt = r.pick<() => unknown>([
    () => good.slice(0, -1),
    () => good + '=',
    () => good.replace(/[A-Za-z]/, '*'),
    () => '====',
    () => good.replace(/\+/g, '-').replace(/\//g, '_') + '-',
    () => ' ' + good,
    () => good + '\n',
    () => unicodeJunk(r),
    () => Buffer.from(good).toString('base64'), // double-encoded
    () => 'A',
  ])();
  return signedRawEnvelope(r, 'bad_base64', encrypt);
}

function badAes(r: Rng): FuzzCase {
  const encrypt = r.pick<() => unknown>([
    () => r.bytes(16 * r.int(2, 40)).toString('base64'), // random blocks: bad padding or junk plaintext
    () => r.bytes(r.int(1, 31)).toString('base64'), // shorter than IV + one block
    () => r.bytes(16 * r.int(2, 10) + r.int(1, 15)).toString('base64'), // not whole blocks
    () => encryptLarkPayload('wrong-' + r.hex(8), JSON.stringify(v2Event(r, 'wrong-token'))),
    () => encryptLarkPayload(ENCRYPT_KEY, r.pick(['', 'not json', '[1]', 'null', '"s"', unicodeJunk(r)])),
    () => {
      // Valid ciphertext, one byte flipped: padding or JSON usually breaks. CBC is not authenticated, so a
      // flip inside a lenient string can survive: the plaintext carries a wrong token so that is refused too.
      const b = Buffer.from(encryptLarkPayload(ENCRYPT_KEY, JSON.stringify(v2Event(r, 'wrong-token'))), 'base64');
      b[r.int(16, b.length - 1)]! ^= 1 << r.int(0, 7);
      return b.toString('base64');
    },
    () => r.pick<unknown>([0, 1, null, true, [], {}, '']),
  ])();
  return signedRawEnvelope(r, 'bad_aes', encrypt);
}

function wrongTokenCase(r: Rng): FuzzCase {
  const kind = r.int(0, 2);
  const ev: any = kind === 0 ? v2Event(r) : kind === 1 ? v1Event(r) : { type: 'url_verification', challenge: r.hex(16) };
  const tok = wrongToken(r);
  if (kind === 0) setPath(ev, ['header', 'token'], tok, tok === undefined);
  else setPath(ev, ['token'], tok, tok === undefined);
  return deliver(r, 'wrong_token', target(r), JSON.stringify(ev));
}

function deepNesting(r: Rng): FuzzCase {
  const n = r.pick([1000, 5000, 20_000, 100_000, 400_000]);
  const text = r.pick([
    () => '['.repeat(n) + ']'.repeat(n),
    () => '{"a":'.repeat(n) + '1' + '}'.repeat(n),
    () => '['.repeat(n), // unclosed
    () => JSON.stringify({ ...v2Event(r), event: JSON.parse('{"a":'.repeat(500) + '1' + '}'.repeat(500)) }),
    () => '{"schema":"2.0","header":' + '{"h":'.repeat(Math.min(n, 100_000)) + '1' + '}'.repeat(Math.min(n, 100_000)) + '}',
  ])();
  return deliver(r, 'deep_nesting', target(r), text);
}

function wrongTypes(r: Rng): FuzzCase {
  if (r.chance(0.6)) {
    // Right token: only fields the webhook must check.
    const ev = r.chance(0.8) ? v2Event(r) : v1Event(r);
    r.pick(ev.schema ? STRICT_V2 : STRICT_V1)(r, ev);
    return deliver(r, 'wrong_types', target(r), JSON.stringify(ev));
  }
  // Any field, any junk, with a wrong token (a lenient field may legitimately accept junk).
  const ev = v2Event(r, 'not-the-token');
  for (let i = r.int(1, 4); i > 0; i--) {
    const p = r.pick(paths(ev));
    if (p.join('.') === 'header.token') continue;
    setPath(ev, p, junkValue(r));
  }
  return deliver(r, 'wrong_types', target(r), JSON.stringify(ev));
}

function hugeStrings(r: Rng): FuzzCase {
  const ev = v2Event(r);
  const p = r.pick([['header', 'event_id'], ['header', 'event_type'], ['event', 'sender', 'sender_id', 'open_id'], ['event', 'message', 'chat_id'], ['event', 'message', 'message_id']]);
  setPath(ev, p, hugeString(r));
  if (r.chance(0.3)) ev.event.message.content = JSON.stringify({ text: hugeString(r) }), setPath(ev, ['header', 'token'], 'wrong');
  return deliver(r, 'huge_strings', target(r), JSON.stringify(ev));
}

function unicode(r: Rng): FuzzCase {
  const t = target(r);
  if (r.chance(0.4)) {
    // Raw invalid UTF-8 around and inside JSON strings.
    const body = Buffer.concat([Buffer.from('{"schema":"2.0","header":{"event_id":"'), r.bytes(r.int(1, 64)), Buffer.from('","token":"'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xed, 0xa0, 0x80]), Buffer.from('"}}')]);
    return deliver(r, 'unicode_junk', t, body.toString('latin1'));
  }
  const ev = v2Event(r);
  const p = r.pick([['header', 'event_id'], ['event', 'sender', 'sender_id', 'open_id'], ['event', 'message', 'message_id'], ['event', 'message', 'chat_type'], ['header', 'token']]);
  setPath(ev, p, unicodeJunk(r) + 'é');
  return deliver(r, 'unicode_junk', t, JSON.stringify(ev));
}

function duplicateKeys(r: Rng): FuzzCase {
  const ev = v2Event(r);
  const text = r.pick([
    // The last key wins in JSON.parse: a valid value first, an invalid one last.
    () => JSON.stringify(ev).replace(/}$/, ',"header":"dup"}'),
    () => JSON.stringify(ev).replace(/"event_id":"[0-9a-f]+"/, (m) => `${m},"event_id":${r.pick(['1', 'null', '[]', '""'])}`),
    () => JSON.stringify(ev).replace(`"token":"${TOKEN}"`, `"token":"${TOKEN}","token":"x"`),
    () => JSON.stringify(ev).replace('"open_id":', '"open_id":{},"open_id":').replace(/"open_id":\{\},"open_id":"[^"]*"/, '"open_id":"ou_1","open_id":{}'),
    () => `{"encrypt":"${encryptLarkPayload(ENCRYPT_KEY, JSON.stringify(ev))}","encrypt":1}`,
    () => `{"type":"url_verification","challenge":"c","token":"${TOKEN}","challenge":${r.pick(['1', '""', 'null', '[]'])}}`,
  ])();
  return deliver(r, 'duplicate_keys', target(r), text);
}

function numbersForStrings(r: Rng): FuzzCase {
  const ev = v2Event(r);
  const p = r.pick([['header', 'event_id'], ['header', 'event_type'], ['event', 'sender', 'sender_id', 'open_id'], ['event', 'message', 'message_id'], ['event', 'message', 'chat_id'], ['event', 'message', 'content'], ['header', 'token'], ['event', 'message', 'chat_type']]);
  const n = r.pick(['123', '-0', '1e400', '-1e400', '0.0000001', '12345678901234567890123', '1E2', '0']);
  const text = JSON.stringify(ev).replace(new RegExp(`"${p.at(-1)}":"[^"]*"`), `"${p.at(-1)}":${n}`);
  return deliver(r, 'numbers_for_strings', target(r), text);
}

function emptyObjects(r: Rng): FuzzCase {
  const text = r.pick(['{}', '[]', '""', 'null', '0', 'true', '{"header":{}}', '{"event":{}}', '{"schema":"2.0"}', '{"schema":"2.0","header":{},"event":{}}', '{"encrypt":""}', '{"encrypt":{}}', '{"type":"event_callback"}', '{"type":"url_verification"}', '{"challenge":""}', ' ', '\n\t']);
  return deliver(r, 'empty_objects', target(r), text);
}

function validEnvelopeRandomInner(r: Rng): FuzzCase {
  const ev = v2Event(r);
  // A well-formed, right-token envelope for a message event whose inner part is random junk.
  ev.event = r.chance(0.5)
    ? junkValue(r)
    : { sender: r.chance(0.5) ? junkValue(r) : { sender_id: junkValue(r) }, message: junkValue(r), [unicodeJunk(r, 2)]: junkValue(r) };
  // Junk can be valid only by a miracle; make sure: break the message's required id whatever was drawn.
  if (typeof ev.event === 'object' && ev.event && !Array.isArray(ev.event) && typeof ev.event.message === 'object' && ev.event.message) ev.event.message.message_id = 42;
  return deliver(r, 'valid_envelope_random_inner', target(r), JSON.stringify(ev));
}

function missingHeaders(r: Rng): FuzzCase {
  const body = encryptedBody(JSON.stringify(v2Event(r)));
  const headers: Record<string, string> = { 'content-type': JSON_CT, ...signedHeaders(body) };
  const drop = r.pick([['x-lark-signature'], ['x-lark-request-timestamp'], ['x-lark-request-nonce'], ['x-lark-request-timestamp', 'x-lark-request-nonce'], ['x-lark-signature', 'x-lark-request-nonce', 'x-lark-request-timestamp'], ['content-type']]);
  for (const h of drop) delete headers[h];
  if (r.chance(0.2)) headers['x-lark-signature'] = '';
  return { category: 'missing_headers', target: 'secure', method: 'POST', path: '/webhook/event', headers, body };
}

function wrongContentType(r: Rng): FuzzCase {
  const c = deliver(r, 'wrong_content_type', target(r), JSON.stringify(v2Event(r)));
  const ct = r.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'json', '', 'application/json-seq', '*/*', unicodeJunk(r, 2).replace(/[^\x20-\x7e]/g, 'q')]);
  if (ct) c.headers['content-type'] = ct;
  else delete c.headers['content-type'];
  return c;
}

function wrongMethodOrPath(r: Rng): FuzzCase {
  const c = deliver(r, 'wrong_method_or_path', target(r), JSON.stringify(v2Event(r)));
  if (r.chance(0.5)) {
    c.method = r.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
    if (c.method === 'GET' || c.method === 'HEAD') c.body = Buffer.alloc(0);
  }
  else c.path = r.pick(['/', '/webhook', '/webhook/event/', '/webhook/EVENT', '/webhook/event/../card/x', '/%E0%A4%A', '/webhook/%00', '/metrics/x', '/codec/decode', `/${r.hex(300)}`, '//webhook/event']);
  return c;
}

function badChallenge(r: Rng): FuzzCase {
  const ch = r.pick<unknown>([1, '', null, [], {}, 'x'.repeat(r.int(513, 5000)), true]);
  return deliver(r, 'bad_challenge', target(r), JSON.stringify(r.chance(0.5) ? { type: 'url_verification', challenge: ch, token: TOKEN } : { challenge: ch, token: TOKEN, type: 'url_verification' }));
}

function unsignedEvent(r: Rng): FuzzCase {
  // A correctly encrypted, right-token event without a signature: only a challenge may come unsigned.
  const body = encryptedBody(JSON.stringify(v2Event(r)));
  return { category: 'unsigned_event', target: 'secure', method: 'POST', path: '/webhook/event', headers: { 'content-type': JSON_CT }, body };
}

function encryptionMismatch(r: Rng): FuzzCase {
  if (r.chance(0.5)) return { ...deliver(r, 'encryption_mismatch', 'plain', encryptedBody(JSON.stringify(v2Event(r))).toString()) }; // encrypted to the plain app
  return { category: 'encryption_mismatch', target: 'secure', method: 'POST', path: '/webhook/event', headers: { 'content-type': JSON_CT }, body: Buffer.from(JSON.stringify(v2Event(r))) };
}

export const GENERATORS: Array<[Generator, number]> = [
  [badJson, 8],
  [truncated, 8],
  [oversized, 1],
  [badSignature, 6],
  [staleTimestamp, 6],
  [badBase64, 6],
  [badAes, 8],
  [wrongTokenCase, 6],
  [deepNesting, 3],
  [wrongTypes, 14],
  [hugeStrings, 3],
  [unicode, 6],
  [duplicateKeys, 5],
  [numbersForStrings, 5],
  [emptyObjects, 4],
  [validEnvelopeRandomInner, 6],
  [missingHeaders, 5],
  [wrongContentType, 4],
  [wrongMethodOrPath, 4],
  [badChallenge, 3],
  [unsignedEvent, 3],
  [encryptionMismatch, 3],
];

/** The i-th case of a run: its own PRNG stream, so any single case can be replayed from (seed, i). */
export function generateCase(seed: number, i: number): FuzzCase {
  const r = prng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  const total = GENERATORS.reduce((s, [, w]) => s + w, 0);
  let x = r.next() * total;
  for (const [gen, w] of GENERATORS) {
    if ((x -= w) < 0) return gen(r);
  }
  return GENERATORS[0]![0](r);
}

/** A valid signed, encrypted event: the control that proves the webhook and Temporal were live. */
export function validControlCase(r: Rng): FuzzCase {
  const body = encryptedBody(JSON.stringify(v2Event(r)));
  return { category: 'control', target: 'secure', method: 'POST', path: '/webhook/event', headers: { 'content-type': JSON_CT, ...signedHeaders(body) }, body };
}
