// Mobile numbers as people type them normalise to the 10 national digits; anything that cannot
// be an Indian mobile number is refused. Examples, then properties.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { normaliseMobile } from './mobile.ts';

describe('normaliseMobile', () => {
  test('common ways of writing one number all give its 10 digits', () => {
    for (const typed of ['9876543210', '+919876543210', '+91 98765 43210', '+91-98765-43210', '919876543210', '09876543210', '(+91) 98765 43210', '98765.43210', ' 98765 43210 ']) {
      assert.equal(normaliseMobile(typed), '9876543210', typed);
    }
  });

  test('what cannot be an Indian mobile number is refused', () => {
    for (const typed of ['', '12345', '5876543210', '0876543210', '98765432101', '+92 98765 43210', '+1 987 654 3210', '98765abcde', '９８７６５４３２１０', '9876543210x', `${' '.repeat(30)}9876543210`, '++919876543210', '0919876543210']) {
      assert.equal(normaliseMobile(typed), null, JSON.stringify(typed));
    }
  });

  const mobile = fc.tuple(fc.constantFrom('6', '7', '8', '9'), fc.stringMatching(/^\d{9}$/)).map(([a, b]) => a + b);

  test('property: any formatting of a valid number (prefix, spaces, dashes, dots, brackets) normalises back to it', () => {
    fc.assert(
      fc.property(
        mobile,
        fc.constantFrom('', '+91', '+91 ', '91', '0', '(+91) ', '+91-'),
        fc.array(fc.constantFrom(' ', '-', '.', ''), { minLength: 10, maxLength: 10 }),
        (digits, prefix, gaps) => {
          const body = [...digits].map((d, i) => d + (i < 9 ? gaps[i] : '')).join('');
          const typed = prefix + body;
          fc.pre(typed.length <= 32);
          assert.equal(normaliseMobile(typed), digits, typed);
        },
      ),
    );
  });

  test('property: whatever the input, the answer is null or 10 digits starting 6-9', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[+\d ()-]{0,20}$/)), (typed) => {
        const out = normaliseMobile(typed);
        assert.ok(out === null || /^[6-9]\d{9}$/.test(out), `${JSON.stringify(typed)} → ${out}`);
      }),
      { numRuns: 500 },
    );
  });
});
