// The frame's client for the service API (same origin as the frame, so no CORS and no cookies).
import {
  API_ERRORS,
  type ApiErrorBody,
  type ApiErrorCode,
  type ConsentRequest,
  type ConsentResponse,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type SendOtpRequest,
  type SendOtpResponse,
  type VerifyOtpRequest,
  type VerifyOtpResponse,
} from '../../protocol/api.ts';

/** A server error code, or the one failure only the browser can see. */
export type FailureCode = ApiErrorCode | 'network_error';

export class ApiFailure extends Error {
  readonly code: FailureCode;
  readonly attemptsLeft: number | undefined;

  constructor(code: FailureCode, body?: Partial<ApiErrorBody>) {
    super(body?.message ?? code);
    this.code = code;
    this.attemptsLeft = body?.attempts_left;
  }
}

function isErrorBody(data: unknown): data is ApiErrorBody {
  return typeof data === 'object' && data !== null && 'error' in data && typeof data.error === 'string' && data.error in API_ERRORS;
}

async function post<T>(path: string, body: unknown): Promise<T> {
  let response: Response;
  try {
    // Relative to /widget/, so a service mounted under a path prefix still works.
    response = await fetch(new URL(`../v1/${path}`, location.href), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure('network_error');
  }
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) throw isErrorBody(data) ? new ApiFailure(data.error, data) : new ApiFailure('internal_error');
  return data as T;
}

const session = (id: string, action: string) => `sessions/${encodeURIComponent(id)}/${action}`;

export const api = {
  createSession: (body: CreateSessionRequest) => post<CreateSessionResponse>('sessions', body),
  sendOtp: (id: string, body: SendOtpRequest) => post<SendOtpResponse>(session(id, 'otp'), body),
  verifyOtp: (id: string, body: VerifyOtpRequest) => post<VerifyOtpResponse>(session(id, 'otp/verify'), body),
  consent: (id: string, body: ConsentRequest) => post<ConsentResponse>(session(id, 'consent'), body),
};
