import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type DeliveryPolicy, type Resolver, WebhookAddressError, bareHostname, checkedAddresses, webhookUrlSyntaxProblem } from './address-policy.ts';

export interface DeliveryLimits {
  /** From the start of the attempt (lookup included) to the answer's end. */
  timeoutMs: number;
  /** For the TCP connection alone. */
  connectTimeoutMs: number;
  /** Bytes of the answer read before the connection is cut (the body itself is never kept). */
  maxResponseBytes: number;
}

export interface DeliveryOutcome {
  /** 2xx: delivered. */
  ok: boolean;
  statusCode: number | null;
  /** Why it failed, in a few words (never a header, never the body). */
  error: string | null;
  durationMs: number;
  /** Retrying cannot help (the URL itself is refused, or the receiver said 410 Gone). */
  permanent: boolean;
  /** From a 429/503 `Retry-After`, in ms. */
  retryAfterMs: number | null;
}

/**
 * One POST of one event. The name is resolved once and every address checked (`checkedAddresses`);
 * the socket then connects to exactly those addresses through a lookup that returns them, so the
 * name cannot resolve elsewhere between the check and the connection. No redirect is followed (a
 * 3xx is a failure, as the specification advises), and nothing of the answer is kept but its status.
 */
export async function deliverOnce(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  policy: DeliveryPolicy,
  resolve: Resolver,
  limits: DeliveryLimits,
  /** Aborts the attempt (shutdown): the outcome's error is then `shutdown`. */
  stop?: AbortSignal,
): Promise<DeliveryOutcome> {
  const started = performance.now();
  const done = (o: Omit<DeliveryOutcome, 'durationMs'>): DeliveryOutcome => ({ ...o, durationMs: Math.round(performance.now() - started) });
  const refused = (error: string) => done({ ok: false, statusCode: null, error, permanent: true, retryAfterMs: null });

  const syntax = webhookUrlSyntaxProblem(rawUrl, policy);
  if (syntax) return refused(`webhook URL refused: ${syntax}`);
  const url = new URL(rawUrl);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), limits.timeoutMs);
  const onStop = () => deadline.abort();
  stop?.addEventListener('abort', onStop, { once: true });
  if (stop?.aborted) deadline.abort();
  const timedOut = () => (stop?.aborted ? 'shutdown' : 'timeout');
  try {
    let addresses;
    try {
      addresses = await withAbort(checkedAddresses(url, policy, resolve), deadline.signal);
    } catch (err) {
      if (err instanceof WebhookAddressError) return done({ ok: false, statusCode: null, error: `address refused: ${err.message}`, permanent: false, retryAfterMs: null });
      throw err;
    }
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    };
    const outcome = await new Promise<Omit<DeliveryOutcome, 'durationMs'>>((settle) => {
      const secure = url.protocol === 'https:';
      const request = (secure ? https : http).request({
        protocol: url.protocol,
        host: bareHostname(url),
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'KYC-VS-Webhooks/1' },
        lookup: pinned,
        agent: false,
        signal: deadline.signal,
      });
      let connectTimer: NodeJS.Timeout | null = null;
      request.once('socket', (socket) => {
        connectTimer = setTimeout(() => request.destroy(new Error('connect timeout')), limits.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connectTimer!));
      });
      request.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer!);
        const error = deadline.signal.aborted ? timedOut() : err.message === 'connect timeout' ? 'connect timeout' : (err.code ?? err.message);
        settle({ ok: false, statusCode: null, error, permanent: false, retryAfterMs: null });
      });
      request.once('response', (response) => {
        clearTimeout(connectTimer!);
        const status = response.statusCode ?? 0;
        let read = 0;
        const finish = () => {
          const ok = status >= 200 && status < 300;
          settle({
            ok,
            statusCode: status,
            error: ok ? null : status >= 300 && status < 400 ? 'redirect not followed' : `HTTP ${status}`,
            permanent: status === 410,
            retryAfterMs: status === 429 || status === 503 ? retryAfterMs(response.headers['retry-after']) : null,
          });
          response.destroy();
        };
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > limits.maxResponseBytes) finish();
        });
        response.once('end', finish);
        response.once('error', finish);
        response.once('close', finish);
      });
      request.end(body);
    });
    return done(outcome);
  } catch (err) {
    return done({ ok: false, statusCode: null, error: deadline.signal.aborted ? timedOut() : (err as Error).message, permanent: false, retryAfterMs: null });
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener('abort', onStop);
  }
}

function withAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('timeout'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** `Retry-After` as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
