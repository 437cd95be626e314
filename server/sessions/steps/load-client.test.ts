import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loadClient } from './load-client.ts';
import { HOTEL, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('loadClient: the frame works with the session’s verifier, as stored now', async () => {
  const { session } = await kit.session('otp_sent', { clientId: HOTEL });
  await kit.services.clients.setStatus(HOTEL, 'disabled');
  try {
    const c = kit.ctx({}, { session });
    await loadClient(c);
    assert.equal(c.get('client').id, HOTEL);
    assert.equal(c.get('client').status, 'disabled', 'read from the store, so requireActiveClient sees a disabled verifier');
  } finally {
    await kit.services.clients.setStatus(HOTEL, 'active');
  }
});

test('loadClient: a backend works with its API key’s client', async () => {
  const { session } = await kit.session('otp_sent', { clientId: HOTEL });
  const caller = await kit.backend(HOTEL);
  const c = kit.ctx({}, { session, caller });
  await loadClient(c);
  assert.equal(c.get('client'), caller.apiClient);
});
