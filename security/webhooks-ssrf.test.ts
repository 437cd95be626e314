// Attack: a verifier registers a webhook URL that points the service at its own network — loopback,
// the cloud metadata address, 10.x, written as a name, as IPv4-in-IPv6, as a decimal number, or a
// name that resolves to a public address and a private one, or that changes its answer between
// a check and the connection (DNS rebinding). In production mode (KYCVS_DEMO off, SMS through a
// fake gateway) every such delivery is refused before any connection: a listener on 127.0.0.1
// counts every TCP connection and must see none. Names resolve through an injected resolver: no
// traffic leaves 127.0.0.1. Demo mode delivers to loopback, through the address it checked.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FakeSmsGateway } from '../test-support/fake-sms-gateway.ts';
import { type TestServer, addBeneficiary, letters, OTP_IN_TEXT, outbox, startTestServer, waitFor } from '../test-support/harness.ts';
import { WebhookReceiver } from '../test-support/webhook-receiver.ts';
import { type ResolvedAddress, type Resolver, systemResolver } from '../server/webhooks/address-policy.ts';

const receiver = await new WebhookReceiver().start();
const gateway = new FakeSmsGateway();
const gatewayUrl = await gateway.start();
const PORT = receiver.port;

const NAMES: Record<string, string[]> = {
  'rebind.test': ['127.0.0.1'],
  'mixed.test': ['93.184.216.34', '127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'internal.test': ['10.0.0.1'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'ula.test': ['fd00::5'],
};
const resolver: Resolver = async (host) => {
  const names = NAMES[host];
  if (!names) return systemResolver(host);
  return names.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const FAST = { KYCVS_WEBHOOK_RETRY_BASE_MS: '100', KYCVS_WEBHOOK_RETRY_MAX_MS: '300', KYCVS_WEBHOOK_POLL_MS: '100', KYCVS_WEBHOOK_TIMEOUT_MS: '1000' };
const production = await startTestServer({
  env: { ...FAST, KYCVS_DEMO: undefined, KYCVS_SMS_GATEWAY_URL: gatewayUrl, KYCVS_SMS_GATEWAY_TOKEN: 'gw' },
  configure: (c) => (c.webhooks.resolve = resolver),
});
after(async () => {
  await production.close();
  await receiver.close();
  await gateway.close();
});

let n = 0;
/**
 * A new verifier whose webhook is `url`, set directly (the CLI's own check is tested in
 * server/webhooks/cli.test.ts: here the URL got past it, or its DNS changed since), one decision; its event's id.
 * `demo`: store the URL as demo mode would accept it (plain http).
 */
async function decisionWithWebhook(server: TestServer, url: string, demo: boolean): Promise<string> {
  const id = `ssrf-${letters(n++)}`;
  const { apiKey } = await server.services.clients.create({ id, name: 'Hostile Verifier', purpose: 'Testing webhooks', allowedOrigins: [] });
  await server.services.clients.setWebhook(id, url, { demo });
  const person = await addBeneficiary(server);
  const created = await server.api('POST', '/v1/sessions', { apiKey, json: { mobile: person.mobile, name: person.name } });
  assert.equal(created.status, 201, created.text);
  let code: string;
  if (server.config.demo) code = OTP_IN_TEXT.exec((await outbox(server, person.mobile))[0]!.text)![1]!;
  else {
    const text = await waitFor(() => gateway.messages.find((m) => m.to.endsWith(person.mobile))?.text, { what: 'the SMS' });
    code = OTP_IN_TEXT.exec(text)![1]!;
  }
  const done = await server.api('POST', `/v1/sessions/${created.body.session_id}/otp/verify`, { apiKey, json: { otp: code, consent: true } });
  assert.equal(done.status, 200, done.text);
  const row = server.services.db!.prepare('SELECT id FROM webhook_events WHERE session_id = ?').get(created.body.session_id) as { id: string };
  return row.id;
}

function firstAttempt(server: TestServer, eventId: string) {
  return server.services.db!.prepare('SELECT status_code, error FROM webhook_attempts WHERE event_id = ? ORDER BY id LIMIT 1').get(eventId) as
    | { status_code: number | null; error: string }
    | undefined;
}

describe('production mode: no delivery to a private or loopback address', () => {
  const cases: [string, RegExp][] = [
    [`https://127.0.0.1:${PORT}/hook`, /127\.0\.0\.1 is a loopback address/],
    [`https://[::1]:${PORT}/hook`, /::1 is a loopback address/],
    [`https://[::ffff:127.0.0.1]:${PORT}/hook`, /loopback address/],
    [`https://2130706433:${PORT}/hook`, /127\.0\.0\.1 is a loopback address/],
    [`https://0.0.0.0:${PORT}/hook`, /unspecified address/],
    [`https://[::]:${PORT}/hook`, /unspecified address/],
    [`https://localhost:${PORT}/hook`, /localhost resolves to .*loopback address/],
    [`https://rebind.test:${PORT}/hook`, /rebind\.test resolves to 127\.0\.0\.1 is a loopback address/],
    [`https://mixed.test:${PORT}/hook`, /mixed\.test resolves to 127\.0\.0\.1 is a loopback address/],
    [`https://mapped.test:${PORT}/hook`, /loopback address/],
    ['https://metadata.test/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
    [`https://internal.test:${PORT}/hook`, /10\.0\.0\.1 is a private address/],
    ['https://ula.test/hook', /fd00::5 is a private address/],
    ['https://100.64.0.1/hook', /cgnat address/],
    ['https://192.168.1.1/hook', /private address/],
    ['https://[fe80::1]/hook', /link-local address/],
  ];

  test(`${cases.length} hostile URLs: every attempt refused before connecting, none reaches the 127.0.0.1 listener`, async () => {
    const events: [string, RegExp][] = [];
    for (const [url, reason] of cases) events.push([await decisionWithWebhook(production, url, false), reason]);
    for (const [eventId, reason] of events) {
      const attempt = await waitFor(() => firstAttempt(production, eventId), { what: `an attempt of ${eventId}` });
      assert.equal(attempt.status_code, null);
      assert.match(attempt.error, /^address refused: /);
      assert.match(attempt.error, reason);
    }
    // Let the retries run a while: still nothing may connect.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const attempts = (production.services.db!.prepare("SELECT COUNT(*) AS n FROM webhook_attempts WHERE error LIKE 'address refused:%'").get() as { n: number }).n;
    assert.equal(receiver.connections, 0, 'no TCP connection reached 127.0.0.1');
    assert.equal(receiver.requests.length, 0);
    console.log(`figure: webhooks in production mode: ${cases.length} hostile URLs, ${attempts} attempts refused before connecting, ${receiver.connections} connections to the 127.0.0.1 listener`);
  });

  test('plain http in production: refused for good at once (https only)', async () => {
    const eventId = await decisionWithWebhook(production, `http://127.0.0.1:${PORT}/hook`, true);
    await waitFor(() => (production.services.db!.prepare('SELECT state FROM webhook_events WHERE id = ?').get(eventId) as { state: string }).state === 'failed', { what: 'failed' });
    assert.match(firstAttempt(production, eventId)!.error, /must be an https URL/);
    assert.equal(receiver.connections, 0);
  });
});

describe('demo mode: loopback allowed, through the address that was checked', () => {
  test('a name resolved once per attempt to 127.0.0.1 is delivered there (no second lookup to rebind); private still refused', async () => {
    const demo = await startTestServer({ env: FAST, configure: (c) => (c.webhooks.resolve = resolver) });
    try {
      // Any lookup after the first would answer 10.0.0.1: a sender that looked the name up again to connect would fail.
      let calls = 0;
      NAMES['once.test'] = ['127.0.0.1'];
      const rebinding: Resolver = async (host) => {
        if (host === 'once.test' && calls++ > 0) return [{ address: '10.0.0.1', family: 4 }];
        return resolver(host);
      };
      demo.config.webhooks.resolve = rebinding;
      await decisionWithWebhook(demo, `http://once.test:${PORT}/hook`, true);
      await waitFor(() => receiver.requests.length === 1, { what: 'the delivery to loopback' });
      const [request] = receiver.requests;
      assert.equal(request!.headers.host, `once.test:${PORT}`, 'the URL\'s name in Host, the checked address on the wire');
      assert.equal(calls, 1, 'one lookup for the attempt');

      const literal = await decisionWithWebhook(demo, receiver.url('/literal'), true);
      await waitFor(() => receiver.requests.some((r) => r.headers['webhook-id'] === literal), { what: 'loopback literal delivered' });

      const internal = await decisionWithWebhook(demo, `http://internal.test:${PORT}/hook`, true);
      const attempt = await waitFor(() => firstAttempt(demo, internal), { what: 'the refused attempt' });
      assert.match(attempt.error, /10\.0\.0\.1 is a private address/);
      assert.equal(receiver.requests.filter((r) => r.headers['webhook-id'] === internal).length, 0);
      assert.ok(receiver.requests.every((r) => r.headers['webhook-signature']));
    } finally {
      await demo.close();
    }
  });
});
