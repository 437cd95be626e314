import crypto from 'node:crypto';
import { Router } from 'express';
import type { Services } from '../services.ts';
import { renderApiReference } from './api-reference.ts';
import { sendCacheable } from './cacheable.ts';
import { methodNotAllowed } from './errors.ts';
import { openApiDocument } from './openapi.ts';

/** `/openapi.json` and its readable page `/docs/`, both made once from the schemas at start. */
export function docsRouter(services: Pick<Services, 'config' | 'demoTexts'>): Router {
  const router = Router();
  let made: { json: string; page: string; styleHash: string } | undefined;
  // Made on first use, after every route module has documented its operations.
  const docs = () => {
    if (made) return made;
    // The demo outbox route exists only in demo mode without a gateway: document it only then.
    const document = openApiDocument(services.config.issuer, { demo: services.demoTexts !== null });
    const { html, style } = renderApiReference(document);
    made = { json: JSON.stringify(document), page: html, styleHash: crypto.createHash('sha256').update(style).digest('base64') };
    return made;
  };

  router
    .route('/openapi.json')
    .get((_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      sendCacheable(res, 'json', docs().json);
    })
    .all(methodNotAllowed);

  router
    .route('/docs/')
    .get((_req, res) => {
      const { page, styleHash } = docs();
      // One inline stylesheet, allowed by its hash; nothing else may run or load.
      res.setHeader('Content-Security-Policy', `default-src 'none'; style-src 'sha256-${styleHash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
      sendCacheable(res, 'html', page);
    })
    .all(methodNotAllowed);

  return router;
}
