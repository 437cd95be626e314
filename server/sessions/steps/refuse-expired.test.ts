import { after, test } from 'node:test';
import { refuseExpired } from './refuse-expired.ts';
import { openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const past = () => ({ createdAt: Date.now() - 700_000, expiresAt: Date.now() - 1000 });

test('refuseExpired: a live session passes; past its expiry it is session_expired, in every live state', async () => {
  refuseExpired(kit.ctx({}, { session: (await kit.session('otp_sent')).session }));
  for (const state of ['created', 'otp_sent', 'verified', 'locked'] as const) {
    const { session } = await kit.session(state, past());
    await refused(() => refuseExpired(kit.ctx({}, { session })), 'session_expired', state);
  }
});

test('refuseExpired: the expiry instant itself is expired', async () => {
  const c = kit.ctx({});
  const { session } = await kit.session('otp_sent', { expiresAt: c.now });
  c.set('session', session);
  await refused(() => refuseExpired(c), 'session_expired');
});

test('refuseExpired: an ended session keeps its outcome after the expiry', async () => {
  for (const state of ['completed', 'denied'] as const) {
    const { session } = await kit.session(state, past());
    refuseExpired(kit.ctx({}, { session }));
  }
});
