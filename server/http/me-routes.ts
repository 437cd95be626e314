import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import express, { type Request, Router } from 'express';
import type { MeSignOutResponse, MeVerifyResponse } from '../../protocol/api.ts';
import * as S from '../../protocol/schemas.ts';
import { ApiError } from '../errors.ts';
import { clearedSignInCookie, readSignInCookie, signInCookie } from '../me/cookie.ts';
import { MeHistory } from '../me/disclosures.ts';
import { MeSignIn, SIGNED_IN_SECONDS } from '../me/sign-in.ts';

import type { Services } from '../services.ts';
import { callerFor } from './auth.ts';
import { methodNotAllowed } from './errors.ts';
import { mobile, parse } from './validation.ts';

/** Where `npm run build` (Vite, `--mode me`) writes the page. */
const DIST = fileURLToPath(new URL('../../dist/me/', import.meta.url));

/** The page runs only its own bundled code, talks only to this service, and is never framed. */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const meOtpBody = S.meOtpRequest.extend({ mobile });

/**
 * The citizen's own history: the page (`/me/`) and its API (`/v1/me/…`): a code to the mobile,
 * the sign-in cookie, the disclosures about the people on that mobile, sign-out.
 */
export function meRoutes(services: Services): Router {
  const signIn = new MeSignIn(services.flowDeps, services.signIns);
  const history = new MeHistory({ ...services.flowDeps, audit: services.audit, subjectKey: services.flowDeps.secrets.subjectKey });
  const router = Router();
  let page: string | undefined;

  const signedIn = (req: Request) => signIn.authenticate(readSignInCookie(req.get('cookie')));

  router
    .route('/v1/me/otp')
    .post(async (req, res) => {
      const body = parse(meOtpBody, req.body);
      res.status(202).json(await signIn.sendCode(body, callerFor(req, null, services.addressSecret)));
    })
    .all(methodNotAllowed);

  router
    .route('/v1/me/otp/verify')
    .post(async (req, res) => {
      const { secret, expiresAt } = await signIn.verify(parse(S.meVerifyRequest, req.body));
      res.setHeader('Set-Cookie', signInCookie(secret, SIGNED_IN_SECONDS, req.secure));
      const answer: MeVerifyResponse = { expires_at: new Date(expiresAt).toISOString() };
      res.json(answer);
    })
    .all(methodNotAllowed);

  router
    .route('/v1/me/disclosures')
    .get(async (req, res) => {
      const who = await signedIn(req);
      res.json(await history.page(who, parse(S.meDisclosuresQuery, req.query)));
    })
    .all(methodNotAllowed);

  router
    .route('/v1/me/sign-out')
    .post(async (req, res) => {
      // Signing out of an ended sign-in is no error: the answer is the same, the cookie goes.
      const who = await signedIn(req).catch((err: unknown) => (err instanceof ApiError ? null : Promise.reject(err)));
      if (who) await signIn.signOut(who);
      res.setHeader('Set-Cookie', clearedSignInCookie(req.secure));
      const answer: MeSignOutResponse = { signed_out: true };
      res.json(answer);
    })
    .all(methodNotAllowed);

  router.get('/me/', async (_req, res) => {
    try {
      page ??= await readFile(`${DIST}index.html`, 'utf8');
    } catch {
      res.status(503).type('text').send('The /me/ page is not built: run `npm run build`.');
      return;
    }
    res.setHeader('Content-Security-Policy', PAGE_CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(page);
  });

  // File names carry a content hash, so they never change: cache them for good.
  router.use('/me/assets', express.static(`${DIST}assets`, { immutable: true, maxAge: '1y', index: false }));

  return router;
}
