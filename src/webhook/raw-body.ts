/** Reads the raw request bytes (the signature covers them exactly), refusing more than `limit`. */
import type { Context } from 'koa';
import { HttpError } from '../http-error';

export async function readRawBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, 'body_too_large', `body is over the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of ctx.req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HttpError(413, 'body_too_large', `body is over the ${limit}-byte limit`);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, 'body_unreadable', 'the request body could not be read');
  }
  if (size === 0) throw new HttpError(400, 'empty_body', 'the request body is empty');
  return Buffer.concat(chunks, size);
}
