import crypto from 'node:crypto';

/**
 * `webhook-signature` per Standard Webhooks: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`,
 * one per key, space-separated (two while a replaced secret is still honoured, so a receiver can
 * switch keys without losing an event). `id` and `timestamp` are ours, never caller input, and hold no `.`.
 */
export function signatureHeader(keys: readonly Buffer[], id: string, timestampSeconds: number, body: string): string {
  if (id.includes('.')) throw new Error('a webhook id must not contain "."');
  const content = `${id}.${timestampSeconds}.${body}`;
  return keys.map((key) => `v1,${crypto.createHmac('sha256', key).update(content, 'utf8').digest('base64')}`).join(' ');
}

/** The three headers of one delivery attempt (the timestamp is the attempt's, the id the event's). */
export function webhookHeaders(keys: readonly Buffer[], id: string, body: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(keys, id, timestamp, body),
  };
}
