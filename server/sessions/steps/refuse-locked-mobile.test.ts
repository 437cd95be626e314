import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { normaliseMobile } from '../../registry/mobile.ts';
import { runSteps } from '../flow-context.ts';
import { checkCode } from './check-code.ts';
import { keyPerson } from './key-person.ts';
import { refuseLockedMobile } from './refuse-locked-mobile.ts';
import { PEOPLE, type Person, openStepKit, refused, wrongCode } from './step-test-kit.ts';

const kit = await openStepKit({ maxWrongOtpPerSession: 10, maxWrongOtpPerMobilePerDay: 2 });
after(() => kit.close());

/** A wrong code entered on a new session for `person`. */
async function guess(person: Person) {
  const { session, otp } = await kit.session('otp_sent', { person });
  await refused(() => checkCode(kit.ctx({ otp: wrongCode(otp) }, { session })), 'otp_invalid');
}
const sendTo = (person: Person) => runSteps(kit.ctx(person), [keyPerson, refuseLockedMobile]);

describe('refuseLockedMobile', () => {
  test('below the day’s limit of wrong codes a mobile passes; at it, otp_locked with when it lifts, for any name on it', async () => {
    await guess(PEOPLE.asha);
    await sendTo(PEOPLE.asha);
    const { session, otp } = await kit.session('otp_sent', { person: PEOPLE.ravi });
    await refused(() => checkCode(kit.ctx({ otp: wrongCode(otp) }, { session })), 'otp_locked');
    for (const person of [PEOPLE.asha, PEOPLE.meera, { mobile: normaliseMobile('+91 98765 43210')!, name: 'Someone Else' }]) {
      const error = await refused(() => sendTo(person), 'otp_locked', person.name);
      assert.ok(error.details.retry_after! >= 1, `retry_after ${error.details.retry_after}`);
    }
  });

  test('a locked mobile’s existing sessions cannot check codes either; other mobiles go on', async () => {
    // The mobile 9876543210 is locked by the test above (the counter is per mobile, per day).
    const { session } = await kit.session('otp_sent', { person: PEOPLE.meera });
    await refused(() => refuseLockedMobile(kit.ctx({}, { session })), 'otp_locked', 'from the session’s stored mobile');
    await sendTo(PEOPLE.arjun);
    refuseLockedMobile(kit.ctx({}, { session: (await kit.session('otp_sent', { person: PEOPLE.arjun })).session }));
  });

  test('a session with no person yet has no mobile to refuse', async () => {
    await refuseLockedMobile(kit.ctx({}, { session: (await kit.session('created')).session }));
  });
});
