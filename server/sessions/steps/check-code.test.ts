import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { checkCode } from './check-code.ts';
import { PEOPLE, metric, openStepKit, refused, wrongCode, type StepKit } from './step-test-kit.ts';

const MAX_PER_SESSION = 3;
const kit = await openStepKit({ maxWrongOtpPerSession: MAX_PER_SESSION });
const strict = await openStepKit({ maxWrongOtpPerSession: 10, maxWrongOtpPerMobilePerDay: 2 });
after(() => Promise.all([kit.close(), strict.close()]));

const check = async (k: StepKit, id: string, otp: string) => checkCode(k.ctx({ otp }, { session: await k.reload(id) }));

describe('checkCode', () => {
  test('the right code passes and counts nothing', async () => {
    const { session, otp } = await kit.session('otp_sent');
    await check(kit, session.id, otp!);
    const stored = await kit.reload(session.id);
    assert.equal(stored.failedAttempts, 0);
    assert.equal(stored.state, 'otp_sent');
  });

  test('a wrong code is otp_invalid with the tries left, counted against the session', async () => {
    const { session, otp } = await kit.session('otp_sent', { person: PEOPLE.arjun });
    const first = await refused(() => check(kit, session.id, wrongCode(otp)), 'otp_invalid');
    assert.equal(first.details.attempts_left, MAX_PER_SESSION - 1);
    const second = await refused(() => check(kit, session.id, wrongCode(otp)), 'otp_invalid');
    assert.equal(second.details.attempts_left, MAX_PER_SESSION - 2);
    assert.equal((await kit.reload(session.id)).failedAttempts, 2);
  });

  test('the last allowed wrong code locks the session until it expires; then even the right code is refused', async () => {
    const { session, otp } = await kit.session('otp_sent', { person: PEOPLE.arjun });
    const lockedBefore = await metric(kit, 'kycvs_otp_failures_total', { locked: 'true' });
    for (let i = 1; i < MAX_PER_SESSION; i++) await refused(() => check(kit, session.id, wrongCode(otp)), 'otp_invalid');
    const locked = await refused(() => check(kit, session.id, wrongCode(otp)), 'otp_locked');
    const retryAfter = locked.details.retry_after!;
    const untilExpiry = Math.ceil((session.expiresAt - Date.now()) / 1000);
    assert.ok(retryAfter >= 1 && retryAfter <= untilExpiry + 1, `retry_after ${retryAfter}, session expires in ${untilExpiry}s`);
    assert.equal((await kit.reload(session.id)).state, 'locked');
    assert.equal(await metric(kit, 'kycvs_otp_failures_total', { locked: 'true' }), lockedBefore + 1);
    await refused(() => check(kit, session.id, otp!), 'otp_locked', 'right code after the lock');
  });

  test('wrong codes count against the mobile across sessions: at the day’s limit the mobile is locked, other mobiles are not', async () => {
    const a = await strict.session('otp_sent', { person: PEOPLE.asha });
    const b = await strict.session('otp_sent', { person: PEOPLE.ravi }); // the same mobile, another name
    const other = await strict.session('otp_sent', { person: PEOPLE.arjun });
    await refused(() => check(strict, a.session.id, wrongCode(a.otp)), 'otp_invalid');
    const locked = await refused(() => check(strict, b.session.id, wrongCode(b.otp)), 'otp_locked');
    assert.ok(locked.details.retry_after! >= 1, 'the mobile’s lock says when it lifts');
    assert.ok(locked.details.retry_after! <= 86_400 * 1.1, `within about a day: ${locked.details.retry_after}`);
    // The session itself is not at its own limit: it is the mobile that is locked.
    assert.equal((await strict.reload(b.session.id)).failedAttempts, 1);
    await refused(() => check(strict, other.session.id, wrongCode(other.otp)), 'otp_invalid', 'another mobile');
  });
});
