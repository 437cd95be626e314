import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFrameEvent, isReadyMessage, readInitMessage } from './messages.ts';

test('ready: only the exact type at version 1', () => {
  assert.equal(isReadyMessage({ type: 'kycvs:ready', v: 1 }), true);
  assert.equal(isReadyMessage({ type: 'kycvs:ready', v: 2 }), false);
  assert.equal(isReadyMessage({ type: 'kycvs:ready' }), false);
  assert.equal(isReadyMessage('kycvs:ready'), false);
  assert.equal(isReadyMessage(null), false);
});

test('init: keeps known string options only, and nothing oversized', () => {
  const options = readInitMessage({
    type: 'kycvs:init',
    v: 1,
    options: { sessionId: 'ses_1', nonce: 'n', name: 'Asha', mobile: 42, lang: 'hi', accent: 'x'.repeat(201), evil: 'y' },
  });
  assert.deepEqual(options, { sessionId: 'ses_1', nonce: 'n', name: 'Asha', lang: 'hi' });
  assert.equal(readInitMessage({ type: 'kycvs:init', v: 1 }), null);
  assert.equal(readInitMessage({ type: 'kycvs:init', v: 0, options: {} }), null);
  assert.equal(readInitMessage({ type: 'kycvs:ready', v: 1, options: {} }), null);
});

test('frame events: each type with valid fields, nothing else', () => {
  const valid = [
    { type: 'kycvs:resize', v: 1, height: 420 },
    { type: 'kycvs:result', v: 1, token: 'a.b.c', status: 0 },
    { type: 'kycvs:result', v: 1, token: 'a.b.c', status: 2 },
    { type: 'kycvs:error', v: 1, code: 'expired' },
    { type: 'kycvs:deny', v: 1 },
    { type: 'kycvs:cancel', v: 1 },
    { type: 'kycvs:close', v: 1 },
  ];
  for (const event of valid) assert.equal(isFrameEvent(event), true, JSON.stringify(event));
  const invalid = [
    { type: 'kycvs:resize', v: 1, height: -1 },
    { type: 'kycvs:resize', v: 1, height: '420' },
    { type: 'kycvs:result', v: 1, token: 'a.b.c', status: 3 },
    { type: 'kycvs:result', v: 1, status: 2 },
    { type: 'kycvs:error', v: 1, code: 'cancelled' },
    { type: 'kycvs:deny', v: 2 },
    { type: 'kycvs:ready', v: 1 },
    { type: 'kycvs:init', v: 1, options: {} },
    null,
    'kycvs:cancel',
  ];
  for (const event of invalid) assert.equal(isFrameEvent(event), false, JSON.stringify(event));
});
