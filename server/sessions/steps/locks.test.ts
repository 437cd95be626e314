import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { API_ERRORS } from '../../../protocol/api.ts';
import { lockedError, wrongCodesPerMobile } from './locks.ts';
import { PEOPLE, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

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
