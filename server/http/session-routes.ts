import { type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import type { Services } from '../services.ts';
import type { Caller } from '../sessions/caller.ts';
import { callerReader } from './auth.ts';
import { contextQuery } from '../../protocol/schemas.ts';
import { methodNotAllowed } from './errors.ts';
import { consentBody, correctNameBody, createSessionBody, membersBody, parse, sendOtpBody, verifyOtpBody } from './validation.ts';

/**
 * The verification API, mounted at `/v1/sessions` (paths here are below it). Each route reads the
 * caller and its body, and runs one endpoint of the flow.
 */
export function sessionRoutes(services: Services): Router {
  const { flow } = services;
  const callerOf = callerReader(services.clients, services.addressSecret);
  const router = Router();

  /** A handler that answers `status` with what `run` returns for the parsed body. */
  const handle =
    <S extends z.ZodType>(schema: S | null, status: number, run: (id: string, body: z.output<S>, caller: Caller) => Promise<unknown>) =>
    async (req: Request, res: Response) => {
      const caller = await callerOf(req);
      const body = schema ? parse(schema, req.body) : ({} as z.output<S>);
      res.status(status).json(await run(String(req.params.id ?? ''), body, caller));
    };

  router.route('/').post(handle(createSessionBody, 201, (_id, body, caller) => flow.create(body, caller))).all(methodNotAllowed);
  router.route('/:id').get(handle(null, 200, (id, _body, caller) => flow.view(id, caller))).all(methodNotAllowed);
  router
    .route('/:id/context')
    // `?lang=`: the client's name and purpose in the frame's language, where registered.
    .get((req, res, next) => handle(null, 200, (id, _body, caller) => flow.context(id, caller, parse(contextQuery, req.query).lang))(req, res).catch(next))
    .all(methodNotAllowed);
  router.route('/:id/otp').post(handle(sendOtpBody, 202, (id, body, caller) => flow.sendOtp(id, body, caller))).all(methodNotAllowed);
  router
    .route('/:id/otp/verify')
    .post(handle(verifyOtpBody, 200, (id, body, caller) => flow.verifyOtp(id, body, caller)))
    .all(methodNotAllowed);
  router
    .route('/:id/consent')
    .post(handle(consentBody, 200, (id, body, caller) => flow.consent(id, body, caller)))
    .all(methodNotAllowed);
  // Name correction, for the code's holder in the frame (POST: the consent ticket is a secret, never in a URL).
  router.route('/:id/name').post(handle(correctNameBody, 200, (id, body, caller) => flow.correctName(id, body, caller))).all(methodNotAllowed);
  router.route('/:id/members').post(handle(membersBody, 200, (id, body, caller) => flow.members(id, body, caller))).all(methodNotAllowed);

  return router;
}
