import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

test('KYCVS_ISSUER_NAME: who runs the service, as the frame names it', () => {
  assert.equal(loadConfig({}).issuerName, 'KYC-VS');
  assert.equal(loadConfig({ KYCVS_DEMO: '1' }).issuerName, 'KYC-VS demo');
  assert.equal(loadConfig({ KYCVS_ISSUER_NAME: '  State Health Agency ' }).issuerName, 'State Health Agency');
  assert.throws(() => loadConfig({ KYCVS_ISSUER_NAME: 'x'.repeat(61) }), /KYCVS_ISSUER_NAME/);
  assert.throws(() => loadConfig({ KYCVS_ISSUER_NAME: 'Agency\u202E' }), /KYCVS_ISSUER_NAME/, 'no control or bidi-override characters');
});
