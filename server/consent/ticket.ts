import crypto from 'node:crypto';
import { keyedHash, keyedHashMatches } from '../store/secrets.ts';

/**
 * The consent ticket is handed to whoever entered the right OTP and must come back with the
 * decision: the citizen's widget can answer "allow", a host that merely knows the session id cannot.
 */
export function newConsentTicket(): string {
  return crypto.randomBytes(24).toString('base64url');
}

export function hashConsentTicket(key: Buffer, sessionId: string, ticket: string): Buffer {
  return keyedHash(key, 'consent-ticket', sessionId, ticket);
}

export function consentTicketMatches(key: Buffer, sessionId: string, ticket: string, stored: Buffer | null): boolean {
  return stored !== null && keyedHashMatches(key, stored, 'consent-ticket', sessionId, ticket);
}
