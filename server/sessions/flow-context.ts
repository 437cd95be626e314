import type { SendOtpResponse } from '../../protocol/api.ts';
import type { ClientTexts } from '../clients/client-texts.ts';
import type { Client, ClientStore } from '../clients/clients.ts';
import type { Limits } from '../quotas/limits.ts';
import type { RateCounter } from '../quotas/rate-counter.ts';
import type { Registry, RegistryLookup } from '../registry/registry.ts';
import type { IssuedToken, StatusTokenSigner } from '../signing/status-token.ts';
import type { SmsDispatcher } from '../sms/dispatcher.ts';
import type { Secrets } from '../store/secrets.ts';
import type { Caller } from './caller.ts';
import type { SessionLinks } from './link-store.ts';
import type { NewSession, OtpIssue, Session, SessionStore } from './session-store.ts';

/** What the steps work with, wired once per process. */
export interface FlowDeps {
  sessions: SessionStore;
  clients: ClientStore;
  registry: Registry;
  signer: StatusTokenSigner;
  sms: SmsDispatcher;
  counters: RateCounter;
  secrets: Secrets;
  limits: Limits;
  sessionTtlSeconds: number;
  serviceHost: string;
  /** The citizen's history page (`<service origin>/me/`), named at the end of every OTP text. */
  historyUrl: string;
  /** Clients' names and purposes in the citizen's languages. */
  clientTexts: ClientTexts;
  events: SessionEvents;
  /** Verification links for backend-made sessions (`verification_url`). */
  links: SessionLinks;
  /** Where each step's time goes (KYCVS_STEP_TIMING), or null: steps are not timed. */
  stepTimer: StepTimer | null;
}

/** Told how long one step of one endpoint took (wall time, so awaited I/O counts too). */
export type StepTimer = (endpoint: string, step: string, seconds: number) => void;

/** Hooks for metrics: what happened, never to whom. */
export interface SessionEvents {
  /** Counted alike for registered and unregistered mobiles: metrics must not enumerate either. */
  otpSent(): void;
  otpFailed(locked: boolean): void;
  tokenIssued(): void;
  denied(): void;
  quotaRefused(which: string): void;
}

/** The person a code is for, keyed once per request: every later step uses these, never the raw input again. */
export interface KeyedPerson {
  mobile: string;
  name: string;
  /** The registry's keyed hash of the mobile. */
  mobileHash: Buffer;
  /** `mobileHash` as text, for counter keys. */
  mobileKey: string;
  /** The name as matching sees it (NFKC, case, spacing, honorifics, word order). */
  nameKey: string;
  /** Keyed hash of `nameKey`: how a session remembers whom it is about. */
  nameHash: Buffer;
}

/** A name the code's holder tried on a verified session (name correction), keyed like a person's. */
export interface TriedName {
  nameKey: string;
  nameHash: Buffer;
}

/** A fresh code and its stored form; `otp` itself goes only into the SMS. */
export interface IssuedCode {
  otp: string;
  issue: OtpIssue;
}

interface Slots {
  client: Client;
  session: Session;
  newSession: NewSession;
  person: KeyedPerson;
  triedName: TriedName;
  record: RegistryLookup;
  code: IssuedCode;
  consentTicket: string;
  token: IssuedToken;
  codeSent: SendOtpResponse;
  verificationUrl: string;
}

/**
 * One request's state as it passes through an endpoint's steps. Each slot is written by one step and
 * read by later ones; reading a slot no earlier step wrote is a wiring bug, reported as such.
 */
export class FlowContext<Input = unknown> {
  readonly deps: FlowDeps;
  readonly caller: Caller;
  readonly input: Input;
  /** The id in the path, for endpoints on one session. */
  readonly sessionId: string;
  /** One clock reading per request: every step sees the same time. */
  readonly now = Date.now();
  /** The endpoint's answer, set by its last step. */
  answer: unknown;
  readonly #slots: Partial<Slots> = {};

  constructor(deps: FlowDeps, caller: Caller, input: Input, sessionId = '') {
    this.deps = deps;
    this.caller = caller;
    this.input = input;
    this.sessionId = sessionId;
  }

  get<K extends keyof Slots>(slot: K): Slots[K] {
    const value = this.#slots[slot];
    if (value === undefined) throw new Error(`session flow wiring: no step before this one set "${slot}"`);
    return value as Slots[K];
  }

  set<K extends keyof Slots>(slot: K, value: Slots[K]): void {
    this.#slots[slot] = value;
  }

  has(slot: keyof Slots): boolean {
    return this.#slots[slot] !== undefined;
  }
}

/** One named check or action of an endpoint. */
export type Step<Input = unknown> = (ctx: FlowContext<Input>) => void | Promise<void>;

/** Runs an endpoint's steps in order; the first that throws ends the request with its error. */
export async function runSteps<Input>(ctx: FlowContext<Input>, steps: readonly Step<Input>[], endpoint = ''): Promise<unknown> {
  const timer = ctx.deps.stepTimer;
  if (timer === null) {
    for (const step of steps) await step(ctx);
  } else {
    for (const step of steps) {
      const started = process.hrtime.bigint();
      try {
        await step(ctx);
      } finally {
        timer(endpoint, step.name, Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
  }
  return ctx.answer;
}

/** A step made by a factory, named as the factory is (a step's name labels its timing). */
export function named<S extends (...args: never[]) => unknown>(name: string, step: S): S {
  return Object.defineProperty(step, 'name', { value: name });
}
