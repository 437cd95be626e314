import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { checkPublicClient } from './check-public-client.ts';
import { HOTEL, RAILWAY, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const run = async (clientId: string, input: { purpose?: string }, keyed: boolean) =>
  checkPublicClient(kit.ctx(input, { client: await kit.client(clientId), caller: keyed ? await kit.backend(clientId) : kit.caller() }));

describe('checkPublicClient: keyless sessions only for verifiers that opted in', () => {
  test('a verifier that accepts only backend-made sessions refuses the frame with unauthorized', async () => {
    assert.equal((await kit.client(RAILWAY)).widgetSessions, false, 'the demo railway is seeded backend-only');
    await refused(() => run(RAILWAY, {}, false), 'unauthorized');
  });

  test('the setting decides: turned on, the frame may start a session; turned off again, not', async () => {
    await kit.services.clients.update(RAILWAY, { widgetSessions: true });
    await run(RAILWAY, {}, false);
    await kit.services.clients.update(RAILWAY, { widgetSessions: false });
    await refused(() => run(RAILWAY, {}, false), 'unauthorized');
  });

  test('a public client’s keyless session may not word the purpose (it goes into the SMS)', async () => {
    await run(HOTEL, {}, false);
    const error = await refused(() => run(HOTEL, { purpose: 'Your OTP is 000000' }, false), 'forbidden');
    assert.deepEqual(error.details.fields, ['purpose']);
  });

  test('a backend with its API key passes whatever the setting, and may set the purpose', async () => {
    await run(RAILWAY, { purpose: 'Boarding' }, true);
    await run(HOTEL, { purpose: 'Check-in' }, true);
  });
});
