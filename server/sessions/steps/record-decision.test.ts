import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { ConsentResponse } from '../../../protocol/api.ts';
import { runSteps } from '../flow-context.ts';
import type { Session } from '../session-store.ts';
import { recordDisclosure, recordRefusal } from './record-decision.ts';
import { signToken } from './sign-token.ts';
import { PEOPLE, metric, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const audit = (id: string) => kit.services.audit.forSession(id);
const disclose = async (session: Session, transition: 'allow' | 'consent_with_code' = 'allow') => {
  const c = kit.ctx({}, { session });
  await runSteps(c, [signToken, recordDisclosure(transition)]);
  return c.answer as ConsentResponse & { token: string; vaccination_status: number };
};
const refuse = async (session: Session) => {
  const c = kit.ctx({}, { session });
  await recordRefusal(c);
  return c.answer;
};

/** Makes every audit insert on the service's connection fail, for the length of `action`. */
async function withAuditDown<T>(action: () => Promise<T>): Promise<T> {
  kit.services.db!.exec(`CREATE TEMP TRIGGER audit_down BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit down'); END`);
  try {
    return await action();
  } finally {
    kit.services.db!.exec('DROP TRIGGER temp.audit_down');
  }
}

describe('recordDisclosure', () => {
  test('allow: the token and the status, after the allow record with that token’s id is written', async () => {
    const { session } = await kit.session('verified', { person: PEOPLE.asha });
    const answer = await disclose(session);
    assert.equal(answer.vaccination_status, 2);
    const stored = await kit.reload(session.id);
    assert.equal(stored.state, 'completed');
    assert.equal(stored.token, answer.token);
    const rows = await audit(session.id);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0], {
      at: rows[0]!.at,
      clientId: session.clientId,
      sessionId: session.id,
      purpose: session.purpose,
      event: 'allow',
      vaccinationStatus: 2,
      subject: session.subject,
      tokenJti: stored.tokenJti,
    });
  });

  test('the state change and the audit record are one transaction: no record, no token', async () => {
    const { session } = await kit.session('verified');
    await assert.rejects(() => withAuditDown(() => disclose(session)), /audit down/);
    const stored = await kit.reload(session.id);
    assert.equal(stored.state, 'verified');
    assert.equal(stored.token, null);
    assert.equal((await audit(session.id)).length, 0);
    // Nothing half-done stands in the way once the audit can be written.
    await disclose(session);
    assert.equal((await audit(session.id)).length, 1);
  });

  test('of two concurrent allows, one wins: one token stored and recorded, the other invalid_state', async () => {
    const { session } = await kit.session('verified');
    const issued = await metric(kit, 'kycvs_tokens_issued_total');
    const results = await Promise.allSettled([disclose(session), disclose(session)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    await refused(() => Promise.reject(results.find((r) => r.status === 'rejected')!.reason), 'invalid_state');
    const stored = await kit.reload(session.id);
    assert.equal(stored.token, won[0]!.value.token);
    const rows = await audit(session.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.tokenJti, stored.tokenJti);
    assert.equal(await metric(kit, 'kycvs_tokens_issued_total'), issued + 1);
  });

  test('allow needs a checked code: from otp_sent it is invalid_state, nothing recorded', async () => {
    const { session } = await kit.session('otp_sent');
    await refused(() => disclose(session), 'invalid_state');
    assert.equal((await kit.reload(session.id)).state, 'otp_sent');
    assert.equal((await audit(session.id)).length, 0);
  });

  test('consent_with_code: from otp_sent with the code just checked, recorded as an allow', async () => {
    const { session } = await kit.session('otp_sent', { person: PEOPLE.ravi });
    const answer = await disclose(session, 'consent_with_code');
    assert.equal(answer.vaccination_status, 1);
    assert.equal((await kit.reload(session.id)).state, 'completed');
    assert.deepEqual((await audit(session.id)).map((r) => [r.event, r.vaccinationStatus]), [['allow', 1]]);
  });

  test('consent_with_code: a code replaced by a resend meanwhile discloses nothing', async () => {
    const { session } = await kit.session('otp_sent', { otpSentAt: Date.now() - 60_000 });
    await kit.resend(session.id);
    await refused(() => disclose(session, 'consent_with_code'), 'invalid_state');
    assert.equal((await kit.reload(session.id)).token, null);
    assert.equal((await audit(session.id)).length, 0);
  });
});

describe('recordRefusal', () => {
  test('deny: the session ends denied, with a deny record that holds no status and no token', async () => {
    const { session } = await kit.session('verified');
    assert.deepEqual(await refuse(session), { denied: true });
    const stored = await kit.reload(session.id);
    assert.equal(stored.state, 'denied');
    assert.equal(stored.token, null);
    const rows = await audit(session.id);
    assert.deepEqual(rows.map((r) => [r.event, r.vaccinationStatus, r.tokenJti]), [['deny', null, null]]);
  });

  test('a decided session cannot be decided again, either way', async () => {
    const denied = await kit.session('denied');
    await refused(() => refuse(denied.session), 'invalid_state');
    await refused(() => disclose(denied.session), 'invalid_state');
    const allowed = await kit.session('completed');
    await refused(() => refuse(allowed.session), 'invalid_state');
    assert.deepEqual((await audit(allowed.session.id)).map((r) => r.event), ['allow']);
  });

  test('the refusal and its record are one transaction', async () => {
    const { session } = await kit.session('verified');
    await assert.rejects(() => withAuditDown(() => refuse(session)), /audit down/);
    assert.equal((await kit.reload(session.id)).state, 'verified');
  });
});
