import crypto from 'node:crypto';
import { type Response, Router } from 'express';
import { STATUS_TOKEN_TYPE, VACCINATION_STATUSES } from '../../protocol/api.ts';
import { ApiError } from '../errors.ts';
import type { Services } from '../services.ts';
import { SIGNING_ALG } from '../signing/key-store.ts';
import { sendCacheable } from './cacheable.ts';
import { methodNotAllowed } from './errors.ts';
import { parse, smsOutboxQuery } from './validation.ts';

/** Discovery, keys, health, metrics and (demo mode only) the SMS outbox. */
export function publicRoutes(services: Services): Router {
  const { config } = services;
  const router = Router();
  const metricsHosts = new Set([new URL(config.issuer).hostname.toLowerCase(), ...LOOPBACK_HOSTNAMES]);

  // Published for any verifier's backend or browser to read.
  const sendPublic = (res: Response, value: unknown) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    sendCacheable(res, 'json', JSON.stringify(value));
  };

  router
    .route('/.well-known/jwks.json')
    .get(async (_req, res) => {
      sendPublic(res, { keys: await services.keys.publicKeys() });
    })
    .all(methodNotAllowed);

  router
    .route('/.well-known/kycvs-configuration')
    .get((_req, res) => {
      sendPublic(res, {
        issuer: config.issuer,
        jwks_uri: `${config.issuer}/.well-known/jwks.json`,
        sessions_endpoint: `${config.issuer}/v1/sessions`,
        widget_url: `${config.issuer}/widget/`,
        embed_script: `${config.issuer}/embed.js`,
        token_type: STATUS_TOKEN_TYPE,
        token_signing_alg_values_supported: [SIGNING_ALG],
        token_ttl_seconds: config.tokenTtlSeconds,
        vaccination_status_values: VACCINATION_STATUSES,
      });
    })
    .all(methodNotAllowed);

  router
    .route('/healthz')
    .get(async (_req, res) => {
      try {
        await services.ping();
        await services.keys.signingKey();
        res.json({ status: 'ok' });
      } catch {
        res.status(503).json({ status: 'unavailable' });
      }
    })
    .all(methodNotAllowed);

  router
    .route('/metrics')
    .get(async (req, res) => {
      // DNS rebinding: a page on the operator's machine can reach us from loopback, but its
      // requests name its own host. Answer only to the issuer's host and loopback names, as if
      // the route did not exist otherwise.
      if (!metricsHosts.has(hostnameOf(req.headers.host))) throw new ApiError('not_found', 'No such endpoint.');
      // Operators only: a bearer token when configured, else loopback callers.
      const token = config.metricsToken;
      const allowed = token ? sameSecret(req.get('authorization') ?? '', `Bearer ${token}`) : isLoopback(req.socket.remoteAddress);
      if (!allowed) throw new ApiError('forbidden', 'Metrics are for operators.');
      res.setHeader('Content-Type', services.metrics.registry.contentType);
      res.send(await services.metrics.registry.metrics());
    })
    .all(methodNotAllowed);

  if (config.demo && services.demoTexts) {
    const outbox = services.demoTexts;
    router
      .route('/v1/dev/sms')
      .get(async (req, res) => {
        const query = parse(smsOutboxQuery, req.query);
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.setHeader('Cache-Control', 'no-store');
        res.json({ messages: await outbox.list(query.mobile) });
      })
      .all(methodNotAllowed);
  }
  return router;
}

/** Constant-time comparison (of digests, so lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

// A Host header: a DNS name or IPv4 address, or an IPv6 literal in brackets, then an optional port. Nothing else (no userinfo, no path).
const HOST_HEADER = /^(?<name>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The host name a Host header names, lowercased, without port; '' when there is none or it is malformed. */
function hostnameOf(host: string | undefined): string {
  return HOST_HEADER.exec(host ?? '')?.groups?.name?.toLowerCase() ?? '';
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
