// The over-counts a bulk load decides with: they may take a row for more than it is (costing a
// closer look), never for less (which would write a row upserts would refuse, or lose a repeat).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_BENEFICIARIES_PER_MOBILE } from './beneficiaries-table.ts';
import { MobilePrefixCounts, MobileRowCounts, SeenIds } from './staged-counts.ts';

describe('staged counts', () => {
  test('property: SeenIds tells every id seen before, by its text or by its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 8 }), { maxLength: 200 }), (ids) => {
        const [byText, byBytes] = [new SeenIds(), new SeenIds()];
        const seen = new Set<string>();
        for (const id of ids) {
          const bytes = Buffer.from(id);
          const [a, b] = [byText.see(id), byBytes.seeBytes(bytes, 0, bytes.length)];
          if (seen.has(id)) assert.ok(a && b, `${JSON.stringify(id)} was seen before`);
          seen.add(id);
        }
      }),
    );
  });

  test('SeenIds takes few ids for repeats that are not (1 M distinct ids)', () => {
    const ids = new SeenIds();
    let taken = 0;
    for (let i = 0; i < 1_000_000; i++) if (ids.see(`B${i}`)) taken++;
    assert.ok(taken < 100, `${taken} of 1,000,000 distinct ids taken for repeats`);
  });

  test('property: MobileRowCounts never counts a mobile fewer rows than it had, and MobilePrefixCounts finds every crowded mobile', () => {
    // Few mobiles, some with many rows; hashes are random, so counters are shared by chance only.
    const mobiles = Array.from({ length: 40 }, () => crypto.randomBytes(16));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: mobiles.length - 1 }), { maxLength: 300 }), (rows) => {
        const counts = new MobileRowCounts();
        const prefixes = new MobilePrefixCounts();
        const had = new Map<number, number>();
        for (const m of rows) {
          const before = counts.add(mobiles[m]!, 0);
          prefixes.add(mobiles[m]!, 0);
          assert.ok(before >= Math.min(had.get(m) ?? 0, MAX_BENEFICIARIES_PER_MOBILE + 1));
          had.set(m, (had.get(m) ?? 0) + 1);
        }
        const crowded = new Set(prefixes.crowdedPrefixes().map((p) => p.toString('hex')));
        for (const [m, n] of had) {
          if (n > MAX_BENEFICIARIES_PER_MOBILE) assert.ok(crowded.has(mobiles[m]!.subarray(0, 3).toString('hex')));
        }
      }),
      { numRuns: 50 },
    );
  });
});
