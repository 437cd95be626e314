import { after, describe, test } from 'node:test';
import { normaliseMobile } from '../../registry/mobile.ts';
import type { Session } from '../session-store.ts';
import { runSteps } from '../flow-context.ts';
import { fixPerson } from './fix-person.ts';
import { keyPerson } from './key-person.ts';
import { PEOPLE, type Person, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

/** As the send-code endpoint gets it: the HTTP layer has normalised the mobile already. */
const asTyped = (mobile: string, name: string): Person => ({ mobile: normaliseMobile(mobile)!, name });
const send = (session: Session, person: Person) => runSteps(kit.ctx(person, { session }), [keyPerson, fixPerson]);

for (const fixedBy of ['backend', 'citizen'] as const) {
  describe(`fixPerson, on a session whose person the ${fixedBy} fixed`, () => {
    test('the same person passes, however the name and number are written', async () => {
      const { session } = await kit.session('otp_sent', { person: PEOPLE.asha, fixedBy });
      await send(session, PEOPLE.asha);
      await send(session, asTyped('+91 98765 43210', 'VERMA asha'));
      await send(session, asTyped('098765-43210', 'Dr. Asha  Verma'));
    });

    test('another name on the same mobile is person_mismatch', async () => {
      const { session } = await kit.session('otp_sent', { person: PEOPLE.asha, fixedBy });
      await refused(() => send(session, PEOPLE.ravi), 'person_mismatch');
      await refused(() => send(session, { mobile: PEOPLE.asha.mobile, name: 'Asha' }), 'person_mismatch', 'part of the name');
    });

    test('the same name on another mobile is person_mismatch', async () => {
      const { session } = await kit.session('otp_sent', { person: PEOPLE.asha, fixedBy });
      await refused(() => send(session, { mobile: PEOPLE.arjun.mobile, name: PEOPLE.asha.name }), 'person_mismatch');
      await refused(() => send(session, PEOPLE.unregistered), 'person_mismatch');
    });
  });
}

test('fixPerson: a session with no code yet takes its first person, whoever it is', async () => {
  const { session } = await kit.session('created');
  await send(session, PEOPLE.arjun);
  await send(session, PEOPLE.unregistered);
});
