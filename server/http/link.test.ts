// Verification links: a host backend's session comes with a URL the person can open on their own;
// that page is this service's, never framed, and a link that cannot be used says so (404/410), not 500.
// (Needs the built frame page, as `npm test` builds it first.)
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FRAME_CONFIG_ELEMENT_ID, type FramePageConfig } from '../../protocol/messages.ts';
import * as S from '../../protocol/schemas.ts';
import {
  DEMO,
  RAILWAY,
  RAILWAY_WIDGET,
  createSession,
  requestOtp,
  startTestServer,
  verifyOtp,
  waitUntilPast,
  type TestServer,
} from '../../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

const LINK = /^(.+)\/v\/([A-Za-z0-9_-]{22})$/;

/** A session made with the railway's API key, and its link. */
async function linkedSession(on: TestServer = server, body: Record<string, unknown> = {}) {
  const res = await on.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: body });
  assert.equal(res.status, 201, res.text);
  S.createSessionResponse.parse(res.body);
  return { sessionId: res.body.session_id as string, url: res.body.verification_url as string };
}

/** The link's page as a browser gets it, with the boot config the server put in it. */
async function open(url: string) {
  const res = await fetch(url);
  const text = await res.text();
  const json = new RegExp(`<script type="application/json" id="${FRAME_CONFIG_ELEMENT_ID}">(.*?)</script>`).exec(text)?.[1];
  return { res, text, config: JSON.parse(json ?? 'null') as FramePageConfig | null };
}

describe('verification_url', () => {
  test('a session made with the API key has a link on this service, with a code of its own (not the session id)', async () => {
    const { sessionId, url } = await linkedSession();
    const [, base, code] = LINK.exec(url) ?? [];
    assert.equal(base, server.config.issuer);
    assert.ok(code && !url.includes(sessionId) && !sessionId.includes(code));
    const another = await linkedSession();
    assert.notEqual(another.url, url, 'each session its own link');
  });

  test('also when the backend gave mobile and name (the first code went out)', async () => {
    const res = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name } });
    assert.equal(res.status, 201, res.text);
    assert.ok(res.body.otp);
    assert.match(res.body.verification_url, LINK);
  });

  test('a session the frame made (no API key) has none: its page is already showing the check', async () => {
    const res = await server.api('POST', '/v1/sessions', { json: { client_id: DEMO.railway.id, origin: DEMO.origin } });
    assert.equal(res.status, 201, res.text);
    assert.equal('verification_url' in res.body, false);
  });
});

describe('the link’s page', () => {
  test('answers 200 with the check, never framed, not cached, naming who asks and why', async () => {
    const { sessionId, url } = await linkedSession(server, { purpose: 'Joining: site visits' });
    const { res, config } = await open(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.ok(config?.ok && config.standalone);
    assert.equal(config.sessionId, sessionId);
    assert.equal(config.clientName, DEMO.railway.name);
    assert.equal(config.purpose, 'Joining: site visits');
  });

  test('carries a language the host asked for with ?lang=, and ignores anything that is not a language tag', async () => {
    const { url } = await linkedSession();
    const hindi = await open(`${url}?lang=hi`);
    assert.ok(hindi.config?.ok && hindi.config.standalone && hindi.config.lang === 'hi');
    const junk = await open(`${url}?lang=${encodeURIComponent('"><script>')}`);
    assert.equal(junk.res.status, 200);
    assert.ok(junk.config?.ok && junk.config.standalone && junk.config.lang === undefined);
  });

  test('an unknown link, or the session id in place of the code, is a 404 page saying so', async () => {
    const { sessionId } = await linkedSession();
    for (const path of [`/v/${sessionId}`, '/v/AAAAAAAAAAAAAAAAAAAAAA', '/v/not-a-code', `/v/${'x'.repeat(500)}`]) {
      const { res, config } = await open(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
      assert.deepEqual(config, { ok: false, error: 'link_unknown' }, path);
    }
  });

  test('once the code was entered (on this page or a copy of it), the link is used: 410', async () => {
    const { sessionId, url } = await linkedSession();
    assert.equal((await open(url)).res.status, 200);
    const otp = await requestOtp(server, sessionId, DEMO.arjun);
    assert.equal((await open(url)).res.status, 200, 'a code sent: the page can still take it');
    assert.equal((await verifyOtp(server, sessionId, otp)).status, 200);
    const { res, config } = await open(url);
    assert.equal(res.status, 410);
    assert.deepEqual(config, { ok: false, error: 'link_used' });
  });

  test('a disabled verifier’s link opens no check', async () => {
    const { url } = await linkedSession();
    await server.services.clients.setStatus(DEMO.railway.id, 'disabled');
    try {
      const { res, config } = await open(url);
      assert.equal(res.status, 403);
      assert.deepEqual(config, { ok: false, error: 'client_disabled' });
    } finally {
      await server.services.clients.setStatus(DEMO.railway.id, 'active');
    }
  });

  test('the link expires with its session: 410', async () => {
    const short = await startTestServer({ configure: (config) => void (config.sessionTtlSeconds = 1) });
    try {
      const res = await short.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: {} });
      assert.equal((await open(res.body.verification_url)).res.status, 200);
      await waitUntilPast(Date.parse(res.body.expires_at), 'the session’s expiry');
      const { res: page, config } = await open(res.body.verification_url);
      assert.equal(page.status, 410);
      assert.deepEqual(config, { ok: false, error: 'link_expired' });
    } finally {
      await short.close();
    }
  });

  test('only a backend’s session has a link: a widget session’s id opens nothing either', async () => {
    const sessionId = await createSession(server, RAILWAY_WIDGET);
    assert.equal((await open(`${server.url}/v/${sessionId}`)).res.status, 404);
    assert.ok(await createSession(server, RAILWAY));
  });
});
