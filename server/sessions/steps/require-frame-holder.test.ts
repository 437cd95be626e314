import { after, test } from 'node:test';
import { requireFrameHolder } from './require-frame-holder.ts';
import { PEOPLE, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('requireFrameHolder: the frame that entered the code passes', async () => {
  const { session } = await kit.session('verified', { person: PEOPLE.stranger, fixedBy: 'citizen' });
  requireFrameHolder(kit.ctx({}, { session }));
});

test('requireFrameHolder: a caller with an API key is refused, even on a ticket the frame holds', async () => {
  const { session } = await kit.session('verified', { person: PEOPLE.stranger, fixedBy: 'citizen' });
  await refused(async () => requireFrameHolder(kit.ctx({}, { session, caller: await kit.backend() })), 'forbidden');
});

test('requireFrameHolder: a ticket a host backend got with its key is refused without the key too', async () => {
  const { session } = await kit.session('verified', { person: PEOPLE.stranger, fixedBy: 'citizen', ticketHolder: 'backend' });
  await refused(() => requireFrameHolder(kit.ctx({}, { session })), 'forbidden');
});
