import { type Request, Router } from 'express';
import { cowinErrorHandler } from '../cowin/errors.ts';
import { CowinFlow } from '../cowin/endpoints.ts';
import { ApiError } from '../errors.ts';
import type { Services } from '../services.ts';
import type { Caller } from '../sessions/caller.ts';
import { callerFor } from './auth.ts';
import { cowinApiKeyHeader, cowinBearerHeader, cowinConfirmOtpBody, cowinGenerateOtpBody, cowinOperations } from './cowin-validation.ts';
import { jsonBody, requireJson } from './json-body.ts';
import { documentOperations } from './openapi.ts';
import { parse } from './validation.ts';
import { methodNotAllowed, notFound } from './errors.ts';

/**
 * The Co-WIN-compatible KYC-VS API, mounted at `/api/v3` (so a Co-WIN client's base URL
 * `https://…/api` becomes `https://KYCVS/api`): generateOTP, confirmOTP, status. It parses its own
 * bodies and answers every error — bad JSON and unknown paths included — in Co-WIN's
 * `{ errorCode, error }` shape (server/cowin/errors.ts).
 */
export function cowinRoutes(services: Services): Router {
  documentOperations(cowinOperations);
  const flow = new CowinFlow(services.flowDeps);
  const router = Router();

  /** The verifier, by the API key in `x-api-key` (Co-WIN's header): a missing or wrong key is a 401. */
  const callerOf = async (req: Request): Promise<Caller> => {
    const key = cowinApiKeyHeader.safeParse(req.get('x-api-key'));
    const apiClient = key.success ? await services.clients.authenticate(key.data) : null;
    if (!apiClient) throw new ApiError('unauthorized', 'Unauthenticated access: the x-api-key is missing, revoked or unknown.');
    return callerFor(req, apiClient, services.addressSecret);
  };

  // As on /v1: JSON bodies only, at most 8 KB.
  router.use(requireJson, jsonBody);

  router
    .route('/vaccination/generateOTP')
    .post(async (req, res) => {
      const caller = await callerOf(req);
      const body = parse(cowinGenerateOtpBody, req.body);
      res.status(200).json(await flow.generateOtp({ mobile: body.mobile_number, name: body.full_name }, caller));
    })
    .all(methodNotAllowed);

  router
    .route('/vaccination/confirmOTP')
    .post(async (req, res) => {
      const caller = await callerOf(req);
      const body = parse(cowinConfirmOtpBody, req.body);
      res.status(200).json(await flow.confirmOtp(body, caller));
    })
    .all(methodNotAllowed);

  router
    .route('/vaccination/status')
    .get(async (req, res) => {
      const caller = await callerOf(req);
      const header = cowinBearerHeader.safeParse(req.get('authorization'));
      const bearer = header.success ? header.data.replace(/^bearer /i, '') : null;
      res.status(200).json(await flow.status(bearer, caller));
    })
    .all(methodNotAllowed);

  router.use(notFound);
  router.use(cowinErrorHandler);
  return router;
}
