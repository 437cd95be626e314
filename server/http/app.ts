import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { ApiError } from '../errors.ts';
import type { Services } from '../services.ts';
import { cowinRoutes } from './cowin-routes.ts';
import { docsRouter } from './docs-routes.ts';
import { errorHandler, notFound } from './errors.ts';
import { jsonBody, requireJson } from './json-body.ts';
import { linkRouter } from './link-routes.ts';
import { meRoutes } from './me-routes.ts';
import { publicRoutes } from './public-routes.ts';
import { requestContext } from './request-context.ts';
import { sessionRoutes } from './session-routes.ts';
import { widgetRouter } from './widget-routes.ts';

/** JSON API answers: no framing, no content of their own to run. */
const apiHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
});

/**
 * The widget page and the loader: framed by allowlisted hosts (the widget router sets the
 * page's CSP frame-ancestors) and, for embed.js, loaded by any host page's script tag.
 */
const framedHeaders = helmet({
  contentSecurityPolicy: false,
  frameguard: false,
  crossOriginResourcePolicy: { policy: 'cross-origin' },
  crossOriginEmbedderPolicy: false,
});

const securityHeaders: RequestHandler = (req, res, next) =>
  req.path === '/embed.js' || req.path.startsWith('/widget') ? framedHeaders(req, res, next) : apiHeaders(req, res, next);

/** API answers carry tokens, consent tickets and session state: no cache may keep them. */
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

const noBodyEtag = (): undefined => undefined;

export function createApp(services: Services): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', services.config.trustProxy);
  app.set('query parser', 'simple');
  // No ETag made from each generated body: such an answer is either no-store, never revalidated (a
  // SHA-1 of it was 1 % of a flow request's CPU), or sets its own (cacheable.ts). A function, not
  // `false`: sendFile and static files keep send's ETags while the setting is enabled.
  app.set('etag', noBodyEtag);
  app.use(requestContext(app, services.log, services.metrics));
  app.use(securityHeaders);
  app.use('/api/v3', noStore, cowinRoutes(services)); // Co-WIN-compatible API: parses its own bodies, answers { errorCode, error }
  app.use(requireJson, jsonBody);
  // The busiest routes first: every other router would otherwise try its paths on each of their requests.
  app.use('/v1/sessions', noStore, sessionRoutes(services));
  app.use(publicRoutes(services));
  app.use(widgetRouter(services));
  app.use(linkRouter(services));
  app.use('/v1/me', noStore);
  app.use(meRoutes(services)); // the citizen's own history: /me/ and /v1/me/…
  app.use(docsRouter(services));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
