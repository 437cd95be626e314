import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { OTP_LENGTH } from '../../../protocol/api.ts';
import { otpMatches } from '../../otp/otp.ts';
import { runSteps } from '../flow-context.ts';
import { issueCode } from './issue-code.ts';
import { keyPerson } from './key-person.ts';
import { lookUpRecord } from './look-up-record.ts';
import { HOTEL, PEOPLE, type Person, RAILWAY, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit({ otpTtlSeconds: 180 });
after(() => kit.close());

async function issue(person: Person, clientId = RAILWAY) {
  const { session } = await kit.session('created', { clientId });
  const c = kit.ctx(person, { session, client: await kit.client(clientId) });
  await runSteps(c, [keyPerson, lookUpRecord, issueCode]);
  return { c, session, ...c.get('code') };
}

describe('issueCode', () => {
  test('a fresh 6-digit code, stored only as a hash bound to its session, valid for the OTP lifetime', async () => {
    const { c, session, otp, issue: stored } = await issue(PEOPLE.asha);
    assert.match(otp, new RegExp(`^\\d{${OTP_LENGTH}}$`));
    const key = kit.deps.secrets.otpKey;
    assert.ok(otpMatches(key, session.id, otp, stored.otpHash));
    assert.ok(!otpMatches(key, 'ses_another', otp, stored.otpHash), 'useless in another session');
    assert.ok(!stored.otpHash.toString('latin1').includes(otp));
    assert.equal(stored.sentAt, c.now);
    assert.equal(stored.otpExpiresAt, c.now + 180_000);
  });

  test('keeps what the record says for a matched name: the status and the match', async () => {
    for (const person of [PEOPLE.asha, PEOPLE.ravi, PEOPLE.meera, PEOPLE.arjun]) {
      const { issue: stored } = await issue(person);
      assert.equal(stored.vaccinationStatus, person.status, person.name);
      assert.equal(stored.nameMatched, true, person.name);
    }
  });

  test('a name no one on the mobile has: no match and status 0 (never “not vaccinated” of a real person)', async () => {
    for (const person of [PEOPLE.stranger, PEOPLE.unregistered]) {
      const { issue: stored } = await issue(person);
      assert.equal(stored.nameMatched, false, person.name);
      assert.equal(stored.vaccinationStatus, 0, person.name);
    }
  });

  test('the subject is pairwise: stable for one person and verifier, unlinkable across verifiers and people', async () => {
    const a1 = (await issue(PEOPLE.asha)).issue.subject;
    const a2 = (await issue({ mobile: PEOPLE.asha.mobile, name: 'verma, ASHA' })).issue.subject;
    const aHotel = (await issue(PEOPLE.asha, HOTEL)).issue.subject;
    const ravi = (await issue(PEOPLE.ravi)).issue.subject;
    const stranger = (await issue(PEOPLE.stranger)).issue.subject;
    const stranger2 = (await issue(PEOPLE.stranger)).issue.subject;
    assert.equal(a1, a2);
    assert.notEqual(a1, aHotel);
    assert.notEqual(a1, ravi);
    assert.notEqual(a1, stranger);
    assert.equal(stranger, stranger2, 'an unmatched name gets a pseudonym of its own, stable too');
  });
});
