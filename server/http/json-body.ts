import express, { type RequestHandler } from 'express';
import { ApiError } from '../errors.ts';

export const MAX_BODY_BYTES = 8 * 1024;

/** POST bodies must be JSON: with that media type a cross-site form or simple fetch cannot reach the API. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (req.method === 'POST' && (hasBody || req.headers['content-type'] !== undefined) && !req.is('application/json')) {
    next(new ApiError('unsupported_media_type', 'Send the request body as application/json.'));
    return;
  }
  next();
};

/** A JSON object of at most MAX_BODY_BYTES. */
export const jsonBody: RequestHandler = express.json({ limit: MAX_BODY_BYTES, strict: true, type: 'application/json' });
