import { keyedHash } from '../store/secrets.ts';

/** Bytes of the keyed hash kept: 128 bits are ample for a lookup key and halve the size of the busiest index. */
export const MOBILE_HASH_BYTES = 16;

// SHA-256 round constants (FIPS 180-4, 4.2.2) and initial hash value (5.3.3).
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK = 64;
/** The longest message that fits one block with SHA-256's padding (0x80 and a 64-bit length). */
const MAX_ONE_BLOCK = BLOCK - 9;

/**
 * The mobile number's keyed hash, exactly `keyedHash(key, 'mobile', mobile)` cut to 16 bytes,
 * computed several times faster for bulk imports: node's createHmac costs ~3 µs a call, mostly
 * setting up the HMAC; here the key's inner and outer pad blocks are compressed once, so each
 * mobile costs two SHA-256 compressions. Data-independent operations only (adds, xors, rotations),
 * so it is constant-time like the native one. Messages that do not fit one block use node's.
 */
export class MobileHasher {
  readonly #key: Buffer;
  readonly #inner: Int32Array;
  readonly #outer: Int32Array;
  readonly #w = new Int32Array(64);
  readonly #digest = new Int32Array(8);
  readonly #prefixes: string[] = [];

  constructor(key: Buffer) {
    this.#key = key;
    this.#inner = this.#padState(0x36);
    this.#outer = this.#padState(0x5c);
  }

  /** The key the hashes are made with (a bulk import hands it to the thread that hashes). */
  get key(): Buffer {
    return this.#key;
  }

  hash(mobile: string): Buffer {
    const out = Buffer.allocUnsafe(MOBILE_HASH_BYTES);
    this.hashInto(mobile, out, 0);
    return out;
  }

  /** Writes the hash of `mobile` to out[offset .. offset + 16]: a bulk import packs a batch's hashes in one buffer. */
  hashInto(mobile: string, out: Buffer, offset: number): void {
    // keyedHash's length-prefixed parts, `6:mobile${length}:${mobile}`, written to the block as it is
    // read: no string built, and a non-ASCII mobile (UTF-8 bytes differ) goes to node's HMAC.
    const prefix = (this.#prefixes[mobile.length] ??= `6:mobile${mobile.length}:`);
    const length = prefix.length + mobile.length;
    const w = this.#w;
    w.fill(0, 0, 16);
    for (let i = 0; i < prefix.length; i++) w[i >> 2]! |= prefix.charCodeAt(i) << (24 - 8 * (i & 3));
    let oneBlock = length <= MAX_ONE_BLOCK;
    for (let j = 0, i = prefix.length; oneBlock && j < mobile.length; j++, i++) {
      const c = mobile.charCodeAt(j);
      if (c > 0x7f) oneBlock = false;
      else w[i >> 2]! |= c << (24 - 8 * (i & 3));
    }
    if (!oneBlock) {
      keyedHash(this.#key, 'mobile', mobile).copy(out, offset, 0, MOBILE_HASH_BYTES);
      return;
    }
    w[length >> 2]! |= 0x80 << (24 - 8 * (length & 3));
    w[15] = (BLOCK + length) * 8;
    compress(w, this.#inner, this.#digest);
    // Outer hash: opad block already absorbed; this block is the 32-byte inner digest, padded.
    w.set(this.#digest, 0);
    w[8] = 0x80000000;
    w.fill(0, 9, 15);
    w[15] = (BLOCK + 32) * 8;
    compress(w, this.#outer, this.#digest);
    for (let i = 0; i < MOBILE_HASH_BYTES / 4; i++) out.writeInt32BE(this.#digest[i]!, offset + 4 * i);
  }

  /** The state after compressing the key xor'ed with an HMAC pad byte (RFC 2104). */
  #padState(pad: number): Int32Array {
    if (this.#key.length > BLOCK) throw new RangeError('mobile hash key longer than one SHA-256 block');
    const block = Buffer.alloc(BLOCK, pad);
    for (let i = 0; i < this.#key.length; i++) block[i] = this.#key[i]! ^ pad;
    for (let i = 0; i < 16; i++) this.#w[i] = block.readInt32BE(4 * i);
    const state = new Int32Array(8);
    compress(this.#w, IV, state);
    return state;
  }
}

/** One SHA-256 compression of the 16 words in w[0..15] onto `state`, written to `out`. */
function compress(w: Int32Array, state: Int32Array, out: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15]!;
    const b = w[i - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!, e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  out[0] = (state[0]! + a) | 0;
  out[1] = (state[1]! + b) | 0;
  out[2] = (state[2]! + c) | 0;
  out[3] = (state[3]! + d) | 0;
  out[4] = (state[4]! + e) | 0;
  out[5] = (state[5]! + f) | 0;
  out[6] = (state[6]! + g) | 0;
  out[7] = (state[7]! + h) | 0;
}
