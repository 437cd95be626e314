import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { consentTicketMatches } from '../../consent/ticket.ts';
import type { VerifyOtpResponse } from '../../../protocol/api.ts';
import type { Caller } from '../caller.ts';
import type { Session } from '../session-store.ts';
import { issueTicket } from './issue-ticket.ts';
import { PEOPLE, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

async function ticket(session: Session, caller: Caller = kit.caller()): Promise<VerifyOtpResponse> {
  const c = kit.ctx({}, { session, caller });
  await issueTicket(c);
  return c.answer as VerifyOtpResponse;
}

describe('issueTicket', () => {
  test('the frame gets a ticket and whether the name matched; no status, and the session is verified', async () => {
    const { session } = await kit.session('otp_sent', { person: PEOPLE.asha });
    const answer = await ticket(session);
    assert.deepEqual(Object.keys(answer).sort(), ['consent_ticket', 'name_matched']);
    assert.equal(answer.name_matched, true);
    const stored = await kit.reload(session.id);
    assert.equal(stored.state, 'verified');
    assert.ok(consentTicketMatches(kit.deps.secrets.otpKey, session.id, answer.consent_ticket!, stored.consentTicketHash));
    assert.equal(stored.token, null);
  });

  test('the frame is told when the name matched no one', async () => {
    const { session } = await kit.session('otp_sent', { person: PEOPLE.stranger });
    assert.equal((await ticket(session)).name_matched, false);
  });

  test('a caller with an API key gets the ticket only: neither status nor name_matched', async () => {
    for (const person of [PEOPLE.asha, PEOPLE.stranger]) {
      const { session } = await kit.session('otp_sent', { person });
      const answer = await ticket(session, await kit.backend());
      assert.deepEqual(Object.keys(answer), ['consent_ticket'], person.name);
    }
  });

  test('the session remembers whom the ticket went to: only the frame’s may later correct the name', async () => {
    const frame = await kit.session('otp_sent', { person: PEOPLE.stranger });
    await ticket(frame.session);
    assert.equal((await kit.reload(frame.session.id)).ticketHolder, 'frame');
    const backend = await kit.session('otp_sent', { person: PEOPLE.stranger });
    await ticket(backend.session, await kit.backend());
    assert.equal((await kit.reload(backend.session.id)).ticketHolder, 'backend');
  });

  test('of two concurrent checks of one code, one gets a ticket, the other invalid_state', async () => {
    const { session } = await kit.session('otp_sent');
    const results = await Promise.allSettled([ticket(session), ticket(session)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const lost = results.find((r) => r.status === 'rejected');
    await refused(() => Promise.reject(lost!.reason), 'invalid_state');
  });

  test('a code replaced by a resend meanwhile gives no ticket', async () => {
    const { session } = await kit.session('otp_sent', { otpSentAt: Date.now() - 60_000 });
    await kit.resend(session.id);
    await refused(() => ticket(session), 'invalid_state');
    assert.equal((await kit.reload(session.id)).state, 'otp_sent');
  });
});
