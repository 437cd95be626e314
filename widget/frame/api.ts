// The frame's client for the service API (same origin as the frame, so no CORS and no cookies).
import {
  API_ERRORS,
  type ApiErrorBody,
  type ApiErrorCode,
  type ConsentRequest,
  type ConsentResponse,
  type CorrectNameRequest,
  type CorrectNameResponse,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type MembersRequest,
  type MembersResponse,
  type SendOtpRequest,
  type SendOtpResponse,
  type SessionContext,
  type VerifyOtpRequest,
  type VerifyOtpResponse,
} from '../../protocol/api.ts';

/** A server error code, or the one failure only the browser can see. */
export type FailureCode = ApiErrorCode | 'network_error';

export class ApiFailure extends Error {
  readonly code: FailureCode;
  readonly attemptsLeft: number | undefined;
  /** Seconds the service asks to wait (`retry_after`: every 429, a locked session, one out of sends). */
  readonly retryAfter: number | undefined;

  constructor(code: FailureCode, body?: Partial<ApiErrorBody>) {
    super(body?.message ?? code);
    this.code = code;
    this.attemptsLeft = body?.attempts_left;
    this.retryAfter = body?.retry_after;
  }
}

function isErrorBody(data: unknown): data is ApiErrorBody {
  return typeof data === 'object' && data !== null && 'error' in data && typeof data.error === 'string' && data.error in API_ERRORS;
}

/** One call to the service API (exported for the /me/ page, also one level below the service root). */
export async function call<T>(path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    // Relative to /widget/, so a service mounted under a path prefix still works.
    const url = new URL(`../v1/${path}`, location.href);
    response = await fetch(
      url,
      body === undefined
        ? { method: 'GET' }
        : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    );
  } catch {
    throw new ApiFailure('network_error');
  }
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) throw isErrorBody(data) ? new ApiFailure(data.error, data) : new ApiFailure('internal_error');
  return data as T;
}

const session = (id: string, action: string) => `sessions/${encodeURIComponent(id)}/${action}`;

export const api = {
  createSession: (body: CreateSessionRequest) => call<CreateSessionResponse>('sessions', body),
  sessionContext: (id: string, lang: string) => call<SessionContext>(`${session(id, 'context')}?lang=${encodeURIComponent(lang)}`),
  sendOtp: (id: string, body: SendOtpRequest) => call<SendOtpResponse>(session(id, 'otp'), body),
  verifyOtp: (id: string, body: VerifyOtpRequest) => call<VerifyOtpResponse>(session(id, 'otp/verify'), body),
  consent: (id: string, body: ConsentRequest) => call<ConsentResponse>(session(id, 'consent'), body),
  correctName: (id: string, body: CorrectNameRequest) => call<CorrectNameResponse>(session(id, 'name'), body),
  members: (id: string, body: MembersRequest) => call<MembersResponse>(session(id, 'members'), body),
};
