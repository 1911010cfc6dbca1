/** Reads the raw request bytes (the signature covers them exactly), refusing more than `limit`. */
import type { Context } from 'koa';
import { HttpError } from '../http-error';

export async function readRawBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, 'body_too_large', `body is over the ${limit}-byte limit`);
  }
  const req = ctx.req;
  if (req.readableEnded) throw new HttpError(400, 'body_unreadable', 'the request body could not be read');
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Over the limit without a Content-Length (chunked): keep reading and dropping the rest rather than
      // destroying the request. Destroying it kills the keep-alive socket right after the 413 is sent, and
      // the client's next request on that socket fails with ECONNRESET (found by the fuzz suite).
      cleanup();
      req.on('data', () => undefined);
      reject(new HttpError(413, 'body_too_large', `body is over the ${limit}-byte limit`));
    };
    const onEnd = () => {
      cleanup();
      resolve();
    };
    const onError = () => {
      cleanup();
      reject(new HttpError(400, 'body_unreadable', 'the request body could not be read'));
    };
    // A client that goes away later must not become an unhandled 'error' event.
    req.on('error', () => undefined);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onError); // gone before 'end' (after 'end', cleanup has removed this)
  });
  if (size === 0) throw new HttpError(400, 'empty_body', 'the request body is empty');
  return Buffer.concat(chunks, size);
}
