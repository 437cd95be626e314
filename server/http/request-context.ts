import { customAlphabet } from 'nanoid';
import type { Logger } from 'pino';
import type { Express, Request, RequestHandler } from 'express';
import { accessLogger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own augmentation point
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
    }
  }
}

const requestId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 16);
const INBOUND_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Gives each request of `app` an id (kept from X-Request-Id when it is well-formed), a child
 * logger, and one access-log line and latency sample when it finishes. Paths are logged by route
 * pattern, so a session id never lands in metrics labels.
 */
export function requestContext(app: Express, log: Logger, metrics: Metrics): RequestHandler {
  // The child logger is made on first use: most requests log nothing but their access line.
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: Request): Logger {
      const child = log.child({ req_id: this.id });
      Object.defineProperty(this, 'log', { value: child });
      return child;
    },
  });
  const access = accessLogger(log);
  return (req, res, next) => {
    const inbound = req.get('x-request-id');
    req.id = inbound && INBOUND_ID.test(inbound) ? inbound : requestId();
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route ? routeLabel(req.baseUrl, String(req.route.path)) : 'unmatched';
      metrics.observeRequest(req.method, route, res.statusCode, seconds);
      access.info({ req_id: req.id, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    });
    next();
  };
}

/** A route as its API path: a router mounted at `/v1/sessions` labels its `/` route `/v1/sessions`. */
const routeLabel = (mount: string, path: string): string => (mount && path === '/' ? mount : `${mount}${path}`);
