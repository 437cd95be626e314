// The fast mobile hash must be byte for byte the service's keyed hash: rows written by a bulk
// import are looked up by the server with the other implementation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { keyedHash } from '../store/secrets.ts';
import { MOBILE_HASH_BYTES, MobileHasher } from './mobile-hash.ts';

const reference = (key: Buffer, mobile: string) => keyedHash(key, 'mobile', mobile).subarray(0, MOBILE_HASH_BYTES);

test('equals keyedHash(key, "mobile", m) cut to 16 bytes for mobiles, any string and any key', () => {
  const mobile = fc.stringMatching(/^[6-9]\d{9}$/);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.oneof(mobile, fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'binary', minLength: 10, maxLength: 10 })), (key, m) => {
      const k = Buffer.from(key);
      const hasher = new MobileHasher(k);
      assert.deepEqual(hasher.hash(m), reference(k, m));
      assert.deepEqual(hasher.hash(m), reference(k, m), 'the same again: no state leaks between calls');
    }),
    { numRuns: 2000 },
  );
});

test('messages at the one-block boundary (55 and 56 bytes) agree', () => {
  const key = Buffer.alloc(32, 7);
  const hasher = new MobileHasher(key);
  for (let n = 30; n <= 60; n++) assert.deepEqual(hasher.hash('9'.repeat(n)), reference(key, '9'.repeat(n)), `length ${n}`);
});

test('hashInto writes the same 16 bytes at any offset, leaving the rest of the buffer alone', () => {
  const hasher = new MobileHasher(Buffer.alloc(32, 5));
  fc.assert(
    fc.property(fc.oneof(fc.stringMatching(/^[6-9]\d{9}$/), fc.string({ maxLength: 80 })), fc.integer({ min: 0, max: 48 }), (m, offset) => {
      const out = Buffer.alloc(64, 0xaa);
      hasher.hashInto(m, out, offset);
      assert.deepEqual(out.subarray(offset, offset + MOBILE_HASH_BYTES), hasher.hash(m));
      assert.ok(out.subarray(0, offset).every((b) => b === 0xaa) && out.subarray(offset + MOBILE_HASH_BYTES).every((b) => b === 0xaa));
    }),
    { numRuns: 500 },
  );
});
