import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { MAX_NAMES_PER_MOBILE, type MembersResponse } from '../../../protocol/api.ts';
import { MAX_BENEFICIARIES_PER_MOBILE } from '../../registry/beneficiaries-table.ts';
import { respondNames } from './respond-names.ts';
import { PEOPLE, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('respondNames: the names on the session’s mobile, as registered, and nothing else', async () => {
  const { session } = await kit.session('verified', { person: PEOPLE.stranger, fixedBy: 'citizen' });
  const c = kit.ctx({}, { session });
  await respondNames(c);
  const answer = c.answer as MembersResponse;
  assert.deepEqual(answer, { names: ['Asha Verma', 'Meera Verma', 'Ravi Verma'] });
  assert.doesNotMatch(JSON.stringify(answer), /DEMO-|COVISHIELD|COVAXIN|2021|status/);
});

test('respondNames: the longest list the frame makes room for is the most a mobile can hold', () => {
  assert.equal(MAX_NAMES_PER_MOBILE, MAX_BENEFICIARIES_PER_MOBILE);
});
