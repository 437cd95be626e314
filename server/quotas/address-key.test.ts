// Per-address quota keys: IPv4 by address, IPv6 by /64 whatever its spelling, IPv4-mapped IPv6 as
// its IPv4 address, and only ever a keyed hash of that, never the address itself.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { loadSecrets } from '../store/secrets.ts';
import { addressKey, addressParts, deriveAddressKey } from './address-key.ts';

const KEY = crypto.randomBytes(32);
const OTHER_KEY = crypto.randomBytes(32);
const k = (ip: string) => addressKey(ip, KEY);

describe('address keys', () => {
  test('two IPv6 addresses in one /64, spelled differently, share a key', () => {
    const spellings = [
      '2001:db8:85a3:42::1',
      '2001:0db8:85a3:0042:0000:0000:0000:0001',
      '2001:DB8:85A3:42:ffff:ffff:ffff:fffe',
      '2001:db8:85a3:42:1234:5678:9abc:def0',
      '2001:db8:85a3:42::2%eth0',
      '[2001:db8:85a3:42::3]',
      '2001:db8:85a3:42:0:0:1.2.3.4',
      ' 2001:db8:85a3:42::9 ',
    ];
    const keys = new Set(spellings.map(k));
    assert.equal(keys.size, 1, spellings.join(', '));
    assert.deepEqual(addressParts(spellings[0]!), ['6', '2001:db8:85a3:42::/64']);
  });

  test('different /64s give different keys', () => {
    const prefixes = ['2001:db8:85a3:42::1', '2001:db8:85a3:43::1', '2001:db8:85a4:42::1', '2001:db9:85a3:42::1', '::1', '2001:db8:ffff::1', 'fe80::1%lo0'];
    assert.equal(new Set(prefixes.map(k)).size, prefixes.length);
  });

  test('an IPv4-mapped IPv6 address is its IPv4 address; IPv4 counts per address', () => {
    assert.equal(k('::ffff:203.0.113.7'), k('203.0.113.7'));
    assert.equal(k('::FFFF:cb00:7107'), k('203.0.113.7'));
    assert.equal(k('0:0:0:0:0:ffff:203.0.113.7'), k('203.0.113.7'));
    assert.notEqual(k('203.0.113.7'), k('203.0.113.8'));
    // Not mapped: ::203.0.113.7 (deprecated IPv4-compatible) and 64:ff9b::/96 stay IPv6.
    assert.notEqual(k('::203.0.113.7'), k('203.0.113.7'));
  });

  test('the key holds no trace of the address, and is short and URL-safe', () => {
    for (const ip of ['203.0.113.7', '::ffff:203.0.113.7', '2001:db8:85a3:42::1', 'unknown']) {
      const key = k(ip);
      // 128 bits of HMAC in base64url: no '.' or ':' can appear, so no address or prefix text.
      assert.match(key, /^[A-Za-z0-9_-]{22}$/);
      assert.ok(!key.includes(ip));
    }
  });

  test('different secrets give different keys; one secret always gives the same key', () => {
    for (const ip of ['203.0.113.7', '2001:db8::1']) {
      assert.notEqual(addressKey(ip, KEY), addressKey(ip, OTHER_KEY));
      assert.equal(addressKey(ip, KEY), addressKey(ip, Buffer.from(KEY)));
    }
  });

  test('an address keeps its key however many other addresses came between (recent keys are remembered per secret)', () => {
    const first = k('198.51.100.23');
    for (let i = 0; i < 5_000; i++) k(`10.${i >> 8}.${i & 255}.1`);
    assert.equal(k('198.51.100.23'), first);
    assert.equal(addressKey('198.51.100.23', Buffer.from(KEY)), first, 'the same as computed afresh');
    assert.notEqual(addressKey('198.51.100.23', OTHER_KEY), first);
  });

  test('what is not an IP address is hashed in a domain of its own', () => {
    assert.deepEqual(addressParts('unknown'), ['other', 'unknown']);
    assert.notEqual(k('1.2.3.4, 5.6.7.8'), k('1.2.3.4'));
    assert.equal(k('unknown'), k('unknown'));
  });

  test('property: every address of a /64, in random spellings, has the /64 key; a change in the prefix changes it', () => {
    const word = fc.integer({ min: 0, max: 0xffff });
    const spell = (words: number[], upper: boolean, pad: boolean, compress: boolean): string => {
      const parts = words.map((w) => {
        const hex = pad ? w.toString(16).padStart(4, '0') : w.toString(16);
        return upper ? hex.toUpperCase() : hex;
      });
      if (!compress) return parts.join(':');
      // Compress the longest run of zero words (if any) to '::'.
      let best = [-1, 0];
      for (let i = 0; i < 8; i++) {
        let j = i;
        while (j < 8 && words[j] === 0) j++;
        if (j - i > best[1]!) best = [i, j - i];
      }
      if (best[1]! < 2) return parts.join(':');
      return `${parts.slice(0, best[0]).join(':')}::${parts.slice(best[0]! + best[1]!).join(':')}`;
    };
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 4, maxLength: 4 }),
        fc.array(fc.oneof(word, fc.constant(0)), { minLength: 4, maxLength: 4 }),
        fc.array(fc.oneof(word, fc.constant(0)), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        (prefix, hostA, hostB, upper, pad, compress, flip) => {
          // Keep clear of ::ffff:0:0/96 (IPv4-mapped), which is counted as IPv4.
          fc.pre(prefix.some((w) => w !== 0));
          const a = spell([...prefix, ...hostA], upper, pad, compress);
          const b = spell([...prefix, ...hostB], !upper, !pad, !compress);
          assert.equal(k(a), k(b), `${a} vs ${b}`);
          const other = prefix.slice();
          other[flip] = (other[flip]! + 1) & 0xffff;
          fc.pre(other.some((w) => w !== 0));
          assert.notEqual(k(spell([...other, ...hostA], upper, pad, compress)), k(a));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('the address key is derived from the secrets file: stable across restarts, no new entry, its own purpose', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-addr-'));
    try {
      const first = loadSecrets(dir);
      const before = fs.readFileSync(path.join(dir, 'secrets.json'), 'utf8');
      const key = deriveAddressKey(first);
      assert.equal(key.length, 32);
      assert.ok(key.equals(deriveAddressKey(loadSecrets(dir))), 'same key after a restart');
      assert.equal(fs.readFileSync(path.join(dir, 'secrets.json'), 'utf8'), before, 'secrets.json untouched');
      for (const other of Object.values(first)) assert.ok(!key.equals(other));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
