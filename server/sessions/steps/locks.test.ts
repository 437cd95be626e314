import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { API_ERRORS } from '../../../protocol/api.ts';
import { compareWithinMobileBudget, DAY, lockedError, wrongCodesPerMobile } from './locks.ts';
import { PEOPLE, openStepKit, refused } from './step-test-kit.ts';

const PER_MOBILE = 4;
const kit = await openStepKit({ maxWrongOtpPerMobilePerDay: PER_MOBILE });
after(() => kit.close());

/** A mobile of its own per test: its wrong-code count starts at zero. */
let mobiles = 0;
const freshMobile = () => kit.deps.registry.mobileHash(`9${String(700_000_000 + ++mobiles * 7919).padStart(9, '0')}`);
const countFor = async (mobileHash: Buffer) => (await kit.deps.counters.peek(wrongCodesPerMobile(mobileHash), PER_MOBILE, DAY)).count;

test('lockedError: otp_locked (429) carrying when to retry', () => {
  const error = lockedError(42);
  assert.equal(error.code, 'otp_locked');
  assert.equal(error.status, API_ERRORS.otp_locked);
  assert.equal(error.status, 429);
  assert.equal(error.toBody().retry_after, 42);
});

test('wrongCodesPerMobile: one counter per mobile, shared by every name on it, naming no number', () => {
  const hash = (mobile: string) => kit.deps.registry.mobileHash(mobile);
  assert.equal(wrongCodesPerMobile(hash(PEOPLE.asha.mobile)), wrongCodesPerMobile(hash(PEOPLE.ravi.mobile)));
  assert.notEqual(wrongCodesPerMobile(hash(PEOPLE.asha.mobile)), wrongCodesPerMobile(hash(PEOPLE.arjun.mobile)));
  assert.ok(!wrongCodesPerMobile(hash(PEOPLE.asha.mobile)).includes(PEOPLE.asha.mobile));
});

describe('compareWithinMobileBudget', () => {
  test('a right code is compared and its reserved try given back: the mobile’s count does not move', async () => {
    const mobile = freshMobile();
    await compareWithinMobileBudget(kit.deps, mobile, Date.now(), () => false);
    for (let i = 0; i < 10; i++) assert.equal(await compareWithinMobileBudget(kit.deps, mobile, Date.now(), () => true), null);
    assert.equal(await countFor(mobile), 1);
  });

  test('a wrong code is counted once, and says the count with it in', async () => {
    const mobile = freshMobile();
    for (let i = 1; i <= PER_MOBILE; i++) {
      const decision = await compareWithinMobileBudget(kit.deps, mobile, Date.now(), () => false);
      assert.equal(decision?.count, i);
    }
    assert.equal(await countFor(mobile), PER_MOBILE);
  });

  test('no try left: otp_locked with when it lifts, nothing compared, nothing more counted', async () => {
    const mobile = freshMobile();
    for (let i = 0; i < PER_MOBILE; i++) await compareWithinMobileBudget(kit.deps, mobile, Date.now(), () => false);
    const peeked = await kit.deps.counters.peek(wrongCodesPerMobile(mobile), PER_MOBILE, DAY);
    let compared = 0;
    const error = await refused(() => compareWithinMobileBudget(kit.deps, mobile, Date.now(), () => ++compared > 0), 'otp_locked');
    assert.equal(compared, 0);
    assert.equal(error.details.retry_after, peeked.retryAfter);
    assert.equal(await countFor(mobile), PER_MOBILE);
  });

  test('30 tries at once, right and wrong mixed: at most the limit of wrong ones compared, the right ones use none', async () => {
    const mobile = freshMobile();
    let comparedWrong = 0;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        compareWithinMobileBudget(kit.deps, mobile, Date.now(), () => {
          if (i % 3 === 0) return true;
          comparedWrong++;
          return false;
        }),
      ),
    );
    assert.ok(comparedWrong <= PER_MOBILE, `${comparedWrong} wrong codes compared`);
    assert.equal(await countFor(mobile), comparedWrong);
    for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as { code?: string }).code, 'otp_locked');
  });
});
