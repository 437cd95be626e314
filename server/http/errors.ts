import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ApiError } from '../errors.ts';

/** Body-parser failures, by their `type`, as API errors. */
const BODY_ERRORS: Record<string, () => ApiError> = {
  'entity.parse.failed': () => new ApiError('invalid_json', 'The request body is not valid JSON.'),
  'entity.too.large': () => new ApiError('payload_too_large', 'The request body is too large.'),
  'encoding.unsupported': () => new ApiError('unsupported_media_type', 'Unsupported content encoding.'),
  'charset.unsupported': () => new ApiError('unsupported_media_type', 'Unsupported charset: send UTF-8.'),
  'request.aborted': () => new ApiError('invalid_request', 'The request was aborted.'),
  'request.size.invalid': () => new ApiError('invalid_request', 'The request body length does not match Content-Length.'),
  'parameters.too.many': () => new ApiError('invalid_request', 'Too many parameters.'),
};

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new ApiError('not_found', 'No such endpoint.'));
};

export const methodNotAllowed: RequestHandler = (_req, _res, next) => {
  next(new ApiError('method_not_allowed', 'This endpoint does not accept that method.'));
};

/** Last handler: every error becomes `{ error, message }`; nothing internal reaches the client. */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  let apiError: ApiError;
  if (err instanceof ApiError) {
    apiError = err;
  } else {
    const type = (err as { type?: unknown } | null)?.type;
    const status = (err as { status?: unknown } | null)?.status;
    const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
    if (known) apiError = known();
    else if (typeof status === 'number' && status >= 400 && status < 500) {
      apiError = new ApiError('invalid_request', 'The request could not be read.');
    } else {
      req.log.error({ err }, 'unhandled error');
      apiError = new ApiError('internal_error', 'Something went wrong on our side. Try again.');
    }
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (apiError.details.retry_after !== undefined) res.setHeader('Retry-After', String(apiError.details.retry_after));
  res.status(apiError.status).json(apiError.toBody());
};
