import { keyedHash } from '../store/secrets.ts';

/**
 * Pairwise pseudonym: the same person always gives the same `sub` to one verifier, and values
 * that cannot be linked across verifiers (HMAC keyed by a service secret, scoped by client id).
 */
export function pairwiseSubject(subjectKey: Buffer, clientId: string, personRef: string): string {
  return keyedHash(subjectKey, 'sub', clientId, personRef).toString('base64url');
}

/** How a registered beneficiary is named in `pairwiseSubject`: the check and the citizen's own history agree on it. */
export function beneficiaryRef(beneficiaryId: string): string {
  return `b:${beneficiaryId}`;
}
