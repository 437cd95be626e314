import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import express, { Router, type Response } from 'express';
import { FRAME_CONFIG_ELEMENT_ID, type FramePageConfig } from '../../protocol/messages.ts';
import { escapeHtml, prerenderFirstStep } from '../../widget/frame/prerender.ts';
import { CLIENT_ID_PATTERN } from '../clients/clients.ts';
import { canonicalOrigin } from '../clients/origins.ts';
import type { Services } from '../services.ts';

/** Where `npm run build` (Vite) writes the loader and the frame page. */
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** The placeholder in widget/frame/index.html that each response replaces with its boot config. */
const CONFIG_PLACEHOLDER = `<script type="application/json" id="${FRAME_CONFIG_ELEMENT_ID}">null</script>`;

const STYLE_SRC = "style-src 'self'";

/** The frame runs only its own bundled code and talks only to this service. */
export const FRAME_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  STYLE_SRC,
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
    const framed = config.ok ? await framedPage(config, req.get('accept-language')) : null;
    const page = framed ? framed.page : await framePage(config);
    if (page === null) return notBuilt(res);
    const frameAncestors = config.ok ? config.parentOrigin : "'none'";
    // A framed page's style is inline: allowed by its hash, as nothing else inline is.
    const csp = framed ? FRAME_CSP.map((d) => (d === STYLE_SRC ? `${d} '${framed.styleHash}'` : d)) : FRAME_CSP;
    res.setHeader('Content-Security-Policy', [...csp, `frame-ancestors ${frameAncestors}`].join('; '));
    res.setHeader('Cache-Control', 'no-store');
    res.removeHeader('X-Frame-Options');
    // Helmet's Origin-Agent-Cluster: ?1 asks for a process of this origin's own, and the browser can
    // only choose it once the answer's headers are in: it then starts the frame's renderer after the
    // page arrived instead of while it was on its way (0.3–0.5 s later on a loaded machine, measured).
    // The frame is cross-site to every host, so site isolation keeps it out of their processes anyway;
    // document.domain stays off (origin-keyed agent clusters are Chromium's default).
    res.removeHeader('Origin-Agent-Cluster');
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

/** The built page with its stylesheet inline, and the CSP source that allows that style. */
interface FramedTemplate {
  page: string;
  styleHash: string;
}

let framedTemplate: FramedTemplate | undefined;

const STYLESHEET = /<link rel="stylesheet"[^>]* href="\/widget\/(assets\/[\w.-]+\.css)">/;
const HTML_LANG = '<html lang="en">';
const TITLE = '<title>KYC-VS</title>';
const APP_ELEMENT = '<kycvs-app></kycvs-app>';

async function loadFramedTemplate(): Promise<FramedTemplate | null> {
  let page: string;
  let css: string;
  try {
    page = await readFile(`${DIST}widget/index.html`, 'utf8');
    const sheet = STYLESHEET.exec(page);
    if (!sheet) throw new Error('dist/widget/index.html links no stylesheet: rebuild');
    css = await readFile(`${DIST}widget/${sheet[1]}`, 'utf8');
    page = page.replace(sheet[0], () => `<style>${css}</style>`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (css.includes('</')) throw new Error('the frame stylesheet would close its <style> element');
  if (![HTML_LANG, TITLE, APP_ELEMENT, CONFIG_PLACEHOLDER].every((marker) => page.includes(marker))) {
    throw new Error('dist/widget/index.html is not the page widget-routes.ts fills in: rebuild');
  }
  return { page, styleHash: `sha256-${createHash('sha256').update(css).digest('base64')}` };
}

/**
 * The frame page for an allowed host, painted before its script runs: the first step already in
 * it, in the browser's language (prerender.ts), and the style inline (one request fewer before
 * the first paint), with the CSP source that allows that style. Null when the widget is not built.
 */
async function framedPage(
  config: Extract<FramePageConfig, { ok: true }>,
  acceptLanguage: string | undefined,
): Promise<{ page: string; styleHash: string } | null> {
  framedTemplate ??= (await loadFramedTemplate()) ?? undefined;
  if (!framedTemplate) return null;
  const step = await prerenderFirstStep(config, acceptLanguage);
  const page = framedTemplate.page
    .replace(HTML_LANG, () => `<html lang="${step.lang}">`)
    .replace(TITLE, () => `<title>${escapeHtml(step.title)}</title>`)
    .replace(APP_ELEMENT, () => `<kycvs-app>${step.html}</kycvs-app>`);
  return { page: withConfig(page, config), styleHash: framedTemplate.styleHash };
}

/** The built frame page carrying `config`; null when the widget is not built. Also the verification link's page (link-routes.ts). */
export async function framePage(config: FramePageConfig): Promise<string | null> {
  try {
    built ??= await readFile(`${DIST}widget/index.html`, 'utf8');
  } catch {
    return null;
  }
  if (!built.includes(CONFIG_PLACEHOLDER)) throw new Error('dist/widget/index.html has no config placeholder: rebuild');
  return withConfig(built, config);
}

/** `page` with `config` in its boot config element. */
function withConfig(page: string, config: FramePageConfig): string {
  return page.replace(CONFIG_PLACEHOLDER, () => CONFIG_PLACEHOLDER.replace('null', scriptSafeJson(config)));
}

/** JSON that cannot close its <script> element or open a comment. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function notBuilt(res: Response): void {
  res.status(503).type('text').send('The widget is not built: run `npm run build`.');
}
