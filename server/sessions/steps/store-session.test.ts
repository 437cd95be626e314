import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { otpMatches } from '../../otp/otp.ts';
import { runSteps } from '../flow-context.ts';
import { issueCode } from './issue-code.ts';
import { keyPerson } from './key-person.ts';
import { lookUpRecord } from './look-up-record.ts';
import { type NewSessionInput, newSession } from './new-session.ts';
import { storeSession } from './store-session.ts';
import { HOTEL, PAGE_ORIGIN, PEOPLE, type Person, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('storeSession: without a person, a created session with no one in it', async () => {
  const c = kit.ctx({ origin: PAGE_ORIGIN }, { client: await kit.client(HOTEL) });
  await runSteps(c, [newSession, storeSession]);
  const stored = await kit.reload(c.get('newSession').id);
  assert.equal(stored.state, 'created');
  assert.equal(stored.origin, PAGE_ORIGIN);
  assert.equal(stored.sends, 0);
  assert.equal(stored.mobileHash, null);
  assert.equal(stored.personFixedBy, null);
});

test('storeSession: with the person, the session and its first code in one write, the person fixed by the backend', async () => {
  const c = kit.ctx<Person & NewSessionInput>(PEOPLE.asha, { caller: await kit.backend(), client: await kit.client() });
  await runSteps(c, [newSession, keyPerson, lookUpRecord, issueCode, storeSession]);
  const stored = await kit.reload(c.get('newSession').id);
  assert.equal(stored.state, 'otp_sent');
  assert.equal(stored.sends, 1);
  assert.equal(stored.personFixedBy, 'backend');
  assert.equal(stored.nameMatched, true);
  assert.equal(stored.vaccinationStatus, 2);
  assert.ok(otpMatches(kit.deps.secrets.otpKey, stored.id, c.get('code').otp, stored.otpHash!));
});
