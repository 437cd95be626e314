// The signed-in state of the citizen's own history: an HttpOnly cookie, sent only to the /v1/me API.

export const SIGN_IN_COOKIE = 'kycvs_me';
/** The API under it: the page's own path (/me/) never sees the cookie, nor does any other route. */
const COOKIE_PATH = '/v1/me';

/** `Set-Cookie` for a sign-in: script cannot read it, other sites' requests never carry it. */
export function signInCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SIGN_IN_COOKIE}=${value}`,
    `Path=${COOKIE_PATH}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** `Set-Cookie` that removes it (sign-out, or a cookie the service no longer accepts). */
export function clearedSignInCookie(secure: boolean): string {
  return signInCookie('', 0, secure);
}

/** The sign-in cookie's value from a `Cookie` header, if present. */
export function readSignInCookie(header: string | undefined): string | null {
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SIGN_IN_COOKIE) return rest.join('=') || null;
  }
  return null;
}
