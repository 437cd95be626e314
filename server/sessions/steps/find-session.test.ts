import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Caller } from '../caller.ts';
import { findSession } from './find-session.ts';
import { HOTEL, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const find = async (sessionId: string, caller: Caller = kit.caller()) => {
  const c = kit.ctx({}, { caller, sessionId });
  await findSession(c);
  return c.get('session');
};

test('findSession: the frame (holder of the id) and the owner’s backend find the session', async () => {
  const { session } = await kit.session('otp_sent');
  assert.equal((await find(session.id)).id, session.id);
  assert.equal((await find(session.id, await kit.backend())).id, session.id);
});

test('findSession: another verifier’s key gets exactly what a missing session gets', async () => {
  const { session } = await kit.session('otp_sent');
  const theirs = await refused(async () => find(session.id, await kit.backend(HOTEL)), 'session_not_found');
  const missing = await refused(() => find('ses_' + 'x'.repeat(24)), 'session_not_found');
  assert.equal(theirs.message, missing.message);
});

test('findSession: ids that are not session ids are not looked up', async () => {
  for (const id of ['', 'ses_short', `ses_${'a'.repeat(24)}'--`, '../../etc/passwd']) {
    await refused(() => find(id), 'session_not_found', JSON.stringify(id));
  }
});
