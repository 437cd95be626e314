import { after, test } from 'node:test';
import { requireCitizenFixed } from './require-citizen-fixed.ts';
import { PEOPLE, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('requireCitizenFixed: a name the citizen gave may be corrected', async () => {
  const { session } = await kit.session('verified', { person: PEOPLE.stranger, fixedBy: 'citizen' });
  requireCitizenFixed(kit.ctx({}, { session }));
});

test('requireCitizenFixed: a person the host backend fixed at creation is name_fixed_by_host', async () => {
  const { session } = await kit.session('verified', { person: PEOPLE.stranger, fixedBy: 'backend' });
  await refused(() => requireCitizenFixed(kit.ctx({}, { session })), 'name_fixed_by_host');
});
