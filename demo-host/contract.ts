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
