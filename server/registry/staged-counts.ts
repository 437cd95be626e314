import { MAX_BENEFICIARIES_PER_MOBILE } from './beneficiaries-table.ts';

// Cheap over-counts a bulk load keeps of the rows it stages, so that it looks only at the few rows
// that can matter instead of grouping every staged row. They over-count, never under-count; the
// two the parsing threads keep (MobilePrefixCounts, SeenIds) also with both threads counting at
// once: they live in shared memory, and each row is counted by an atomic operation.

/** Bits of the mobile hash's prefix counted (16 MiB of counters). */
const PREFIX_BITS = 24;
/** Counts stop here: only "more than MAX_BENEFICIARIES_PER_MOBILE" is ever asked. */
const SATURATED = MAX_BENEFICIARIES_PER_MOBILE + 1;

/**
 * Staged rows per 3-byte prefix of the mobile hash. No mobile has more staged rows than its
 * prefix, so into an empty registry only mobiles under a prefix counting more than
 * MAX_BENEFICIARIES_PER_MOBILE can refuse anything.
 */
export class MobilePrefixCounts {
  /** The counters, shared with the parsing threads. */
  readonly buffer: SharedArrayBuffer;
  readonly #perPrefix: Uint8Array;

  constructor(buffer = new SharedArrayBuffer(1 << PREFIX_BITS)) {
    this.buffer = buffer;
    this.#perPrefix = new Uint8Array(buffer);
  }

  /** Counts a row whose mobile hash is hashes[at ..]. */
  add(hashes: Uint8Array, at: number): void {
    const perPrefix = this.#perPrefix;
    const prefix = (hashes[at]! << 16) | (hashes[at + 1]! << 8) | hashes[at + 2]!;
    // Compare-and-swap up to the saturation point: another thread may count the same prefix meanwhile.
    let count = Atomics.load(perPrefix, prefix);
    while (count < SATURATED) {
      const was = Atomics.compareExchange(perPrefix, prefix, count, count + 1);
      if (was === count) return;
      count = was;
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

/** 2^23 words of 32 bits (32 MiB): about 0.09 % of 10 M distinct ids are taken for repeats, 1 in 100,000 of 1 M. */
const SEEN_WORD_BITS = 23;

/**
 * The ids staged so far, as a Bloom filter (four bits of one 32-bit word per id): `see` tells
 * whether an id may have been staged before. An id is marked by one atomic OR, so of two threads
 * marking the same id at once, the second sees every bit set: a repeated id is always told.
 */
export class SeenIds {
  /** The filter, shared with the parsing threads. */
  readonly buffer: SharedArrayBuffer;
  readonly #words: Int32Array;

  constructor(buffer = new SharedArrayBuffer(4 << SEEN_WORD_BITS)) {
    this.buffer = buffer;
    this.#words = new Int32Array(buffer);
  }

  /** Marks `id` as staged; true if it may have been before (always true if it was). */
  see(id: string): boolean {
    // FNV-1a and a second multiplier over the UTF-16 units, each finished with a mix (ids differ in a few digits).
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 13;
    }
    return this.#mark(h1, h2);
  }

  /** `see` for an id given as its UTF-8 bytes, bytes[start .. end] (a filter holds ids given one way only). */
  seeBytes(bytes: Uint8Array, start: number, end: number): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 13;
    }
    return this.#mark(h1, h2);
  }

  #mark(h1: number, h2: number): boolean {
    h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
    h1 ^= h1 >>> 13;
    h2 = Math.imul(h2 ^ (h2 >>> 15), 0x2c1b3c6d);
    h2 ^= h2 >>> 12;
    const word = h1 & ((1 << SEEN_WORD_BITS) - 1);
    const mask = (1 << (h2 & 31)) | (1 << ((h2 >>> 5) & 31)) | (1 << ((h2 >>> 10) & 31)) | (1 << ((h2 >>> 15) & 31));
    return (Atomics.or(this.#words, word, mask) & mask) === mask;
  }
}

/**
 * Rows so far per mobile, over-counted (a count-min sketch: three counters per mobile, under three
 * different 3-byte pieces of its hash, the smallest one counts; 48 MiB) and saturating above
 * MAX_BENEFICIARIES_PER_MOBILE. For one thread counting rows in file order.
 */
export class MobileRowCounts {
  readonly #counters = [0, 1, 2].map(() => new Uint8Array(1 << PREFIX_BITS));

  /** Counts a row whose mobile hash starts at hashes[at]; returns how many rows the mobile may have had before. */
  add(hashes: Uint8Array, at: number): number {
    let before = SATURATED;
    for (let i = 0, p = at; i < this.#counters.length; i++, p += 3) {
      const counters = this.#counters[i]!;
      const key = (hashes[p]! << 16) | (hashes[p + 1]! << 8) | hashes[p + 2]!;
      const count = counters[key]!;
      if (count < before) before = count;
      if (count < SATURATED) counters[key] = count + 1;
    }
    return before;
  }
}
