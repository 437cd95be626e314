import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express, { type ErrorRequestHandler, type Express } from 'express';
import helmet from 'helmet';
import { VACCINATION_STATUSES } from '../protocol/api.ts';
import { StatusTokenError } from '@kycvs/verifier';
import type { DemoErrorResponse, EmployerLinkRequest, EmployerLinksResponse, RailwaySessionResponse, RailwayVerifyRequest, RailwayVerifyResponse } from './contract.ts';
import { EmployerLinks, LINK_LANGS } from './employer.ts';
import { KycVsServiceError, createSession, verifyToken, type ServiceEndpoint } from './kycvs-service.ts';
import { employerPage } from './pages/employer.ts';
import { checkInResultPage, hotelPage } from './pages/hotel.ts';
import { indexPage } from './pages/index.ts';
import { railwayPage } from './pages/railway.ts';
import { PendingVerifications, newNonce } from './pending.ts';
import { WebhookInbox, type WebhookEventsResponse } from './webhook-receiver.ts';

export interface DemoHostOptions {
  port: number;
  host?: string;
  service: ServiceEndpoint;
  apiKeys: { railway: string; hotel: string; employer: string };
  /** The railway's webhook signing secret (`whsec_…`): with it, POST /api/railway/webhook takes KYC-VS events. */
  railwayWebhookSecret?: string;
}

export interface RunningDemoHost {
  url: string;
  close(): Promise<void>;
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const ASSETS_DIR = fileURLToPath(new URL('../dist/demo-host/', import.meta.url));

export function createDemoHostApp({ service, apiKeys, railwayWebhookSecret }: Pick<DemoHostOptions, 'service' | 'apiKeys' | 'railwayWebhookSecret'>): Express {
  const app = express();
  app.disable('x-powered-by');
  const serviceOrigin = new URL(service.url).origin;
  // The CSP a real host needs to embed KYC-VS: the service's script and frame, nothing inline.
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'", serviceOrigin],
          frameSrc: [serviceOrigin],
          connectSrc: ["'self'", serviceOrigin],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          formAction: ["'self'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
    }),
  );
  // Signed session events from KYC-VS (before the JSON parser: the signature covers the raw body).
  const railwayWebhook = railwayWebhookSecret
    ? new WebhookInbox({
        secret: railwayWebhookSecret,
        verifyToken: async (token, { sessionId, nonce }) => {
          const { status } = await verifyToken(service, token, { clientId: 'demo-railway', nonce, sessionId });
          return { status, label: VACCINATION_STATUSES[status] };
        },
      })
    : null;
  if (railwayWebhook) app.post('/api/railway/webhook', ...railwayWebhook.handler);
  app.get('/api/railway/events/:sessionId', (req, res) => {
    res.json({ enabled: railwayWebhook !== null, events: railwayWebhook?.eventsFor(req.params.sessionId) ?? [] } satisfies WebhookEventsResponse);
  });
  app.use(express.json({ limit: '16kb' }));
  app.use(express.urlencoded({ extended: false, limit: '16kb' }));
  app.use('/static', express.static(PUBLIC_DIR, { index: false }));
  app.use('/assets', express.static(ASSETS_DIR, { index: false }));

  app.get('/', (_req, res) => void res.send(indexPage(service.url)));

  // Railway: the backend creates the session (API key) with a nonce, and later checks the token
  // carries that nonce and that session.
  const railwaySessions = new PendingVerifications<{ nonce: string }>();
  app.get('/railway', (_req, res) => void res.send(railwayPage(service.url)));
  app.post('/api/railway/sessions', async (req, res) => {
    const nonce = newNonce();
    // The page's origin (this site, as the browser reached it) lets the SMS carry the WebOTP line
    // for it; the service accepts only origins on our allowlist.
    const origin = req.get('origin');
    const session = await createSession(service, apiKeys.railway, { nonce, ...(origin ? { origin } : {}) });
    railwaySessions.add(session.session_id, { nonce });
    railwayWebhook?.expect(session.session_id, nonce);
    res.status(201).json({ sessionId: session.session_id } satisfies RailwaySessionResponse);
  });
  app.post('/api/railway/verify', async (req, res) => {
    const { sessionId, token } = (req.body ?? {}) as Partial<RailwayVerifyRequest>;
    const pending = typeof sessionId === 'string' ? railwaySessions.take(sessionId) : null;
    if (!pending || typeof token !== 'string') {
      res.status(400).json({ error: 'unknown_session', message: 'No verification of ours is waiting for this session.' } satisfies DemoErrorResponse);
      return;
    }
    const { status } = await verifyToken(service, token, { clientId: 'demo-railway', nonce: pending.nonce, sessionId });
    res.json({ status, label: VACCINATION_STATUSES[status] } satisfies RailwayVerifyResponse);
  });

  // Hotel: no page script. The page carries a nonce for the widget; the form posts the token back.
  const checkins = new PendingVerifications<{ nonce: string }>();
  app.get('/hotel', (_req, res) => {
    const checkinId = newNonce();
    const nonce = newNonce();
    checkins.add(checkinId, { nonce });
    res.send(hotelPage(service.url, checkinId, nonce));
  });
  app.post('/hotel/check-in', async (req, res) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const guest = typeof form.guest === 'string' ? form.guest : '';
    const pending = typeof form.checkin === 'string' ? checkins.take(form.checkin) : null;
    const token = typeof form.kycvs_token === 'string' ? form.kycvs_token : '';
    if (!pending || token === '') {
      res.status(400).send(checkInResultPage(service.url, guest, { error: pending ? 'not_verified' : 'unknown_checkin' }));
      return;
    }
    try {
      const { status } = await verifyToken(service, token, { clientId: 'demo-hotel', nonce: pending.nonce });
      res.send(checkInResultPage(service.url, guest, { status }));
    } catch (error) {
      res.status(400).send(checkInResultPage(service.url, guest, { error: errorCode(error) }));
    }
  });

  // Employer: no page shows the check. The backend makes a session, HR sends its verification_url
  // to the employee, and the backend asks KYC-VS how it ended and verifies the token.
  const employerLinks = new EmployerLinks(service, apiKeys.employer);
  app.get('/employer', (_req, res) => void res.send(employerPage(service.url)));
  app.post('/api/employer/links', async (req, res) => {
    const { employee, lang } = (req.body ?? {}) as Partial<EmployerLinkRequest>;
    const name = typeof employee === 'string' ? employee.trim() : '';
    if (name === '' || name.length > 80) {
      res.status(400).json({ error: 'invalid_request', message: 'Give the employee a name or reference (at most 80 characters).' } satisfies DemoErrorResponse);
      return;
    }
    const chosen = LINK_LANGS.find((code) => code === lang);
    res.status(201).json(await employerLinks.create(name, chosen));
  });
  app.get('/api/employer/links', async (_req, res) => {
    res.json({ links: await employerLinks.list() } satisfies EmployerLinksResponse);
  });

  app.use(jsonErrors);
  return app;
}

function errorCode(error: unknown): string {
  return error instanceof StatusTokenError || error instanceof KycVsServiceError ? error.code : 'internal_error';
}

const jsonErrors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  const code = errorCode(error);
  const status = code === 'internal_error' ? 500 : error instanceof KycVsServiceError ? 502 : 400;
  res.status(status).json({ error: code, message: error instanceof Error ? error.message : code } satisfies DemoErrorResponse);
};

/** Listens on host:port (0: any free port) and answers with `handler` once it is given. */
export async function listen(port: number, host = '127.0.0.1', handler?: http.RequestListener): Promise<RunningDemoHost & { server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function startDemoHost(options: DemoHostOptions): Promise<RunningDemoHost> {
  const { url, close } = await listen(options.port, options.host, createDemoHostApp(options));
  return { url, close };
}
