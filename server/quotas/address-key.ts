import crypto from 'node:crypto';
import net from 'node:net';
import { type Secrets, keyedHash } from '../store/secrets.ts';

/**
 * The key per-address quotas count under: an IPv4 address as itself, an IPv6 address by its /64
 * (one subscriber line or host gets a whole /64, so counting per /128 gives each caller 2^64
 * quotas), an IPv4-mapped IPv6 address (::ffff:1.2.3.4, as a dual-stack socket reports IPv4
 * callers) as its IPv4 address. Stored as a keyed HMAC, never as the address: `rate_counters`
 * holds no client address in plaintext. 128 bits, base64url (22 characters).
 *
 * A string that is no IP address (a proxy's forged X-Forwarded-For, "unknown") is hashed as it is,
 * in a domain of its own, so it can never share a key with a real address.
 */
export function addressKey(ip: string, key: Buffer): string {
  let recent = recentKeys.get(key);
  if (!recent) recentKeys.set(key, (recent = new Map()));
  let hashed = recent.get(ip);
  if (hashed === undefined) {
    hashed = keyedHash(key, 'kycvs-address/v1', ...addressParts(ip)).subarray(0, 16).toString('base64url');
    if (recent.size >= RECENT_ADDRESSES) recent.delete(recent.keys().next().value!);
    recent.set(ip, hashed);
  }
  return hashed;
}

/**
 * The keys of the last addresses seen, per secret: every API request needs its caller's key, and a
 * widget flow's requests come from one address, a host backend's from a few (the HMAC and parsing
 * were ~3 % of a request's CPU in the bench's profile). Oldest out first; process memory only.
 */
const recentKeys = new WeakMap<Buffer, Map<string, string>>();
const RECENT_ADDRESSES = 4096;

/**
 * The key for `addressKey`, derived (HKDF-SHA256) from the mobile-hashing secret with a label of
 * its own: every process that shares `secrets.json` gets the same key, data dirs made before it
 * existed keep working, and no file is ever written (a read-only secrets mount works). HKDF is
 * one-way: the derived key, if it leaked, gives nothing of the mobile key.
 */
export function deriveAddressKey(secrets: Pick<Secrets, 'mobileKey'>): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secrets.mobileKey, Buffer.alloc(0), 'kycvs rate-limit address key v1', 32));
}

/** The canonical form of what an address is counted as: [family, text]. */
export function addressParts(ip: string): [family: '4' | '6' | 'other', text: string] {
  let text = ip.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (net.isIPv4(text)) return ['4', text];
  if (!net.isIPv6(text)) return ['other', ip];
  const words = ipv6Words(text);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return ['4', `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`];
  }
  return ['6', `${words.slice(0, 4).map((w) => w.toString(16)).join(':')}::/64`];
}

/** The eight 16-bit words of a valid IPv6 address (checked by net.isIPv6, zone id removed). */
function ipv6Words(text: string): number[] {
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const groups = part.split(':');
    const words: number[] = [];
    for (const group of groups) {
      if (group.includes('.')) {
        const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
        words.push((a << 8) | b, (c << 8) | d);
      } else words.push(parseInt(group, 16));
    }
    return words;
  };
  const gap = text.indexOf('::');
  if (gap < 0) return parse(text);
  const head = parse(text.slice(0, gap));
  const tail = parse(text.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
