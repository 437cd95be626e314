import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { runSteps } from '../flow-context.ts';
import { keyPerson } from './key-person.ts';
import { lookUpRecord } from './look-up-record.ts';
import { PEOPLE, type Person, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const look = async (person: Person) => {
  const c = kit.ctx(person);
  await runSteps(c, [keyPerson, lookUpRecord]);
  return c.get('record');
};

test('lookUpRecord: the beneficiary on the mobile with that name, and their status', async () => {
  assert.deepEqual(await look(PEOPLE.asha), { registered: true, match: { beneficiaryId: 'DEMO-ASHA', status: 2 } });
  assert.deepEqual(await look({ mobile: PEOPLE.asha.mobile, name: 'VERMA asha' }), { registered: true, match: { beneficiaryId: 'DEMO-ASHA', status: 2 } });
  assert.deepEqual(await look(PEOPLE.ravi), { registered: true, match: { beneficiaryId: 'DEMO-RAVI', status: 1 } });
});

test('lookUpRecord: a registered mobile without that name, and an unregistered mobile', async () => {
  assert.deepEqual(await look(PEOPLE.stranger), { registered: true, match: null });
  assert.deepEqual(await look(PEOPLE.unregistered), { registered: false, match: null });
  assert.deepEqual(await look({ mobile: PEOPLE.arjun.mobile, name: PEOPLE.asha.name }), { registered: true, match: null });
});
