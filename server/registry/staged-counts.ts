import { MAX_BENEFICIARIES_PER_MOBILE } from './beneficiaries-table.ts';
import type { StagedRows } from './beneficiary-rows.ts';
import { MOBILE_HASH_BYTES } from './mobile-hash.ts';

// Cheap over-counts a bulk load keeps while it stages, so its final transaction looks only at the
// few rows that can matter instead of grouping every staged row. Both over-count, never under-count.

/** Bits of the mobile hash's prefix counted (16 MiB of counters). */
const PREFIX_BITS = 24;

/**
 * Staged rows per 3-byte prefix of the mobile hash, saturating at 255. No mobile has more staged
 * rows than its prefix, so into an empty registry only mobiles under a prefix counting more than
 * MAX_BENEFICIARIES_PER_MOBILE can refuse anything.
 */
export class MobilePrefixCounts {
  readonly #perPrefix = new Uint8Array(1 << PREFIX_BITS);

  add(rows: StagedRows): void {
    const hashes = rows.mobileHashes;
    const perPrefix = this.#perPrefix;
    for (let row = 0, at = 0; row < rows.lines.length; row++, at += MOBILE_HASH_BYTES) {
      const prefix = (hashes[at]! << 16) | (hashes[at + 1]! << 8) | hashes[at + 2]!;
      if (perPrefix[prefix]! < 255) perPrefix[prefix]!++;
    }
  }

  /** The prefixes (3 bytes each) under which some mobile may have more staged rows than the limit. */
  crowdedPrefixes(): Buffer[] {
    const prefixes: Buffer[] = [];
    const perPrefix = this.#perPrefix;
    for (let p = 0; p < perPrefix.length; p++) {
      if (perPrefix[p]! > MAX_BENEFICIARIES_PER_MOBILE) prefixes.push(Buffer.from([p >> 16, (p >> 8) & 0xff, p & 0xff]));
    }
    return prefixes;
  }
}

/** 2^28 bits (32 MiB): about 0.5 % of 10 M distinct ids are taken for repeats. */
const SEEN_BITS = 28;

/**
 * Ids seen more than once among staged rows, or possibly so (a Bloom filter of two hashes): the
 * final transaction keeps each id's last row by looking at the rows of these ids only.
 */
export class RepeatedIds {
  readonly #seen = new Uint32Array(1 << (SEEN_BITS - 5));
  readonly #repeated = new Set<string>();

  add(rows: StagedRows): void {
    const seen = this.#seen;
    const mask = (1 << SEEN_BITS) - 1;
    for (const id of rows.ids) {
      // FNV-1a and a second multiplier over the UTF-16 units: two independent-enough 32-bit hashes.
      let h1 = 0x811c9dc5;
      let h2 = 0x9747b28c;
      for (let i = 0; i < id.length; i++) {
        const c = id.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 0x01000193);
        h2 = Math.imul(h2 ^ c, 0x5bd1e995);
        h2 ^= h2 >>> 13;
      }
      const a = h1 & mask;
      const b = (h2 ^ (h2 >>> 15)) & mask;
      const hasA = (seen[a >>> 5]! >>> (a & 31)) & 1;
      const hasB = (seen[b >>> 5]! >>> (b & 31)) & 1;
      if (hasA & hasB) this.#repeated.add(id);
      seen[a >>> 5]! |= 1 << (a & 31);
      seen[b >>> 5]! |= 1 << (b & 31);
    }
  }

  /** Every id staged more than once (and a few staged once). */
  ids(): string[] {
    return [...this.#repeated];
  }
}
