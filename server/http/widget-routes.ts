import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import express, { Router, type Response } from 'express';
import { FRAME_CONFIG_ELEMENT_ID, type FramePageConfig } from '../../protocol/messages.ts';
import { CLIENT_ID_PATTERN } from '../clients/clients.ts';
import { canonicalOrigin } from '../clients/origins.ts';
import type { Services } from '../services.ts';

/** Where `npm run build` (Vite) writes the loader and the frame page. */
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** The placeholder in widget/frame/index.html that each response replaces with its boot config. */
const CONFIG_PLACEHOLDER = `<script type="application/json" id="${FRAME_CONFIG_ELEMENT_ID}">null</script>`;

/** The frame runs only its own bundled code and talks only to this service. */
export const FRAME_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
];

/**
 * The loader (`/embed.js`), the frame page (`/widget/`) and its assets. The page may be framed only
 * by the one origin the loader declared, and only when that origin is on the client's allowlist:
 * the browser enforces it through `frame-ancestors`, so a host off the list gets no frame at all.
 */
export function widgetRouter(services: Pick<Services, 'clients' | 'config' | 'flowDeps'>): Router {
  const router = Router();

  router.get('/embed.js', (_req, res) => {
    // Short cache: hosts always load the same URL, so a fix must reach them within minutes.
    res.sendFile('embed.js', { root: DIST, maxAge: '5m', headers: { 'Content-Type': 'text/javascript; charset=utf-8' } }, (err) =>
      err ? notBuilt(res) : undefined,
    );
  });

  // The loader's TypeScript types (window.KycVs, <kyc-vs-button> and its events): the file the
  // package ships as @kycvs/verifier/embed, copied next to embed.js by the build.
  router.get('/embed.d.ts', (_req, res) => {
    res.sendFile('embed.d.ts', { root: DIST, maxAge: '5m', headers: { 'Content-Type': 'text/plain; charset=utf-8' } }, (err) =>
      err ? notBuilt(res) : undefined,
    );
  });

  router.get('/widget/', async (req, res) => {
    const config = await pageConfig(services, req.query.client_id, req.query.origin);
    const page = await framePage(config);
    if (page === null) return notBuilt(res);
    const frameAncestors = config.ok ? config.parentOrigin : "'none'";
    res.setHeader('Content-Security-Policy', [...FRAME_CSP, `frame-ancestors ${frameAncestors}`].join('; '));
    res.setHeader('Cache-Control', 'no-store');
    res.removeHeader('X-Frame-Options');
    res.status(config.ok ? 200 : config.error === 'unknown_client' ? 404 : 403);
    res.type('html').send(page);
  });

  // File names carry a content hash, so they never change: cache them for good.
  router.use('/widget/assets', express.static(`${DIST}widget/assets`, { immutable: true, maxAge: '1y', index: false }));

  return router;
}

async function pageConfig(services: Pick<Services, 'clients' | 'config' | 'flowDeps'>, clientId: unknown, origin: unknown): Promise<FramePageConfig> {
  const client = typeof clientId === 'string' && CLIENT_ID_PATTERN.test(clientId) ? await services.clients.get(clientId) : null;
  if (!client) return { ok: false, error: 'unknown_client' };
  if (client.status !== 'active') return { ok: false, error: 'client_disabled' };
  const parentOrigin = typeof origin === 'string' ? canonicalOrigin(origin) : null;
  if (!parentOrigin || !client.allowedOrigins.includes(parentOrigin)) return { ok: false, error: 'origin_not_allowed' };
  const { issuerName } = services.config;
  const texts = Object.fromEntries(
    (await services.flowDeps.clientTexts.list(client.id)).map(({ lang, name, purpose }) => [lang, { ...(name && { name }), ...(purpose && { purpose }) }]),
  );
  return { ok: true, clientId: client.id, clientName: client.name, purpose: client.purpose, issuerName, parentOrigin, texts };
}

let built: string | undefined;

/** The built frame page carrying `config`; null when the widget is not built. Also the verification link's page (link-routes.ts). */
export async function framePage(config: FramePageConfig): Promise<string | null> {
  try {
    built ??= await readFile(`${DIST}widget/index.html`, 'utf8');
  } catch {
    return null;
  }
  if (!built.includes(CONFIG_PLACEHOLDER)) throw new Error('dist/widget/index.html has no config placeholder: rebuild');
  return built.replace(CONFIG_PLACEHOLDER, CONFIG_PLACEHOLDER.replace('null', scriptSafeJson(config)));
}

/** JSON that cannot close its <script> element or open a comment. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function notBuilt(res: Response): void {
  res.status(503).type('text').send('The widget is not built: run `npm run build`.');
}
