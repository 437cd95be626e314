import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { checkSends } from './check-sends.ts';
import { openStepKit, refused } from './step-test-kit.ts';

const MAX_SENDS = 2;
const kit = await openStepKit({ maxSendsPerSession: MAX_SENDS, resendAfterSeconds: 30 });
after(() => kit.close());

const check = async (id: string) => checkSends(kit.ctx({}, { session: await kit.reload(id) }));
const longAgo = () => Date.now() - 31_000;

describe('checkSends', () => {
  test('a session with no code yet may send one', async () => {
    const { session } = await kit.session('created');
    await check(session.id);
  });

  test('a resend inside the wait is resend_too_soon with the seconds left', async () => {
    const { session } = await kit.session('otp_sent');
    const error = await refused(() => check(session.id), 'resend_too_soon');
    const wait = error.details.retry_after!;
    assert.ok(wait >= 1 && wait <= 30, `retry_after ${wait}`);
  });

  test('once the wait is over a resend may go', async () => {
    const { session } = await kit.session('otp_sent', { otpSentAt: longAgo() });
    await check(session.id);
  });

  test('after the session’s last send, no more: send_limit_reached, however long one waits', async () => {
    const { session } = await kit.session('otp_sent', { otpSentAt: longAgo() });
    await kit.resend(session.id);
    const stored = await kit.reload(session.id);
    assert.equal(stored.sends, MAX_SENDS);
    // Even with the last code long ago.
    await refused(() => checkSends(kit.ctx({}, { session: { ...stored, otpSentAt: longAgo() } })), 'send_limit_reached');
  });
});
