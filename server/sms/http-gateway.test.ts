// The production SMS path: the service outside demo mode, configured with KYCVS_SMS_GATEWAY_URL
// and _TOKEN, sending to a fake gateway this test runs on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';
import {
  DEMO,
  type Person,
  OTP_IN_TEXT,
  RAILWAY,
  RAILWAY_WIDGET,
  assertApiError,
  createSession,
  startTestServer,
  verifyOtp,
  waitFor,
} from '../../test-support/harness.ts';
import { seedDemoClients } from '../clients/demo-clients.ts';
import { FakeSmsGateway } from '../../test-support/fake-sms-gateway.ts';
import { seedDemoRegistry } from '../registry/demo-seed.ts';

const gateway = new FakeSmsGateway();
const gatewayUrl = await gateway.start();
const server = await startTestServer({
  env: { KYCVS_DEMO: undefined, KYCVS_SMS_GATEWAY_URL: gatewayUrl, KYCVS_SMS_GATEWAY_TOKEN: 'gw-token-123' },
});
// Outside demo mode nothing is seeded: register the demo people and verifiers as an operator would.
await seedDemoRegistry(server.services.registry);
await seedDemoClients(server.services.clients, server.config);
// As the harness does in demo mode: the railway also takes keyless sessions, for the frame's path below.
await server.services.clients.update(DEMO.railway.id, { widgetSessions: true });
after(async () => {
  await server.close();
  await gateway.close();
});
beforeEach(async () => {
  await server.services.sms.drain();
  gateway.reset();
});

async function sendOtp(person: Person) {
  const id = await createSession(server, RAILWAY_WIDGET);
  const res = await server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: person.mobile, name: person.name } });
  assert.equal(res.status, 202, res.text);
  await server.services.sms.drain();
  return id;
}

describe('HTTP gateway adapter', () => {
  test('POSTs { to: "+91…", text } as JSON with the bearer token; the code it carries verifies', async () => {
    const id = await sendOtp(DEMO.arjun);
    assert.equal(gateway.requests.length, 1);
    const [sent] = gateway.requests;
    assert.equal(sent!.method, 'POST');
    assert.equal(sent!.authorization, 'Bearer gw-token-123');
    assert.match(sent!.contentType ?? '', /^application\/json/);
    const body = sent!.body as { to: string; text: string };
    assert.deepEqual(Object.keys(body).sort(), ['text', 'to']);
    assert.equal(body.to, `+91${DEMO.arjun.mobile}`);
    assert.match(body.text, /Demo Railways/);
    const otp = OTP_IN_TEXT.exec(body.text)?.[1];
    assert.ok(otp);
    const verified = await verifyOtp(server, id, otp);
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.name_matched, true);
  });

  test('a 5xx (and a 429) is retried with the same message until the gateway takes it', async () => {
    gateway.script = [503, 429];
    const id = await sendOtp(DEMO.asha);
    assert.equal(gateway.requests.length, 3);
    assert.deepEqual(gateway.requests[1]!.body, gateway.requests[0]!.body);
    assert.deepEqual(gateway.requests[2]!.body, gateway.requests[0]!.body);
    const otp = OTP_IN_TEXT.exec((gateway.requests[2]!.body as { text: string }).text)![1]!;
    assert.equal((await verifyOtp(server, id, otp)).status, 200);
  });

  test('a 4xx other than 429 is not retried', async () => {
    gateway.script = [400];
    await sendOtp(DEMO.asha);
    assert.equal(gateway.requests.length, 1);
  });

  test('no request reaches the gateway for an unregistered mobile', async () => {
    await sendOtp(DEMO.unregistered);
    assert.equal(gateway.requests.length, 0);
  });

  test('the API answers before the gateway does (its timing cannot tell a registered mobile)', async () => {
    let release!: () => void;
    gateway.hold = new Promise<void>((resolve) => (release = resolve));
    const id = await createSession(server, RAILWAY);
    const res = await server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.arjun.mobile, name: DEMO.arjun.name } });
    assert.equal(res.status, 202);
    await waitFor(() => gateway.requests.length === 1, { what: 'the gateway to be called' });
    release();
    await server.services.sms.drain();
  });

  test('outside demo mode the SMS outbox route does not exist (404)', async () => {
    assertApiError(await server.api('GET', `/v1/dev/sms?mobile=${DEMO.arjun.mobile}`), 'not_found');
    assert.equal(server.services.outbox, null);
  });
});
