import type { Caller } from '../sessions/caller.ts';
import { FlowContext, type FlowDeps, runSteps, type Step } from '../sessions/flow-context.ts';
import { checkCallerOrigin, checkClaimedOrigin } from '../sessions/steps/check-origin.ts';
import { checkPublicClient } from '../sessions/steps/check-public-client.ts';
import { checkCodeDigest, storeCodeDigest } from '../sessions/steps/code-digest.ts';
import { countQuotas, SMS_QUOTAS } from '../sessions/steps/count-quotas.ts';
import { deliverCode } from '../sessions/steps/deliver-code.ts';
import { findSession } from '../sessions/steps/find-session.ts';
import { issueCode } from '../sessions/steps/issue-code.ts';
import { keyPerson } from '../sessions/steps/key-person.ts';
import { loadClient } from '../sessions/steps/load-client.ts';
import { lookUpRecord } from '../sessions/steps/look-up-record.ts';
import { newSession } from '../sessions/steps/new-session.ts';
import { recordDisclosure } from '../sessions/steps/record-decision.ts';
import { refuseExpired } from '../sessions/steps/refuse-expired.ts';
import { refuseLockedMobile } from '../sessions/steps/refuse-locked-mobile.ts';
import { requireActiveClient } from '../sessions/steps/require-active-client.ts';
import { requireApiKey } from '../sessions/steps/require-api-key.ts';
import { requireFreshCode } from '../sessions/steps/require-fresh-code.ts';
import { requireMatch } from '../sessions/steps/require-match.ts';
import { requireState } from '../sessions/steps/require-state.ts';
import { resolveClient } from '../sessions/steps/resolve-client.ts';
import { signToken } from '../sessions/steps/sign-token.ts';
import { storeSession } from '../sessions/steps/store-session.ts';
import { checkStatusBearer, respondStatus, respondToken, respondTxnId } from './steps.ts';

// The Co-WIN-compatible API as lists of the same named steps as /v1 (server/sessions/endpoints.ts):
// the same limits, quotas, locks, consent record and enumeration rules. Where Co-WIN differs — the
// code arrives as sha256(code), the answers' shapes, the status read — a step of its own says so.

/** What the steps read of a generateOTP body (the keyless-widget fields never apply: an API key calls). */
export interface GenerateOtpInput {
  mobile: string;
  name: string;
  client_id?: string;
  origin?: string;
  nonce?: string;
  purpose?: string;
}

/** `POST /api/v3/vaccination/generateOTP`: /v1's session made by a backend with mobile and name, plus the code's digest. */
const GENERATE_OTP: Step<GenerateOtpInput>[] = [
  resolveClient,
  requireActiveClient,
  checkPublicClient,
  checkClaimedOrigin,
  newSession,
  keyPerson,
  refuseLockedMobile,
  countQuotas(['sessions_ip', ...SMS_QUOTAS]),
  lookUpRecord,
  issueCode,
  storeCodeDigest,
  storeSession,
  deliverCode,
  respondTxnId,
];

/** The steps every call on an existing session starts with, as on /v1. */
const ON_SESSION: Step[] = [findSession, refuseExpired, loadClient, requireActiveClient, checkCallerOrigin];

/**
 * `POST /api/v3/vaccination/confirmOTP`: /v1's right code with `consent: true` — the citizen entered
 * the code in the verifier's app, which is the consent — except that the code arrives as its digest.
 * The token, the state change and the `allow` record are one transaction, before any answer.
 */
const CONFIRM_OTP: Step<{ otp: string }>[] = [
  ...ON_SESSION,
  requireState('consent_with_code'),
  refuseLockedMobile,
  requireFreshCode,
  checkCodeDigest,
  requireMatch,
  signToken,
  recordDisclosure('consent_with_code'),
  respondToken,
];

/** `GET /api/v3/vaccination/status`: the calling verifier reads back the token it was given, and its status. */
const STATUS: Step<{ bearer: string | null }>[] = [requireApiKey, requireActiveClient, checkStatusBearer, respondStatus];

export class CowinFlow {
  readonly #deps: FlowDeps;

  constructor(deps: FlowDeps) {
    this.#deps = deps;
  }

  generateOtp(input: { mobile: string; name: string }, caller: Caller): Promise<{ txnId: string }> {
    return this.#run(GENERATE_OTP, caller, input) as Promise<{ txnId: string }>;
  }

  confirmOtp(input: { otp: string; txnId: string }, caller: Caller): Promise<{ token: string }> {
    return this.#run(CONFIRM_OTP, caller, { otp: input.otp }, input.txnId) as Promise<{ token: string }>;
  }

  status(bearer: string | null, caller: Caller): Promise<{ vaccination_status: 0 | 1 | 2; token: string }> {
    return this.#run(STATUS, caller, { bearer }) as Promise<{ vaccination_status: 0 | 1 | 2; token: string }>;
  }

  #run<Input>(steps: readonly Step<Input>[], caller: Caller, input: Input, id?: string): Promise<unknown> {
    return runSteps(new FlowContext(this.#deps, caller, input, id), steps);
  }
}
