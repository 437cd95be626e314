// Test harness: a real KYC-VS server on 127.0.0.1 (an ephemeral port) over a real SQLite file
// in a temporary data dir — or, with KYCVS_TEST_STORE=distributed, over a fresh PostgreSQL database
// and a Redis key prefix of its own — and small helpers to drive it over HTTP the way a host or the
// widget would.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { API_ERRORS, type ApiErrorCode } from '../protocol/api.ts';
import { type Config, DEMO_API_KEY_DEFAULTS, loadConfig } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { type RunningServer, startServer } from '../server/server.ts';
import { type Services, createServices } from '../server/services.ts';
import { createTestDatabase } from './postgres.ts';
import { connectTestRedis } from './redis.ts';

/** The demo data of the brief, as a test sees it. */
export const DEMO = {
  railway: { id: 'demo-railway', name: 'Demo Railways', apiKey: DEMO_API_KEY_DEFAULTS.railway },
  hotel: { id: 'demo-hotel', name: 'Demo Hotel', apiKey: DEMO_API_KEY_DEFAULTS.hotel },
  /** Allowed for both demo clients under the default DEMO_PORT. */
  origin: 'http://localhost:8081',
  asha: { mobile: '9876543210', name: 'Asha Verma', status: 2 },
  ravi: { mobile: '9876543210', name: 'Ravi Verma', status: 1 },
  meera: { mobile: '9876543210', name: 'Meera Verma', status: 0 },
  arjun: { mobile: '9123456780', name: 'Arjun Singh', status: 2 },
  unregistered: { mobile: '9000000000', name: 'Nobody Known', status: 0 },
} as const;

export interface Person {
  mobile: string;
  name: string;
}

/**
 * Limits generous enough that the tests of one file, all on the demo mobiles, never trip a quota
 * they are not about. A test about a quota sets its own knob.
 */
export const ROOMY_LIMITS: Record<string, string> = {
  KYCVS_SMS_PER_MOBILE_HOUR: '100000',
  KYCVS_SMS_PER_IP_HOUR: '100000',
  KYCVS_SESSIONS_PER_IP_MINUTE: '100000',
  KYCVS_MAX_WRONG_OTP_PER_MOBILE_DAY: '100000',
};

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, else undefined. */
  body: T;
  text: string;
}

export interface RequestOptions {
  /** Sent as JSON (content-type application/json). */
  json?: unknown;
  /** Sent as is; set the content-type yourself in `headers`. */
  raw?: string;
  headers?: Record<string, string>;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

export interface TestServerOptions {
  /** Environment on top of the harness's (demo mode, temp data dir, roomy limits). `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Changes the loaded config before the services are built (e.g. `sessionTtlSeconds`). */
  configure?: (config: Config) => void;
  /** Reuse a data dir (e.g. a restart); it is then not removed on close. */
  dataDir?: string;
  /**
   * Keep the demo clients exactly as the demo seeds them. By default the harness also lets the demo
   * railway accept keyless sessions, so tests can drive the frame's path as the railway (the demo
   * seeds it backend-sessions-only; security/public-clients.test.ts checks that setting).
   */
  demoClientsAsSeeded?: boolean;
  /**
   * Which stores: `sqlite` (the data dir's file), or `distributed` (PostgreSQL + Redis, as a national
   * deployment runs). Default: KYCVS_TEST_STORE, else `sqlite` — so a whole suite can be run against
   * the distributed stores without editing it.
   */
  store?: TestStore;
}

export type TestStore = 'sqlite' | 'distributed';

export function testStore(): TestStore {
  const chosen = process.env.KYCVS_TEST_STORE || 'sqlite';
  if (chosen !== 'sqlite' && chosen !== 'distributed') throw new Error(`KYCVS_TEST_STORE must be sqlite or distributed, got "${chosen}"`);
  return chosen;
}

/** Environment for a service on a fresh PostgreSQL database (dropped when the test file ends) and its own Redis prefix. */
export async function distributedStoreEnv(): Promise<Record<string, string>> {
  // Unmigrated: the service applies the migrations on start, as in production.
  const db = await createTestDatabase({ migrate: false });
  const redis = await connectTestRedis();
  return {
    KYCVS_DATABASE_URL: db.url,
    KYCVS_DB_POOL_SIZE: '4',
    KYCVS_REDIS_URL: redis.url,
    KYCVS_REDIS_PREFIX: redis.prefix,
    KYCVS_KEK: crypto.randomBytes(32).toString('base64'),
  };
}

export interface TestServer {
  url: string;
  config: Config;
  services: Services;
  dataDir: string;
  /** Every log line the service wrote, as JSON text. */
  logs: string[];
  api<T = any>(method: string, urlPath: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

/** A port of 127.0.0.1 free a moment ago (a lost race for it shows as EADDRINUSE when listening). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server in demo mode over a fresh temp data dir. The issuer is the server's own URL,
 * so discovery and the JWKS a verifier fetches are the real ones. (The port is chosen first so
 * the issuer can name it; a lost race for the port is retried.)
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-test-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const storeEnv = (options.store ?? testStore()) === 'distributed' ? await distributedStoreEnv() : {};
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const env: Record<string, string> = {
      PORT: String(port),
      HOST: '127.0.0.1',
      KYCVS_DATA_DIR: dataDir,
      KYCVS_ISSUER: `http://127.0.0.1:${port}`,
      KYCVS_DEMO: '1',
      ...ROOMY_LIMITS,
      ...storeEnv,
    };
    for (const [k, v] of Object.entries(options.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const config = loadConfig(env);
    options.configure?.(config);
    const services = await createServices(config, createLogger('info', sink));
    if (config.demo && !options.demoClientsAsSeeded) await services.clients.update(DEMO.railway.id, { widgetSessions: true });
    let running: RunningServer;
    try {
      running = await startServer(config, services);
    } catch (err) {
      await services.close();
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
      throw err;
    }
    return {
      url: running.url,
      config,
      services,
      dataDir,
      logs,
      api: (method, urlPath, requestOptions) => request(running.url, method, urlPath, requestOptions),
      async close() {
        await running.close();
        if (ownsDir) fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
}

export async function request<T = any>(
  baseUrl: string,
  method: string,
  urlPath: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.raw !== undefined) {
    body = options.raw;
  }
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  const response = await fetch(new URL(urlPath, baseUrl), { method, headers, body });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('application/json');
  return { status: response.status, headers: response.headers, body: (isJson && text ? JSON.parse(text) : undefined) as T, text };
}

const ERROR_BODY_KEYS = new Set(['error', 'message', 'attempts_left', 'retry_after', 'fields']);

/**
 * Asserts an API error answer: the status that belongs to `code`, a body of exactly
 * `{ error, message, …documented extras }`, and nothing internal (no stack, no file paths).
 */
export function assertApiError(res: ApiResponse, code: ApiErrorCode, context = ''): void {
  const where = `${context ? `${context}: ` : ''}${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.body?.error, code, where);
  assert.equal(res.status, API_ERRORS[code], where);
  assert.equal(typeof res.body.message, 'string', where);
  assert.ok(res.body.message.length > 0, where);
  for (const key of Object.keys(res.body)) assert.ok(ERROR_BODY_KEYS.has(key), `${where}: unexpected key ${key}`);
  assertNoInternals(res, where);
}

/** A 4xx with a well-formed error body, whatever the code: what every bad input must get. */
export function assertClientError(res: ApiResponse, context = ''): void {
  const where = `${context ? `${context}: ` : ''}${res.status} ${res.text.slice(0, 300)}`;
  assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx, got ${where}`);
  assert.ok(res.body && typeof res.body.error === 'string' && res.body.error in API_ERRORS, `no known error code: ${where}`);
  assertApiError(res, res.body.error as ApiErrorCode, context);
}

function assertNoInternals(res: ApiResponse, where: string): void {
  assert.doesNotMatch(res.text, /\bat .+\(.*:\d+:\d+\)|node_modules|\/server\/|\.ts:\d+|Error:/, `${where}: leaks internals`);
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 20, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Polls until `check` sees a change made at `changedAt`. The entry it replaces was read before the
 * change, so it expires less than `ttlMs` after it: a check begun later must see the change. Each
 * stale answer is checked against when its check began, not against how long the polling took,
 * which a busy machine stretches.
 */
export async function seenWithinTtl(changedAt: number, ttlMs: number, check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    const began = Date.now();
    if (await check()) return;
    assert.ok(began < changedAt + ttlMs, `still the old answer from a read begun ${began - changedAt} ms after the change (TTL ${ttlMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the wall clock has passed `epochMs` (for expiry tests: a condition on time, polled). */
export function waitUntilPast(epochMs: number, what = 'a deadline'): Promise<true> {
  return waitFor(() => Date.now() > epochMs, { timeoutMs: Math.max(0, epochMs - Date.now()) + 10_000, what });
}

export const OTP_IN_TEXT = /^(\d{6}) is your KYC-VS code/;

/** The OTP of the newest text the demo outbox holds for `mobile`, read over HTTP, after pending sends finish. */
export async function outbox(server: TestServer, mobile: string): Promise<{ to: string; text: string; sent_at: string }[]> {
  await server.services.sms.drain();
  const res = await server.api('GET', `/v1/dev/sms?mobile=${encodeURIComponent(mobile)}`);
  assert.equal(res.status, 200, res.text);
  return res.body.messages;
}

// ---------------------------------------------------------------------------------------------
// Flow helpers: each asserts the happy answer of its step, so a test reads as the citizen's path.

export type As = { apiKey: string } | { widget: { clientId: string; origin: string } };

export const RAILWAY: As = { apiKey: DEMO.railway.apiKey };
export const HOTEL: As = { apiKey: DEMO.hotel.apiKey };
export const RAILWAY_WIDGET: As = { widget: { clientId: DEMO.railway.id, origin: DEMO.origin } };

function auth(as: As | undefined): { apiKey?: string } {
  return as && 'apiKey' in as ? { apiKey: as.apiKey } : {};
}

export async function createSession(server: TestServer, as: As = RAILWAY, body: Record<string, unknown> = {}): Promise<string> {
  const json = 'widget' in as ? { client_id: as.widget.clientId, origin: as.widget.origin, ...body } : body;
  const res = await server.api('POST', '/v1/sessions', { json, ...auth(as) });
  assert.equal(res.status, 201, res.text);
  return res.body.session_id;
}

/**
 * Asks for the OTP and returns the code the SMS carried (demo outbox). `as` is who calls:
 * the widget holds the session id only; a host backend also sends its API key.
 */
export async function requestOtp(server: TestServer, sessionId: string, person: Person, as?: As): Promise<string> {
  const [newestBefore] = await outbox(server, person.mobile);
  const res = await server.api('POST', `/v1/sessions/${sessionId}/otp`, { json: { mobile: person.mobile, name: person.name }, ...auth(as) });
  assert.equal(res.status, 202, res.text);
  const messages = await outbox(server, person.mobile);
  assert.ok(messages.length > 0 && messages[0] !== undefined && JSON.stringify(messages[0]) !== JSON.stringify(newestBefore), 'the OTP text was sent');
  const code = OTP_IN_TEXT.exec(messages[0]!.text)?.[1];
  assert.ok(code, `an OTP in ${messages[0]!.text}`);
  return code;
}

export async function verifyOtp(server: TestServer, sessionId: string, otp: string, as?: As, consent?: boolean): Promise<ApiResponse> {
  return server.api('POST', `/v1/sessions/${sessionId}/otp/verify`, {
    json: consent === undefined ? { otp } : { otp, consent },
    ...auth(as),
  });
}

/** The citizen's decision, with the consent ticket that verifying the OTP handed to the widget. */
export async function consent(
  server: TestServer,
  sessionId: string,
  decision: 'allow' | 'deny',
  ticket: string,
  as?: As,
): Promise<ApiResponse> {
  return server.api('POST', `/v1/sessions/${sessionId}/consent`, { json: { decision, consent_ticket: ticket }, ...auth(as) });
}

/** A session whose OTP was entered correctly (state `verified`), as the widget would leave it. */
export async function verifiedSession(
  server: TestServer,
  person: Person,
  as: As = RAILWAY_WIDGET,
  body: Record<string, unknown> = {},
): Promise<{ sessionId: string; ticket: string; verify: ApiResponse }> {
  const sessionId = await createSession(server, as, body);
  const otp = await requestOtp(server, sessionId, person);
  const verify = await verifyOtp(server, sessionId, otp);
  assert.equal(verify.status, 200, verify.text);
  assert.equal(typeof verify.body.consent_ticket, 'string', 'verifying hands the widget a consent ticket');
  return { sessionId, ticket: verify.body.consent_ticket, verify };
}

/** The widget flow to the end with Share: returns the token. */
export async function tokenFor(server: TestServer, person: Person, as: As = RAILWAY_WIDGET, body: Record<string, unknown> = {}) {
  const { sessionId, ticket, verify } = await verifiedSession(server, person, as, body);
  const res = await consent(server, sessionId, 'allow', ticket);
  assert.equal(res.status, 200, res.text);
  assert.equal(typeof res.body.token, 'string');
  return { sessionId, token: res.body.token as string, status: res.body.vaccination_status as number, verify };
}

let nextBeneficiary = 0;

/**
 * Registers a beneficiary on a mobile of its own (so tests running side by side never read each
 * other's SMS), fully vaccinated with COVISHIELD unless told otherwise.
 */
export async function addBeneficiary(
  server: TestServer,
  overrides: Partial<{ mobile: string; name: string; vaccine: string | null; doses: number }> = {},
): Promise<Person> {
  const n = nextBeneficiary++;
  const row = {
    id: `T-${n}`,
    mobile: overrides.mobile ?? `6${String(n).padStart(9, '0')}`,
    name: overrides.name ?? `Test Person ${n}`,
    vaccine: overrides.vaccine === undefined ? 'COVISHIELD' : overrides.vaccine,
    doses: overrides.doses ?? 2,
    lastDoseDate: '2022-01-01',
  };
  if (row.doses === 0) Object.assign(row, { vaccine: null, lastDoseDate: null });
  const [outcome] = await server.services.registry.upsertBatch([row]);
  assert.deepEqual(outcome, { ok: true });
  return { mobile: row.mobile, name: row.name };
}

/**
 * `n` in letters (a-z, base 26): for tags printed in an SMS, where the service refuses runs of
 * four or more digits in a purpose (a fake code could hide in one).
 */
export function letters(n: number): string {
  return n.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)));
}

/** A string wrong for this OTP (another 6-digit code). */
export function wrongOtp(otp: string): string {
  return String((Number(otp) + 1) % 1_000_000).padStart(6, '0');
}

/** The JSON payload and header of a compact JWS, decoded without verifying. */
export function decodeJws(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')),
  };
}
