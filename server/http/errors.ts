import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { ApiError } from '../errors.ts';
import { DatabaseUnavailableError, isSqliteBusy } from '../store/unavailable.ts';

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

/** While a store is away every request fails alike: one warning per interval says so, with how many it stands for. */
const UNAVAILABLE_LOG_INTERVAL_MS = 5_000;
let unavailableLoggedAt = 0;
let unavailableUnlogged = 0;

function logUnavailable(req: Request, err: DatabaseUnavailableError): void {
  const now = Date.now();
  if (now - unavailableLoggedAt < UNAVAILABLE_LOG_INTERVAL_MS) {
    unavailableUnlogged++;
    return;
  }
  req.log.warn({ code: err.code, alsoSince: unavailableUnlogged }, 'store unavailable: answered 503');
  unavailableLoggedAt = now;
  unavailableUnlogged = 0;
}

/** Any error as the ApiError the client may see: body-parser failures by type, anything unknown logged and hidden. */
function asApiError(thrown: unknown, req: Request): ApiError {
  if (thrown instanceof ApiError) return thrown;
  // A read that met another process's write lock at a rare moment (sqlite-writer.ts): try again, as for any busy store.
  const err = isSqliteBusy(thrown) ? new DatabaseUnavailableError('database_timeout', 'SQLite is busy.', 1, { cause: thrown }) : thrown;
  const type = (err as { type?: unknown } | null)?.type;
  const status = (err as { status?: unknown } | null)?.status;
  const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
  if (known) return known();
  if (err instanceof DatabaseUnavailableError) {
    logUnavailable(req, err);
    return new ApiError('service_unavailable', 'The service cannot answer right now. Try again shortly.', { retry_after: err.retryAfter });
  }
  if (typeof status === 'number' && status >= 400 && status < 500) return new ApiError('invalid_request', 'The request could not be read.');
  req.log.error({ err }, 'unhandled error');
  return new ApiError('internal_error', 'Something went wrong on our side. Try again.');
}

/**
 * A last handler that answers every error in one API's shape (`answer`); nothing internal reaches
 * the client, and every wait is in `Retry-After` too.
 */
export function errorHandlerAnswering(answer: (error: ApiError) => { status: number; body: unknown }): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const apiError = asApiError(err, req);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (apiError.details.retry_after !== undefined) res.setHeader('Retry-After', String(apiError.details.retry_after));
    const { status, body } = answer(apiError);
    res.status(status).json(body);
  };
}

/** /v1's last handler: every error becomes `{ error, message }`. */
export const errorHandler = errorHandlerAnswering((error) => ({ status: error.status, body: error.toBody() }));
