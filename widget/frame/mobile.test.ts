import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMobile, normaliseMobile } from './mobile.ts';

test('normaliseMobile takes what people type', () => {
  for (const typed of ['9876543210', '98765 43210', '+91 98765 43210', '+919876543210', '919876543210', '09876543210', '98765-43210', '(98765) 43210']) {
    assert.equal(normaliseMobile(typed), '9876543210', typed);
  }
});

test('normaliseMobile refuses what is not an Indian mobile', () => {
  for (const typed of ['', '12345', '5876543210', '98765432101', '+1 98765 43210', '98765abcde', '+91 98765 4321']) {
    assert.equal(normaliseMobile(typed), null, typed);
  }
});

test('formatMobile groups the digits for checking at a glance', () => {
  assert.equal(formatMobile('9876543210'), '+91 98765 43210');
});
