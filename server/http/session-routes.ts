import { Router } from 'express';
import { canonicalOrigin } from '../clients/origins.ts';
import { ApiError } from '../errors.ts';
import type { Services } from '../services.ts';
import { callerOf } from './auth.ts';
import { methodNotAllowed } from './errors.ts';
import { consentBody, createSessionBody, parse, sendOtpBody, verifyOtpBody } from './validation.ts';

/** The verification API: `/v1/sessions…`. */
export function sessionRoutes(services: Services): Router {
  const { flow, clients } = services;
  const router = Router();

  router
    .route('/v1/sessions')
    .post(async (req, res) => {
      const caller = await callerOf(req, services.clients);
      const body = parse(createSessionBody, req.body);
      let client = caller.apiClient;
      if (client) {
        if (body.client_id !== undefined && body.client_id !== client.id) {
          throw new ApiError('invalid_request', 'client_id does not match the API key.', { fields: ['client_id'] });
        }
      } else {
        if (body.client_id === undefined || body.origin === undefined) {
          throw new ApiError('unauthorized', 'Send an API key, or client_id and origin (widget).');
        }
        client = await clients.get(body.client_id);
        if (!client) throw new ApiError('unauthorized', 'Unknown client_id.');
        // The purpose is printed in an SMS sent in the verifier's name: only the verifier itself may word it.
        if (body.purpose !== undefined) {
          throw new ApiError('forbidden', 'purpose can be set only by the verifier’s backend (API key).', { fields: ['purpose'] });
        }
      }
      let origin: string | null = null;
      if (body.origin !== undefined) {
        origin = canonicalOrigin(body.origin);
        if (!origin || !client.allowedOrigins.includes(origin)) {
          throw new ApiError('origin_not_allowed', 'This site is not allowed to ask for vaccination status.');
        }
      }
      if ((body.mobile === undefined) !== (body.name === undefined)) {
        throw new ApiError('invalid_request', 'Give both mobile and name, or neither.', { fields: ['mobile', 'name'] });
      }
      const created = await flow.create({
        client,
        mode: caller.apiClient ? 'server' : 'widget',
        origin,
        nonce: body.nonce ?? null,
        purpose: body.purpose ?? null,
        person: body.mobile !== undefined && body.name !== undefined ? { mobile: body.mobile, name: body.name } : null,
        caller,
      });
      res.status(201).json(created);
    })
    .all(methodNotAllowed);

  router
    .route('/v1/sessions/:id')
    .get(async (req, res) => {
      res.json(await flow.view(req.params.id, await callerOf(req, clients)));
    })
    .all(methodNotAllowed);

  router
    .route('/v1/sessions/:id/context')
    .get(async (req, res) => {
      res.json(await flow.context(req.params.id, await callerOf(req, clients)));
    })
    .all(methodNotAllowed);

  router
    .route('/v1/sessions/:id/otp')
    .post(async (req, res) => {
      const caller = await callerOf(req, clients);
      res.status(202).json(await flow.sendOtp(req.params.id, parse(sendOtpBody, req.body), caller));
    })
    .all(methodNotAllowed);

  router
    .route('/v1/sessions/:id/otp/verify')
    .post(async (req, res) => {
      const caller = await callerOf(req, clients);
      const body = parse(verifyOtpBody, req.body);
      res.json(await flow.verifyOtp(req.params.id, { otp: body.otp, consent: body.consent === true }, caller));
    })
    .all(methodNotAllowed);

  router
    .route('/v1/sessions/:id/consent')
    .post(async (req, res) => {
      const caller = await callerOf(req, clients);
      const body = parse(consentBody, req.body);
      res.json(await flow.consent(req.params.id, { decision: body.decision, ticket: body.consent_ticket }, caller));
    })
    .all(methodNotAllowed);

  return router;
}
