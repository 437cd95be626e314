import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFor } from './format.ts';

// Local dates (the test's own time zone), as the frame sees the citizen's clock.
const now = new Date(2025, 2, 1, 12, 39, 50);
const inSeconds = (s: number) => new Date(now.getTime() + s * 1000);

test('clock: the wait as a local time, rounded up to the minute, never early', () => {
  const en = formatFor('en');
  assert.match(en.clock(inSeconds(37), now), /^12:41\sPM$/, '12:40:27 → after 12:41');
  assert.match(en.clock(inSeconds(10), now), /^12:40\sPM$/, 'exactly 12:40:00');
  assert.match(en.clock(inSeconds(3600), now), /^1:40\sPM$/);
});

test('clock: the date too when the time is not today', () => {
  assert.match(formatFor('en').clock(inSeconds(86_400), now), /^Mar 2, 12:40\sPM$/);
  assert.match(formatFor('hi').clock(inSeconds(86_400), now), /^2 मार्च, 12:40\s?(pm|PM|अपराह्न)$/);
});

test('numbers in the locale’s own digits (Intl)', () => {
  assert.equal(formatFor('en').number(4), '4');
  assert.equal(formatFor('bn').number(4), '৪');
  assert.equal(formatFor('mr').number(12), '१२');
  assert.equal(formatFor('en').minutesSeconds(125), '2:05');
  assert.equal(formatFor('bn').minutesSeconds(65), '১:০৫');
  assert.equal(formatFor('en'), formatFor('en'), 'made once per language');
});
