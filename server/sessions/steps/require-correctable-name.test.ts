import { after, test } from 'node:test';
import { NAME_TRIES_PER_SESSION } from '../../../protocol/api.ts';
import { requireCorrectableName } from './require-correctable-name.ts';
import { PEOPLE, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const correctable = { person: PEOPLE.stranger, fixedBy: 'citizen' } as const;

test('requireCorrectableName: a name that matched no one, with tries left, may be corrected', async () => {
  const { session } = await kit.session('verified', correctable);
  requireCorrectableName(kit.ctx({}, { session }));
  requireCorrectableName(kit.ctx({}, { session: { ...session, nameTries: NAME_TRIES_PER_SESSION - 1 } }));
});

test('requireCorrectableName: after the last try, name_tries_exhausted', async () => {
  const { session } = await kit.session('verified', correctable);
  await refused(() => requireCorrectableName(kit.ctx({}, { session: { ...session, nameTries: NAME_TRIES_PER_SESSION } })), 'name_tries_exhausted');
});

test('requireCorrectableName: a name that already matches has nothing to correct', async () => {
  const { session } = await kit.session('verified', { person: PEOPLE.asha, fixedBy: 'citizen' });
  await refused(() => requireCorrectableName(kit.ctx({}, { session })), 'invalid_state');
});
