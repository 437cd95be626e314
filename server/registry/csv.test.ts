// The one-line CSV reader the registry import uses: RFC 4180 quoting, round-tripping every value
// the CSV writer produces, and refusing lines with broken quotes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { csvField, parseCsvLine } from './csv.ts';

test('quoted fields keep commas and doubled quotes; empty fields stay', () => {
  assert.deepEqual(parseCsvLine('B1,"Verma, Asha","say ""hi""",,x'), ['B1', 'Verma, Asha', 'say "hi"', '', 'x']);
  assert.deepEqual(parseCsvLine(',,'), ['', '', '']);
  assert.deepEqual(parseCsvLine('""'), ['']);
  assert.deepEqual(parseCsvLine('"a",'), ['a', '']);
});

test('broken quoting is refused (null), never guessed', () => {
  for (const line of ['"abc', 'a,"b', '"a"b,c', 'a,"b""', '"']) assert.equal(parseCsvLine(line), null, line);
});

test('property: what csvField writes, parseCsvLine reads back exactly', () => {
  const field = fc.string({ unit: fc.constantFrom('a', 'Z', '9', ' ', ',', '"', 'é', 'आ', '\t'), maxLength: 12 });
  fc.assert(
    fc.property(fc.array(field, { minLength: 1, maxLength: 8 }), (fields) => {
      assert.deepEqual(parseCsvLine(fields.map(csvField).join(',')), fields);
    }),
    { numRuns: 500 },
  );
});
