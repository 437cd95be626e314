import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { requireApiKey } from './require-api-key.ts';
import { openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('requireApiKey: the frame cannot read a session (unauthorized)', async () => {
  await refused(() => requireApiKey(kit.ctx({}, { caller: kit.caller() })), 'unauthorized');
});

test('requireApiKey: a backend reads as its own client', async () => {
  const caller = await kit.backend();
  const c = kit.ctx({}, { caller });
  requireApiKey(c);
  assert.equal(c.get('client'), caller.apiClient);
});
