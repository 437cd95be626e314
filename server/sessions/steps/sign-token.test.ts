import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { ISSUER, PEOPLE, openStepKit } from './step-test-kit.ts';
import { signToken } from './sign-token.ts';

const kit = await openStepKit();
after(() => kit.close());

test('signToken: a token a verifier checks with the published keys, for this verifier, session, nonce and status', async () => {
  const { session } = await kit.session('verified', { person: PEOPLE.ravi, nonce: 'n-7' });
  const c = kit.ctx({}, { session });
  await signToken(c);
  const issued = c.get('token');
  const jwks = createLocalJWKSet({ keys: await kit.services.keys.publicKeys() });
  const { payload } = await jwtVerify(issued.token, jwks, { issuer: ISSUER, audience: session.clientId });
  assert.equal(payload.sub, session.subject);
  assert.equal(payload.txn, session.id);
  assert.equal(payload.nonce, 'n-7');
  assert.equal(payload.vaccination_status, 1);
  assert.equal(payload.jti, issued.jti);
  assert.doesNotMatch(JSON.stringify(payload), /9876543210|ravi|verma|covaxin/i, 'nothing of the person');
  await assert.rejects(() => jwtVerify(issued.token, jwks, { issuer: ISSUER, audience: 'demo-hotel' }), 'not for another verifier');
});

test('signToken: signing stores and discloses nothing (recordDisclosure does, if it wins)', async () => {
  const { session } = await kit.session('verified');
  await signToken(kit.ctx({}, { session }));
  const stored = await kit.reload(session.id);
  assert.equal(stored.state, 'verified');
  assert.equal(stored.token, null);
  assert.equal((await kit.services.audit.forSession(session.id)).length, 0);
});
