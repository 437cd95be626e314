import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { checkCode } from './check-code.ts';
import { DAY, wrongCodesPerMobile } from './locks.ts';
import { PEOPLE, metric, openStepKit, refused, wrongCode, type StepKit } from './step-test-kit.ts';

const MAX_PER_SESSION = 3;
const kit = await openStepKit({ maxWrongOtpPerSession: MAX_PER_SESSION });
const strict = await openStepKit({ maxWrongOtpPerSession: 10, maxWrongOtpPerMobilePerDay: 2 });
const racing = await openStepKit({ maxWrongOtpPerSession: 5, maxWrongOtpPerMobilePerDay: 7 });
after(() => Promise.all([kit.close(), strict.close(), racing.close()]));

const mobileCount = async (k: StepKit, mobile: string) =>
  (await k.deps.counters.peek(wrongCodesPerMobile(k.deps.registry.mobileHash(mobile)), k.limits.maxWrongOtpPerMobilePerDay, DAY)).count;

const check = async (k: StepKit, id: string, otp: string) => checkCode(k.ctx({ otp }, { session: await k.reload(id) }));

describe('checkCode', () => {
  test('the right code passes and counts nothing, against the session or the mobile', async () => {
    const { session, otp } = await kit.session('otp_sent', { person: PEOPLE.meera });
    const before = await mobileCount(kit, PEOPLE.meera.mobile);
    await check(kit, session.id, otp!);
    const stored = await kit.reload(session.id);
    assert.equal(stored.failedAttempts, 0);
    assert.equal(stored.state, 'otp_sent');
    assert.equal(await mobileCount(kit, PEOPLE.meera.mobile), before);
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

  test('20 wrong codes at once over 4 sessions of one mobile: no more compared than the mobile’s 7, the rest otp_locked', async () => {
    const made = await Promise.all(Array.from({ length: 4 }, () => racing.session('otp_sent', { person: PEOPLE.arjun })));
    const volley = made.flatMap(({ session, otp }) => Array.from({ length: 5 }, async () => checkCode(racing.ctx({ otp: wrongCode(otp) }, { session }))));
    const codes = (await Promise.allSettled(volley)).map((o) => (o.status === 'rejected' ? (o.reason as { code?: string }).code : 'passed'));
    // The 7th compared wrong code locks the mobile (a session may lock itself first at its 5th).
    assert.ok(codes.filter((c) => c === 'otp_invalid').length <= 6, codes.join(','));
    assert.equal(codes.filter((c) => c === 'otp_invalid' || c === 'otp_locked').length, 20, codes.join(','));
    const compared = (await Promise.all(made.map(({ session }) => racing.reload(session.id)))).reduce((n, s) => n + s.failedAttempts, 0);
    assert.equal(compared, 7, 'each compared wrong code counted against its session');
    assert.equal(await mobileCount(racing, PEOPLE.arjun.mobile), 7);
    // The citizen's right code is refused too now: the mobile is locked.
    const open = await racing.session('otp_sent', { person: PEOPLE.arjun });
    await refused(() => check(racing, open.session.id, open.otp!), 'otp_locked');
  });
});
