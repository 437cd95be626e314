// Child process: the load generator (autocannon) and the fake SMS gateway, together in one process
// of their own, apart from the server under test.
//
// A verification flow is a chain of requests, and the OTP a flow needs arrives out of band: the
// server answers "OTP sent" and only then POSTs the text to the SMS gateway (this fake one, via
// the production HTTP adapter). autocannon's request hooks are synchronous, so no connection
// may wait for an SMS. Instead every connection runs a small work-conserving scheduler: each
// request it sends advances whichever flow is furthest along and ready (consent, then verify,
// then send OTP), and starts a new flow when none is ready. Flows interleave across requests
// and connections; the server is never idle on our account, and nothing is polled.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import type {
  ConsentResponse,
  CreateSessionResponse,
  SendOtpResponse,
  VerifyOtpResponse,
} from '../../protocol/api.ts';
import type { Person } from './fixture.ts';
import { type Summary, summarise } from './stats.ts';

export type LoadMode = 'server' | 'widget' | 'bare';

export interface SetupMessage {
  type: 'setup';
  people: Person[];
  clientId: string;
  apiKey: string;
  origin: string;
}

export interface RunMessage {
  type: 'run';
  mode: LoadMode;
  target: string;
  connections: number;
  /** Requests to send in all (autocannon's `amount`). */
  amount: number;
  /** Requests per second across all connections; absent: as fast as the server answers. */
  rate?: number;
}

export interface LoadResult {
  type: 'result';
  mode: LoadMode;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  flowsCompleted: number;
  flowsPerSecond: number;
  /** Every request's latency (write → full response), sub-millisecond, any status. */
  latency: Summary;
  /** autocannon's own histogram (2xx only, whole milliseconds), for cross-checking. */
  autocannon: { p50: number; p99: number; max: number; errors: number; timeouts: number; non2xx: number };
  byStage: Record<string, Summary>;
  /** Everything that went wrong, by kind: HTTP status + error code, unmatched SMS, bad tokens. */
  errors: Record<string, number>;
  errorCount: number;
  smsReceived: number;
  /** CPU seconds this process (load generator + gateway) used during the run. */
  loadgenCpuSeconds: number;
}

type Stage = 'start' | 'send' | 'verify' | 'consent';
const STAGE_ORDER: readonly Stage[] = ['consent', 'verify', 'send', 'start'];
const EXPECTED_STATUS: Record<Stage, number> = { start: 201, send: 202, verify: 200, consent: 200 };

interface Flow {
  person: Person;
  nonce: string;
  sessionId: string | null;
  otp: string | null;
  /** The server answered "OTP sent" (the SMS may arrive before or after that answer). */
  sendAcked: boolean;
  ticket: string | null;
}

interface Pending {
  flow: Flow | null;
  stage: Stage | 'idle';
  sentAt: number;
}

const gatewayToken = randomBytes(24).toString('base64url');
let setup: SetupMessage | null = null;

// ---- Scheduler state (reset before each run) ----
let freePeople: Person[] = [];
const flowByMobile = new Map<string, Flow>();
const ready: Record<Stage, Flow[]> = { start: [], send: [], verify: [], consent: [] };
const samples: Record<string, number[]> = {};
let allLatencies: number[] = [];
let errors: Record<string, number> = {};
let flowsCompleted = 0;
let smsReceived = 0;
let running: LoadMode | null = null;

function countError(kind: string): void {
  errors[kind] = (errors[kind] ?? 0) + 1;
}

function resetState(): void {
  freePeople = [...setup!.people];
  flowByMobile.clear();
  for (const stage of Object.keys(ready) as Stage[]) ready[stage] = [];
  for (const key of Object.keys(samples)) delete samples[key];
  allLatencies = [];
  firstSentAt = 0;
  lastAnsweredAt = 0;
  errors = {};
  flowsCompleted = 0;
  smsReceived = 0;
}

// ---- Fake SMS gateway: what an operator's gateway sees from the production adapter ----
function onSms(to: string, text: string): void {
  smsReceived++;
  const mobile = to.replace(/^\+91/, '');
  const otp = /^(\d{6})\b/.exec(text)?.[1];
  const flow = flowByMobile.get(mobile);
  if (!otp || !flow || flow.otp !== null) {
    if (running) countError(!otp ? 'sms_without_otp' : 'sms_unmatched');
    return;
  }
  flow.otp = otp;
  if (flow.sendAcked) ready.verify.push(flow);
}

const gateway = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.headers.authorization !== `Bearer ${gatewayToken}`) {
    res.writeHead(401).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to?: unknown; text?: unknown };
      if (typeof body.to !== 'string' || typeof body.text !== 'string') throw new Error('bad body');
      onSms(body.to, body.text);
      res.writeHead(202, { 'content-type': 'application/json' }).end(`{"id":"${randomUUID()}"}`);
    } catch {
      if (running) countError('sms_bad_request');
      res.writeHead(400).end();
    }
  });
});
gateway.keepAliveTimeout = 30_000;

// ---- The flows ----
function nextWork(): { flow: Flow | null; stage: Stage | 'idle' } {
  for (const stage of STAGE_ORDER) {
    const flow = ready[stage].shift();
    if (flow) return { flow, stage };
  }
  const person = freePeople.shift();
  if (!person) return { flow: null, stage: 'idle' };
  const flow: Flow = { person, nonce: randomBytes(12).toString('base64url'), sessionId: null, otp: null, sendAcked: false, ticket: null };
  flowByMobile.set(person.mobile, flow);
  return { flow, stage: 'start' };
}

function json(method: 'POST' | 'GET', path: string, body: unknown, apiKey: string | null): autocannon.Request {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return { method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) } as autocannon.Request;
}

function requestFor(mode: 'server' | 'widget', flow: Flow, stage: Stage): autocannon.Request {
  const s = setup!;
  const apiKey = mode === 'server' ? s.apiKey : null;
  const session = `/v1/sessions/${flow.sessionId}`;
  switch (stage) {
    case 'start':
      return mode === 'server'
        ? json('POST', '/v1/sessions', { nonce: flow.nonce, mobile: flow.person.mobile, name: flow.person.name }, apiKey)
        : json('POST', '/v1/sessions', { client_id: s.clientId, origin: s.origin, nonce: flow.nonce }, null);
    case 'send':
      return json('POST', `${session}/otp`, { mobile: flow.person.mobile, name: flow.person.name }, apiKey);
    case 'verify':
      return json('POST', `${session}/otp/verify`, mode === 'server' ? { otp: flow.otp, consent: true } : { otp: flow.otp }, apiKey);
    case 'consent':
      return json('POST', `${session}/consent`, { decision: 'allow', consent_ticket: flow.ticket }, apiKey);
  }
}

function otpSent(flow: Flow): void {
  flow.sendAcked = true;
  if (flow.otp !== null) ready.verify.push(flow);
}

function finish(flow: Flow, token: unknown, status: unknown): void {
  if (typeof token !== 'string' || !tokenLooksRight(token, flow, status)) countError('token_wrong');
  else flowsCompleted++;
  flowByMobile.delete(flow.person.mobile);
  freePeople.push(flow.person);
}

/** The token carries this flow's nonce, our client as audience, and the status the answer gave. */
function tokenLooksRight(token: string, flow: Flow, status: unknown): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    return claims.nonce === flow.nonce && claims.aud === setup!.clientId && claims.vaccination_status === status && claims.txn === flow.sessionId;
  } catch {
    return false;
  }
}

/** Advances a flow with the server's answer; any unexpected answer is an error and ends the flow. */
function onAnswer(mode: 'server' | 'widget', flow: Flow, stage: Stage, status: number, raw: string): void {
  const expected = EXPECTED_STATUS[stage];
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    body = {};
  }
  if (status !== expected) {
    countError(`${stage}: ${status} ${typeof body.error === 'string' ? body.error : ''}`.trim());
    // The person stays out of the pool: a late SMS for the dropped flow must not reach a new one.
    flowByMobile.delete(flow.person.mobile);
    return;
  }
  switch (stage) {
    case 'start': {
      const created = body as unknown as CreateSessionResponse;
      flow.sessionId = created.session_id;
      if (mode === 'server') {
        if (!created.otp) countError('start: no otp in answer');
        otpSent(flow);
      } else ready.send.push(flow);
      return;
    }
    case 'send':
      if (typeof (body as unknown as SendOtpResponse).expires_in !== 'number') countError('send: unexpected answer');
      otpSent(flow);
      return;
    case 'verify': {
      const verified = body as unknown as VerifyOtpResponse;
      if (mode === 'server') finish(flow, verified.token, verified.vaccination_status);
      else if (verified.name_matched !== true) countError('verify: name not matched');
      else {
        flow.ticket = verified.consent_ticket ?? null;
        ready.consent.push(flow);
      }
      return;
    }
    case 'consent': {
      const answer = body as unknown as ConsentResponse;
      if ('denied' in answer) countError('consent: denied');
      else finish(flow, answer.token, answer.vaccination_status);
      return;
    }
  }
}

let firstSentAt = 0;
let lastAnsweredAt = 0;

function record(stage: string, sentAt: number): void {
  const now = performance.now();
  (samples[stage] ??= []).push(now - sentAt);
  allLatencies.push(now - sentAt);
  lastAnsweredAt = now;
}

function sent(): number {
  const now = performance.now();
  if (firstSentAt === 0) firstSentAt = now;
  return now;
}

async function run(message: RunMessage): Promise<LoadResult> {
  resetState();
  running = message.mode;
  const { mode } = message;
  const cpuBefore = process.cpuUsage();
  const options: autocannon.Options = {
    url: message.target,
    // autocannon refuses more connections than requests.
    connections: Math.min(message.connections, message.amount),
    amount: message.amount,
    timeout: 10,
  };
  if (message.rate) options.overallRate = Math.round(message.rate);
  // autocannon notices that `amount` is reached at its next sample tick; keep that tick short.
  (options as { sampleInt?: number }).sampleInt = 100;
  if (mode === 'bare') {
    // The same shape and size of JSON body as a flow's requests.
    const person = setup!.people[0]!;
    const body = JSON.stringify({ nonce: randomBytes(12).toString('base64url'), mobile: person.mobile, name: person.name });
    options.requests = [
      {
        method: 'POST',
        path: '/v1/echo',
        headers: { 'content-type': 'application/json' },
        body,
        setupRequest: (req, context) => {
          (context as { t?: number }).t = sent();
          return req;
        },
        onResponse: (status, _body, context) => {
          record('echo', (context as { t: number }).t);
          if (status !== 201) countError(`echo: ${status}`);
        },
      },
    ];
  } else {
    options.requests = [
      {
        setupRequest: (_req, context) => {
          const pending = context as Pending;
          const { flow, stage } = nextWork();
          pending.flow = flow;
          pending.stage = stage;
          pending.sentAt = sent();
          // Never happens with enough people; kept honest rather than silent.
          if (!flow || stage === 'idle') return { method: 'GET', path: '/healthz' } as autocannon.Request;
          return requestFor(mode, flow, stage);
        },
        onResponse: (status, body, context) => {
          const pending = context as Pending;
          record(pending.stage, pending.sentAt);
          if (pending.stage === 'idle') countError('idle: no person free to start a flow');
          else onAnswer(mode, pending.flow!, pending.stage, status, body);
        },
      },
    ];
  }
  const result = await autocannon(options);
  running = null;
  const cpu = process.cpuUsage(cpuBefore);
  // From the first request sent to the last answer: autocannon's own duration is tick-rounded.
  const seconds = (lastAnsweredAt - firstSentAt) / 1000;
  const requests = result.requests.total;
  const byStage = Object.fromEntries(Object.entries(samples).map(([stage, values]) => [stage, summarise(values)]));
  if (result.errors > 0) errors.connection = (errors.connection ?? 0) + result.errors;
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    type: 'result',
    mode,
    seconds,
    requests,
    requestsPerSecond: requests / seconds,
    flowsCompleted,
    flowsPerSecond: flowsCompleted / seconds,
    latency: summarise(allLatencies),
    autocannon: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
    },
    byStage,
    errors,
    errorCount,
    smsReceived,
    loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

gateway.listen(0, '127.0.0.1', () => {
  const { port } = gateway.address() as AddressInfo;
  process.send!({ type: 'ready', gatewayUrl: `http://127.0.0.1:${port}/sms`, gatewayToken });
});

process.on('message', (message: SetupMessage | RunMessage | { type: 'stop' }) => {
  if (message.type === 'setup') {
    setup = message;
    process.send!({ type: 'setup-done' });
  } else if (message.type === 'run') {
    run(message).then(
      (result) => process.send!(result),
      (err: unknown) => process.send!({ type: 'error', error: String((err as Error)?.stack ?? err) }),
    );
  } else if (message.type === 'stop') {
    gateway.close(() => process.exit(0));
    gateway.closeAllConnections();
  }
});
