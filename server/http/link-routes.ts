import { Router } from 'express';
import type { FramePageConfig, LinkPageError } from '../../protocol/messages.ts';
import type { Services } from '../services.ts';
import { LINK_PATH } from '../sessions/link-store.ts';
import { isExpired } from '../sessions/session-store.ts';
import { documentOperations, type Operation } from './openapi.ts';
import { FRAME_CSP, framePage, notBuilt } from './widget-routes.ts';

/** A BCP 47-looking tag for `?lang=`; anything else is ignored (the browser's languages decide). */
const LANG_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/;

const STATUS: Record<LinkPageError | 'client_disabled', number> = {
  link_unknown: 404,
  link_expired: 410,
  link_used: 410,
  client_disabled: 403,
};

const operations: Operation[] = [
  {
    method: 'get',
    path: `${LINK_PATH}{code}`,
    summary: 'The verification link’s page',
    description:
      'The `verification_url` of a session made with the API key: the check as a page of this service, top-level (CSP `frame-ancestors \'none\'`), for a person the verifier reaches by SMS or email. Optional query `lang` (e.g. `hi`). An unknown link is a 404 page; an expired one, or one whose check has ended, a 410 page.',
    caller: 'anyone',
    tag: 'Widget',
    response: { status: 200, mediaType: 'text/html', description: 'The page (404/410 with a page saying why it cannot be used)' },
  },
];

/**
 * `GET /v/<code>`: the frame's app as a page of its own, for a session a client's backend made and
 * sent the person a link to. The random code (server/sessions/link-store.ts) opens it, not the
 * session id; the session's own rules (expiry, one decision) still hold for every step taken here.
 */
export function linkRouter(services: Pick<Services, 'clients' | 'sessions' | 'flowDeps' | 'config'>): Router {
  documentOperations(operations);
  const router = Router();

  router.get(`${LINK_PATH}:code`, async (req, res) => {
    const config = await linkPageConfig(services, req.params.code, req.query.lang);
    const page = await framePage(config);
    if (page === null) return notBuilt(res);
    // A page of its own: never framed (clickjacking), never cached, no referrer carrying the link.
    res.setHeader('Content-Security-Policy', [...FRAME_CSP, "frame-ancestors 'none'"].join('; '));
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    res.status(config.ok ? 200 : STATUS[config.error as keyof typeof STATUS]).type('html').send(page);
  });

  return router;
}

async function linkPageConfig(
  services: Pick<Services, 'clients' | 'sessions' | 'flowDeps' | 'config'>,
  code: string,
  lang: unknown,
): Promise<FramePageConfig> {
  const sessionId = await services.flowDeps.links.sessionFor(code);
  const session = sessionId === null ? null : await services.sessions.get(sessionId);
  if (!session) return { ok: false, error: 'link_unknown' };
  if (session.state === 'expired' || isExpired(session, Date.now())) return { ok: false, error: 'link_expired' };
  // Answered already (a decision, a lock, or a code entered on another copy of the page, whose
  // consent ticket this page cannot have): nothing left to do here.
  if (session.state !== 'created' && session.state !== 'otp_sent') return { ok: false, error: 'link_used' };
  const client = await services.clients.get(session.clientId);
  if (!client || client.status !== 'active') return { ok: false, error: 'client_disabled' };
  return {
    ok: true,
    standalone: true,
    clientId: client.id,
    clientName: client.name,
    purpose: session.purpose,
    issuerName: services.config.issuerName,
    sessionId: session.id,
    ...(typeof lang === 'string' && LANG_TAG.test(lang) ? { lang } : {}),
  };
}
