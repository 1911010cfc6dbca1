/**
 * The long connection's binary frame, `pbbp2.Frame` (proto2), written and read here by hand so the emulator
 * speaks the wire format on its own and the app's SDK is what is being tested:
 *
 *   message Header { required string key = 1; required string value = 2; }
 *   message Frame {
 *     required uint64 SeqID = 1; required uint64 LogID = 2; required int32 service = 3; required int32 method = 4;
 *     repeated Header headers = 5; optional string payload_encoding = 6; optional string payload_type = 7;
 *     optional bytes payload = 8; optional string LogIDNew = 9;
 *   }
 *
 * method 0 is a control frame (headers type=ping|pong), 1 a data frame (type=event|card, message_id, sum, seq,
 * trace_id; an ack carries the same headers plus biz_rt and a JSON payload {code, headers?, data?}).
 */

export const FRAME_CONTROL = 0;
export const FRAME_DATA = 1;

export interface FrameHeader {
  key: string;
  value: string;
}

export interface Frame {
  seqId: bigint;
  logId: bigint;
  service: number;
  method: number;
  headers: FrameHeader[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Buffer;
  logIdNew?: string;
}

export class FrameDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameDecodeError';
  }
}

// --- writing ---

function varint(out: number[], value: bigint): void {
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

function tag(out: number[], field: number, wireType: number): void {
  varint(out, BigInt((field << 3) | wireType));
}

function bytesField(out: number[], field: number, bytes: Uint8Array): void {
  tag(out, field, 2);
  varint(out, BigInt(bytes.length));
  for (const b of bytes) out.push(b);
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

function encodeHeader(h: FrameHeader): number[] {
  const out: number[] = [];
  bytesField(out, 1, utf8(h.key));
  bytesField(out, 2, utf8(h.value));
  return out;
}

export function encodeFrame(f: Frame): Buffer {
  const head: number[] = [];
  tag(head, 1, 0);
  varint(head, f.seqId);
  tag(head, 2, 0);
  varint(head, f.logId);
  tag(head, 3, 0);
  varint(head, BigInt(f.service)); // int32: negative values take 10 bytes, as protobuf writes them
  tag(head, 4, 0);
  varint(head, BigInt(f.method));
  for (const h of f.headers) bytesField(head, 5, Uint8Array.from(encodeHeader(h)));
  if (f.payloadEncoding !== undefined) bytesField(head, 6, utf8(f.payloadEncoding));
  if (f.payloadType !== undefined) bytesField(head, 7, utf8(f.payloadType));
  const tail: number[] = [];
  if (f.logIdNew !== undefined) bytesField(tail, 9, utf8(f.logIdNew));
  if (f.payload === undefined) return Buffer.from([...head, ...tail]);
  // The payload can be large: its bytes are copied once, not pushed one by one.
  const prefix: number[] = [];
  tag(prefix, 8, 2);
  varint(prefix, BigInt(f.payload.length));
  return Buffer.concat([Buffer.from(head), Buffer.from(prefix), f.payload, Buffer.from(tail)]);
}

// --- reading ---

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new FrameDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new FrameDecodeError('varint too long');
  }

  bytes(): Uint8Array {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new FrameDecodeError('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new FrameDecodeError(`unsupported wire type ${wireType}`);
    if (this.pos > this.buf.length) throw new FrameDecodeError('truncated field');
  }
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

function decodeHeader(buf: Uint8Array): FrameHeader {
  const r = new Reader(buf);
  let key: string | undefined;
  let value: string | undefined;
  while (!r.done) {
    const t = Number(r.varint());
    const field = t >> 3;
    if (field === 1 && (t & 7) === 2) key = text(r.bytes());
    else if (field === 2 && (t & 7) === 2) value = text(r.bytes());
    else r.skip(t & 7);
  }
  if (key === undefined || value === undefined) throw new FrameDecodeError('header without key or value');
  return { key, value };
}

/** Decodes a frame; a missing required field or a truncated one is a FrameDecodeError. */
export function decodeFrame(buf: Uint8Array): Frame {
  const r = new Reader(buf);
  const f: Partial<Frame> & { headers: FrameHeader[] } = { headers: [] };
  while (!r.done) {
    const t = Number(r.varint());
    const field = t >> 3;
    const wire = t & 7;
    if (wire === 0 && field >= 1 && field <= 4) {
      const v = r.varint();
      if (field === 1) f.seqId = v;
      else if (field === 2) f.logId = v;
      else if (field === 3) f.service = Number(BigInt.asIntN(32, v));
      else f.method = Number(BigInt.asIntN(32, v));
    } else if (wire === 2 && field === 5) f.headers.push(decodeHeader(r.bytes()));
    else if (wire === 2 && field === 6) f.payloadEncoding = text(r.bytes());
    else if (wire === 2 && field === 7) f.payloadType = text(r.bytes());
    else if (wire === 2 && field === 8) f.payload = Buffer.from(r.bytes());
    else if (wire === 2 && field === 9) f.logIdNew = text(r.bytes());
    else r.skip(wire);
  }
  if (f.seqId === undefined || f.logId === undefined || f.service === undefined || f.method === undefined) {
    throw new FrameDecodeError('missing a required field (SeqID, LogID, service, method)');
  }
  return f as Frame;
}

export function headerOf(f: Frame, key: string): string | undefined {
  return f.headers.find((h) => h.key === key)?.value;
}
