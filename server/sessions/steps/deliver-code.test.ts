import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { runSteps } from '../flow-context.ts';
import { deliverCode } from './deliver-code.ts';
import { issueCode } from './issue-code.ts';
import { keyPerson } from './key-person.ts';
import { lookUpRecord } from './look-up-record.ts';
import { newSession } from './new-session.ts';
import { ISSUER, PAGE_ORIGIN, PEOPLE, type Person, metric, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit({ maxSendsPerSession: 3, otpTtlSeconds: 180, resendAfterSeconds: 30 });
after(() => kit.close());

const outbox = (mobile: string) => kit.services.outbox!.list(mobile);

/** The first code of a new session for `person`, as CREATE_WITH_CODE makes it. */
async function firstCode(person: Person, origin?: string) {
  const c = kit.ctx({ ...person, origin }, { caller: await kit.backend(), client: await kit.client() });
  await runSteps(c, [newSession, keyPerson, lookUpRecord, issueCode, deliverCode]);
  await kit.services.sms.drain();
  return c;
}

describe('deliverCode', () => {
  test('a registered mobile gets the code, with who asks and why', async () => {
    const before = outbox(PEOPLE.arjun.mobile).length;
    const c = await firstCode(PEOPLE.arjun);
    const texts = outbox(PEOPLE.arjun.mobile);
    assert.equal(texts.length, before + 1);
    const { text } = texts[0]!;
    assert.ok(text.includes(c.get('code').otp), text);
    assert.ok(text.includes('Demo Railways'), text);
    assert.ok(text.includes(c.get('newSession').purpose), text);
    assert.ok(text.endsWith(`@${new URL(ISSUER).host} #${c.get('code').otp}`), text);
  });

  test('a widget session’s text binds the code to the page and the service (WebOTP)', async () => {
    const c = await firstCode(PEOPLE.arjun, PAGE_ORIGIN);
    const { text } = outbox(PEOPLE.arjun.mobile)[0]!;
    assert.ok(text.endsWith(`@localhost:8081 #${c.get('code').otp} @${new URL(ISSUER).host}`), text);
  });

  test('an unregistered mobile gets no text, and the caller the very same answer', async () => {
    const sentBefore = await metric(kit, 'kycvs_otp_requests_total');
    const registered = await firstCode(PEOPLE.asha);
    const unregistered = await firstCode(PEOPLE.unregistered);
    assert.equal(outbox(PEOPLE.unregistered.mobile).length, 0);
    assert.deepEqual(unregistered.get('codeSent'), registered.get('codeSent'));
    assert.deepEqual(registered.get('codeSent'), { expires_in: 180, resend_after: 30, sends_left: 2 });
    assert.equal(await metric(kit, 'kycvs_otp_requests_total'), sentBefore + 2, 'counted alike');
  });

  test('a resend counts down the sends left', async () => {
    const { session } = await kit.session('otp_sent', { person: PEOPLE.arjun });
    const c = kit.ctx(PEOPLE.arjun, { session, client: await kit.client() });
    await runSteps(c, [keyPerson, lookUpRecord, issueCode, deliverCode]);
    assert.equal(c.get('codeSent').sends_left, 1);
  });
});
