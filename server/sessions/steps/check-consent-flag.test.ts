import { after, test } from 'node:test';
import { checkConsentFlag } from './check-consent-flag.ts';
import { openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('checkConsentFlag: only a host backend may say its app collected the code (consent: true)', async () => {
  await refused(() => checkConsentFlag(kit.ctx({ consent: true }, { caller: kit.caller() })), 'forbidden', 'the frame');
  checkConsentFlag(kit.ctx({ consent: false }, { caller: kit.caller() }));
  checkConsentFlag(kit.ctx({ consent: true }, { caller: await kit.backend() }));
});
