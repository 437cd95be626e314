import { after, test } from 'node:test';
import { requireMatch } from './require-match.ts';
import { PEOPLE, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('requireMatch: a matched person’s status may be shared, whatever it is (status 0 included)', async () => {
  for (const person of [PEOPLE.asha, PEOPLE.meera]) {
    requireMatch(kit.ctx({}, { session: (await kit.session('verified', { person })).session }));
  }
});

test('requireMatch: a name that matched no one, or no person yet, is name_not_matched', async () => {
  for (const person of [PEOPLE.stranger, PEOPLE.unregistered]) {
    const { session } = await kit.session('verified', { person });
    await refused(() => requireMatch(kit.ctx({}, { session })), 'name_not_matched', person.name);
  }
  await refused(async () => requireMatch(kit.ctx({}, { session: (await kit.session('created')).session })), 'name_not_matched', 'created');
});
