// Test support for the session steps: the real services (demo mode, a real SQLite file in a temp
// data dir) wired into the same FlowDeps that createServices gives SessionFlow, and sessions put
// into each state through the real store. No step is replaced by a stand-in.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { nanoid } from 'nanoid';
import type { ApiErrorCode } from '../../../protocol/api.ts';
import type { Client } from '../../clients/clients.ts';
import { loadConfig } from '../../config.ts';
import { ApiError } from '../../errors.ts';
import { createLogger } from '../../logger.ts';
import type { Limits } from '../../quotas/limits.ts';
import { type Services, createServices } from '../../services.ts';
import { hashConsentTicket, newConsentTicket } from '../../consent/ticket.ts';
import type { Caller } from '../caller.ts';
import { FlowContext, type FlowDeps, type IssuedCode, runSteps } from '../flow-context.ts';
import type { NewSession, Session, TicketHolder } from '../session-store.ts';
import { issueCode } from './issue-code.ts';
import { keyPerson } from './key-person.ts';
import { lookUpRecord } from './look-up-record.ts';
import { recordDisclosure, recordRefusal } from './record-decision.ts';
import { signToken } from './sign-token.ts';
import { storeCode } from './store-code.ts';
import { DEMO, type Person, ROOMY_LIMITS } from '../../../test-support/harness.ts';

/** The demo registry (server/registry/demo-seed.ts) as the tests see it, and a name no one on Asha's mobile has. */
export const PEOPLE = {
  asha: DEMO.asha,
  ravi: DEMO.ravi,
  meera: DEMO.meera,
  arjun: DEMO.arjun,
  stranger: { mobile: DEMO.asha.mobile, name: 'Kiran Rao', status: 0 },
  unregistered: DEMO.unregistered,
} as const;

export type { Person };

export const RAILWAY = 'demo-railway';
export const HOTEL = 'demo-hotel';
/** On both demo clients' allowlists (DEMO_PORT 8081). */
export const PAGE_ORIGIN = 'http://localhost:8081';
export const OTHER_ORIGIN = 'https://evil.example';
export const ISSUER = 'https://kycvs.test';
/** The frame page's origin: this service's own. */
export const SERVICE_ORIGIN = ISSUER;

/** The states a session can be stored in ('expired' is computed, never stored). */
export type StoredState = 'created' | 'otp_sent' | 'verified' | 'completed' | 'denied' | 'locked';
export const STORED_STATES: readonly StoredState[] = ['created', 'otp_sent', 'verified', 'completed', 'denied', 'locked'];

export interface SessionOptions {
  person?: Person;
  clientId?: string;
  origin?: string | null;
  purpose?: string;
  nonce?: string | null;
  /** Default: the backend gave the person at creation. 'citizen': created empty, then a first code. */
  fixedBy?: 'backend' | 'citizen';
  createdAt?: number;
  expiresAt?: number;
  /** Whom the consent ticket went to (from 'verified' on). Default: the frame. */
  ticketHolder?: TicketHolder;
  /** Overrides of the stored code's times. */
  otpSentAt?: number;
  otpExpiresAt?: number;
}

export interface MadeSession {
  session: Session;
  /** The code stored with the session (null in 'created'). */
  otp: string | null;
  /** The consent ticket handed out on verify (from 'verified' on). */
  ticket: string | null;
}

export interface StepKit {
  services: Services;
  deps: FlowDeps;
  limits: Limits;
  /** A keyless caller (the frame) with an address of its own. */
  caller(overrides?: Partial<Caller>): Caller;
  /** A host backend calling with its API key. */
  backend(clientId?: string, overrides?: Partial<Caller>): Promise<Caller>;
  client(id?: string): Promise<Client>;
  /** A request's context, with the slots earlier steps would have set. */
  ctx<I>(input: I, options?: { caller?: Caller; session?: Session; client?: Client; sessionId?: string }): FlowContext<I>;
  /** A session stored (through the real store and steps) in `state`. */
  session(state: StoredState, options?: SessionOptions): Promise<MadeSession>;
  /** The session as stored now. */
  reload(id: string): Promise<Session>;
  /** Another code for `person` on a stored session, the way the send-code endpoint stores it; returns the code. */
  resend(id: string, person?: Person): Promise<string>;
  close(): Promise<void>;
}

/** Quotas roomy enough that a file's tests never trip one they are not about. */
let addresses = 0;

export async function openStepKit(limits: Partial<Limits> = {}): Promise<StepKit> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-steps-'));
  const config = loadConfig({ KYCVS_DATA_DIR: dataDir, KYCVS_DEMO: '1', KYCVS_ISSUER: ISSUER, ...ROOMY_LIMITS });
  Object.assign(config.limits, limits);
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  const services = await createServices(config, createLogger('warn', quiet));
  // Exactly what SessionFlow works with.
  const deps = services.flowDeps;

  const caller = (overrides: Partial<Caller> = {}): Caller => ({
    apiClient: null,
    addressKey: `test-address-${++addresses}`,
    origin: null,
    serviceOrigin: SERVICE_ORIGIN,
    ...overrides,
  });
  const client = async (id = RAILWAY): Promise<Client> => {
    const found = await services.clients.get(id);
    assert.ok(found, `client ${id}`);
    return found;
  };
  const ctx = <I>(input: I, options: { caller?: Caller; session?: Session; client?: Client; sessionId?: string } = {}) => {
    const context = new FlowContext(deps, options.caller ?? caller(), input, options.sessionId ?? options.session?.id ?? '');
    if (options.session) context.set('session', options.session);
    if (options.client) context.set('client', options.client);
    return context;
  };
  const reload = async (id: string): Promise<Session> => {
    const found = await services.sessions.get(id);
    assert.ok(found, `session ${id}`);
    return found;
  };

  /** The code for `person` on `session`, as issueCode makes it (mobile keyed, record looked up). */
  const codeFor = async (fresh: NewSession, person: Person, owner: Client): Promise<IssuedCode> => {
    const c = ctx(person, { client: owner });
    c.set('newSession', fresh);
    await runSteps(c, [keyPerson, lookUpRecord, issueCode]);
    return c.get('code');
  };

  const session = async (state: StoredState, o: SessionOptions = {}): Promise<MadeSession> => {
    const owner = await client(o.clientId);
    const now = Date.now();
    const fresh: NewSession = {
      id: `ses_${nanoid(24)}`,
      clientId: owner.id,
      mode: o.origin ? 'widget' : 'server',
      origin: o.origin ?? null,
      purpose: o.purpose ?? owner.purpose,
      nonce: o.nonce ?? null,
      createdAt: o.createdAt ?? now,
      expiresAt: o.expiresAt ?? now + config.sessionTtlSeconds * 1000,
    };
    if (state === 'created') {
      await services.sessions.create(fresh);
      return { session: await reload(fresh.id), otp: null, ticket: null };
    }
    const code = await codeFor(fresh, o.person ?? PEOPLE.asha, owner);
    if (o.otpSentAt !== undefined) code.issue.sentAt = o.otpSentAt;
    if (o.otpExpiresAt !== undefined) code.issue.otpExpiresAt = o.otpExpiresAt;
    if (o.fixedBy === 'citizen') {
      await services.sessions.create(fresh);
      assert.ok(await services.sessions.recordOtpSent(fresh.id, 0, code.issue));
    } else {
      await services.sessions.createWithOtp(fresh, code.issue);
    }
    if (state === 'otp_sent') return { session: await reload(fresh.id), otp: code.otp, ticket: null };
    if (state === 'locked') {
      assert.ok((await services.sessions.recordWrongOtp(fresh.id, 1))?.state === 'locked');
      return { session: await reload(fresh.id), otp: code.otp, ticket: null };
    }
    const ticket = newConsentTicket();
    const ticketHash = hashConsentTicket(deps.secrets.otpKey, fresh.id, ticket);
    assert.ok(await services.sessions.markVerified(fresh.id, code.issue.otpHash, ticketHash, o.ticketHolder ?? 'frame'));
    if (state === 'completed') await runSteps(ctx({}, { session: await reload(fresh.id) }), [signToken, recordDisclosure('allow')]);
    if (state === 'denied') await runSteps(ctx({}, { session: await reload(fresh.id) }), [recordRefusal]);
    return { session: await reload(fresh.id), otp: code.otp, ticket };
  };

  return {
    services,
    deps,
    limits: config.limits,
    caller,
    backend: async (id = RAILWAY, overrides = {}) => caller({ apiClient: await client(id), ...overrides }),
    client,
    ctx,
    session,
    reload,
    async resend(id, person = PEOPLE.asha) {
      const stored = await reload(id);
      const c = ctx(person, { session: stored, client: await client(stored.clientId) });
      await runSteps(c, [keyPerson, lookUpRecord, issueCode, storeCode]);
      return c.get('code').otp;
    },
    async close() {
      await services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A code that is not `otp`. */
export function wrongCode(otp: string | null): string {
  return otp === '000000' ? '111111' : '000000';
}

/** Runs `action` and asserts it fails with the API error `code`; returns the error for further checks. */
export async function refused(action: () => unknown, code: ApiErrorCode, context = ''): Promise<ApiError> {
  let error: unknown;
  try {
    await action();
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ApiError, `${context ? `${context}: ` : ''}expected ApiError ${code}, got ${error === undefined ? 'success' : String(error)}`);
  assert.equal(error.code, code, `${context ? `${context}: ` : ''}${error.message}`);
  return error;
}

/** A metric's value from the services' Prometheus registry (0 when never incremented). */
export async function metric(kit: StepKit, name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = kit.services.metrics.registry.getSingleMetric(name);
  assert.ok(found, `metric ${name}`);
  const { values } = await found.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, value]) => String(v.labels[k]) === value));
  return hit?.value ?? 0;
}
