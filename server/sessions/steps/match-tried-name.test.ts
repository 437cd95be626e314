import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { nameKey } from '../../registry/names.ts';
import { sessionNameHash } from './key-person.ts';
import { matchTriedName } from './match-tried-name.ts';
import { PEOPLE, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const correctable = { person: PEOPLE.stranger, fixedBy: 'citizen' } as const;

test('matchTriedName: a name spelled another way finds the person on the session’s mobile', async () => {
  const { session } = await kit.session('verified', correctable);
  const c = kit.ctx({ name: 'Smt.  VERMA, asha' }, { session });
  await matchTriedName(c);
  assert.equal(c.get('triedName').nameKey, nameKey(PEOPLE.asha.name));
  assert.ok(c.get('triedName').nameHash.equals(sessionNameHash(kit.deps.secrets.otpKey, nameKey(PEOPLE.asha.name))));
  assert.deepEqual(c.get('record').match, { beneficiaryId: 'DEMO-ASHA', status: 2 });
});

test('matchTriedName: a name on another mobile, or one letter off, matches no one here', async () => {
  const { session } = await kit.session('verified', correctable);
  for (const name of [PEOPLE.arjun.name, 'Asha Varma']) {
    const c = kit.ctx({ name }, { session });
    await matchTriedName(c);
    assert.equal(c.get('record').match, null, name);
    assert.equal(c.get('record').registered, true, name);
  }
});
