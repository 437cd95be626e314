import dns from 'node:dns';
import net from 'node:net';

/**
 * Where webhooks may go (SSRF). A verifier registers the URL, so it could point the service at
 * its own network: loopback, the cloud metadata address, a database on 10.x. In production a
 * delivery goes only to public unicast addresses over https; every address the name resolves to
 * is checked at delivery time and the connection is made to the checked address (no second
 * lookup, so no DNS-rebinding gap). Demo mode also allows loopback, and http.
 */

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'cgnat' | 'multicast' | 'unspecified' | 'reserved';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name → addresses (injectable: tests map names to literal addresses without any network). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const found = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** [first address, prefix length, kind]: special-purpose IPv4 blocks (IANA registry), most specific not needed (disjoint). */
const V4_BLOCKS: [string, number, AddressKind][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function v4Number(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

const V4_RANGES = V4_BLOCKS.map(([first, bits, kind]) => ({ start: v4Number(first), size: 2 ** (32 - bits), kind }));

function v4Kind(n: number): AddressKind {
  for (const r of V4_RANGES) if (n >= r.start && n < r.start + r.size) return r.kind;
  return 'public';
}

/** The eight 16-bit words of a valid IPv6 address (zone id removed). */
function v6Words(text: string): number[] {
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const n = v4Number(group);
          return [Math.floor(n / 65536), n % 65536];
        });
  const gap = text.indexOf('::');
  if (gap < 0) return parse(text);
  const head = parse(text.slice(0, gap));
  const tail = parse(text.slice(gap + 2));
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function v6Kind(words: number[]): AddressKind {
  const [w0, w1, w2, w3, w4, w5, w6, w7] = words as [number, number, number, number, number, number, number, number];
  const embeddedV4 = (hi: number, lo: number) => v4Kind(hi * 65536 + lo);
  if (words.every((w) => w === 0)) return 'unspecified';
  if (words.slice(0, 7).every((w) => w === 0) && w7 === 1) return 'loopback';
  // ::ffff:a.b.c.d, how a dual-stack socket writes an IPv4 address: judged as that address.
  if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0xffff) return embeddedV4(w6, w7);
  // 64:ff9b::/96 (NAT64) reaches the embedded IPv4 address through a translator: judged as it.
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) return embeddedV4(w6, w7);
  // 2002::/16 (6to4) carries an IPv4 address in bits 16-47.
  if (w0 === 0x2002) return embeddedV4(w1, w2);
  if ((w0 & 0xff00) === 0xff00) return 'multicast';
  if ((w0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((w0 & 0xfe00) === 0xfc00 || (w0 & 0xffc0) === 0xfec0) return 'private'; // unique local; old site-local
  // IETF protocol assignments (Teredo, benchmarking, ORCHID), documentation (2001:db8::/32, 3fff::/20).
  if (w0 === 0x2001 && w1 < 0x200) return 'reserved';
  if (w0 === 0x2001 && w1 === 0xdb8) return 'reserved';
  if (w0 === 0x3fff && w1 < 0x1000) return 'reserved';
  // Anything else outside global unicast (2000::/3): ::/96 IPv4-compatible, 100::/64 discard, 64:ff9b:1::/48, …
  if ((w0 & 0xe000) !== 0x2000) return 'reserved';
  return 'public';
}

/** What an IP address is, for webhook purposes; `null` for text that is no IP address. */
export function addressKind(ip: string): AddressKind | null {
  let text = ip.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (net.isIPv4(text)) return v4Kind(v4Number(text));
  if (net.isIPv6(text)) return v6Kind(v6Words(text));
  return null;
}

export interface DeliveryPolicy {
  /** Demo mode: loopback addresses and plain http are allowed too. */
  demo: boolean;
}

/** Why a delivery may not go to this address, or null when it may. */
export function addressProblem(ip: string, policy: DeliveryPolicy): string | null {
  const kind = addressKind(ip);
  if (kind === 'public') return null;
  if (kind === 'loopback' && policy.demo) return null;
  if (kind === null) return `"${ip}" is not an IP address`;
  return `${ip} is a ${kind} address${kind === 'loopback' ? ' (allowed in demo mode only)' : ''}`;
}

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** The URL's own rules, before any address is looked at: scheme, no credentials, length. */
export function webhookUrlSyntaxProblem(raw: string, policy: DeliveryPolicy): string | null {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return `at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'https:' && !(policy.demo && url.protocol === 'http:')) {
    return policy.demo ? 'must be an http or https URL' : 'must be an https URL (plain http is allowed in demo mode only)';
  }
  if (url.username || url.password) return 'must not carry a user name or password (the signature authenticates the sender)';
  if (url.hash) return 'must not have a #fragment';
  return null;
}

/** The hostname as a connection wants it: IPv6 literals without their brackets. */
export function bareHostname(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * The addresses a delivery to `url` may connect to, every one of them checked; throws
 * `WebhookAddressError` when any is refused (one bad answer among good ones refuses the name:
 * which one a connection would use is not ours to choose safely).
 */
export async function checkedAddresses(url: URL, policy: DeliveryPolicy, resolve: Resolver): Promise<ResolvedAddress[]> {
  const host = bareHostname(url);
  const literal = net.isIP(host);
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new WebhookAddressError(`${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (addresses.length === 0) throw new WebhookAddressError(`${host} does not resolve`);
  }
  for (const { address } of addresses) {
    const problem = addressProblem(address, policy);
    if (problem) throw new WebhookAddressError(literal ? problem : `${host} resolves to ${problem}`);
  }
  return addresses;
}

export class WebhookAddressError extends Error {}

/**
 * The whole check for a URL a verifier registers (`clients update --webhook`): syntax, then every
 * address its name resolves to now. Null when acceptable, else why not, in words for the operator.
 */
export async function webhookUrlProblem(raw: string, policy: DeliveryPolicy, resolve: Resolver = systemResolver): Promise<string | null> {
  const syntax = webhookUrlSyntaxProblem(raw, policy);
  if (syntax) return syntax;
  try {
    await checkedAddresses(new URL(raw), policy, resolve);
    return null;
  } catch (err) {
    if (err instanceof WebhookAddressError) return err.message;
    throw err;
  }
}
