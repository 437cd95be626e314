import { after, test } from 'node:test';
import { requireFreshCode } from './require-fresh-code.ts';
import { openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('requireFreshCode: a code inside its lifetime passes, up to the last millisecond', async () => {
  requireFreshCode(kit.ctx({}, { session: (await kit.session('otp_sent')).session }));
  const c = kit.ctx({});
  c.set('session', (await kit.session('otp_sent', { otpExpiresAt: c.now })).session);
  requireFreshCode(c);
});

test('requireFreshCode: an expired code is otp_expired, and so is no code at all', async () => {
  const stale = (await kit.session('otp_sent', { otpSentAt: Date.now() - 200_000, otpExpiresAt: Date.now() - 1 })).session;
  await refused(() => requireFreshCode(kit.ctx({}, { session: stale })), 'otp_expired');
  await refused(async () => requireFreshCode(kit.ctx({}, { session: (await kit.session('created')).session })), 'otp_expired');
});
