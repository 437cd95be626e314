import { createHash } from 'node:crypto';
import type { Response } from 'express';

/**
 * Sends a generated answer that caches may keep for five minutes (keys, discovery, API docs), with
 * a validator: after those minutes a client revalidates and gets 304 without the body. Express
 * makes no ETags here (app.ts): every other generated answer is no-store and would never use one.
 */
export function sendCacheable(res: Response, type: 'json' | 'html', body: string): void {
  res.setHeader('Cache-Control', 'public, max-age=300');
  res.setHeader('ETag', `"${createHash('sha256').update(body).digest('base64url')}"`);
  // send() answers 304 itself when the request's If-None-Match holds this ETag.
  res.type(type).send(body);
}
