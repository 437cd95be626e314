import { after, test } from 'node:test';
import { requireActiveClient } from './require-active-client.ts';
import { openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('requireActiveClient: an active verifier passes; a disabled one is client_disabled, and passes again once re-enabled', async () => {
  const { client } = await kit.services.clients.create({ id: 'test-shop', name: 'Test Shop', purpose: 'Entry', allowedOrigins: [] });
  requireActiveClient(kit.ctx({}, { client }));
  const disabled = await kit.services.clients.setStatus(client.id, 'disabled');
  await refused(() => requireActiveClient(kit.ctx({}, { client: disabled })), 'client_disabled');
  requireActiveClient(kit.ctx({}, { client: await kit.services.clients.setStatus(client.id, 'active') }));
});
