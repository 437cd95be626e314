import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { otpMatches } from '../../otp/otp.ts';
import { runSteps } from '../flow-context.ts';
import type { Session } from '../session-store.ts';
import { issueCode } from './issue-code.ts';
import { keyPerson } from './key-person.ts';
import { lookUpRecord } from './look-up-record.ts';
import { storeCode } from './store-code.ts';
import { PEOPLE, type Person, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

/** A code issued for `person` on the session as read, ready to store. */
async function prepared(session: Session, person: Person) {
  const c = kit.ctx(person, { session, client: await kit.client(session.clientId) });
  await runSteps(c, [keyPerson, lookUpRecord, issueCode]);
  return c;
}

describe('storeCode', () => {
  test('the first code fixes the person (by the citizen) and moves the session to otp_sent', async () => {
    const { session } = await kit.session('created');
    const c = await prepared(session, PEOPLE.arjun);
    await storeCode(c);
    const stored = await kit.reload(session.id);
    assert.equal(stored.state, 'otp_sent');
    assert.equal(stored.sends, 1);
    assert.equal(stored.personFixedBy, 'citizen');
    assert.ok(stored.mobileHash!.equals(c.get('person').mobileHash));
    assert.ok(otpMatches(kit.deps.secrets.otpKey, session.id, c.get('code').otp, stored.otpHash!));
  });

  test('a resend replaces the code; a backend-fixed person stays backend-fixed', async () => {
    const { session, otp } = await kit.session('otp_sent', { fixedBy: 'backend' });
    const c = await prepared(session, PEOPLE.asha);
    await storeCode(c);
    const stored = await kit.reload(session.id);
    assert.equal(stored.sends, 2);
    assert.equal(stored.personFixedBy, 'backend');
    assert.ok(otpMatches(kit.deps.secrets.otpKey, session.id, c.get('code').otp, stored.otpHash!));
    assert.ok(!otpMatches(kit.deps.secrets.otpKey, session.id, otp!, stored.otpHash!), 'the old code is gone');
  });

  test('racing sends from one reading of the session: one stored, the other invalid_state', async () => {
    const { session } = await kit.session('otp_sent');
    const both = [await prepared(session, PEOPLE.asha), await prepared(session, PEOPLE.asha)];
    const results = await Promise.allSettled(both.map((c) => storeCode(c)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal((await kit.reload(session.id)).sends, 2);
  });

  test('racing first codes for two people: the first fixes the person, the other is not stored', async () => {
    const { session } = await kit.session('created');
    const asha = await prepared(session, PEOPLE.asha);
    const arjun = await prepared(session, PEOPLE.arjun);
    await storeCode(asha);
    await refused(() => storeCode(arjun), 'invalid_state');
    assert.ok((await kit.reload(session.id)).mobileHash!.equals(asha.get('person').mobileHash));
  });

  test('the store itself refuses a code for another person, even from an up-to-date reading', async () => {
    const { session } = await kit.session('otp_sent', { person: PEOPLE.asha, fixedBy: 'citizen' });
    await refused(async () => storeCode(await prepared(session, PEOPLE.arjun)), 'invalid_state');
    const stored = await kit.reload(session.id);
    assert.equal(stored.sends, 1);
    assert.ok(stored.mobileHash!.equals(kit.deps.registry.mobileHash(PEOPLE.asha.mobile)));
  });

  test('a session past the code step takes no new code', async () => {
    for (const state of ['verified', 'completed', 'denied', 'locked'] as const) {
      const { session } = await kit.session(state);
      await refused(async () => storeCode(await prepared(session, PEOPLE.asha)), 'invalid_state', state);
      assert.equal((await kit.reload(session.id)).state, state);
    }
  });
});
