import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, test } from 'node:test';
import { runSteps } from '../flow-context.ts';
import { checkCodeDigest, codeDigest, hashCodeDigest, storeCodeDigest } from './code-digest.ts';
import { issueCode } from './issue-code.ts';
import { keyPerson } from './key-person.ts';
import { lookUpRecord } from './look-up-record.ts';
import { newSession } from './new-session.ts';
import { storeSession } from './store-session.ts';
import { PEOPLE, type Person, openStepKit, refused, type StepKit } from './step-test-kit.ts';

const MAX_PER_SESSION = 3;
const kit = await openStepKit({ maxWrongOtpPerSession: MAX_PER_SESSION });
after(() => kit.close());

/** A session made the way generateOTP makes it: its code stored with the code's digest. */
async function digestSession(k: StepKit, person: Person = PEOPLE.asha) {
  const input: { mobile: string; name: string; origin?: string } = { mobile: person.mobile, name: person.name };
  const c = k.ctx(input, { caller: await k.backend(), client: await k.client() });
  await runSteps(c, [newSession, keyPerson, lookUpRecord, issueCode, storeCodeDigest, storeSession]);
  return { session: await k.reload(c.get('newSession').id), otp: c.get('code').otp };
}

const check = async (id: string, digest: string) => checkCodeDigest(kit.ctx({ otp: digest }, { session: await kit.reload(id) }));
const otherDigest = (otp: string) => codeDigest(otp === '000000' ? '111111' : '000000');

describe('storeCodeDigest', () => {
  test('keeps a keyed hash of sha256(code), bound to the session: not the digest itself', async () => {
    const { session, otp } = await digestSession(kit);
    const digest = codeDigest(otp);
    assert.equal(digest, crypto.createHash('sha256').update(otp).digest('hex'));
    assert.ok(session.otpSha256Hash);
    assert.deepEqual(session.otpSha256Hash, hashCodeDigest(kit.deps.secrets.otpKey, session.id, digest));
    assert.notDeepEqual(session.otpSha256Hash, Buffer.from(digest, 'hex'));
    assert.notDeepEqual(session.otpSha256Hash, hashCodeDigest(kit.deps.secrets.otpKey, 'ses_another', digest));
  });

  test('a /v1 session keeps none', async () => {
    const { session } = await kit.session('otp_sent');
    assert.equal(session.otpSha256Hash, null);
  });
});

describe('checkCodeDigest', () => {
  test('the right digest passes and counts nothing', async () => {
    const { session, otp } = await digestSession(kit);
    await check(session.id, codeDigest(otp));
    assert.equal((await kit.reload(session.id)).failedAttempts, 0);
  });

  test('a wrong digest is counted like a wrong code: otp_invalid with the tries left, then the lock (which clears the stored hashes)', async () => {
    const { session, otp } = await digestSession(kit, PEOPLE.arjun);
    for (let left = MAX_PER_SESSION - 1; left >= 1; left--) {
      const wrong = await refused(() => check(session.id, otherDigest(otp)), 'otp_invalid');
      assert.equal(wrong.details.attempts_left, left);
    }
    await refused(() => check(session.id, otherDigest(otp)), 'otp_locked');
    const locked = await kit.reload(session.id);
    assert.equal(locked.state, 'locked');
    assert.equal(locked.otpHash, null);
    assert.equal(locked.otpSha256Hash, null);
    await refused(() => check(session.id, codeDigest(otp)), 'otp_locked', 'the right digest after the lock');
  });

  test('a session made without a digest takes no digest: each try is a wrong code', async () => {
    const { session, otp } = await kit.session('otp_sent', { person: PEOPLE.ravi });
    await refused(() => check(session.id, codeDigest(otp!)), 'otp_invalid');
  });

  test('the plain code is not a digest: a wiring error, never a pass', async () => {
    const { session, otp } = await digestSession(kit);
    await assert.rejects(() => check(session.id, otp), /wiring/);
    assert.equal((await kit.reload(session.id)).failedAttempts, 0);
  });
});
