import { API_ERRORS, type ApiErrorBody, type ApiErrorCode } from '../protocol/api.ts';

/** An error the client is meant to see: a stable code, an HTTP status and a human message. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly details: Omit<ApiErrorBody, 'error' | 'message'>;

  constructor(code: ApiErrorCode, message: string, details: Omit<ApiErrorBody, 'error' | 'message'> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = API_ERRORS[code];
    this.details = details;
  }

  toBody(): ApiErrorBody {
    return { error: this.code, message: this.message, ...this.details };
  }
}
