// What the demo host's pages and its backend say to each other (not part of KYC-VS itself).
import type { VaccinationStatus } from '../protocol/api.ts';

export interface RailwaySessionResponse {
  sessionId: string;
}

export interface RailwayVerifyRequest {
  sessionId: string;
  token: string;
}

/** The status as this backend verified it, never as the page reported it. */
export interface RailwayVerifyResponse {
  status: VaccinationStatus;
  label: string;
}

export interface DemoErrorResponse {
  error: string;
  message: string;
}

export const DEMO_MOBILES = ['9876543210', '9123456780', '9000000000'] as const;

/** The employer dashboard's request for a new verification link. `employee` stays with us: KYC-VS never sees it. */
export interface EmployerLinkRequest {
  employee: string;
  /** The check's language, added to the link as `?lang=`; empty: the employee's browser decides. */
  lang?: string;
}

/** What became of a link, as our backend learnt it from KYC-VS (GET /v1/sessions/:id) and verified. */
export type EmployerLinkOutcome =
  | { state: 'waiting' }
  | { state: 'verified'; status: VaccinationStatus; label: string }
  | { state: 'denied' }
  | { state: 'expired' }
  /** Locked after wrong codes, or a token our backend refused (its code). */
  | { state: 'failed'; reason: string };

export interface EmployerLink {
  /** The KYC-VS session id: our reference to it. */
  sessionId: string;
  employee: string;
  url: string;
  createdAt: string;
  expiresAt: string;
  outcome: EmployerLinkOutcome;
}

export interface EmployerLinksResponse {
  links: EmployerLink[];
}
